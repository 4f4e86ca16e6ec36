-- Purchase order lines with their order, vendor and product, amounts in the company's
-- currency (price_subtotal and price_total / the order's currency_rate, as Odoo's
-- purchase.report does), quantities in the product's unit, dates in the company's
-- timezone (order_date: the order date, the deadline of an RFQ; approve_date: when
-- the order was confirmed). Cancelled orders are kept with their state for filtering.
-- category_name: the product category's full name ("All / Saleable"); status: the
-- order state's label in the company's language. qty_received_on_time (purchase_stock):
-- the quantity of the line's done receipts (returns to the vendor left out) dated on or
-- before the line's planned day, in the product's unit: res.partner's on-time delivery
-- rate is 100 x its sum / the ordered quantity of the confirmed lines with something
-- received (Odoo compares the days in UTC, the view in the company's timezone).
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
    l.price_total / COALESCE(NULLIF(po.currency_rate, 0), 1.0) AS total_amount,
    categ.complete_name AS category_name,
    COALESCE(state_label.name ->> co.lang, state_label.name ->> 'en_US', po.state) AS status,
    --@if purchase_stock
    COALESCE((
        SELECT sum(m.product_qty)
        FROM stock_move m
        JOIN stock_location receipt_dest ON receipt_dest.id = m.location_dest_id
        WHERE m.purchase_line_id = l.id
          AND m.state = 'done'
          AND receipt_dest.usage <> 'supplier'
          AND (m.date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
              <= (l.date_planned AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
    ), 0) AS qty_received_on_time
    --@else
    NULL::numeric AS qty_received_on_time
    --@endif
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
LEFT JOIN product_category categ ON categ.id = t.categ_id
LEFT JOIN ir_model_fields state_field ON state_field.model = 'purchase.order' AND state_field.name = 'state'
LEFT JOIN ir_model_fields_selection state_label
    ON state_label.field_id = state_field.id AND state_label.value = po.state
WHERE l.display_type IS NULL
