-- Open CRM pipeline per company, sales team and stage: active opportunities, expected
-- revenue (crm_lead.expected_revenue is in the company's currency) and revenue
-- weighted by probability. Stage and team names in the company's language. A lead
-- without company takes its sales team's company; without either it has company_id
-- NULL and no company filter shows it.
SELECT
    COALESCE(lead.company_id, team.company_id) AS company_id,
    lead.team_id,
    COALESCE(team.name ->> co.lang, team.name ->> 'en_US') AS team_name,
    lead.stage_id,
    COALESCE(stage.name ->> co.lang, stage.name ->> 'en_US') AS stage_name,
    stage.sequence AS stage_sequence,
    COALESCE(stage.is_won, false) AS is_won_stage,
    count(*) AS opportunities,
    COALESCE(sum(lead.expected_revenue), 0) AS expected_revenue,
    COALESCE(sum(lead.expected_revenue * lead.probability / 100.0), 0) AS weighted_revenue,
    avg(lead.probability) AS average_probability
    --@extra_columns
FROM crm_lead lead
LEFT JOIN crm_team team ON team.id = lead.team_id
LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
LEFT JOIN superset_analytics.vw_company_locale co ON co.company_id = COALESCE(lead.company_id, team.company_id)
WHERE lead.type = 'opportunity'
  AND lead.active
GROUP BY 1, 2, 3, 4, 5, 6, 7
--@extra_group_by
