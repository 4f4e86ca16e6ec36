-- Confirmed sales orders per company, sales team and month of the order (company
-- timezone), untaxed amounts in the company's currency (the order's currency_rate).
SELECT
    s.company_id,
    s.team_id,
    COALESCE(team.name ->> co.lang, team.name ->> 'en_US') AS team_name,
    date_trunc('month', s.date_order AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS month,
    count(*) AS confirmed_orders,
    sum(s.amount_untaxed / CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 ELSE s.currency_rate END)
        AS untaxed_revenue
FROM sale_order s
JOIN superset_analytics.vw_company_locale co ON co.company_id = s.company_id
LEFT JOIN crm_team team ON team.id = s.team_id
WHERE s.state = 'sale'
GROUP BY 1, 2, 3, 4
