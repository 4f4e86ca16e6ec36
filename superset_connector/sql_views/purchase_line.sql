-- Purchase order lines with their order, vendor and product, amounts in the company's
-- currency (price_subtotal and price_total / the order's currency_rate, as Odoo's
-- purchase.report does), quantities in the product's unit, dates in the company's
-- timezone (order_date: the order date, the deadline of an RFQ; approve_date: when
-- the order was confirmed). Cancelled orders are kept with their state for filtering.
SELECT
    l.id AS line_id,
    po.company_id,
    po.id AS order_id,
    po.name AS order_name,
    po.state,
    (po.date_order AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS order_date,
    (po.date_approve AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS approve_date,
    (l.date_planned AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS planned_date,
    partner.commercial_partner_id AS vendor_id,
    vendor.name AS vendor_name,
    l.product_id,
    COALESCE(t.name ->> co.lang, t.name ->> 'en_US') AS product_name,
    t.categ_id,
    l.product_qty / line_uom.factor * product_uom.factor AS qty_ordered,
    l.qty_received / line_uom.factor * product_uom.factor AS qty_received,
    l.qty_invoiced / line_uom.factor * product_uom.factor AS qty_billed,
    l.price_subtotal / COALESCE(NULLIF(po.currency_rate, 0), 1.0) AS untaxed_amount,
    l.price_total / COALESCE(NULLIF(po.currency_rate, 0), 1.0) AS total_amount
    --@extra_columns
FROM purchase_order_line l
JOIN purchase_order po ON po.id = l.order_id
JOIN res_partner partner ON partner.id = po.partner_id
JOIN res_partner vendor ON vendor.id = partner.commercial_partner_id
JOIN product_product p ON p.id = l.product_id
JOIN product_template t ON t.id = p.product_tmpl_id
JOIN uom_uom line_uom ON line_uom.id = l.product_uom
JOIN uom_uom product_uom ON product_uom.id = t.uom_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = po.company_id
WHERE l.display_type IS NULL
