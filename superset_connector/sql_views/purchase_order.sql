-- Purchase orders, one row per order (cancelled ones too, with their state for
-- filtering), as Odoo's purchase.order list and purchase.report show them.
--
-- Dates are days in the company's timezone: date is the day the order counts on in
-- vw_purchase_daily (confirmation day of a confirmed order, order date of an RFQ);
-- planned_date the expected arrival (purchase.order.date_planned, the earliest line's),
-- received_date the first done receipt (purchase_stock's effective_date). Amounts are in
-- the company's currency: the order's untaxed and total amounts / its currency_rate, as
-- purchase.report converts them (its untaxed_total and price_total summed per order).
-- vendor: the commercial partner (the vendor company of a contact); status: the state's
-- label in the company's language. The 0/1 columns sum in charts: confirmed (states
-- 'purchase', 'done'); to_receive (confirmed, receipt status 'pending' or 'partial';
-- without purchase_stock: a line not fully received); to_bill (invoice_status 'to
-- invoice', Odoo's "Waiting Bills"); received (a receipt is done); on_time (received on
-- or before the planned day, counted among the received ones). lead_days: confirmation
-- to first receipt; delay_days: planned day to first receipt (negative: early).
SELECT
    po.id AS order_id,
    po.company_id,
    po.name AS order_name,
    (COALESCE(po.date_approve, po.date_order) AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS date,
    (po.date_order AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS order_date,
    (po.date_approve AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS approve_date,
    partner.commercial_partner_id AS vendor_id,
    vendor.name AS vendor_name,
    po.state,
    COALESCE(state_label.name ->> co.lang, state_label.name ->> 'en_US', po.state) AS status,
    po.invoice_status,
    --@if purchase_stock
    po.receipt_status,
    --@else
    NULL::varchar AS receipt_status,
    --@endif
    CASE WHEN po.state IN ('purchase', 'done') THEN 1 ELSE 0 END AS confirmed,
    --@if purchase_stock
    CASE WHEN po.state IN ('purchase', 'done') AND po.receipt_status IN ('pending', 'partial') THEN 1 ELSE 0 END
        AS to_receive,
    --@else
    CASE
        WHEN po.state IN ('purchase', 'done') AND EXISTS (
            SELECT 1 FROM purchase_order_line l
            WHERE l.order_id = po.id AND l.display_type IS NULL AND l.qty_received < l.product_qty
        ) THEN 1
        ELSE 0
    END AS to_receive,
    --@endif
    CASE WHEN po.invoice_status = 'to invoice' THEN 1 ELSE 0 END AS to_bill,
    po.amount_untaxed / COALESCE(NULLIF(po.currency_rate, 0), 1.0) AS untaxed_amount,
    po.amount_total / COALESCE(NULLIF(po.currency_rate, 0), 1.0) AS total_amount,
    (po.date_planned AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS planned_date,
    --@if purchase_stock
    (po.effective_date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS received_date,
    CASE WHEN po.effective_date IS NOT NULL THEN 1 ELSE 0 END AS received,
    CASE
        WHEN (po.effective_date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
            <= (po.date_planned AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date THEN 1
        ELSE 0
    END AS on_time,
    (po.effective_date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
        - (po.date_approve AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS lead_days,
    (po.effective_date AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date
        - (po.date_planned AT TIME ZONE 'UTC' AT TIME ZONE co.tz)::date AS delay_days
    --@else
    NULL::date AS received_date,
    0 AS received,
    0 AS on_time,
    NULL::integer AS lead_days,
    NULL::integer AS delay_days
    --@endif
    --@extra_columns
FROM purchase_order po
JOIN res_partner partner ON partner.id = po.partner_id
JOIN res_partner vendor ON vendor.id = partner.commercial_partner_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = po.company_id
LEFT JOIN ir_model_fields state_field ON state_field.model = 'purchase.order' AND state_field.name = 'state'
LEFT JOIN ir_model_fields_selection state_label
    ON state_label.field_id = state_field.id AND state_label.value = po.state
