-- Won and lost opportunities per company and month of closing (crm_lead.date_closed in
-- the company's timezone), Odoo 18's definitions: won = active with probability 100,
-- lost = archived with probability 0. Revenue in the company's currency.
SELECT
    COALESCE(lead.company_id, team.company_id) AS company_id,
    date_trunc('month', lead.date_closed AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(co.tz, 'UTC'))::date
        AS month,
    count(*) FILTER (WHERE lead.active AND lead.probability = 100) AS won,
    count(*) FILTER (WHERE NOT lead.active AND lead.probability = 0) AS lost,
    COALESCE(sum(lead.expected_revenue) FILTER (WHERE lead.active AND lead.probability = 100), 0) AS won_revenue,
    COALESCE(sum(lead.expected_revenue) FILTER (WHERE NOT lead.active AND lead.probability = 0), 0) AS lost_revenue,
    count(*) FILTER (WHERE lead.active AND lead.probability = 100)::numeric / count(*) AS win_rate
    --@extra_columns
FROM crm_lead lead
LEFT JOIN crm_team team ON team.id = lead.team_id
LEFT JOIN superset_analytics.vw_company_locale co ON co.company_id = COALESCE(lead.company_id, team.company_id)
WHERE lead.type = 'opportunity'
  AND lead.date_closed IS NOT NULL
  AND ((lead.active AND lead.probability = 100) OR (NOT lead.active AND lead.probability = 0))
GROUP BY 1, 2
--@extra_group_by
