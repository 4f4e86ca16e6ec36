-- Customer lifetime value per company: first and last order day (company timezone),
-- confirmed orders and untaxed revenue (company currency, sale.report's definitions).
-- One row per commercial partner; no contact data (no email, phone or address): the
-- name and country identify the customer.
SELECT
    s.company_id,
    partner.commercial_partner_id AS customer_id,
    customer.name AS customer_name,
    customer.is_company,
    customer.country_id,
    min((s.date_order AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date) AS first_order_date,
    max((s.date_order AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date) AS last_order_date,
    count(DISTINCT s.id) AS orders,
    sum(l.price_subtotal / CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 ELSE s.currency_rate END)
        AS untaxed_revenue,
    sum(l.price_subtotal / CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 ELSE s.currency_rate END)
        / count(DISTINCT s.id) AS average_order
    --@extra_columns
FROM sale_order_line l
JOIN sale_order s ON s.id = l.order_id
JOIN res_partner partner ON partner.id = s.partner_id
JOIN res_partner customer ON customer.id = partner.commercial_partner_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = s.company_id
WHERE l.display_type IS NULL
  AND l.product_id IS NOT NULL
  AND s.state = 'sale'
GROUP BY s.company_id, partner.commercial_partner_id, customer.name, customer.is_company, customer.country_id
--@extra_group_by
