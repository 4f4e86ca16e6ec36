-- Manufacturing orders per company and day (company timezone).
--
-- orders_planned: orders (not cancelled) planned to start that day (date_start);
-- orders_done, qty_produced: orders finished that day (done, date_finished) and the
-- quantity of their finished product actually produced (done finished moves, in the
-- product's unit); on time: finished on or before the deadline's day, counted among the
-- done orders that have a deadline (on_time_rate = on time / with deadline).
WITH production AS (
    SELECT
        p.id,
        p.company_id,
        p.state,
        (p.date_start AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS start_day,
        (p.date_finished AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS finish_day,
        (p.date_deadline AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS deadline_day,
        (
            SELECT sum(m.product_qty)
            FROM stock_move m
            WHERE m.production_id = p.id AND m.product_id = p.product_id AND m.state = 'done'
        ) AS qty_produced
    FROM mrp_production p
    JOIN superset_analytics.vw_company_locale co ON co.company_id = p.company_id
    WHERE p.state <> 'cancel'
),
event AS (
    SELECT company_id, start_day AS date, 1 AS planned, 0 AS done, 0 AS qty_produced, 0 AS with_deadline, 0 AS on_time
    FROM production
    WHERE start_day IS NOT NULL
    UNION ALL
    SELECT
        company_id,
        finish_day,
        0,
        1,
        COALESCE(qty_produced, 0),
        CASE WHEN deadline_day IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN finish_day <= deadline_day THEN 1 ELSE 0 END
    FROM production
    WHERE state = 'done' AND finish_day IS NOT NULL
)
SELECT
    company_id,
    date,
    sum(planned) AS orders_planned,
    sum(done) AS orders_done,
    sum(qty_produced) AS qty_produced,
    sum(with_deadline) AS orders_with_deadline,
    sum(on_time) AS orders_on_time,
    sum(on_time)::numeric / NULLIF(sum(with_deadline), 0) AS on_time_rate
    --@extra_columns
FROM event
GROUP BY company_id, date
--@extra_group_by
