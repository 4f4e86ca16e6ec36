-- Sales KPIs per company and period - a day or a month (grain) of the order date in the
-- company's timezone - in the company's currency: vw_sale_daily and vw_sale_monthly are
-- its days and its months.
--
-- Same definitions as Odoo's sale.report (sale/report/sale_report.py): order lines with
-- a product and no display_type, amounts = price_subtotal / the order's currency_rate
-- (the rate of the order currency against the company currency at the order date),
-- the period of sale_order.date_order (the confirmation date of confirmed orders).
-- orders: quotations and confirmed orders (cancelled ones excluded);
-- confirmed_*: state 'sale' (Odoo 18 has no 'done' state); customers: distinct
-- commercial partners of confirmed orders in the period, so a month's is not the sum
-- of its days'.
SELECT
    s.company_id,
    grain.unit AS grain,
    date_trunc(grain.unit, line.ordered_at)::date AS period,
    count(DISTINCT s.id) AS orders,
    count(DISTINCT s.id) FILTER (WHERE s.state = 'sale') AS confirmed_orders,
    COALESCE(sum(line.untaxed) FILTER (WHERE s.state = 'sale'), 0) AS untaxed_revenue,
    COALESCE(sum(line.untaxed) FILTER (WHERE s.state = 'sale'), 0)
        / NULLIF(count(DISTINCT s.id) FILTER (WHERE s.state = 'sale'), 0) AS average_order,
    COALESCE(sum(line.quantity) FILTER (WHERE s.state = 'sale'), 0) AS confirmed_quantity,
    count(DISTINCT partner.commercial_partner_id) FILTER (WHERE s.state = 'sale') AS customers,
    COALESCE(sum(line.untaxed) FILTER (WHERE s.state IN ('draft', 'sent')), 0) AS quotations_untaxed
    --@extra_columns
FROM sale_order_line l
JOIN sale_order s ON s.id = l.order_id
JOIN res_partner partner ON partner.id = s.partner_id
JOIN product_product p ON p.id = l.product_id
JOIN product_template t ON t.id = p.product_tmpl_id
JOIN uom_uom u ON u.id = l.product_uom
JOIN uom_uom u2 ON u2.id = t.uom_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = s.company_id
-- Once per line: the order's local time, the untaxed amount in the company's currency,
-- the quantity in the product's unit.
CROSS JOIN LATERAL (
    SELECT
        s.date_order AT TIME ZONE 'UTC' AT TIME ZONE co.tz AS ordered_at,
        l.price_subtotal / CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 ELSE s.currency_rate END AS untaxed,
        l.product_uom_qty / u.factor * u2.factor AS quantity
) line
CROSS JOIN (VALUES ('day'), ('month')) AS grain (unit)
WHERE l.display_type IS NULL
  AND s.state IN ('draft', 'sent', 'sale')
GROUP BY s.company_id, grain.unit, date_trunc(grain.unit, line.ordered_at)::date
--@extra_group_by
