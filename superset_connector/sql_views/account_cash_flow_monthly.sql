-- Cash flow per company, month and bank or cash journal, in the company's currency: the
-- money that entered and left the journal's bank or cash account.
--
-- Lines: the liquidity lines of Odoo, i.e. the journal items of posted moves of a bank or
-- cash journal on that journal's own account (account.journal.default_account_id, the
-- account whose balance the Accounting dashboard shows as the journal's balance, see
-- account.journal._get_journal_bank_account_balance): bank statement lines, and payments
-- whose payment method posts on that account. Payments still on an outstanding
-- receipts/payments account are not money in the bank yet and are left out, as are the
-- items of other journals on that account (e.g. an opening balance entered in a
-- miscellaneous journal).
-- month: of the accounting date (a date: no timezone conversion). money_in = sum of the
-- debits, money_out = sum of the credits (positive), net = money_in - money_out (the
-- change of the account's balance in the month), all company-currency amounts whatever
-- the journal's currency.
SELECT
    line.company_id,
    date_trunc('month', line.date)::date AS month,
    journal.id AS journal_id,
    COALESCE(journal.name ->> co.lang, journal.name ->> 'en_US') AS journal_name,
    journal.type AS journal_type,
    journal.default_account_id AS account_id,
    count(*) AS items,
    sum(line.debit) AS money_in,
    sum(line.credit) AS money_out,
    sum(line.balance) AS net
    --@extra_columns
FROM account_move_line line
JOIN account_journal journal ON journal.id = line.journal_id AND journal.default_account_id = line.account_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = line.company_id
WHERE line.parent_state = 'posted'
  AND journal.type IN ('bank', 'cash')
GROUP BY line.company_id, date_trunc('month', line.date)::date, journal.id, co.lang
--@extra_group_by
