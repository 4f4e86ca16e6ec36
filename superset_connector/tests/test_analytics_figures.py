from collections import defaultdict
from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from .analytics_common import as_date, new_company, usd_eur_and_main_company, utc, view_rows

CENT = 0.005
OUT_TYPES = ["out_invoice", "out_refund", "out_receipt"]
IN_TYPES = ["in_invoice", "in_refund", "in_receipt"]


@tagged("post_install", "-at_install")
class TestAnalyticsFigures(TransactionCase):
    """The views' figures against Odoo's own reports and records, on three companies in
    two currencies and timezones far from UTC (Auckland +13, Brussels +1, Los Angeles -8),
    with orders just before and after local midnight at a month's end, posted invoices in
    both currencies and a product name translated in one company's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.usd, cls.eur, cls.company_a = usd_eur_and_main_company(env)  # main company: USD
        env["res.lang"]._activate_lang("fr_FR")
        cls.company_a.partner_id.write({"tz": "Pacific/Auckland", "lang": "en_US"})
        cls.company_b = new_company(env, "Analytics Europe", cls.eur, "Europe/Brussels", "fr_FR")
        cls.company_c = new_company(env, "Analytics West", cls.usd, "America/Los_Angeles", "en_US")
        cls.companies = cls.company_a | cls.company_b | cls.company_c
        env.user.company_ids = [Command.link(c.id) for c in cls.companies]
        # 1 USD = 0.8 EUR: the rate of EUR in the USD companies, of USD (1.25) in the EUR one.
        for company, currency, rate in (
            (cls.company_a, cls.eur, 0.8),
            (cls.company_c, cls.eur, 0.8),
            (cls.company_b, cls.usd, 1.25),
        ):
            env["res.currency.rate"].create(
                {"name": "2024-01-01", "currency_id": currency.id, "company_id": company.id, "rate": rate}
            )
        cls.foreign = {cls.company_a: cls.eur, cls.company_b: cls.usd, cls.company_c: cls.eur}
        cls.rate = {cls.company_a: 0.8, cls.company_b: 1.25, cls.company_c: 0.8}

        Product = env["product.product"]
        cls.chair = Product.create({"name": "Chair", "list_price": 100.0, "is_storable": True})
        cls.chair.product_tmpl_id.with_context(lang="fr_FR").name = "Chaise"
        cls.table = Product.create({"name": "Table", "list_price": 50.0, "is_storable": True})
        cls.customer_x = env["res.partner"].create({"name": "Customer X", "is_company": True})
        cls.customer_y = env["res.partner"].create({"name": "Yvonne Y", "email": "yvonne@example.com"})
        cls.vendor = env["res.partner"].create({"name": "Vendor V", "is_company": True})

        for company in cls.companies:
            cls._sales(company)
            cls._invoices(company)
        cls._stock()
        cls._staff()
        env.flush_all()

    # --- fixtures -------------------------------------------------------------------
    @classmethod
    def _tz(cls, company):
        return company.partner_id.tz

    @classmethod
    def _pricelist(cls, company, currency):
        return cls.env["product.pricelist"].create(
            {"name": f"{company.name} {currency.name}", "currency_id": currency.id, "company_id": company.id}
        )

    @classmethod
    def _order(cls, company, partner, local, lines, pricelist, state="sale"):
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "pricelist_id": pricelist.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": p.id,
                                "product_uom_qty": qty,
                                "price_unit": price,
                                "tax_id": [Command.clear()],
                            }
                        )
                        for p, qty, price in lines
                    ],
                }
            )
        )
        if state in ("sale", "cancel"):
            order.action_confirm()
        if state == "cancel":
            order._action_cancel()
        order.date_order = utc(local, cls._tz(company))
        return order

    @classmethod
    def _sales(cls, company):
        own = cls._pricelist(company, company.currency_id)
        foreign = cls._pricelist(company, cls.foreign[company])
        cls._order(company, cls.customer_x, "2025-01-31 23:30", [(cls.chair, 3, 100.0), (cls.table, 1, 50.0)], own)
        cls._order(company, cls.customer_y, "2025-02-01 00:30", [(cls.chair, 2, 100.0)], foreign)
        cls._order(company, cls.customer_x, "2025-02-01 10:00", [(cls.table, 1, 50.0)], own, state="draft")
        cls._order(company, cls.customer_y, "2025-02-02 12:00", [(cls.chair, 1, 100.0)], own, state="cancel")
        cls._order(company, cls.customer_x, "2025-03-15 09:00", [(cls.chair, 1, 80.0)], own)

    @classmethod
    def _invoice(cls, company, move_type, partner, invoice_date, lines, currency=None, post=True, due_date=None):
        """due_date: without one (and without payment terms) Odoo sets the server's date
        of today, in the user's timezone, not the company's."""
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "currency_id": (currency or company.currency_id).id,
                    **({"invoice_date_due": due_date} if due_date else {}),
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": p.id, "quantity": qty, "price_unit": price, "tax_ids": [Command.clear()]}
                        )
                        for p, qty, price in lines
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _invoices(cls, company):
        cls._invoice(company, "out_invoice", cls.customer_x, "2025-01-31", [(cls.chair, 2, 100.0)])
        cls._invoice(
            company, "out_invoice", cls.customer_y, "2025-02-01", [(cls.chair, 1, 100.0)], cls.foreign[company]
        )
        cls._invoice(company, "out_refund", cls.customer_x, "2025-02-10", [(cls.table, 1, 50.0)])
        cls._invoice(company, "in_invoice", cls.vendor, "2025-02-05", [(cls.table, 2, 30.0)])
        cls._invoice(company, "out_invoice", cls.customer_x, "2025-02-20", [(cls.chair, 1, 999.0)], post=False)

    @classmethod
    def _stock(cls):
        Quant, Warehouse = cls.env["stock.quant"], cls.env["stock.warehouse"]
        cls.wh_a = Warehouse.search([("company_id", "=", cls.company_a.id)], limit=1)
        cls.wh_a2 = Warehouse.with_company(cls.company_a).create(
            {"name": "Analytics Second", "code": "AN2", "company_id": cls.company_a.id}
        )
        cls.wh_b = Warehouse.search([("company_id", "=", cls.company_b.id)], limit=1)
        shelf = cls.env["stock.location"].create(
            {"name": "Shelf", "location_id": cls.wh_a.lot_stock_id.id, "usage": "internal"}
        )
        for product, location, quantity in (
            (cls.chair, cls.wh_a.lot_stock_id, 10),
            (cls.chair, shelf, 2),
            (cls.table, cls.wh_a.lot_stock_id, 5),
            (cls.chair, cls.wh_a2.lot_stock_id, 7),
            (cls.chair, cls.wh_b.lot_stock_id, 3),
        ):
            Quant._update_available_quantity(product, location, quantity)

    @classmethod
    def _staff(cls):
        env, company = cls.env, cls.company_a
        Department, Job = env["hr.department"], env["hr.job"]
        cls.sales = Department.create({"name": "Analytics Sales", "company_id": company.id})
        cls.ops = Department.create({"name": "Analytics Ops", "company_id": company.id})
        cls.seller = Job.create({"name": "Analytics Seller", "company_id": company.id})
        cls.operator = Job.create({"name": "Analytics Operator", "company_id": company.id})
        Employee = env["hr.employee"].with_company(company)

        def employee(name, department, job, created):
            record = Employee.create(
                {"name": name, "department_id": department.id, "job_id": job.id, "company_id": company.id}
            )
            env.flush_all()
            env.cr.execute("UPDATE hr_employee SET create_date = %s WHERE id = %s", [f"{created} 00:00:00", record.id])
            return record

        employee("Emma One", cls.sales, cls.seller, "2024-03-10")
        employee("Eli Two", cls.sales, cls.seller, "2024-05-01")
        cls.mover = employee("Max Mover", cls.ops, cls.operator, "2024-03-01")
        cls.leaver = employee("Lea Leaver", cls.ops, cls.operator, "2024-04-01")
        env.cr.flush()  # end of the creation: later writes are tracked (not those of the same flush)
        cls.mover.department_id = cls.sales  # tracked: mail_tracking_value
        env.flush_all()
        env.cr.flush()  # precommit hooks write the tracking values
        env.cr.execute(
            """UPDATE mail_message SET date = '2024-09-15 00:00:00'
                WHERE model = 'hr.employee' AND res_id = %s
                  AND id IN (SELECT mail_message_id FROM mail_tracking_value)""",
            [cls.mover.id],
        )
        cls.leaver.write({"departure_date": date(2024, 10, 10), "active": False})
        env.invalidate_all()

    # --- helpers --------------------------------------------------------------------
    def _rows(self, view, company, key):
        return {row[key]: row for row in view_rows(self.env, view, SQL("company_id = %s", company.id))}

    def _sale_report(self, company, granularity):
        """sale.report for one company: confirmed orders grouped by day or month of the order
        date in the company's timezone (read_group converts datetimes to the context tz)."""
        report = self.env["sale.report"].with_context(allowed_company_ids=company.ids, tz=self._tz(company))
        groups = report._read_group(
            [("company_id", "=", company.id), ("state", "=", "sale")],
            [f"date:{granularity}"],
            ["price_subtotal:sum", "order_reference:count_distinct", "commercial_partner_id:count_distinct"],
        )
        return {as_date(key): (revenue, orders, customers) for key, revenue, orders, customers in groups}

    def _invoice_report(self, company, move_types):
        report = self.env["account.invoice.report"].with_context(allowed_company_ids=company.ids)
        groups = report._read_group(
            [("company_id", "=", company.id), ("state", "=", "posted"), ("move_type", "in", move_types)],
            ["invoice_date:month"],
            ["price_subtotal:sum"],
        )
        return {as_date(key): total for key, total in groups}

    def _refresh_all(self):
        for mv in self.env["superset.analytics.view"].search(
            [("kind", "=", "materialized"), ("state", "=", "installed")]
        ):
            self.assertEqual(mv._refresh(force=True), "done", mv.refresh_message)

    # --- sales ----------------------------------------------------------------------
    def test_monthly_and_daily_sales_equal_sale_report(self):
        """Per company and month (and day), untaxed revenue, confirmed orders and customers
        of vw_sale_monthly / vw_sale_daily and of their materialized twins equal
        sale.report's for confirmed orders, to the cent, bucketed in the company's timezone."""
        self._refresh_all()
        for company in self.companies:
            for granularity, views, key in (
                ("month", ("vw_sale_monthly", "mv_sale_monthly"), "month"),
                ("day", ("vw_sale_daily", "mv_sale_daily"), "date"),
            ):
                expected = self._sale_report(company, granularity)
                self.assertTrue(expected)
                for view in views:
                    with self.subTest(company=company.name, view=view):
                        rows = {k: r for k, r in self._rows(view, company, key).items() if r["confirmed_orders"]}
                        self.assertEqual(set(rows), set(expected))
                        for period, (revenue, orders, customers) in expected.items():
                            row = rows[period]
                            self.assertAlmostEqual(float(row["untaxed_revenue"]), revenue, delta=CENT)
                            self.assertEqual(row["confirmed_orders"], orders)
                            self.assertEqual(row["customers"], customers)

    def test_midnight_orders_fall_in_the_local_day_and_month(self):
        """An order placed at 23:30 local on January 31 counts in January, one at 00:30 on
        February 1 in February - in every company, whatever UTC says (Auckland's are both
        on January 31 in UTC, Los Angeles' both on February 1). The February order is in
        the other currency: its amount is converted with the order's rate."""
        for company in self.companies:
            with self.subTest(company=company.name):
                months = self._rows("vw_sale_monthly", company, "month")
                january, february, march = (months[date(2025, m, 1)] for m in (1, 2, 3))
                self.assertAlmostEqual(float(january["untaxed_revenue"]), 350.0, delta=CENT)
                self.assertAlmostEqual(float(february["untaxed_revenue"]), 200.0 / self.rate[company], delta=CENT)
                self.assertAlmostEqual(float(march["untaxed_revenue"]), 80.0, delta=CENT)
                # February: the confirmed order and the quotation; the cancelled one is left out.
                self.assertEqual((february["orders"], february["confirmed_orders"]), (2, 1))
                self.assertAlmostEqual(float(february["quotations_untaxed"]), 50.0, delta=CENT)
                days = self._rows("vw_sale_daily", company, "date")
                self.assertEqual(days[date(2025, 1, 31)]["confirmed_orders"], 1)
                self.assertEqual(days[date(2025, 2, 1)]["confirmed_orders"], 1)
                self.assertNotIn(date(2025, 2, 2), days)

    def test_product_performance_and_translated_names(self):
        """Quantity and revenue per product and month equal sale.report's; the product name
        is the company's language (Chaise in the French company, Chair elsewhere), one row
        per product; margin stays empty without sale_margin."""
        for company in self.companies:
            report = self.env["sale.report"].with_context(allowed_company_ids=company.ids, tz=self._tz(company))
            expected = {
                (as_date(month), product.id): (qty, revenue)
                for month, product, qty, revenue in report._read_group(
                    [("company_id", "=", company.id), ("state", "=", "sale")],
                    ["date:month", "product_id"],
                    ["product_uom_qty:sum", "price_subtotal:sum"],
                )
            }
            rows = view_rows(self.env, "vw_sale_product_monthly", SQL("company_id = %s", company.id))
            with self.subTest(company=company.name):
                self.assertEqual({(r["month"], r["product_id"]) for r in rows}, set(expected))
                for row in rows:
                    qty, revenue = expected[row["month"], row["product_id"]]
                    self.assertAlmostEqual(float(row["quantity"]), qty, delta=CENT)
                    self.assertAlmostEqual(float(row["untaxed_revenue"]), revenue, delta=CENT)
                chair_names = {r["product_name"] for r in rows if r["product_id"] == self.chair.id}
                self.assertEqual(chair_names, {"Chaise" if company == self.company_b else "Chair"})
                if "sale_margin" not in self.env["superset.analytics.view"]._installed_modules():
                    self.assertEqual({r["margin"] for r in rows}, {None})

    def test_customer_lifetime_value(self):
        """Per company and customer: first and last order day, confirmed orders and revenue;
        the view exposes no contact data."""
        for company in self.companies:
            rows = {
                r["customer_id"]: r
                for r in view_rows(self.env, "vw_sale_customer_ltv", SQL("company_id = %s", company.id))
            }
            with self.subTest(company=company.name):
                x = rows[self.customer_x.id]
                self.assertEqual(
                    (x["first_order_date"], x["last_order_date"], x["orders"]),
                    (date(2025, 1, 31), date(2025, 3, 15), 2),
                )
                self.assertAlmostEqual(float(x["untaxed_revenue"]), 430.0, delta=CENT)
                y = rows[self.customer_y.id]
                self.assertAlmostEqual(float(y["untaxed_revenue"]), 200.0 / self.rate[company], delta=CENT)
                self.assertFalse({"email", "phone", "street", "mobile"} & set(x))

    # --- invoicing ------------------------------------------------------------------
    def test_monthly_revenue_equals_invoice_report(self):
        """Per company and month, revenue (customer side) and expenses (vendor side) of
        vw_account_revenue_monthly and mv_account_revenue_monthly equal account.invoice.report's
        posted figures in company currency, to the cent; the foreign-currency invoice counts
        at its converted amount, the credit note lowers revenue, the draft is left out."""
        self._refresh_all()
        for company in self.companies:
            revenue = self._invoice_report(company, OUT_TYPES)
            expenses = {month: -total for month, total in self._invoice_report(company, IN_TYPES).items()}
            for view in ("vw_account_revenue_monthly", "mv_account_revenue_monthly"):
                with self.subTest(company=company.name, view=view):
                    rows = self._rows(view, company, "month")
                    self.assertEqual(set(rows), set(revenue) | set(expenses))
                    for month, row in rows.items():
                        self.assertAlmostEqual(float(row["revenue"]), revenue.get(month, 0.0), delta=CENT)
                        self.assertAlmostEqual(float(row["expenses"]), expenses.get(month, 0.0), delta=CENT)
            with self.subTest(company=company.name, check="explicit"):
                rows = self._rows("vw_account_revenue_monthly", company, "month")
                self.assertAlmostEqual(float(rows[date(2025, 1, 1)]["revenue"]), 200.0, delta=CENT)
                self.assertAlmostEqual(
                    float(rows[date(2025, 2, 1)]["revenue"]), 100.0 / self.rate[company] - 50.0, delta=CENT
                )
                self.assertAlmostEqual(float(rows[date(2025, 2, 1)]["expenses"]), 60.0, delta=CENT)
                self.assertEqual(rows[date(2025, 2, 1)]["customer_credit_notes"], 1)

    def test_aging_buckets_use_due_date_else_invoice_date(self):
        """Open receivables age from their due date; an item without due date ages from its
        invoice date (45 days: 31-60), not from its accounting date (10 days). Payables are
        positive amounts owed by the company; paid-up partners do not appear."""
        company = self.company_a
        partner = self.env["res.partner"].create({"name": "Aging Customer", "is_company": True})
        today = fields.Date.context_today(self.env["res.partner"].with_context(tz=self._tz(company)))
        overdue = self._invoice(company, "out_invoice", partner, today - timedelta(days=45), [(self.chair, 1, 100.0)])
        # Due today in the company's timezone: not overdue (Auckland's today is the
        # server's tomorrow for half the day, hence the explicit due date).
        self._invoice(company, "out_invoice", partner, today, [(self.table, 1, 40.0)], due_date=today)
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE account_move_line SET date_maturity = NULL, date = %s
                WHERE move_id = %s
                  AND account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')""",
            [today - timedelta(days=10), overdue.id],
        )
        self.env.invalidate_all()
        rows = view_rows(self.env, "vw_account_aging", SQL("company_id = %s", company.id))
        row = next(r for r in rows if r["partner_id"] == partner.id)
        self.assertEqual(row["direction"], "receivable")
        self.assertAlmostEqual(float(row["overdue_31_60"]), 100.0, delta=CENT)
        self.assertAlmostEqual(float(row["not_due"]), 40.0, delta=CENT)
        self.assertAlmostEqual(float(row["overdue_1_30"]), 0.0, delta=CENT)
        self.assertAlmostEqual(float(row["total"]), 140.0, delta=CENT)
        vendor = next(r for r in rows if r["partner_id"] == self.vendor.id)
        self.assertEqual(vendor["direction"], "payable")
        self.assertAlmostEqual(float(vendor["total"]), 60.0, delta=CENT)
        buckets = ("not_due", "overdue_1_30", "overdue_31_60", "overdue_61_90", "overdue_91_120", "overdue_older")
        self.assertAlmostEqual(sum(float(vendor[b]) for b in buckets), 60.0, delta=CENT)

    # --- inventory ------------------------------------------------------------------
    def test_stock_levels_equal_quants(self):
        """Per company, warehouse and product, the view's quantity equals the sum of the
        internal quants (sub-locations included); a product stocked in one warehouse only
        has no row in the other (no cross join)."""
        quants = self.env["stock.quant"]._read_group(
            [("location_id.usage", "=", "internal"), ("company_id", "in", self.companies.ids)],
            ["company_id", "location_id", "product_id"],
            ["quantity:sum"],
        )
        expected = defaultdict(float)
        for company, location, product, quantity in quants:
            expected[company.id, location.warehouse_id.id or None, product.id] += quantity
        rows = view_rows(self.env, "vw_stock_level", SQL("company_id = ANY(%s)", self.companies.ids))
        got = {(r["company_id"], r["warehouse_id"], r["product_id"]): float(r["quantity"]) for r in rows}
        self.assertEqual(got, dict(expected))
        self.assertEqual(got[self.company_a.id, self.wh_a.id, self.chair.id], 12.0)
        self.assertNotIn((self.company_a.id, self.wh_a2.id, self.table.id), got)

    # --- HR -------------------------------------------------------------------------
    def test_headcount_history_and_current_month(self):
        """Headcount per department and job at each month's end follows hires, the tracked
        department change (September 15) and the departure (October 10); the current
        month equals the active employees."""
        company = self.company_a
        rows = view_rows(self.env, "vw_hr_headcount_monthly", SQL("company_id = %s", company.id))

        def month(year, number):
            return {
                (r["department_id"], r["job_id"]): (r["headcount"], r["hires"], r["departures"])
                for r in rows
                if r["month"] == date(year, number, 1) and r["department_id"] in (self.sales.id, self.ops.id)
            }

        sales_seller, ops_operator, sales_operator = (
            (self.sales.id, self.seller.id),
            (self.ops.id, self.operator.id),
            (self.sales.id, self.operator.id),
        )
        self.assertEqual(month(2024, 3), {sales_seller: (1, 1, 0), ops_operator: (1, 1, 0)})
        self.assertEqual(month(2024, 8), {sales_seller: (2, 0, 0), ops_operator: (2, 0, 0)})
        self.assertEqual(month(2024, 9), {sales_seller: (2, 0, 0), ops_operator: (1, 0, 0), sales_operator: (1, 0, 0)})
        self.assertEqual(month(2024, 10), {sales_seller: (2, 0, 0), ops_operator: (0, 0, 1), sales_operator: (1, 0, 0)})

        today = fields.Date.context_today(self.env["res.partner"].with_context(tz=self._tz(company)))
        expected = defaultdict(int)
        for employee in self.env["hr.employee"].search([("company_id", "=", company.id)]):
            if not employee.departure_date or employee.departure_date >= today:
                expected[employee.department_id.id or None, employee.job_id.id or None] += 1
        current = {
            (r["department_id"], r["job_id"]): r["headcount"]
            for r in rows
            if r["month"] == today.replace(day=1) and r["headcount"]
        }
        self.assertEqual(current, dict(expected))
