-- Manufacturing orders, one row per order (cancelled ones too, with their state for
-- filtering), as Odoo's mrp.production list shows them.
--
-- product: the finished product, its name in the company's language, its category's
-- full name; status: the state's label in the company's language. Days in the
-- company's timezone: start_date (date_start, planned or actual start), finish_date
-- (date_finished: the planned end until the order is done, then when it was done),
-- deadline_date (date_deadline). Quantities in the product's unit: qty_planned (the
-- order's quantity to produce), qty_produced (its done finished moves of the product,
-- as vw_mrp_production_daily). The 0/1 columns sum in charts: active (confirmed, in
-- progress or to close: Odoo's open orders), done, with_deadline (done with a
-- deadline), on_time (done on or before the deadline's day, among with_deadline), late
-- (done after the deadline's day, or not done with the deadline's day past today).
SELECT
    mo.id AS production_id,
    mo.company_id,
    mo.name AS production_name,
    mo.product_id,
    COALESCE(t.name ->> co.lang, t.name ->> 'en_US') AS product_name,
    t.categ_id,
    categ.complete_name AS category_name,
    mo.bom_id,
    mo.state,
    COALESCE(state_label.name ->> co.lang, state_label.name ->> 'en_US', mo.state) AS status,
    (mo.date_start AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS start_date,
    (mo.date_finished AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS finish_date,
    (mo.date_deadline AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS deadline_date,
    mo.product_qty / mo_uom.factor * product_uom.factor AS qty_planned,
    COALESCE((
        SELECT sum(m.product_qty)
        FROM stock_move m
        WHERE m.production_id = mo.id AND m.product_id = mo.product_id AND m.state = 'done'
    ), 0) AS qty_produced,
    CASE WHEN mo.state IN ('confirmed', 'progress', 'to_close') THEN 1 ELSE 0 END AS active,
    CASE WHEN mo.state = 'done' THEN 1 ELSE 0 END AS done,
    CASE WHEN mo.state = 'done' AND mo.date_deadline IS NOT NULL THEN 1 ELSE 0 END AS with_deadline,
    CASE
        WHEN mo.state = 'done'
            AND (mo.date_finished AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
                <= (mo.date_deadline AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date THEN 1
        ELSE 0
    END AS on_time,
    CASE
        WHEN mo.state = 'done'
            AND (mo.date_finished AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
                > (mo.date_deadline AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date THEN 1
        WHEN mo.state IN ('draft', 'confirmed', 'progress', 'to_close')
            AND (mo.date_deadline AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
                < (now() AT TIME ZONE co.tz)::date THEN 1
        ELSE 0
    END AS late
    --@extra_columns
FROM mrp_production mo
JOIN product_product p ON p.id = mo.product_id
JOIN product_template t ON t.id = p.product_tmpl_id
JOIN uom_uom mo_uom ON mo_uom.id = mo.product_uom_id
JOIN uom_uom product_uom ON product_uom.id = t.uom_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = mo.company_id
LEFT JOIN product_category categ ON categ.id = t.categ_id
LEFT JOIN ir_model_fields state_field ON state_field.model = 'mrp.production' AND state_field.name = 'state'
LEFT JOIN ir_model_fields_selection state_label
    ON state_label.field_id = state_field.id AND state_label.value = mo.state
