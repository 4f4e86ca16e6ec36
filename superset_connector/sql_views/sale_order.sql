-- Sale orders, one row per order (quotations, confirmed and cancelled orders, with their
-- state for filtering), for the Sales & CRM dashboard's charts per salesperson, team and
-- customer.
--
-- Same definitions as Odoo's sale.report (sale/report/sale_report.py) and vw_sale_period:
-- an order's lines are those with a product and no display_type (sections and notes
-- excluded), and only orders with such a line are listed (sale.report has no row for
-- the others); untaxed_revenue = the sum of their price_subtotal / the order's
-- currency_rate (in the company's currency, at the order's rate), whatever the state:
-- filter on confirmed for revenue. order_date: the day of sale_order.date_order (the
-- confirmation date of a confirmed order) in the company's timezone. status: the
-- state's label in the company's language. The 0/1 columns sum in charts: confirmed
-- (state 'sale'; Odoo 18 has no 'done' state), quotation (states 'draft' and 'sent');
-- orders: 1 per row. salesperson: the user's name, '(none)' without salesperson; team
-- name in the company's language, '(none)' without team; customer: the commercial
-- partner (the company of a contact), its name only (no contact data).
SELECT
    s.company_id,
    s.id AS order_id,
    s.name AS order_name,
    (s.date_order AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS order_date,
    s.state,
    COALESCE(state_label.name ->> co.lang, state_label.name ->> 'en_US', s.state) AS status,
    CASE WHEN s.state = 'sale' THEN 1 ELSE 0 END AS confirmed,
    CASE WHEN s.state IN ('draft', 'sent') THEN 1 ELSE 0 END AS quotation,
    s.user_id AS salesperson_id,
    COALESCE(salesperson.name, '(none)') AS salesperson,
    s.team_id,
    COALESCE(team.name ->> co.lang, team.name ->> 'en_US', '(none)') AS team_name,
    partner.commercial_partner_id AS customer_id,
    customer.name AS customer_name,
    line.untaxed AS untaxed_revenue,
    1 AS orders
    --@extra_columns
FROM sale_order s
JOIN res_partner partner ON partner.id = s.partner_id
JOIN res_partner customer ON customer.id = partner.commercial_partner_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = s.company_id
-- The order's lines as sale.report counts them, in the company's currency.
JOIN LATERAL (
    SELECT sum(l.price_subtotal / CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 ELSE s.currency_rate END)
        AS untaxed
    FROM sale_order_line l
    WHERE l.order_id = s.id
      AND l.display_type IS NULL
      AND l.product_id IS NOT NULL
    HAVING count(*) > 0
) line ON true
LEFT JOIN res_users salesperson_user ON salesperson_user.id = s.user_id
LEFT JOIN res_partner salesperson ON salesperson.id = salesperson_user.partner_id
LEFT JOIN crm_team team ON team.id = s.team_id
LEFT JOIN ir_model_fields state_field ON state_field.model = 'sale.order' AND state_field.name = 'state'
LEFT JOIN ir_model_fields_selection state_label
    ON state_label.field_id = state_field.id AND state_label.value = s.state
