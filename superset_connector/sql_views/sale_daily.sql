-- Daily sales KPIs per company, in the company's currency and timezone.
--
-- Same definitions as Odoo's sale.report (sale/report/sale_report.py): order lines with
-- a product and no display_type, amounts = price_subtotal / the order's currency_rate
-- (the rate of the order currency against the company currency at the order date),
-- the day of sale_order.date_order (the confirmation date of confirmed orders).
-- orders: quotations and confirmed orders (cancelled ones excluded);
-- confirmed_*: state 'sale' (Odoo 18 has no 'done' state); customers: distinct
-- commercial partners of confirmed orders.
WITH line AS (
    SELECT
        s.company_id,
        (s.date_order AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(NULLIF(cp.tz, ''), 'UTC'))::date AS date,
        s.id AS order_id,
        s.state,
        partner.commercial_partner_id,
        l.price_subtotal / CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 ELSE s.currency_rate END AS untaxed,
        l.product_uom_qty / u.factor * u2.factor AS quantity
    FROM sale_order_line l
    JOIN sale_order s ON s.id = l.order_id
    JOIN res_partner partner ON partner.id = s.partner_id
    JOIN product_product p ON p.id = l.product_id
    JOIN product_template t ON t.id = p.product_tmpl_id
    JOIN uom_uom u ON u.id = l.product_uom
    JOIN uom_uom u2 ON u2.id = t.uom_id
    JOIN res_company c ON c.id = s.company_id
    JOIN res_partner cp ON cp.id = c.partner_id
    WHERE l.display_type IS NULL
      AND s.state IN ('draft', 'sent', 'sale')
)
SELECT
    company_id,
    date,
    count(DISTINCT order_id) AS orders,
    count(DISTINCT order_id) FILTER (WHERE state = 'sale') AS confirmed_orders,
    COALESCE(sum(untaxed) FILTER (WHERE state = 'sale'), 0) AS untaxed_revenue,
    COALESCE(sum(untaxed) FILTER (WHERE state = 'sale'), 0)
        / NULLIF(count(DISTINCT order_id) FILTER (WHERE state = 'sale'), 0) AS average_order,
    COALESCE(sum(quantity) FILTER (WHERE state = 'sale'), 0) AS confirmed_quantity,
    count(DISTINCT commercial_partner_id) FILTER (WHERE state = 'sale') AS customers,
    COALESCE(sum(untaxed) FILTER (WHERE state IN ('draft', 'sent')), 0) AS quotations_untaxed
FROM line
GROUP BY company_id, date
