-- Component cost of the bills of materials: one row per active BoM and company (a BoM
-- shared by all companies, without company, has a row in each, at that company's costs).
--
-- component_cost: the cost of the components of one unit of the product (its unit of
-- measure), in the company's currency, at the components' standard cost in that company
-- (product_product.standard_price is company-dependent JSONB keyed by company id): each
-- line's quantity x the component's cost converted to the line's unit, summed, / the
-- BoM's quantity converted to the product's unit - mrp_account's BoM cost
-- (product._compute_bom_price) without operations, by-products' cost share and sub-BoMs
-- (components count at their own standard cost). bom_cost: the same for the BoM's
-- quantity. product_standard_cost: the product's own standard cost in the company.
-- Lines limited to some variants count for every variant.
WITH line_cost AS (
    SELECT
        line.bom_id,
        co.company_id,
        count(*) AS components,
        sum(
            COALESCE((component.standard_price ->> co.company_id::text)::numeric, 0)
            * component_uom.factor / line_uom.factor
            * line.product_qty
        ) AS cost
    FROM mrp_bom_line line
    JOIN mrp_bom b ON b.id = line.bom_id
    JOIN superset_analytics.vw_company_locale co ON co.company_id = COALESCE(b.company_id, co.company_id)
    JOIN product_product component ON component.id = line.product_id
    JOIN product_template component_tmpl ON component_tmpl.id = component.product_tmpl_id
    JOIN uom_uom component_uom ON component_uom.id = component_tmpl.uom_id
    JOIN uom_uom line_uom ON line_uom.id = line.product_uom_id
    GROUP BY line.bom_id, co.company_id
)
SELECT
    b.id AS bom_id,
    co.company_id,
    b.company_id IS NULL AS shared,
    b.code AS bom_reference,
    b.type AS bom_type,
    b.product_tmpl_id,
    b.product_id,
    COALESCE(t.name ->> co.lang, t.name ->> 'en_US') AS product_name,
    t.categ_id,
    categ.complete_name AS category_name,
    b.product_qty / bom_uom.factor * product_uom.factor AS bom_quantity,
    COALESCE(line_cost.components, 0) AS components,
    COALESCE(line_cost.cost, 0) / NULLIF(b.product_qty / bom_uom.factor * product_uom.factor, 0) AS component_cost,
    COALESCE(line_cost.cost, 0) AS bom_cost,
    COALESCE((variant.standard_price ->> co.company_id::text)::numeric, 0) AS product_standard_cost
    --@extra_columns
FROM mrp_bom b
JOIN superset_analytics.vw_company_locale co ON co.company_id = COALESCE(b.company_id, co.company_id)
JOIN product_template t ON t.id = b.product_tmpl_id
JOIN uom_uom bom_uom ON bom_uom.id = b.product_uom_id
JOIN uom_uom product_uom ON product_uom.id = t.uom_id
LEFT JOIN product_category categ ON categ.id = t.categ_id
LEFT JOIN LATERAL (
    SELECT pp.standard_price
    FROM product_product pp
    WHERE pp.id = b.product_id OR (b.product_id IS NULL AND pp.product_tmpl_id = b.product_tmpl_id)
    ORDER BY pp.id
    LIMIT 1
) variant ON true
LEFT JOIN line_cost ON line_cost.bom_id = b.id AND line_cost.company_id = co.company_id
WHERE b.active
