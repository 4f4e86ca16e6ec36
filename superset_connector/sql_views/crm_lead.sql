-- CRM leads and opportunities, one row per lead, active or archived (lost ones too),
-- for the Sales & CRM dashboard's funnel, conversion and source charts.
--
-- company_id: the lead's company, else its sales team's (as vw_crm_pipeline); a lead
-- with neither has company_id NULL and no company filter shows it. type: 'lead' or
-- 'opportunity'. status, Odoo 18's definitions (crm.lead has no won_status field in
-- 18.0; these are the domains of its Won and Lost filters and of action_set_won /
-- action_set_lost): 'won' = active with probability 100, 'lost' = archived with
-- probability 0, 'open' = active and not won (the active leads of the pipeline),
-- 'archived' = archived with a probability above 0 (only when something archived it
-- without Odoo's archive action, which sets the probability to 0). won / lost: the
-- same as 0/1 columns that sum in charts (conversion rate = won / (won + lost)).
-- Names: stage, team and campaign in the company's language; '(none)' where the lead
-- has no salesperson, team, source, medium or campaign (a label a select filter can
-- offer). Days in the company's timezone: created_on (create_date), closed_on
-- (date_closed: when it was won or lost). Amounts in the company's currency:
-- expected_revenue, prorated_revenue (Odoo's stored expected revenue x probability /
-- 100, rounded to the cent). leads: 1 per row, to count in charts.
SELECT
    COALESCE(lead.company_id, team.company_id) AS company_id,
    lead.id AS lead_id,
    lead.type,
    lead.user_id AS salesperson_id,
    COALESCE(salesperson.name, '(none)') AS salesperson,
    lead.team_id,
    COALESCE(team.name ->> co.lang, team.name ->> 'en_US', '(none)') AS team_name,
    lead.stage_id,
    COALESCE(stage.name ->> co.lang, stage.name ->> 'en_US') AS stage_name,
    stage.sequence AS stage_sequence,
    CASE
        WHEN lead.active AND lead.probability = 100 THEN 'won'
        WHEN NOT lead.active AND lead.probability = 0 THEN 'lost'
        WHEN lead.active THEN 'open'
        ELSE 'archived'
    END AS status,
    CASE WHEN lead.active AND lead.probability = 100 THEN 1 ELSE 0 END AS won,
    CASE WHEN NOT lead.active AND lead.probability = 0 THEN 1 ELSE 0 END AS lost,
    lead.source_id,
    COALESCE(source.name, '(none)') AS source_name,
    lead.medium_id,
    COALESCE(medium.name, '(none)') AS medium_name,
    lead.campaign_id,
    COALESCE(campaign.title ->> co.lang, campaign.title ->> 'en_US', '(none)') AS campaign_name,
    (lead.create_date AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(co.tz, 'UTC'))::date AS created_on,
    (lead.date_closed AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(co.tz, 'UTC'))::date AS closed_on,
    COALESCE(lead.expected_revenue, 0) AS expected_revenue,
    COALESCE(lead.prorated_revenue, 0) AS prorated_revenue,
    COALESCE(lead.probability, 0) AS probability,
    1 AS leads
    --@extra_columns
FROM crm_lead lead
LEFT JOIN crm_team team ON team.id = lead.team_id
LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
LEFT JOIN res_users salesperson_user ON salesperson_user.id = lead.user_id
LEFT JOIN res_partner salesperson ON salesperson.id = salesperson_user.partner_id
LEFT JOIN utm_source source ON source.id = lead.source_id
LEFT JOIN utm_medium medium ON medium.id = lead.medium_id
LEFT JOIN utm_campaign campaign ON campaign.id = lead.campaign_id
LEFT JOIN superset_analytics.vw_company_locale co ON co.company_id = COALESCE(lead.company_id, team.company_id)
