from collections import Counter, defaultdict
from datetime import date

from odoo import Command
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from .analytics_common import as_date, local_day, usd_eur_and_main_company, utc, view_rows

CENT = 0.005
CONFIRMED = ("purchase", "done")
MARCH = date(2025, 3, 1)


@tagged("post_install", "-at_install")
class TestAnalyticsFiguresOperations(TransactionCase):
    """The Procurement, Manufacturing and Inventory views against Odoo's own figures
    (purchase.report, the ORM's read_group, stock.quant, the reordering rules' and the
    products' computed quantities, mrp_account's BoM cost), on two companies: the main
    one in USD (New York), one in EUR (Brussels), each buying in the other's currency,
    with orders received on time and late, partially received and partially billed,
    manufacturing orders done on time and late and one in progress, a BoM of two
    components shared by both companies, and stock below and above reordering rules'
    minimum in three warehouses."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.usd, cls.eur, cls.company_a = usd_eur_and_main_company(env)  # main company: USD
        cls.company_a.partner_id.write({"tz": "America/New_York", "lang": "en_US"})
        cls.company_b = env["res.company"].create({"name": "Operations Europe", "currency_id": cls.eur.id})
        cls.company_b.partner_id.write({"tz": "Europe/Brussels", "lang": "en_US"})
        env["account.chart.template"].try_loading("generic_coa", cls.company_b, install_demo=False)
        cls.company_b.currency_id = cls.eur
        cls.companies = cls.company_a | cls.company_b
        env.user.company_ids = [Command.link(c.id) for c in cls.companies]
        # 1 USD = 0.8 EUR, in each company.
        for company, currency, rate in ((cls.company_a, cls.eur, 0.8), (cls.company_b, cls.usd, 1.25)):
            env["res.currency.rate"].create(
                {"name": "2024-01-01", "currency_id": currency.id, "company_id": company.id, "rate": rate}
            )
        env["ir.config_parameter"].sudo().set_param("purchase_stock.on_time_delivery_days", "100000")

        Category, Product = env["product.category"], env["product.product"]
        all_products = env.ref("product.product_category_all")
        cls.components = Category.create({"name": "Ops Components", "parent_id": all_products.id})
        cls.goods = Category.create({"name": "Ops Goods", "parent_id": all_products.id})

        def product(name, category, costs):
            record = Product.create({"name": name, "is_storable": True, "categ_id": category.id})
            for company, cost in zip(cls.companies, costs, strict=True):
                record.with_company(company).standard_price = cost
            return record

        cls.widget = product("Ops Widget", cls.goods, (4.0, 3.0))
        cls.gadget = product("Ops Gadget", cls.goods, (0.0, 0.0))
        cls.bolt = product("Ops Bolt", cls.components, (2.0, 3.0))
        cls.plate = product("Ops Plate", cls.components, (1.5, 2.0))
        cls.screw = product("Ops Screw", cls.components, (0.5, 0.25))
        cls.buyer = new_test_user(
            env,
            login="ops_buyer",
            groups="purchase.group_purchase_user,stock.group_stock_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.companies.ids)],
        )
        cls.vendor_1 = env["res.partner"].create({"name": "Ops Vendor One", "is_company": True})
        cls.vendor_2 = env["res.partner"].create({"name": "Ops Vendor Two", "is_company": True})
        cls.vendor_3 = env["res.partner"].create({"name": "Ops Vendor Three", "is_company": True})

        Warehouse = env["stock.warehouse"]
        cls.wh_a = Warehouse.search([("company_id", "=", cls.company_a.id)], limit=1)
        cls.wh_a2 = Warehouse.with_company(cls.company_a).create(
            {"name": "Ops Second", "code": "OP2", "company_id": cls.company_a.id}
        )
        cls.wh_b = Warehouse.search([("company_id", "=", cls.company_b.id)], limit=1)
        cls._purchases()
        cls._stock()
        cls._manufacturing()
        env.flush_all()

    # --- fixtures -------------------------------------------------------------------
    @classmethod
    def _tz(cls, company):
        return company.partner_id.tz

    @classmethod
    def _validate(cls, picking, quantities, local):
        """Receive / deliver these quantities ({product: qty}); the rest goes to a backorder;
        the picking and its moves are dated at this local time."""
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id, 0.0)
            move.picked = True
        result = picking.button_validate()
        if isinstance(result, dict):
            wizard = Form(cls.env[result["res_model"]].with_context(**result["context"])).save()
            wizard.process()
        when = utc(local, cls._tz(picking.company_id))
        picking.date_done = when
        picking.move_ids.filtered(lambda m: m.state == "done").date = when

    @classmethod
    def _purchase(cls, company, vendor, currency, local, lines, state="purchase"):
        tz = cls._tz(company)
        order = (
            cls.env["purchase.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": vendor.id,
                    "company_id": company.id,
                    "currency_id": currency.id,
                    "date_order": utc(local, tz),
                    "order_line": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_qty": qty,
                                "price_unit": price,
                                "taxes_id": [Command.clear()],
                                "date_planned": utc(planned, tz),
                            }
                        )
                        for product, qty, price, planned in lines
                    ],
                }
            )
        )
        if state in ("purchase", "cancel"):
            order.button_confirm()
            order.date_approve = utc(local, tz)
        if state == "cancel":
            order.button_cancel()
        return order

    @classmethod
    def _bill(cls, order, quantities, invoice_date):
        bill = cls.env["account.move"].browse(order.action_create_invoice()["res_id"])
        for line in bill.invoice_line_ids:
            line.quantity = quantities[line.product_id]
        bill.invoice_date = invoice_date
        bill.action_post()

    @classmethod
    def _purchases(cls):
        a, b = cls.company_a, cls.company_b
        # A: on time (planned 10th, received 8th), billed 4 of 10.
        cls.po_on_time = cls._purchase(
            a, cls.vendor_1, cls.usd, "2025-03-05 12:00", [(cls.widget, 10, 5.0, "2025-03-10 12:00")]
        )
        cls._validate(cls.po_on_time.picking_ids, {cls.widget: 10}, "2025-03-08 12:00")
        cls._bill(cls.po_on_time, {cls.widget: 4}, "2025-03-09")
        # A, in EUR: late (planned 7th, 2 of 4 received on the 12th), nothing billed.
        cls.po_late = cls._purchase(
            a,
            cls.vendor_2,
            cls.eur,
            "2025-03-06 12:00",
            [(cls.bolt, 4, 10.0, "2025-03-07 12:00"), (cls.plate, 2, 5.0, "2025-03-07 12:00")],
        )
        cls._validate(cls.po_late.picking_ids, {cls.bolt: 2}, "2025-03-12 12:00")
        # A: a February order received on time, fully billed; an RFQ; a cancelled order.
        cls.po_february = cls._purchase(
            a, cls.vendor_1, cls.usd, "2025-02-20 12:00", [(cls.plate, 6, 2.0, "2025-02-25 12:00")]
        )
        cls._validate(cls.po_february.picking_ids, {cls.plate: 6}, "2025-02-24 12:00")
        cls._bill(cls.po_february, {cls.plate: 6}, "2025-02-26")
        cls._purchase(a, cls.vendor_1, cls.usd, "2025-03-15 12:00", [(cls.widget, 1, 5.0, "2025-03-20 12:00")], "draft")
        cls._purchase(
            a, cls.vendor_2, cls.usd, "2025-03-16 12:00", [(cls.widget, 3, 5.0, "2025-03-20 12:00")], "cancel"
        )
        # B: nothing received yet; one in USD received late, fully billed.
        cls.po_b_pending = cls._purchase(
            b, cls.vendor_3, cls.eur, "2025-03-03 12:00", [(cls.widget, 5, 8.0, "2025-03-25 12:00")]
        )
        cls.po_b_usd = cls._purchase(
            b, cls.vendor_1, cls.usd, "2025-03-04 12:00", [(cls.screw, 100, 0.5, "2025-03-06 12:00")]
        )
        cls._validate(cls.po_b_usd.picking_ids, {cls.screw: 100}, "2025-03-09 12:00")
        cls._bill(cls.po_b_usd, {cls.screw: 100}, "2025-03-10")

    @classmethod
    def _adjust(cls, location, product, quantity):
        """An inventory adjustment: a done move from the inventory location, valued."""
        cls.env["stock.quant"].with_company(location.company_id).create(
            {"location_id": location.id, "product_id": product.id, "inventory_quantity": quantity}
        ).action_apply_inventory()

    @classmethod
    def _stock(cls):
        env = cls.env
        cls.shelf = env["stock.location"].create(
            {"name": "Ops Shelf", "location_id": cls.wh_a.lot_stock_id.id, "usage": "internal"}
        )
        for location, product, quantity in (
            (cls.wh_a.lot_stock_id, cls.screw, 3),
            (cls.shelf, cls.screw, 2),  # a child location: in the rule's on-hand quantity
            (cls.wh_a2.lot_stock_id, cls.screw, 30),
            (cls.wh_a.lot_stock_id, cls.bolt, 100),
            (cls.wh_a.lot_stock_id, cls.plate, 100),
            (cls.wh_b.lot_stock_id, cls.bolt, 50),
            (cls.wh_b.lot_stock_id, cls.plate, 50),
        ):
            cls._adjust(location, product, quantity)
        # A delivery of 4 screws from the second warehouse to a customer.
        out = env["stock.picking"].create(
            {
                "picking_type_id": cls.wh_a2.out_type_id.id,
                "location_id": cls.wh_a2.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
                "partner_id": cls.vendor_1.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": "Ops delivery",
                            "product_id": cls.screw.id,
                            "product_uom_qty": 4,
                            "location_id": cls.wh_a2.lot_stock_id.id,
                            "location_dest_id": env.ref("stock.stock_location_customers").id,
                        }
                    )
                ],
            }
        )
        out.action_confirm()
        cls._validate(out, {cls.screw: 4}, "2025-03-11 12:00")
        Orderpoint = env["stock.warehouse.orderpoint"]

        def rule(warehouse, product, minimum, maximum):
            return Orderpoint.with_company(warehouse.company_id).create(
                {
                    "warehouse_id": warehouse.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "product_id": product.id,
                    "product_min_qty": minimum,
                    "product_max_qty": maximum,
                    "company_id": warehouse.company_id.id,
                }
            )

        cls.rule_low = rule(cls.wh_a, cls.screw, 10, 40)  # 5 on hand (3 + 2 on the shelf)
        cls.rule_high = rule(cls.wh_a2, cls.screw, 10, 40)  # 26 on hand
        cls.rule_b = rule(cls.wh_b, cls.widget, 10, 20)  # none on hand, 5 coming
        cls.rule_b_screw = rule(cls.wh_b, cls.screw, 50, 200)  # 100 received

    @classmethod
    def _production(cls, company, bom, qty, deadline, finished=None, producing=None):
        tz = cls._tz(company)
        form = Form(cls.env["mrp.production"].with_company(company))
        form.product_id = cls.gadget
        form.bom_id = bom
        form.product_qty = qty
        production = form.save()
        production.date_deadline = utc(deadline, tz)
        production.action_confirm()
        if finished or producing:
            form = Form(production)
            form.qty_producing = producing or qty
            production = form.save()
        if finished:
            production.move_raw_ids.picked = True
            production.button_mark_done()
            # Odoo refuses to move a done order: the day it was finished, written as it stores it.
            cls.env.flush_all()
            cls.env.cr.execute(
                "UPDATE mrp_production SET date_start = %s, date_finished = %s WHERE id = %s",
                [utc("2025-03-01 08:00", tz), utc(finished, tz), production.id],
            )
            production.invalidate_recordset(["date_start", "date_finished"])
        return production

    @classmethod
    def _manufacturing(cls):
        a, b = cls.company_a, cls.company_b
        cls.bom = cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": cls.gadget.product_tmpl_id.id,
                "product_qty": 1,
                "company_id": False,  # shared: a row per company, at its costs
                "bom_line_ids": [
                    Command.create({"product_id": cls.bolt.id, "product_qty": 2}),
                    Command.create({"product_id": cls.plate.id, "product_qty": 3}),
                ],
            }
        )
        dozen = cls.env.ref("uom.product_uom_dozen")
        cls.bom_a = cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": cls.gadget.product_tmpl_id.id,
                "product_qty": 4,
                "company_id": a.id,
                "sequence": 99,
                "bom_line_ids": [
                    Command.create({"product_id": cls.screw.id, "product_qty": 1, "product_uom_id": dozen.id}),
                    Command.create({"product_id": cls.bolt.id, "product_qty": 2}),
                ],
            }
        )
        cls.mo_on_time = cls._production(a, cls.bom, 3, "2025-03-20 12:00", finished="2025-03-18 12:00")
        cls.mo_late = cls._production(a, cls.bom, 2, "2025-03-10 12:00", finished="2025-03-14 12:00")
        cls.mo_progress = cls._production(a, cls.bom, 5, "2025-03-25 12:00", producing=1)
        cls.mo_b = cls._production(b, cls.bom, 1, "2025-03-20 12:00", finished="2025-03-19 12:00")

    # --- helpers --------------------------------------------------------------------
    def _rows(self, view, company, where=None):
        condition = SQL("company_id = %s", company.id)
        return view_rows(self.env, view, SQL("%s AND %s", condition, where) if where else condition)

    def _purchase_report(self, company, groupby, aggregates, domain=()):
        report = self.env["purchase.report"].with_context(allowed_company_ids=company.ids, tz=self._tz(company))
        return report._read_group([("company_id", "=", company.id), *domain], groupby, aggregates)

    def _assert_company_rows(self, view, company, key, expected_ids):
        """The company's rows are exactly its records', none of another company."""
        rows = self._rows(view, company)
        self.assertEqual({r[key] for r in rows}, set(expected_ids))
        for other in self.companies - company:
            self.assertFalse({r[key] for r in self._rows(view, other)} & set(expected_ids) - self._shared(view))

    def _shared(self, view):
        return {self.bom.id} if view == "vw_mrp_bom_cost" else set()

    # --- procurement ----------------------------------------------------------------
    def test_purchase_orders_equal_purchase_report(self):
        """Each order's untaxed amount in company currency equals purchase.report's (the
        EUR order converted at the order's rate); confirmed orders, amount, average order
        value per month equal purchase.report's per month of confirmation; top vendors and
        orders per status equal Odoo's; a company's rows are its orders only."""
        for company in self.companies:
            with self.subTest(company=company.name):
                rows = {r["order_id"]: r for r in self._rows("vw_purchase_order", company)}
                orders = self.env["purchase.order"].search([("company_id", "=", company.id)])
                self._assert_company_rows("vw_purchase_order", company, "order_id", orders.ids)
                report = self._purchase_report(company, ["order_id"], ["untaxed_total:sum", "price_total:sum"])
                for order, untaxed, total in report:
                    self.assertAlmostEqual(float(rows[order.id]["untaxed_amount"]), untaxed, delta=CENT)
                    self.assertAlmostEqual(float(rows[order.id]["total_amount"]), total, delta=CENT)
                monthly = self._purchase_report(
                    company,
                    ["date_approve:month"],
                    ["order_id:count_distinct", "untaxed_total:sum"],
                    [("state", "in", CONFIRMED)],
                )
                got = defaultdict(lambda: [0, 0.0])
                for row in rows.values():
                    if row["confirmed"]:
                        got[row["date"].replace(day=1)][0] += 1
                        got[row["date"].replace(day=1)][1] += float(row["untaxed_amount"])
                self.assertEqual(set(got), {as_date(m) for m, _c, _u in monthly})
                for month, count, untaxed in monthly:
                    self.assertEqual(got[as_date(month)][0], count)
                    self.assertAlmostEqual(got[as_date(month)][1], untaxed, delta=CENT)
                    self.assertAlmostEqual(got[as_date(month)][1] / count, untaxed / count, delta=CENT)
                vendors = self._purchase_report(
                    company, ["commercial_partner_id"], ["untaxed_total:sum"], [("state", "in", CONFIRMED)]
                )
                by_vendor = defaultdict(float)
                for row in rows.values():
                    if row["confirmed"]:
                        by_vendor[row["vendor_name"]] += float(row["untaxed_amount"])
                self.assertEqual(set(by_vendor), {v.name for v, _u in vendors})
                for vendor, untaxed in vendors:
                    self.assertAlmostEqual(by_vendor[vendor.name], untaxed, delta=CENT)
                states = self.env["purchase.order"]._read_group(
                    [("company_id", "=", company.id)], ["state"], ["__count"]
                )
                self.assertEqual(Counter(r["state"] for r in rows.values()), dict(states))
                labels = dict(self.env["purchase.order"]._fields["state"]._description_selection(self.env))
                self.assertEqual({r["status"] for r in rows.values()}, {labels[s] for s, _n in states})

        march = [r for r in self._rows("vw_purchase_order", self.company_a) if r["confirmed"] and r["date"] >= MARCH]
        self.assertEqual(len(march), 2)  # the chosen month, explicitly: 50 USD + 50 EUR / 0.8
        self.assertAlmostEqual(sum(float(r["untaxed_amount"]) for r in march), 50.0 + 50.0 / 0.8, delta=CENT)

    def test_pending_receipts_and_bills_equal_odoo(self):
        """to_receive and to_bill count the orders Odoo lists as not fully received and as
        waiting for bills; receipt and invoice statuses are the orders' own."""
        Order = self.env["purchase.order"]
        for company in self.companies:
            with self.subTest(company=company.name):
                rows = {r["order_id"]: r for r in self._rows("vw_purchase_order", company)}
                base = [("company_id", "=", company.id)]
                to_receive = Order.search(
                    [*base, ("state", "in", CONFIRMED), ("receipt_status", "in", ("pending", "partial"))]
                )
                to_bill = Order.search([*base, ("invoice_status", "=", "to invoice")])
                self.assertEqual({i for i, r in rows.items() if r["to_receive"]}, set(to_receive.ids))
                self.assertEqual({i for i, r in rows.items() if r["to_bill"]}, set(to_bill.ids))
                for order in Order.browse(list(rows)):
                    self.assertEqual(rows[order.id]["receipt_status"], order.receipt_status or None)
                    self.assertEqual(rows[order.id]["invoice_status"], order.invoice_status)
        self.assertEqual(
            (self.po_late.receipt_status, self.po_on_time.invoice_status, self.po_b_pending.receipt_status),
            ("partial", "to invoice", "pending"),
        )

    def test_vendor_performance_equals_odoo(self):
        """Per order: planned and first receipt day equal the order's date_planned and
        effective_date in the company's timezone, on time when received by the planned
        day (the on-time and the late order); per vendor, the lines' on-time quantity over
        the ordered quantity of received lines equals res.partner's on-time delivery rate;
        the vendor lead time view agrees on the on-time receipts."""
        for company in self.companies:
            tz = self._tz(company)
            rows = {r["order_id"]: r for r in self._rows("vw_purchase_order", company)}
            with self.subTest(company=company.name):
                for order in self.env["purchase.order"].browse(list(rows)):
                    row = rows[order.id]
                    self.assertEqual(row["planned_date"], local_day(order.date_planned, tz))
                    self.assertEqual(row["received_date"], local_day(order.effective_date, tz))
                    received = bool(order.effective_date)
                    self.assertEqual(row["received"], int(received))
                    on_time = received and local_day(order.effective_date, tz) <= local_day(order.date_planned, tz)
                    self.assertEqual(row["on_time"], int(on_time))
                lines = self._rows("vw_purchase_line", company)
                on_time_qty, ordered = defaultdict(float), defaultdict(float)
                for line in lines:
                    if line["state"] in CONFIRMED and line["qty_received"]:
                        on_time_qty[line["vendor_id"]] += float(line["qty_received_on_time"])
                        ordered[line["vendor_id"]] += float(line["qty_ordered"])
                self.assertTrue(ordered)
                # As a buyer of this company: the superuser's rate would count every company's lines.
                buyer = self.env(user=self.buyer, context=dict(self.env.context, allowed_company_ids=company.ids))
                for vendor_id, quantity in ordered.items():
                    vendor = buyer["res.partner"].browse(vendor_id)
                    vendor.invalidate_recordset(["on_time_rate"])
                    self.assertAlmostEqual(100.0 * on_time_qty[vendor_id] / quantity, vendor.on_time_rate, places=6)
        a = {r["order_id"]: r for r in self._rows("vw_purchase_order", self.company_a)}
        self.assertEqual((a[self.po_on_time.id]["on_time"], a[self.po_late.id]["on_time"]), (1, 0))
        self.assertEqual((a[self.po_on_time.id]["lead_days"], a[self.po_late.id]["delay_days"]), (3, 5))

    def test_purchases_by_category_equal_purchase_report(self):
        """Confirmed untaxed purchases per product category name equal purchase.report's
        per category; the lines' status is their order's."""
        for company in self.companies:
            with self.subTest(company=company.name):
                lines = self._rows("vw_purchase_line", company)
                got = defaultdict(float)
                for line in lines:
                    if line["state"] in CONFIRMED:
                        got[line["category_name"]] += float(line["untaxed_amount"])
                report = self._purchase_report(
                    company, ["category_id"], ["untaxed_total:sum"], [("state", "in", CONFIRMED)]
                )
                self.assertEqual(set(got), {c.complete_name for c, _u in report})
                for category, untaxed in report:
                    self.assertAlmostEqual(got[category.complete_name], untaxed, delta=CENT)
                orders = {r["order_id"]: r["status"] for r in self._rows("vw_purchase_order", company)}
                self.assertTrue(all(line["status"] == orders[line["order_id"]] for line in lines))

    def test_vendor_filter_holds_the_company_vendors_only(self):
        """The vendor names of a company's rows are the vendors of its orders."""
        for company in self.companies:
            orders = self.env["purchase.order"].search([("company_id", "=", company.id)])
            vendors = set(orders.partner_id.commercial_partner_id.mapped("name"))
            for view in ("vw_purchase_order", "vw_purchase_line", "vw_purchase_vendor_lead_time"):
                with self.subTest(company=company.name, view=view):
                    names = {r["vendor_name"] for r in self._rows(view, company)}
                    self.assertTrue(names)
                    self.assertLessEqual(names, vendors)
        self.assertNotIn(
            "Ops Vendor Three", {r["vendor_name"] for r in self._rows("vw_purchase_order", self.company_a)}
        )

    # --- manufacturing --------------------------------------------------------------
    def test_manufacturing_orders_equal_odoo(self):
        """Active orders, orders per state, quantity produced per product, completions per
        month and the on-time rate of the done orders equal the ORM's; the daily view
        agrees on the on-time orders."""
        Production = self.env["mrp.production"]
        for company in self.companies:
            tz = self._tz(company)
            with self.subTest(company=company.name):
                rows = {r["production_id"]: r for r in self._rows("vw_mrp_production", company)}
                productions = Production.search([("company_id", "=", company.id)])
                self._assert_company_rows("vw_mrp_production", company, "production_id", productions.ids)
                active = Production.search_count(
                    [("company_id", "=", company.id), ("state", "in", ("confirmed", "progress", "to_close"))]
                )
                self.assertEqual(sum(r["active"] for r in rows.values()), active)
                states = Production._read_group([("company_id", "=", company.id)], ["state"], ["__count"])
                self.assertEqual(Counter(r["state"] for r in rows.values()), dict(states))
                done = productions.filtered(lambda p: p.state == "done")
                produced = defaultdict(float)
                for production in done:
                    produced[production.product_id.id] += production.qty_produced
                got = defaultdict(float)
                for row in rows.values():
                    if row["done"]:
                        got[row["product_id"]] += float(row["qty_produced"])
                self.assertEqual(dict(got), dict(produced))
                months = Production.with_context(tz=tz)._read_group(
                    [("company_id", "=", company.id), ("state", "=", "done")], ["date_finished:month"], ["__count"]
                )
                self.assertEqual(
                    Counter(r["finish_date"].replace(day=1) for r in rows.values() if r["done"]),
                    {as_date(m): n for m, n in months},
                )
                with_deadline = done.filtered("date_deadline")
                on_time = with_deadline.filtered(
                    lambda p, tz=tz: local_day(p.date_finished, tz) <= local_day(p.date_deadline, tz)
                )
                self.assertEqual(sum(r["with_deadline"] for r in rows.values()), len(with_deadline))
                self.assertEqual(sum(r["on_time"] for r in rows.values()), len(on_time))
                daily = self._rows("vw_mrp_production_daily", company)
                self.assertEqual(sum(r["orders_on_time"] for r in daily), len(on_time))
        a = {r["production_id"]: r for r in self._rows("vw_mrp_production", self.company_a)}
        self.assertEqual((a[self.mo_on_time.id]["on_time"], a[self.mo_late.id]["on_time"]), (1, 0))
        self.assertEqual(a[self.mo_late.id]["late"], 1)
        self.assertEqual((a[self.mo_progress.id]["state"], a[self.mo_progress.id]["active"]), ("progress", 1))
        self.assertEqual(float(a[self.mo_on_time.id]["qty_produced"]), 3.0)

    def test_bom_component_cost_equals_mrp_account(self):
        """Per BoM and company, the component cost of one unit equals mrp_account's BoM
        price at that company's standard costs (the shared BoM once per company, the
        other one in its company only, its dozen of screws converted)."""
        if not hasattr(self.gadget, "_compute_bom_price"):
            self.skipTest("mrp_account is not installed")
        boms = self.bom | self.bom_a
        for company in self.companies:
            with self.subTest(company=company.name):
                rows = {
                    r["bom_id"]: r for r in self._rows("vw_mrp_bom_cost", company, SQL("bom_id = ANY(%s)", boms.ids))
                }
                expected = boms.filtered(lambda b, company=company: not b.company_id or b.company_id == company)
                self.assertEqual(set(rows), set(expected.ids))
                for bom in expected:
                    price = self.gadget.with_company(company)._compute_bom_price(bom.with_company(company))
                    self.assertAlmostEqual(float(rows[bom.id]["component_cost"]), price, delta=CENT)
                    self.assertEqual(rows[bom.id]["components"], len(bom.bom_line_ids))
        (shared,) = self._rows("vw_mrp_bom_cost", self.company_b, SQL("bom_id = %s", self.bom.id))
        self.assertAlmostEqual(float(shared["component_cost"]), 2 * 3.0 + 3 * 2.0, delta=CENT)

    # --- inventory ------------------------------------------------------------------
    def test_reordering_rules_equal_their_own_quantities(self):
        """Each rule's on-hand quantity equals the rule's qty_on_hand (its location's
        children included), the forecast the product's virtual_available in that location
        (the pending receipt included), below_min follows the rule's own figures; the
        warehouse names are the company's."""
        Product = self.env["product.product"]
        for company in self.companies:
            with self.subTest(company=company.name):
                rules = self.env["stock.warehouse.orderpoint"].search([("company_id", "=", company.id)])
                self._assert_company_rows("vw_stock_orderpoint", company, "orderpoint_id", rules.ids)
                rows = {r["orderpoint_id"]: r for r in self._rows("vw_stock_orderpoint", company)}
                for rule in rules:
                    row = rows[rule.id]
                    self.assertAlmostEqual(float(row["qty_on_hand"]), rule.qty_on_hand, delta=CENT)
                    forecast = Product.with_context(location=rule.location_id.id).browse(rule.product_id.id)
                    self.assertAlmostEqual(float(row["qty_forecast"]), forecast.virtual_available, delta=CENT)
                    self.assertEqual(row["below_min"], int(rule.qty_on_hand < rule.product_min_qty))
                    self.assertEqual(row["warehouse_name"], rule.warehouse_id.name)
                    self.assertEqual(row["category_name"], rule.product_category_id.complete_name)
                warehouses = set(self.env["stock.warehouse"].search([("company_id", "=", company.id)]).mapped("name"))
                for view in ("vw_stock_orderpoint", "vw_stock_level", "vw_stock_move_daily"):
                    names = {r["warehouse_name"] for r in self._rows(view, company)} - {None}
                    self.assertTrue(names)
                    self.assertLessEqual(names, warehouses, view)
        rows = {r["orderpoint_id"]: r for r in self._rows("vw_stock_orderpoint", self.company_a)}
        self.assertEqual((rows[self.rule_low.id]["below_min"], rows[self.rule_high.id]["below_min"]), (1, 0))
        self.assertEqual(float(rows[self.rule_low.id]["qty_on_hand"]), 5.0)
        (b_rule,) = self._rows("vw_stock_orderpoint", self.company_b, SQL("orderpoint_id = %s", self.rule_b.id))
        self.assertEqual((float(b_rule["qty_incoming"]), b_rule["forecast_below_min"]), (5.0, 1))

    def test_inventory_value_and_stock_by_category_equal_quants(self):
        """Per company: the inventory value equals stock.quant's valuation of the internal
        stock, products stocked and quantity per category name equal the quants'."""
        Quant = self.env["stock.quant"]
        for company in self.companies:
            with self.subTest(company=company.name):
                rows = self._rows("vw_stock_level", company)
                quants = Quant.with_company(company).search(
                    [("company_id", "=", company.id), ("location_id.usage", "=", "internal")]
                )
                self.assertAlmostEqual(
                    sum(float(r["standard_value"]) for r in rows), sum(quants.mapped("value")), delta=CENT
                )
                stocked = {q.product_id.id for q in quants if q.quantity > 0}
                self.assertEqual({r["product_id"] for r in rows if r["quantity"] > 0}, stocked)
                per_category = Quant._read_group(
                    [("company_id", "=", company.id), ("location_id.usage", "=", "internal")],
                    ["product_categ_id"],
                    ["quantity:sum"],
                )
                got = defaultdict(float)
                for row in rows:
                    got[row["category_name"]] += float(row["quantity"])
                self.assertEqual(dict(got), {c.complete_name: q for c, q in per_category})

    def test_stock_moves_and_sales_per_product_equal_stock_moves(self):
        """Done moves per month and direction ('in' and 'out' of the internal stock), per
        warehouse, and deliveries to customers per product ("top products by sales")
        equal the ORM's stock.move figures; the turnover rows carry names."""
        Move = self.env["stock.move"]
        for company in self.companies:
            tz = self._tz(company)
            with self.subTest(company=company.name):
                rows = self._rows("vw_stock_move_daily", company)
                base = [("company_id", "=", company.id), ("state", "=", "done")]
                for direction, domain in (
                    ("in", [("location_dest_id.usage", "=", "internal"), ("location_id.usage", "!=", "internal")]),
                    ("out", [("location_id.usage", "=", "internal"), ("location_dest_id.usage", "!=", "internal")]),
                ):
                    expected = Move.with_context(tz=tz)._read_group(
                        base + domain, ["date:month"], ["product_qty:sum", "__count"]
                    )
                    got = defaultdict(lambda: [0.0, 0])
                    for row in rows:
                        if row["direction"] == direction:
                            got[row["date"].replace(day=1)][0] += float(row["quantity"])
                            got[row["date"].replace(day=1)][1] += row["moves"]
                    self.assertEqual(dict(got), {as_date(m): [q, n] for m, q, n in expected}, direction)
                    per_warehouse = defaultdict(float)
                    for move in Move.search(base + domain):
                        location = move.location_id if direction == "out" else move.location_dest_id
                        per_warehouse[location.warehouse_id.name or None] += move.product_qty
                    got_wh = defaultdict(float)
                    for row in rows:
                        if row["direction"] == direction:
                            got_wh[row["warehouse_name"]] += float(row["quantity"])
                    self.assertEqual(dict(got_wh), dict(per_warehouse), direction)
                sold = Move._read_group(
                    [*base, ("location_dest_id.usage", "=", "customer")], ["product_id"], ["product_qty:sum"]
                )
                got = defaultdict(float)
                for row in rows:
                    if row["direction"] == "out" and row["counterpart_usage"] == "customer":
                        got[row["product_name"]] += float(row["quantity"])
                self.assertEqual(dict(got), {p.name: q for p, q in sold})
                turnover = self._rows("vw_stock_turnover_monthly", company)
                self.assertTrue(turnover)
                for row in turnover:
                    product = self.env["product.product"].browse(row["product_id"])
                    self.assertEqual(
                        (row["product_name"], row["category_name"]), (product.name, product.categ_id.complete_name)
                    )
        sold = {
            r["product_id"]
            for r in self._rows("vw_stock_move_daily", self.company_a, SQL("counterpart_usage = 'customer'"))
        }
        self.assertEqual(sold, {self.screw.id})
