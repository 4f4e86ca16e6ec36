-- Reordering rules (stock.warehouse.orderpoint, active ones, snoozed included), one row
-- per rule, with the product's quantities in the rule's location and its children.
--
-- Quantities are in the product's unit (the rule's): qty_on_hand is the quants' quantity
-- (the rule's qty_on_hand, product.qty_available in that location); qty_incoming and
-- qty_outgoing the moves still to do (waiting, confirmed, assigned) entering the
-- location (their final location, else destination) from outside or leaving it;
-- qty_forecast = on hand + incoming - outgoing (product.virtual_available in that
-- location, at any date: the rule's own forecast stops at its lead time and adds the
-- RFQs in progress). Names: product in the company's language, category's full name,
-- warehouse and location as Odoo shows them. 0/1 columns: below_min (on hand below the
-- minimum), forecast_below_min (forecast below the minimum: what triggers Odoo's
-- replenishment). qty_to_min: what on hand lacks to reach the minimum, qty_to_max: to
-- reach the maximum (0 when above).
WITH op_qty AS (
    SELECT
        op.*,
        loc.parent_path AS location_path,
        loc.complete_name AS location_name,
        (
            SELECT COALESCE(sum(q.quantity), 0)
            FROM stock_quant q
            JOIN stock_location ql ON ql.id = q.location_id
            WHERE q.product_id = op.product_id AND starts_with(ql.parent_path, loc.parent_path)
        ) AS qty_on_hand,
        flow.qty_incoming,
        flow.qty_outgoing
    FROM stock_warehouse_orderpoint op
    JOIN stock_location loc ON loc.id = op.location_id
    -- One pass over the product's moves still to do that cross the location's boundary.
    CROSS JOIN LATERAL (
        SELECT
            COALESCE(sum(m.product_qty) FILTER (WHERE starts_with(dest.parent_path, loc.parent_path)), 0)
                AS qty_incoming,
            COALESCE(sum(m.product_qty) FILTER (WHERE starts_with(src.parent_path, loc.parent_path)), 0)
                AS qty_outgoing
        FROM stock_move m
        JOIN stock_location src ON src.id = m.location_id
        JOIN stock_location dest ON dest.id = COALESCE(m.location_final_id, m.location_dest_id)
        WHERE m.product_id = op.product_id
          AND m.state IN ('waiting', 'confirmed', 'assigned', 'partially_available')
          AND starts_with(dest.parent_path, loc.parent_path) <> starts_with(src.parent_path, loc.parent_path)
    ) AS flow
    WHERE op.active
)
SELECT
    op_qty.id AS orderpoint_id,
    op_qty.company_id,
    op_qty.name AS orderpoint_name,
    op_qty.trigger,
    op_qty.warehouse_id,
    wh.name AS warehouse_name,
    op_qty.location_id,
    op_qty.location_name,
    op_qty.product_id,
    COALESCE(t.name ->> co.lang, t.name ->> 'en_US') AS product_name,
    p.default_code,
    t.categ_id,
    categ.complete_name AS category_name,
    op_qty.product_min_qty,
    op_qty.product_max_qty,
    op_qty.qty_multiple,
    op_qty.qty_on_hand,
    op_qty.qty_incoming,
    op_qty.qty_outgoing,
    op_qty.qty_on_hand + op_qty.qty_incoming - op_qty.qty_outgoing AS qty_forecast,
    CASE WHEN op_qty.qty_on_hand < op_qty.product_min_qty THEN 1 ELSE 0 END AS below_min,
    CASE WHEN op_qty.qty_on_hand + op_qty.qty_incoming - op_qty.qty_outgoing < op_qty.product_min_qty THEN 1 ELSE 0 END
        AS forecast_below_min,
    GREATEST(op_qty.product_min_qty - op_qty.qty_on_hand, 0) AS qty_to_min,
    GREATEST(op_qty.product_max_qty - op_qty.qty_on_hand, 0) AS qty_to_max
    --@extra_columns
FROM op_qty
JOIN stock_warehouse wh ON wh.id = op_qty.warehouse_id
JOIN product_product p ON p.id = op_qty.product_id
JOIN product_template t ON t.id = p.product_tmpl_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = op_qty.company_id
LEFT JOIN product_category categ ON categ.id = t.categ_id
