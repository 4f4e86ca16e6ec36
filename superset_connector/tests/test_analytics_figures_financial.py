"""The figures of the Financial dashboard's views (vw_account_move_line_monthly,
vw_account_cash_flow_monthly) against Odoo's own: the journal items read through the ORM
(``_read_group`` with the same domain), account.invoice.report, the account groups Odoo
computes, the bank journal's balance (``_get_journal_bank_account_balance``) and its
statement lines."""

from collections import defaultdict
from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .analytics_common import new_company, usd_eur_and_main_company, view_rows

CENT = 0.005
INCOME_TYPES = ("income", "income_other")
EXPENSE_TYPES = ("expense", "expense_depreciation", "expense_direct_cost")
FEBRUARY = date(2025, 2, 1)


def month_of(value):
    return value.replace(day=1)


def next_month(month):
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


@tagged("post_install", "-at_install")
class TestAnalyticsFinancialFigures(TransactionCase):
    """Three companies (USD, EUR, USD: the EUR one in French), the same business in each,
    scaled (x1, x2, x3) so that a line landing in another company's rows changes its
    figures: invoices, one in the other currency, a credit note, vendor bills on accounts
    of nested account groups, a vendor credit note, miscellaneous entries (depreciation,
    other income), bank and cash statement lines, a payment still on the outstanding
    account, and drafts that must count nowhere."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.usd, cls.eur, cls.company_a = usd_eur_and_main_company(env)  # main company: USD
        env["res.lang"]._activate_lang("fr_FR")
        cls.company_b = new_company(env, "Financial Europe", cls.eur, lang="fr_FR")
        cls.company_c = new_company(env, "Financial West", cls.usd, lang="en_US")
        cls.companies = cls.company_a | cls.company_b | cls.company_c
        env.user.company_ids = [Command.link(c.id) for c in cls.companies]
        cls.foreign = {cls.company_a: cls.eur, cls.company_b: cls.usd, cls.company_c: cls.eur}
        for company, currency, rate in (
            (cls.company_a, cls.eur, 0.8),
            (cls.company_c, cls.eur, 0.8),
            (cls.company_b, cls.usd, 1.25),
        ):
            env["res.currency.rate"].create(
                {"name": "2024-01-01", "currency_id": currency.id, "company_id": company.id, "rate": rate}
            )
        Partner = env["res.partner"]
        cls.customer_x = Partner.create({"name": "Financial Customer X", "is_company": True})
        cls.yoyo = Partner.create({"name": "Financial Yoyo Corp", "is_company": True})
        cls.yoyo_contact = Partner.create({"name": "Yann Yoyo", "parent_id": cls.yoyo.id})
        cls.vendor_v = Partner.create({"name": "Financial Vendor V", "is_company": True})
        cls.vendor_w = Partner.create({"name": "Financial Vendor W", "is_company": True})
        cls.accounts, cls.groups, cls.journals = {}, {}, {}
        for factor, company in enumerate(cls.companies, start=1):
            cls._chart(company)
            cls._business(company, factor)
        env.flush_all()

    # --- fixtures -------------------------------------------------------------------
    @classmethod
    def _chart(cls, company):
        """Accounts of our own (known codes and types) and groups: 68 Overheads holding
        681 Premises and 682 Travel; 609100 is in no group."""
        Account = cls.env["account.account"].with_company(company)
        cls.accounts[company] = {
            key: Account.create({"name": name, "code": code, "account_type": account_type})
            for key, name, code, account_type in (
                ("services", "Financial Services Revenue", "401100", "income"),
                ("other_income", "Financial Other Income", "790100", "income_other"),
                ("supplies", "Financial Supplies", "609100", "expense"),
                ("rent", "Financial Rent", "681100", "expense"),
                ("travel", "Financial Travel", "682100", "expense"),
                ("subcontracting", "Financial Subcontracting", "683100", "expense_direct_cost"),
                ("depreciation", "Financial Depreciation", "684100", "expense_depreciation"),
                ("fixed", "Financial Equipment", "159100", "asset_non_current"),
            )
        }
        Group = cls.env["account.group"].with_company(company)
        cls.groups[company] = {
            key: Group.create({"name": name, "code_prefix_start": prefix, "code_prefix_end": prefix})
            for key, name, prefix in (
                ("overheads", "Financial Overheads", "68"),
                ("premises", "Financial Premises", "681"),
                ("travel", "Financial Travel", "682"),
            )
        }
        cls.groups[company]["premises"].with_context(lang="fr_FR").name = "Locaux financiers"
        Journal = cls.env["account.journal"]
        cls.journals[company] = {
            kind: Journal.search([("company_id", "=", company.id), ("type", "=", kind)], limit=1)
            for kind in ("bank", "cash", "general")
        }

    @classmethod
    def _invoice(cls, company, move_type, partner, invoice_date, lines, currency=None, post=True):
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": account.name,
                                "account_id": account.id,
                                "quantity": qty,
                                "price_unit": price,
                                "tax_ids": [Command.clear()],
                            }
                        )
                        for account, qty, price in lines
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _entry(cls, company, journal, day, debit_account, credit_account, amount, post=True):
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "date": day,
                    "line_ids": [
                        Command.create({"name": "Financial", "account_id": debit_account.id, "debit": amount}),
                        Command.create({"name": "Financial", "account_id": credit_account.id, "credit": amount}),
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _statement_line(cls, company, journal, day, amount, partner=None):
        return (
            cls.env["account.bank.statement.line"]
            .with_company(company)
            .create(
                {
                    "journal_id": journal.id,
                    "date": day,
                    "amount": amount,
                    "payment_ref": f"Financial {day}",
                    "partner_id": partner.id if partner else False,
                }
            )
        )

    @classmethod
    def _business(cls, company, f):
        acc, journal = cls.accounts[company], cls.journals[company]
        x, v, w = cls.customer_x, cls.vendor_v, cls.vendor_w
        # January and March: other months.
        cls._invoice(company, "out_invoice", x, "2025-01-20", [(acc["services"], 1, 100.0 * f)])
        cls._invoice(company, "out_invoice", x, "2025-03-05", [(acc["services"], 1, 60.0 * f)])
        # February.
        cls._invoice(company, "out_invoice", x, "2025-02-03", [(acc["services"], 2, 500.0 * f)])
        cls._invoice(
            company,
            "out_invoice",
            cls.yoyo_contact,
            "2025-02-14",
            [(acc["services"], 1, 400.0 * f)],
            currency=cls.foreign[company],
        )
        cls._invoice(company, "out_refund", x, "2025-02-20", [(acc["services"], 1, 150.0 * f)])
        cls._invoice(company, "out_invoice", x, "2025-02-21", [(acc["services"], 1, 9999.0)], post=False)
        cls._invoice(
            company, "in_invoice", v, "2025-02-05", [(acc["rent"], 1, 1200.0 * f), (acc["travel"], 1, 300.0 * f)]
        )
        cls._invoice(
            company,
            "in_invoice",
            w,
            "2025-02-12",
            [(acc["subcontracting"], 1, 250.0 * f), (acc["supplies"], 2, 20.0 * f)],
        )
        cls._invoice(company, "in_refund", v, "2025-02-25", [(acc["rent"], 1, 200.0 * f)])
        cls._invoice(company, "in_invoice", v, "2025-02-26", [(acc["rent"], 1, 5555.0)], post=False)
        cls._entry(company, journal["general"], "2025-02-28", acc["depreciation"], acc["fixed"], 100.0 * f)
        cls._entry(company, journal["general"], "2025-02-27", acc["fixed"], acc["other_income"], 80.0 * f)
        cls._entry(company, journal["general"], "2025-02-27", acc["travel"], acc["fixed"], 4444.0, post=False)
        # Money: statement lines (on the journals' own accounts), a payment on the
        # outstanding receipts account (not in the bank yet), a draft on the bank account.
        bank, cash = journal["bank"], journal["cash"]
        cls._statement_line(company, bank, "2025-01-25", 100.0 * f, x)
        cls._statement_line(company, bank, "2025-02-10", 700.0 * f, x)
        cls._statement_line(company, bank, "2025-02-11", 300.0 * f, cls.yoyo_contact)
        cls._statement_line(company, bank, "2025-02-18", -1000.0 * f, v)
        cls._statement_line(company, bank, "2025-02-26", -25.0 * f)
        cls._statement_line(company, cash, "2025-02-15", -30.0 * f)
        cls._statement_line(company, cash, "2025-03-03", 60.0 * f, x)
        payment = (
            cls.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": x.id,
                    "amount": 200.0 * f,
                    "journal_id": bank.id,
                    "date": "2025-02-22",
                }
            )
        )
        payment.action_post()
        cls._entry(company, bank, "2025-02-23", bank.default_account_id, acc["fixed"], 777.0, post=False)

    # --- Odoo's figures -------------------------------------------------------------
    def _lines(self, company, domain=()):
        """Odoo's posted journal items of a company, summed per (month, account, journal
        type, commercial partner): {key: [debit, credit, balance, count]}."""
        groups = (
            self.env["account.move.line"]
            .with_context(allowed_company_ids=company.ids)
            ._read_group(
                [("company_id", "=", company.id), ("parent_state", "=", "posted"), *domain],
                ["date:month", "account_id", "journal_id", "partner_id"],
                ["debit:sum", "credit:sum", "balance:sum", "__count"],
            )
        )
        totals = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
        for month, account, journal, partner, debit, credit, balance, count in groups:
            key = (month, account.id, journal.type, partner.commercial_partner_id.id or None)
            for i, value in enumerate((debit, credit, balance, count)):
                totals[key][i] += value
        return totals

    def _odoo_kpis(self, company, month):
        """Revenue and expenses of the month as Odoo's journal items say."""
        Line = self.env["account.move.line"].with_context(allowed_company_ids=company.ids)
        base = [
            ("company_id", "=", company.id),
            ("parent_state", "=", "posted"),
            ("date", ">=", month),
            ("date", "<", next_month(month)),
        ]
        [[income]] = Line._read_group([*base, ("account_id.account_type", "in", INCOME_TYPES)], [], ["balance:sum"])
        [[expense]] = Line._read_group([*base, ("account_id.account_type", "in", EXPENSE_TYPES)], [], ["balance:sum"])
        return -income, expense

    def _invoice_report(self, company, move_types, month):
        """account.invoice.report's posted figures of the month per commercial partner."""
        report = self.env["account.invoice.report"].with_context(allowed_company_ids=company.ids)
        groups = report._read_group(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", move_types),
                ("invoice_date", ">=", month),
                ("invoice_date", "<", next_month(month)),
            ],
            ["commercial_partner_id"],
            ["price_subtotal:sum"],
        )
        return {partner.id: total for partner, total in groups}

    def _foreign_invoice(self, company):
        return self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "=", self.yoyo_contact.id),
                ("move_type", "=", "out_invoice"),
            ]
        )

    # --- view helpers ---------------------------------------------------------------
    def _rows(self, view, company, *conditions):
        where = SQL(" AND ").join([SQL("company_id = %s", company.id), *conditions])
        return view_rows(self.env, view, where)

    def _sum(self, rows, column, **equal):
        return sum(float(r[column]) for r in rows if all(r[k] == v for k, v in equal.items()))

    # --- journal items --------------------------------------------------------------
    def test_journal_items_equal_odoo_lines(self):
        """Every row of vw_account_move_line_monthly, in every company, equals the sum of
        Odoo's posted journal items of its month, account, journal type and commercial
        partner (debit, credit, balance, count), and no other key exists: drafts are left
        out, the contact's items go to its company, the foreign-currency invoice counts in
        the company's currency."""
        for company in self.companies:
            expected = self._lines(company)
            rows = self._rows("vw_account_move_line_monthly", company)
            got = {
                (r["month"], r["account_id"], r["journal_type"], r["partner_id"]): [
                    float(r["debit"]),
                    float(r["credit"]),
                    float(r["balance"]),
                    r["items"],
                ]
                for r in rows
            }
            with self.subTest(company=company.name):
                self.assertEqual(len(got), len(rows), "one row per month, account, journal type and partner")
                self.assertEqual(set(got), set(expected))
                for key, (debit, credit, balance, count) in expected.items():
                    self.assertAlmostEqual(got[key][0], debit, delta=CENT, msg=key)
                    self.assertAlmostEqual(got[key][1], credit, delta=CENT, msg=key)
                    self.assertAlmostEqual(got[key][2], balance, delta=CENT, msg=key)
                    self.assertEqual(got[key][3], count, key)
                partners = {r["partner_id"] for r in rows}
                self.assertIn(self.yoyo.id, partners)
                self.assertNotIn(self.yoyo_contact.id, partners)
                drafts = {9999.0, 5555.0, 4444.0, 777.0}
                amounts = {float(r["debit"]) for r in rows} | {float(r["credit"]) for r in rows}
                self.assertFalse(drafts & amounts)

    def test_revenue_expenses_and_margin_equal_odoo(self):
        """Per company and month, SUM(revenue) and SUM(expense) equal the balance of Odoo's
        posted items on income (income, income_other) and expense (expense,
        expense_depreciation, expense_direct_cost) accounts, so the profit margin does
        too; in February they are also the fixture's own amounts."""
        rate = {self.company_a: 0.8, self.company_b: 1.25, self.company_c: 0.8}
        for f, company in enumerate(self.companies, start=1):
            rows = self._rows("vw_account_move_line_monthly", company)
            for month in (date(2025, 1, 1), FEBRUARY, date(2025, 3, 1)):
                with self.subTest(company=company.name, month=month):
                    revenue, expense = self._odoo_kpis(company, month)
                    got_revenue = self._sum(rows, "revenue", month=month)
                    got_expense = self._sum(rows, "expense", month=month)
                    self.assertAlmostEqual(got_revenue, revenue, delta=CENT)
                    self.assertAlmostEqual(got_expense, expense, delta=CENT)
                    self.assertAlmostEqual(
                        (got_revenue - got_expense) / got_revenue, (revenue - expense) / revenue, delta=1e-6
                    )
            with self.subTest(company=company.name, check="fixture"):
                self.assertAlmostEqual(
                    self._sum(rows, "revenue", month=FEBRUARY),
                    f * (1000.0 + 400.0 / rate[company] - 150.0 + 80.0),
                    delta=CENT,
                )
                self.assertAlmostEqual(
                    self._sum(rows, "expense", month=FEBRUARY),
                    f * (1200.0 + 300.0 + 250.0 + 40.0 - 200.0 + 100.0),
                    delta=CENT,
                )
                # Revenue and expense columns hold nothing on other accounts.
                for row in rows:
                    if row["account_type"] not in INCOME_TYPES:
                        self.assertEqual(float(row["revenue"]), 0.0)
                    if row["account_type"] not in EXPENSE_TYPES:
                        self.assertEqual(float(row["expense"]), 0.0)

    def test_sales_side_and_top_customers_equal_invoice_report(self):
        """Revenue of the sale journal per customer in February equals account.invoice.report's
        posted customer documents per commercial partner (the credit note lowers X, the
        contact's foreign-currency invoice counts for Yoyo Corp at its converted amount),
        and the expense of the purchase journal per vendor equals the report's vendor side."""
        for company in self.companies:
            rows = self._rows("vw_account_move_line_monthly", company, SQL("month = %s", FEBRUARY))
            customers, vendors = defaultdict(float), defaultdict(float)
            for row in rows:
                if row["journal_type"] == "sale":
                    customers[row["partner_id"]] += float(row["revenue"])
                if row["journal_type"] == "purchase":
                    vendors[row["partner_id"]] += float(row["expense"])
            expected_customers = self._invoice_report(company, ["out_invoice", "out_refund", "out_receipt"], FEBRUARY)
            expected_vendors = {
                partner: -total
                for partner, total in self._invoice_report(
                    company, ["in_invoice", "in_refund", "in_receipt"], FEBRUARY
                ).items()
            }
            with self.subTest(company=company.name):
                self.assertEqual(set(customers), set(expected_customers))
                for partner, total in expected_customers.items():
                    self.assertAlmostEqual(customers[partner], total, delta=CENT)
                self.assertEqual(set(vendors), set(expected_vendors))
                for partner, total in expected_vendors.items():
                    self.assertAlmostEqual(vendors[partner], total, delta=CENT)
                self.assertAlmostEqual(
                    customers[self.yoyo.id], self._foreign_invoice(company).amount_untaxed_signed, delta=CENT
                )
                top = sorted(vendors, key=vendors.get, reverse=True)
                self.assertEqual(top[0], self.vendor_v.id)

    def test_expense_breakdown_per_account_group_equals_odoo_groups(self):
        """February's expense per account group equals Odoo's expense items summed by the
        group Odoo computes for their account (account.account.group_id in the company):
        the deepest group (681 Premises inside 68 Overheads), the parent one for an account
        of no sub-group (683100, 684100), none for 609100; group names in the company's
        language; codes and names of accounts as Odoo shows them."""
        for company in self.companies:
            lang = company.partner_id.lang
            Line = self.env["account.move.line"].with_context(allowed_company_ids=company.ids)
            expected = defaultdict(float)
            for account, balance in Line._read_group(
                [
                    ("company_id", "=", company.id),
                    ("parent_state", "=", "posted"),
                    ("account_id.account_type", "in", EXPENSE_TYPES),
                    ("date", ">=", FEBRUARY),
                    ("date", "<", next_month(FEBRUARY)),
                ],
                ["account_id"],
                ["balance:sum"],
            ):
                expected[account.with_company(company).group_id.id or None] += balance
            rows = self._rows("vw_account_move_line_monthly", company)
            got = defaultdict(float)
            for row in rows:
                if row["month"] == FEBRUARY and row["account_type"] in EXPENSE_TYPES:
                    got[row["account_group_id"]] += float(row["expense"])
            groups, acc = self.groups[company], self.accounts[company]
            with self.subTest(company=company.name):
                self.assertEqual(set(got), set(expected))
                for group, total in expected.items():
                    self.assertAlmostEqual(got[group], total, delta=CENT)
                # The fixture reaches three groups and no group at all.
                self.assertTrue({groups["premises"].id, groups["travel"].id, groups["overheads"].id} <= set(got))
                self.assertIn(None, got)
                for row in rows:
                    account = self.env["account.account"].browse(row["account_id"]).with_company(company)
                    group = account.group_id
                    self.assertEqual(row["account_group_id"], group.id or None)
                    self.assertEqual(row["account_group_code"], group.code_prefix_start or None)
                    self.assertEqual(row["account_group_name"], group.with_context(lang=lang).name or None)
                    self.assertEqual(row["account_code"], account.code)
                    self.assertEqual(row["account_name"], account.with_context(lang=lang).name)
                    self.assertEqual(row["account_internal_group"], account.internal_group)
                premises = {r["account_group_name"] for r in rows if r["account_id"] == acc["rent"].id}
                self.assertEqual(premises, {"Locaux financiers" if lang == "fr_FR" else "Financial Premises"})

    def test_account_type_filter_keeps_exactly_that_type(self):
        """Filtered on one account type, the view's rows are exactly Odoo's posted items of
        accounts of that type: same accounts, same count, same balance."""
        for company in self.companies:
            Line = self.env["account.move.line"].with_context(allowed_company_ids=company.ids)
            base = [("company_id", "=", company.id), ("parent_state", "=", "posted")]
            types = {account.account_type for [account] in Line._read_group(base, ["account_id"], [])}
            self.assertTrue({"income", "income_other", "expense", "asset_cash", "asset_receivable"} <= types)
            for account_type in types:
                domain = [*base, ("account_id.account_type", "=", account_type)]
                groups = Line._read_group(domain, ["account_id"], ["balance:sum", "__count"])
                rows = self._rows("vw_account_move_line_monthly", company, SQL("account_type = %s", account_type))
                with self.subTest(company=company.name, account_type=account_type):
                    self.assertEqual({r["account_id"] for r in rows}, {account.id for account, _b, _c in groups})
                    self.assertEqual(sum(r["items"] for r in rows), sum(count for _a, _b, count in groups))
                    self.assertAlmostEqual(
                        self._sum(rows, "balance"), sum(balance for _a, balance, _c in groups), delta=CENT
                    )

    # --- cash flow ------------------------------------------------------------------
    def test_cash_flow_equals_liquidity_lines(self):
        """Per company, bank or cash journal and month: money in and out equal the debits
        and credits of Odoo's posted items of the journal on its own account, net equals
        the journal's balance change (_get_journal_bank_account_balance over the month)
        and the sum of its statement lines; the payment still on the outstanding account
        and the draft entry are not in it."""
        for f, company in enumerate(self.companies, start=1):
            journals = self.env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "in", ("bank", "cash"))]
            )
            expected = {}
            for journal in journals:
                for month, debit, credit, balance in (
                    self.env["account.move.line"]
                    .with_context(allowed_company_ids=company.ids)
                    ._read_group(
                        [
                            ("journal_id", "=", journal.id),
                            ("account_id", "=", journal.default_account_id.id),
                            ("parent_state", "=", "posted"),
                        ],
                        ["date:month"],
                        ["debit:sum", "credit:sum", "balance:sum"],
                    )
                ):
                    expected[journal.id, month] = (debit, credit, balance)
            rows = self._rows("vw_account_cash_flow_monthly", company)
            got = {(r["journal_id"], r["month"]): r for r in rows}
            with self.subTest(company=company.name):
                self.assertEqual(set(got), set(expected))
                for (journal_id, month), (debit, credit, balance) in expected.items():
                    row = got[journal_id, month]
                    journal = self.env["account.journal"].browse(journal_id)
                    self.assertAlmostEqual(float(row["money_in"]), debit, delta=CENT)
                    self.assertAlmostEqual(float(row["money_out"]), credit, delta=CENT)
                    self.assertAlmostEqual(float(row["net"]), balance, delta=CENT)
                    self.assertEqual(row["journal_type"], journal.type)
                    self.assertEqual(row["journal_name"], journal.with_context(lang=company.partner_id.lang).name)
                    self.assertEqual(row["account_id"], journal.default_account_id.id)
                    self.assertFalse(journal.currency_id and journal.currency_id != company.currency_id)
                    odoo_net, _count = journal._get_journal_bank_account_balance(
                        domain=[
                            ("journal_id", "=", journal.id),
                            ("parent_state", "=", "posted"),
                            ("date", ">=", month),
                            ("date", "<", next_month(month)),
                        ]
                    )
                    self.assertAlmostEqual(float(row["net"]), odoo_net, delta=CENT)
                    [[statement_total]] = self.env["account.bank.statement.line"]._read_group(
                        [
                            ("journal_id", "=", journal.id),
                            ("state", "=", "posted"),
                            ("date", ">=", month),
                            ("date", "<", next_month(month)),
                        ],
                        [],
                        ["amount:sum"],
                    )
                    self.assertAlmostEqual(float(row["net"]), statement_total, delta=CENT)
                bank = self.journals[company]["bank"]
                february = got[bank.id, FEBRUARY]
                self.assertAlmostEqual(float(february["money_in"]), f * 1000.0, delta=CENT)
                self.assertAlmostEqual(float(february["money_out"]), f * 1025.0, delta=CENT)

    # --- companies ------------------------------------------------------------------
    def test_no_row_of_another_company(self):
        """A company's rows only hold its own accounts and journals, and its totals are its
        own (the companies' amounts differ by a factor: a leak would change them)."""
        for company in self.companies:
            with self.subTest(company=company.name):
                for row in self._rows("vw_account_move_line_monthly", company):
                    account = self.env["account.account"].browse(row["account_id"])
                    self.assertTrue(account.company_ids & (company | company.parent_ids), row)
                for row in self._rows("vw_account_cash_flow_monthly", company):
                    self.assertEqual(self.env["account.journal"].browse(row["journal_id"]).company_id, company)
                rows = self._rows("vw_account_move_line_monthly", company)
                ours = self.accounts[company]["rent"].id
                self.assertTrue(any(r["account_id"] == ours for r in rows))
                for other in self.companies - company:
                    self.assertFalse(any(r["account_id"] == self.accounts[other]["rent"].id for r in rows))
                Line = self.env["account.move.line"].with_context(allowed_company_ids=company.ids)
                [[debit, count]] = Line._read_group(
                    [("company_id", "=", company.id), ("parent_state", "=", "posted")], [], ["debit:sum", "__count"]
                )
                self.assertAlmostEqual(self._sum(rows, "debit"), debit, delta=CENT)
                self.assertEqual(sum(r["items"] for r in rows), count)
