-- Posted journal items per company, month, account, journal type and partner, in the
-- company's currency: the lines of Odoo's General Ledger and Profit and Loss, summed.
--
-- Lines: account.move.line of posted moves (parent_state 'posted'), every journal, with
-- an account. month: of the accounting date (account_move_line.date, a date: no timezone
-- conversion). debit, credit and balance (debit - credit) are the company-currency
-- amounts, whatever the line's currency (never amount_currency).
-- account_code: the account's code in the company's root company (code_store, as
-- account.account.code), names in the company's language (else en_US).
-- account_type: Odoo's selection value (income, income_other, expense, asset_cash...),
-- account_internal_group its first part (asset, liability, equity, income, expense, off),
-- as account.account.internal_group.
-- account_group_*: the account's group as Odoo 18 computes account.account.group_id (not
-- stored): the root company's account.group with the longest code prefix range holding
-- the account's code, lowest id first; none when no group matches.
-- partner: the line's commercial partner (the company of a contact).
-- revenue = -balance of income accounts (account_type income, income_other): positive for
-- sales, lowered by credit notes. expense = balance of expense accounts (expense,
-- expense_depreciation, expense_direct_cost): positive for costs. Both 0 on other
-- accounts. revenue - expense is the net profit of Odoo's Profit and Loss.
WITH account_group_of AS (
    -- One row per account and root company having a code there: its group (see above).
    SELECT DISTINCT ON (account_code.account_id, account_code.root_company_id)
        account_code.account_id,
        account_code.root_company_id,
        account_code.code,
        agroup.id AS group_id
    FROM (
        SELECT a.id AS account_id, code.key::integer AS root_company_id, code.value AS code
        FROM account_account a, jsonb_each_text(a.code_store) code
    ) account_code
    LEFT JOIN account_group agroup
        ON agroup.company_id = account_code.root_company_id
       AND agroup.code_prefix_start <= left(account_code.code, char_length(agroup.code_prefix_start))
       AND agroup.code_prefix_end >= left(account_code.code, char_length(agroup.code_prefix_end))
    ORDER BY account_code.account_id, account_code.root_company_id, char_length(agroup.code_prefix_start) DESC,
        agroup.id
)
SELECT
    line.company_id,
    date_trunc('month', line.date)::date AS month,
    account.id AS account_id,
    account_group_of.code AS account_code,
    COALESCE(account.name ->> co.lang, account.name ->> 'en_US') AS account_name,
    account.account_type,
    split_part(account.account_type, '_', 1) AS account_internal_group,
    agroup.id AS account_group_id,
    agroup.code_prefix_start AS account_group_code,
    COALESCE(agroup.name ->> co.lang, agroup.name ->> 'en_US') AS account_group_name,
    journal.type AS journal_type,
    commercial.id AS partner_id,
    commercial.name AS partner_name,
    count(*) AS items,
    sum(line.debit) AS debit,
    sum(line.credit) AS credit,
    sum(line.balance) AS balance,
    COALESCE(sum(-line.balance) FILTER (WHERE account.account_type IN ('income', 'income_other')), 0) AS revenue,
    COALESCE(
        sum(line.balance) FILTER (
            WHERE account.account_type IN ('expense', 'expense_depreciation', 'expense_direct_cost')
        ),
        0
    ) AS expense
    --@extra_columns
FROM account_move_line line
JOIN account_account account ON account.id = line.account_id
JOIN account_journal journal ON journal.id = line.journal_id
JOIN res_company company ON company.id = line.company_id
JOIN superset_analytics.vw_company_locale co ON co.company_id = line.company_id
LEFT JOIN account_group_of
    ON account_group_of.account_id = line.account_id
   AND account_group_of.root_company_id = split_part(company.parent_path, '/', 1)::integer
LEFT JOIN account_group agroup ON agroup.id = account_group_of.group_id
LEFT JOIN res_partner partner ON partner.id = line.partner_id
LEFT JOIN res_partner commercial ON commercial.id = partner.commercial_partner_id
WHERE line.parent_state = 'posted'
GROUP BY line.company_id, date_trunc('month', line.date)::date, account.id, account_group_of.code, agroup.id,
    journal.type, commercial.id, co.lang
--@extra_group_by
