-- Product performance per company and month: confirmed quantity (in the product's unit),
-- untaxed revenue and, when sale_margin is installed, margin - all in the company's
-- currency (price_subtotal and margin / the order's currency_rate, as sale.report does).
-- Product names come from the JSONB translations in the company's language (else en_US).
-- Confirmed orders only (state 'sale'), bucketed by the month of date_order in the
-- company's timezone.
SELECT
    s.company_id,
    date_trunc('month', s.date_order AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
        AS month,
    l.product_id,
    p.product_tmpl_id,
    COALESCE(t.name ->> co.lang, t.name ->> 'en_US') AS product_name,
    p.default_code,
    t.categ_id,
    categ.complete_name AS category_name,
    count(DISTINCT s.id) AS orders,
    sum(l.product_uom_qty / u.factor * u2.factor) AS quantity,
    sum(l.price_subtotal / CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 ELSE s.currency_rate END)
        AS untaxed_revenue,
--@if sale_margin
    sum(l.margin / CASE COALESCE(s.currency_rate, 0) WHEN 0 THEN 1.0 ELSE s.currency_rate END) AS margin
--@else
    NULL::numeric AS margin
--@endif
    --@extra_columns
FROM sale_order_line l
JOIN sale_order s ON s.id = l.order_id
JOIN product_product p ON p.id = l.product_id
JOIN product_template t ON t.id = p.product_tmpl_id
LEFT JOIN product_category categ ON categ.id = t.categ_id
JOIN uom_uom u ON u.id = l.product_uom
JOIN uom_uom u2 ON u2.id = t.uom_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = s.company_id
WHERE l.display_type IS NULL
  AND s.state = 'sale'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
--@extra_group_by
