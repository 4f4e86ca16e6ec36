-- Monthly revenue and expenses per company from posted invoice journal items, in the
-- company's currency.
--
-- Same lines and signs as Odoo's account.invoice.report (account/report/
-- account_invoice_report.py) filtered on state 'posted': journal items of invoices,
-- credit notes and receipts with an account and display_type 'product', amount
-- = -balance (the company-currency balance, whatever the invoice currency).
-- revenue = customer side (out_invoice, out_refund, out_receipt: credit notes lower it),
-- expenses = vendor side (in_invoice, in_refund, in_receipt), positive when money is
-- spent. The month is that of the invoice date: a date, not a time, so it needs no
-- timezone conversion.
SELECT
    line.company_id,
    date_trunc('month', move.invoice_date)::date AS month,
    COALESCE(sum(-line.balance) FILTER (WHERE move.move_type IN ('out_invoice', 'out_refund', 'out_receipt')), 0)
        AS revenue,
    COALESCE(sum(line.balance) FILTER (WHERE move.move_type IN ('in_invoice', 'in_refund', 'in_receipt')), 0)
        AS expenses,
    COALESCE(sum(-line.balance), 0) AS net,
    count(DISTINCT move.id) FILTER (WHERE move.move_type IN ('out_invoice', 'out_receipt')) AS customer_invoices,
    count(DISTINCT move.id) FILTER (WHERE move.move_type = 'out_refund') AS customer_credit_notes,
    count(DISTINCT move.id) FILTER (WHERE move.move_type IN ('in_invoice', 'in_receipt')) AS vendor_bills,
    count(DISTINCT move.id) FILTER (WHERE move.move_type = 'in_refund') AS vendor_credit_notes,
    count(DISTINCT move.commercial_partner_id) FILTER (WHERE move.move_type IN ('out_invoice', 'out_receipt'))
        AS invoiced_customers
    --@extra_columns
FROM account_move_line line
JOIN account_move move ON move.id = line.move_id
WHERE move.state = 'posted'
  AND move.move_type IN ('out_invoice', 'out_refund', 'in_invoice', 'in_refund', 'out_receipt', 'in_receipt')
  AND line.account_id IS NOT NULL
  AND line.display_type = 'product'
GROUP BY line.company_id, date_trunc('month', move.invoice_date)::date
--@extra_group_by
