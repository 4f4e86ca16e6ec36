-- Stock levels per company, warehouse and product, from stock.quant: one row per
-- (warehouse, product) that has quants - no cross join of products and locations.
--
-- Internal locations only (Odoo's on-hand stock); a location outside any warehouse has
-- warehouse_id NULL. Quantities are in the product's unit (quants are). standard_cost is
-- the product's cost in this company (product_product.standard_price is company-
-- dependent JSONB keyed by company id, as in account.invoice.report), so
-- standard_value = quantity x current cost, an estimate, not the valuation layers (for
-- products at standard cost it is stock.quant's value). category_name: the product
-- category's full name ("All / Saleable").
SELECT
    q.company_id,
    loc.warehouse_id,
    wh.name AS warehouse_name,
    q.product_id,
    p.product_tmpl_id,
    COALESCE(t.name ->> co.lang, t.name ->> 'en_US') AS product_name,
    p.default_code,
    t.categ_id,
    sum(q.quantity) AS quantity,
    sum(q.reserved_quantity) AS reserved_quantity,
    sum(q.quantity - q.reserved_quantity) AS available_quantity,
    COALESCE((p.standard_price ->> q.company_id::text)::numeric, 0) AS standard_cost,
    sum(q.quantity) * COALESCE((p.standard_price ->> q.company_id::text)::numeric, 0) AS standard_value,
    categ.complete_name AS category_name
    --@extra_columns
FROM stock_quant q
JOIN stock_location loc ON loc.id = q.location_id
LEFT JOIN stock_warehouse wh ON wh.id = loc.warehouse_id
JOIN product_product p ON p.id = q.product_id
JOIN product_template t ON t.id = p.product_tmpl_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = q.company_id
LEFT JOIN product_category categ ON categ.id = t.categ_id
WHERE loc.usage = 'internal'
GROUP BY q.company_id, loc.warehouse_id, wh.name, q.product_id, p.product_tmpl_id, t.name, co.lang, p.default_code,
    t.categ_id, p.standard_price, categ.complete_name
--@extra_group_by
