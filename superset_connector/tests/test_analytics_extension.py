import tempfile
from pathlib import Path
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.modules.module import get_module_path
from odoo.tests import tagged
from odoo.tools import SQL

from ..models import superset_analytics_view as view_model
from .analytics_common import AnalyticsCase, relkind, view_rows

EXAMPLE = "superset_connector_views_example"  # tests/addons: on the addons path of `make test`


@tagged("post_install", "-at_install")
class TestAnalyticsExtension(AnalyticsCase):
    """How another addon extends the analytics views: SQL files of its own module (never
    outside a module's folder), columns added to a shipped view, which is then created
    again with them, its readers too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ltv, cls.period = cls.shipped("vw_sale_customer_ltv"), cls.shipped("vw_sale_period")

    def _extended(self, columns=None, group_by=None):
        """The model as an addon overriding the hooks makes it: columns {view: {alias: SQL}},
        group_by {view: [SQL]}."""
        return patch.multiple(
            type(self.Views),
            _sql_extra_columns=lambda view: dict((columns or {}).get(view.name, {})),
            _sql_extra_group_by=lambda view: list((group_by or {}).get(view.name, [])),
        )

    def _columns(self, name):
        self.env.cr.execute(SQL("SELECT * FROM %s LIMIT 0", SQL.identifier("superset_analytics", name)))
        return [column.name for column in self.env.cr.description]

    def test_sql_files_of_other_modules(self):
        """A path naming a module reads that module's file; one naming none, this addon's."""
        own = self.Views.create({"name": "vw_test_own", "sql_file": "superset_connector/sql_views/company.sql"})
        self.assertEqual(
            own._read_sql_file(), self.env.ref("superset_connector.analytics_view_vw_company")._read_sql_file()
        )
        if not get_module_path(EXAMPLE, display_warning=False):
            self.skipTest(f"{EXAMPLE} is not on the addons path (tests/addons)")
        other = self.Views.create({"name": "vw_test_other", "sql_file": f"{EXAMPLE}/sql_views/sale_team_monthly.sql"})
        self.assertIn("crm_team", other._read_sql_file())

    def test_sql_file_outside_a_module_is_refused(self):
        """A path climbing out of a module, a module without that file, and a link from a
        module's folder to a file elsewhere (another module's) are refused."""
        for sql_file in (
            "../superset_connector/sql_views/company.sql",
            "superset_connector/../base/sql_views/company.sql",
            "/etc/passwd.sql",
            "base/sql_views/company.sql",
        ):
            with self.subTest(sql_file=sql_file), self.assertRaises(ValidationError):
                self.Views.create({"name": "vw_test_outside", "sql_file": sql_file})
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp, "sc_test_links", "sql_views")
            folder.mkdir(parents=True)
            (folder / "company.sql").symlink_to(Path(get_module_path("superset_connector"), "sql_views", "company.sql"))
            real = view_model.get_module_path

            def module_path(name, **kwargs):
                return str(Path(tmp, name)) if name == "sc_test_links" else real(name, **kwargs)

            with patch.object(view_model, "get_module_path", module_path), self.assertRaises(ValidationError) as caught:
                self.Views.create({"name": "vw_test_link", "sql_file": "sc_test_links/sql_views/company.sql"})
        self.assertIn("leads out of the folder of module sc_test_links", str(caught.exception))

    def test_extra_columns_create_the_view_again(self):
        """A column an addon adds to an aggregating view (with its GROUP BY) changes its
        definition: the view is created again with the column and its figures; without
        the addon it is created again as shipped. A column missing from the GROUP BY
        fails with PostgreSQL's reason on the record, and nothing is left of the view."""
        partner = self.env["res.partner"].create({"name": "Extension customer", "ref": "EXT-1"})
        product = self.env["product.product"].create({"name": "Extension widget"})
        self.env["sale.order"].create(
            {"partner_id": partner.id, "order_line": [Command.create({"product_id": product.id, "price_unit": 5})]}
        ).action_confirm()
        shipped = self.ltv.applied_hash
        ref = {"vw_sale_customer_ltv": {"customer_ref": SQL("customer.ref")}}
        with self._extended(ref, {"vw_sale_customer_ltv": [SQL("customer.ref")]}):
            self.ltv._sync_views()
        self.assertEqual(self.ltv.state, "installed", self.ltv.error_message)
        self.assertNotEqual(self.ltv.applied_hash, shipped)
        (row,) = view_rows(self.env, "vw_sale_customer_ltv", SQL("customer_id = %s", partner.id))
        self.assertEqual((row["customer_ref"], row["orders"]), ("EXT-1", 1))

        with self._extended(ref):
            self.ltv._sync_views()
        self.assertEqual(self.ltv.state, "error")
        self.assertIn("GROUP BY", self.ltv.error_message)
        self.assertIsNone(relkind(self.env, "vw_sale_customer_ltv"))

        self.ltv._sync_views()
        self.assertEqual((self.ltv.state, self.ltv.applied_hash), ("installed", shipped))
        (row,) = view_rows(self.env, "vw_sale_customer_ltv", SQL("customer_id = %s", partner.id))
        self.assertNotIn("customer_ref", row)

    def test_a_view_created_again_brings_its_readers_back(self):
        """A column added to vw_sale_period, which the daily and monthly views read, creates
        it again: its readers (plain and materialized) come back, filled, the monthly ones
        with the column they select. The expression's parameters are in the digest."""
        drafts = {
            "vw_sale_period": {"draft_orders": SQL("count(DISTINCT s.id) FILTER (WHERE s.state = %s)", "draft")},
            "mv_sale_monthly": {"draft_orders": SQL.identifier("draft_orders")},
        }
        daily = self.env.ref("superset_connector.analytics_view_mv_sale_daily")
        monthly = self.env.ref("superset_connector.analytics_view_mv_sale_monthly")
        installed = self.Views._installed_modules()
        with self._extended(drafts):
            self.period._sync_views()
            sent = {**drafts, "vw_sale_period": {"draft_orders": SQL("count(*) FILTER (WHERE s.state = %s)", "sent")}}
            digest = self.period._definition_hash(self.period._render_sql(installed))
            with self._extended(sent):
                self.assertNotEqual(self.period._definition_hash(self.period._render_sql(installed)), digest)
        self.assertEqual(self.period.state, "installed", self.period.error_message)
        readers = self.Views.search([("name", "in", ["vw_sale_daily", "mv_sale_daily", "vw_sale_monthly"])]) | monthly
        for view in readers:
            with self.subTest(view=view.name):
                self.assertEqual(view.state, "installed", view.error_message)
                self.assertEqual(relkind(self.env, view.name), "m" if view.kind == "materialized" else "v")
        self.assertEqual((daily.last_refresh_status, monthly.last_refresh_status), ("done", "done"))
        self.assertIn("draft_orders", self._columns("mv_sale_monthly"))
        self.assertNotIn("draft_orders", self._columns("vw_sale_monthly"))

    def test_extensions_the_view_cannot_take_are_refused(self):
        """A GROUP BY for a view whose SQL has no place for it, a column name that is not a
        plain identifier, an expression that is not odoo.tools.SQL: the view is in error
        with the reason, the others stay."""
        company = self.env.ref("superset_connector.analytics_view_vw_company")
        cases = [
            ({}, {"vw_company": [SQL("c.id")]}, "has no --@extra_group_by line"),
            ({"vw_company": {"Bad Name": SQL("1")}}, {}, "extra column 'Bad Name'"),
            ({"vw_company": {"plain": "1"}}, {}, "extra column 'plain'"),
        ]
        for columns, group_by, reason in cases:
            with self.subTest(reason=reason), self._extended(columns, group_by):
                company._sync_views()
                self.assertEqual(company.state, "error")
                self.assertIn(reason, company.error_message)
        self.assertEqual(self.ltv.state, "installed")
        company._sync_views()
        self.assertEqual(company.state, "installed", company.error_message)
