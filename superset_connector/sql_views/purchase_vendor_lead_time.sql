-- Vendor lead time per company, vendor and month of receipt (company timezone).
--
-- Receipts: done stock moves of purchase order lines (purchase_stock) entering the
-- internal stock. lead_days: days from the order's confirmation (date_approve) to the
-- receipt; delay_days: days after the line's planned date (negative: early); on time:
-- received on or before the planned day.
WITH receipt AS (
    SELECT
        po.company_id,
        partner.commercial_partner_id AS vendor_id,
        (m.date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS received_on,
        (po.date_approve AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS approved_on,
        (l.date_planned AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS planned_on,
        m.product_qty
    FROM stock_move m
    JOIN purchase_order_line l ON l.id = m.purchase_line_id
    JOIN purchase_order po ON po.id = l.order_id
    JOIN res_partner partner ON partner.id = po.partner_id
    JOIN stock_location dest ON dest.id = m.location_dest_id
    JOIN superset_analytics.vw_company_locale co ON co.company_id = po.company_id
    WHERE m.state = 'done'
      AND dest.usage = 'internal'
      AND po.date_approve IS NOT NULL
)
SELECT
    receipt.company_id,
    receipt.vendor_id,
    vendor.name AS vendor_name,
    date_trunc('month', receipt.received_on)::date AS month,
    count(*) AS receipts,
    sum(receipt.product_qty) AS quantity,
    avg(receipt.received_on - receipt.approved_on) AS avg_lead_days,
    max(receipt.received_on - receipt.approved_on) AS max_lead_days,
    avg(receipt.received_on - receipt.planned_on) AS avg_delay_days,
    count(*) FILTER (WHERE receipt.received_on <= receipt.planned_on) AS on_time_receipts,
    count(*) FILTER (WHERE receipt.received_on <= receipt.planned_on)::numeric / count(*) AS on_time_rate
    --@extra_columns
FROM receipt
JOIN res_partner vendor ON vendor.id = receipt.vendor_id
GROUP BY receipt.company_id, receipt.vendor_id, vendor.name, date_trunc('month', receipt.received_on)::date
--@extra_group_by
