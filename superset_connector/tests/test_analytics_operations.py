from datetime import timedelta

from odoo import Command, fields
from odoo.tests import Form, TransactionCase, tagged
from odoo.tools import SQL

from .analytics_common import view_rows

CENT = 0.005


@tagged("post_install", "-at_install")
class TestAnalyticsOperations(TransactionCase):
    """Purchase, inventory and manufacturing views on one flow: a purchase confirmed four
    days ago and received today, one day after its planned date; a manufacturing order
    finished before its deadline, consuming components."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.tz = cls.company.partner_id.tz or "UTC"
        cls.today = fields.Date.context_today(env["res.partner"].with_context(tz=cls.tz))
        cls.warehouse = env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        Product = env["product.product"]
        cls.widget = Product.create({"name": "Ops Widget", "is_storable": True, "standard_price": 4.0})
        cls.bolt = Product.create({"name": "Ops Bolt", "is_storable": True})
        cls.gadget = Product.create({"name": "Ops Gadget", "is_storable": True})
        cls.vendor = env["res.partner"].create({"name": "Ops Vendor", "is_company": True})

        # Purchase: confirmed 4 days ago, planned yesterday, received today.
        cls.purchase = env["purchase.order"].create(
            {
                "partner_id": cls.vendor.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.widget.id,
                            "product_qty": 10,
                            "price_unit": 5.0,
                            "taxes_id": [Command.clear()],
                            "date_planned": fields.Datetime.now() - timedelta(days=1),
                        }
                    )
                ],
            }
        )
        cls.purchase.button_confirm()
        cls.purchase.date_approve = fields.Datetime.now() - timedelta(days=4)
        receipt = cls.purchase.picking_ids
        receipt.move_ids.quantity = 10
        receipt.move_ids.picked = True
        receipt.button_validate()

        # Manufacturing: 3 gadgets from 2 bolts each, deadline tomorrow, done today.
        env["stock.quant"].create(
            {"location_id": cls.warehouse.lot_stock_id.id, "product_id": cls.bolt.id, "inventory_quantity": 20}
        ).action_apply_inventory()  # a stock move, from the inventory adjustment location
        bom = env["mrp.bom"].create(
            {
                "product_tmpl_id": cls.gadget.product_tmpl_id.id,
                "product_qty": 1,
                "bom_line_ids": [Command.create({"product_id": cls.bolt.id, "product_qty": 2})],
            }
        )
        form = Form(env["mrp.production"])
        form.product_id = cls.gadget
        form.bom_id = bom
        form.product_qty = 3
        production = form.save()
        production.date_deadline = fields.Datetime.now() + timedelta(days=1)
        production.action_confirm()
        form = Form(production)
        form.qty_producing = 3
        production = form.save()
        production.move_raw_ids.picked = True
        production.button_mark_done()
        cls.production = production
        env.flush_all()

    def _rows(self, view, where):
        return view_rows(self.env, view, SQL("company_id = %s AND %s", self.company.id, where))

    def test_purchase_views(self):
        """The confirmed purchase counts on its confirmation day with its untaxed amount;
        its receipt shows a 4-day lead time, 1 day late; the line carries quantities."""
        self.assertEqual(self.purchase.state, "purchase")
        approved = fields.Date.context_today(self.purchase.with_context(tz=self.tz), self.purchase.date_approve)
        (daily,) = self._rows("vw_purchase_daily", SQL("date = %s", approved))
        self.assertEqual(daily["confirmed_orders"], 1)
        self.assertAlmostEqual(float(daily["untaxed_amount"]), 50.0, delta=CENT)
        (line,) = self._rows("vw_purchase_line", SQL("order_id = %s", self.purchase.id))
        self.assertEqual((float(line["qty_ordered"]), float(line["qty_received"])), (10.0, 10.0))
        self.assertEqual(line["vendor_id"], self.vendor.id)
        (lead,) = self._rows("vw_purchase_vendor_lead_time", SQL("vendor_id = %s", self.vendor.id))
        self.assertEqual(lead["receipts"], 1)
        self.assertEqual(float(lead["avg_lead_days"]), float((self.today - approved).days))
        self.assertEqual(float(lead["avg_delay_days"]), 1.0)
        self.assertEqual(lead["on_time_receipts"], 0)

    def test_stock_move_and_turnover_views(self):
        """Today's done moves: 10 widgets in, 6 bolts out (consumed), 3 gadgets in; this
        month's turnover of bolts: 6 out of an average stock of (20 + 14) / 2."""
        moves = {
            (r["product_id"], r["direction"]): float(r["quantity"])
            for r in self._rows("vw_stock_move_daily", SQL("date = %s", self.today))
        }
        self.assertEqual(moves[self.widget.id, "in"], 10.0)
        self.assertEqual(moves[self.bolt.id, "out"], 6.0)
        self.assertEqual(moves[self.gadget.id, "in"], 3.0)
        (bolt,) = self._rows("vw_stock_turnover_monthly", SQL("product_id = %s", self.bolt.id))
        self.assertEqual((float(bolt["qty_in"]), float(bolt["qty_out"])), (20.0, 6.0))
        self.assertEqual((float(bolt["opening_quantity"]), float(bolt["closing_quantity"])), (0.0, 14.0))
        self.assertAlmostEqual(float(bolt["turnover"]), 6.0 / 7.0, places=6)

    def test_production_view(self):
        """The manufacturing order counts as planned on its start day and done today, with
        its 3 produced gadgets, on time (finished before its deadline)."""
        self.assertEqual(self.production.state, "done")
        (row,) = self._rows("vw_mrp_production_daily", SQL("date = %s", self.today))
        self.assertEqual((row["orders_done"], float(row["qty_produced"])), (1, 3.0))
        self.assertEqual((row["orders_with_deadline"], row["orders_on_time"]), (1, 1))
        self.assertEqual(float(row["on_time_rate"]), 1.0)
