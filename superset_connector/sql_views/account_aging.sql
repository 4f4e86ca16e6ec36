-- Receivable and payable aging per company and partner, in the company's currency, as of
-- today in the company's timezone.
--
-- Open items: posted journal items on receivable or payable accounts, not reconciled,
-- with a residual amount. Each item is aged from its due date; an item without due date
-- (e.g. a manual entry) is aged from its invoice date, else from its accounting date.
-- Amounts are amount_residual, signed so that what the partner owes (receivable) and
-- what the company owes (payable) are both positive.
-- Buckets: not due yet, 1-30, 31-60, 61-90, 91-120 and more than 120 days overdue.
WITH item AS (
    SELECT
        line.company_id,
        CASE WHEN account.account_type = 'asset_receivable' THEN 'receivable' ELSE 'payable' END AS direction,
        COALESCE(partner.commercial_partner_id, line.partner_id) AS partner_id,
        COALESCE(line.date_maturity, line.invoice_date, line.date) AS due_date,
        (now() AT TIME ZONE co.tz)::date
            - COALESCE(line.date_maturity, line.invoice_date, line.date) AS days_overdue,
        CASE WHEN account.account_type = 'asset_receivable' THEN line.amount_residual ELSE -line.amount_residual END
            AS residual
    FROM account_move_line line
    JOIN account_account account ON account.id = line.account_id
    LEFT JOIN res_partner partner ON partner.id = line.partner_id
    JOIN superset_analytics.vw_company_locale co ON co.company_id = line.company_id
    WHERE line.parent_state = 'posted'
      AND account.account_type IN ('asset_receivable', 'liability_payable')
      AND NOT COALESCE(line.reconciled, false)
      AND line.amount_residual <> 0
)
SELECT
    item.company_id,
    item.direction,
    item.partner_id,
    commercial.name AS partner_name,
    count(*) AS open_items,
    min(item.due_date) AS oldest_due_date,
    sum(item.residual) AS total,
    COALESCE(sum(item.residual) FILTER (WHERE item.days_overdue <= 0), 0) AS not_due,
    COALESCE(sum(item.residual) FILTER (WHERE item.days_overdue BETWEEN 1 AND 30), 0) AS overdue_1_30,
    COALESCE(sum(item.residual) FILTER (WHERE item.days_overdue BETWEEN 31 AND 60), 0) AS overdue_31_60,
    COALESCE(sum(item.residual) FILTER (WHERE item.days_overdue BETWEEN 61 AND 90), 0) AS overdue_61_90,
    COALESCE(sum(item.residual) FILTER (WHERE item.days_overdue BETWEEN 91 AND 120), 0) AS overdue_91_120,
    COALESCE(sum(item.residual) FILTER (WHERE item.days_overdue > 120), 0) AS overdue_older
    --@extra_columns
FROM item
LEFT JOIN res_partner commercial ON commercial.id = item.partner_id
GROUP BY item.company_id, item.direction, item.partner_id, commercial.name
--@extra_group_by
