-- Inventory turnover per company, product and month, in the product's unit.
--
-- From done stock moves: qty_in enters the internal stock, qty_out leaves it (see
-- stock_move_daily.sql). closing_quantity is the running total of all earlier months
-- (the on-hand quantity at the end of the month, rebuilt from the moves), opening the
-- same before the month. turnover = qty_out / average of opening and closing stock;
-- days_of_stock = days in the month / turnover. Months without any move have no row.
-- product_name in the company's language, category_name: the category's full name.
WITH flow AS (
    SELECT
        m.company_id,
        m.product_id,
        date_trunc('month', m.date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS month,
        sum(m.product_qty) FILTER (WHERE dest.usage = 'internal' AND src.usage <> 'internal') AS qty_in,
        sum(m.product_qty) FILTER (WHERE src.usage = 'internal' AND dest.usage <> 'internal') AS qty_out
    FROM stock_move m
    JOIN stock_location src ON src.id = m.location_id
    JOIN stock_location dest ON dest.id = m.location_dest_id
    JOIN superset_analytics.vw_company_locale co ON co.company_id = m.company_id
    WHERE m.state = 'done'
      AND (src.usage = 'internal') <> (dest.usage = 'internal')
    GROUP BY 1, 2, 3
),
running AS (
    SELECT
        flow.*,
        sum(COALESCE(qty_in, 0) - COALESCE(qty_out, 0))
            OVER (PARTITION BY company_id, product_id ORDER BY month) AS closing_quantity
    FROM flow
),
measure AS (
    SELECT
        running.*,
        closing_quantity - COALESCE(qty_in, 0) + COALESCE(qty_out, 0) AS opening_quantity,
        COALESCE(qty_out, 0)
            / NULLIF((2 * closing_quantity - COALESCE(qty_in, 0) + COALESCE(qty_out, 0)) / 2, 0) AS turnover,
        COALESCE(t.name ->> co.lang, t.name ->> 'en_US') AS product_name,
        t.categ_id,
        categ.complete_name AS category_name
    FROM running
    JOIN product_product p ON p.id = running.product_id
    JOIN product_template t ON t.id = p.product_tmpl_id
    JOIN superset_analytics.vw_company_locale co ON co.company_id = running.company_id
    LEFT JOIN product_category categ ON categ.id = t.categ_id
)
SELECT
    company_id,
    product_id,
    month,
    COALESCE(qty_in, 0) AS qty_in,
    COALESCE(qty_out, 0) AS qty_out,
    opening_quantity,
    closing_quantity,
    turnover,
    ((month + interval '1 month')::date - month) / NULLIF(turnover, 0) AS days_of_stock,
    product_name,
    categ_id,
    category_name
    --@extra_columns
FROM measure
