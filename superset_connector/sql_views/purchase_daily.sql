-- Daily purchase KPIs per company, in the company's currency and timezone.
--
-- A confirmed order (states 'purchase' and 'done') counts on its confirmation day
-- (date_approve), a request for quotation (draft, sent, to approve) on its order date;
-- cancelled orders are left out. Amounts: price_subtotal / the order's currency_rate
-- (purchase.report's conversion).
WITH line AS (
    SELECT
        po.company_id,
        (COALESCE(po.date_approve, po.date_order) AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
            AS date,
        po.id AS order_id,
        po.state IN ('purchase', 'done') AS confirmed,
        partner.commercial_partner_id AS vendor_id,
        l.price_subtotal / COALESCE(NULLIF(po.currency_rate, 0), 1.0) AS untaxed
    FROM purchase_order_line l
    JOIN purchase_order po ON po.id = l.order_id
    JOIN res_partner partner ON partner.id = po.partner_id
    JOIN superset_analytics.vw_company_locale co ON co.company_id = po.company_id
    WHERE l.display_type IS NULL
      AND l.product_id IS NOT NULL
      AND po.state <> 'cancel'
)
SELECT
    company_id,
    date,
    count(DISTINCT order_id) FILTER (WHERE NOT confirmed) AS rfqs,
    count(DISTINCT order_id) FILTER (WHERE confirmed) AS confirmed_orders,
    COALESCE(sum(untaxed) FILTER (WHERE confirmed), 0) AS untaxed_amount,
    COALESCE(sum(untaxed) FILTER (WHERE confirmed), 0)
        / NULLIF(count(DISTINCT order_id) FILTER (WHERE confirmed), 0) AS average_order,
    count(DISTINCT vendor_id) FILTER (WHERE confirmed) AS vendors
    --@extra_columns
FROM line
GROUP BY company_id, date
--@extra_group_by
