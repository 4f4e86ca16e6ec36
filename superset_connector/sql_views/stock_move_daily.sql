-- Done stock moves per company, day (company timezone), direction and product.
--
-- direction from the locations' usage: 'in' enters the company's internal stock from
-- elsewhere (receipts, production output, inventory gains), 'out' leaves it (deliveries,
-- consumption, scrap, inventory losses), 'internal' stays inside, 'other' never touches
-- it (e.g. dropship). Quantities are in the product's unit (stock_move.product_qty).
-- warehouse: of the internal location the move leaves, else of the one it enters (NULL
-- for 'other' moves and locations outside warehouses); category_name: the product
-- category's full name; counterpart_usage: the usage of the location on the other side
-- (the source of an 'in' move, the destination of the others): 'customer' for
-- deliveries, 'supplier' for receipts and returns, 'production', 'inventory', ...
SELECT
    m.company_id,
    (m.date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS date,
    CASE
        WHEN src.usage = 'internal' AND dest.usage = 'internal' THEN 'internal'
        WHEN dest.usage = 'internal' THEN 'in'
        WHEN src.usage = 'internal' THEN 'out'
        ELSE 'other'
    END AS direction,
    m.product_id,
    COALESCE(t.name ->> co.lang, t.name ->> 'en_US') AS product_name,
    count(*) AS moves,
    sum(m.product_qty) AS quantity,
    wh.id AS warehouse_id,
    wh.name AS warehouse_name,
    t.categ_id,
    categ.complete_name AS category_name,
    CASE WHEN dest.usage = 'internal' AND src.usage <> 'internal' THEN src.usage ELSE dest.usage END
        AS counterpart_usage
    --@extra_columns
FROM stock_move m
JOIN stock_location src ON src.id = m.location_id
JOIN stock_location dest ON dest.id = m.location_dest_id
JOIN product_product p ON p.id = m.product_id
JOIN product_template t ON t.id = p.product_tmpl_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = m.company_id
LEFT JOIN stock_warehouse wh ON wh.id = COALESCE(
    CASE WHEN src.usage = 'internal' THEN src.warehouse_id END,
    CASE WHEN dest.usage = 'internal' THEN dest.warehouse_id END
)
LEFT JOIN product_category categ ON categ.id = t.categ_id
WHERE m.state = 'done'
GROUP BY 1, 2, 3, 4, 5, 8, 9, 10, 11, 12
--@extra_group_by
