from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from ..services.analytics_sql import module_names, referenced_modules, render
from .analytics_common import SCHEMA, AnalyticsCase, relkind, views_depending_on_tables
from .common import SupersetCommonMixin

SALE_TABLES = ["sale_order", "sale_order_line"]


@tagged("post_install", "-at_install")
class TestAnalyticsLifecycle(SupersetCommonMixin, AnalyticsCase):
    """Which views exist, when they are created and dropped, and who manages them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.installed = cls.Views._installed_modules()

    def _new_view(self, name, sql_file, required="base", **values):
        return self.Views.create(
            {"name": name, "sql_file": sql_file, "required_modules": required, "sequence": 0, **values}
        )

    def test_views_exist_exactly_for_installed_apps(self):
        """Each shipped view whose apps are installed exists with the right kind, answers a
        SELECT and has a company_id column; a view whose app is missing (CRM here) is
        waiting, names the missing app, and has no SQL object."""
        waiting = self.Views.browse()
        for view in self.Views._all_views():
            with self.subTest(view=view.name):
                if set(module_names(view.required_modules)) <= self.installed:
                    self.assertEqual(view.state, "installed", view.error_message)
                    self.assertEqual(relkind(self.env, view.name), "m" if view.kind == "materialized" else "v")
                    self.env.cr.execute(SQL("SELECT * FROM %s LIMIT 0", SQL.identifier(SCHEMA, view.name)))
                    self.assertIn("company_id", [column.name for column in self.env.cr.description])
                else:
                    waiting |= view
                    self.assertEqual(view.state, "waiting")
                    self.assertIsNone(relkind(self.env, view.name))
                    self.assertTrue(view.missing_modules)
        if "crm" not in self.installed:
            crm = self.env.ref("superset_connector.analytics_view_vw_crm_pipeline")
            self.assertIn(crm, waiting)
            self.assertEqual(crm.missing_modules, "crm")

    def test_materialized_twins_match_their_views(self):
        """A materialized view has the columns of the plain view built from the same SQL
        file, has its unique index, and a refresh cron; a plain view has no cron."""
        materialized = self.Views.search([("kind", "=", "materialized"), ("state", "=", "installed")])
        self.assertGreaterEqual(len(materialized), 4)
        for mv in materialized:
            with self.subTest(view=mv.name):
                twin = self.Views.search([("sql_file", "=", mv.sql_file), ("kind", "=", "view")])
                self.assertEqual(len(twin), 1)
                columns = {}
                for name in (mv.name, twin.name):
                    self.env.cr.execute(SQL("SELECT * FROM %s LIMIT 0", SQL.identifier(SCHEMA, name)))
                    columns[name] = [column.name for column in self.env.cr.description]
                self.assertEqual(columns[mv.name], columns[twin.name])
                self.env.cr.execute(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
                    [SCHEMA, mv.name],
                )
                unique = [d for (d,) in self.env.cr.fetchall() if d.startswith("CREATE UNIQUE INDEX")]
                self.assertEqual(len(unique), 1)
                self.assertIn(f"({mv.unique_key})", unique[0])
                self.assertTrue(mv.cron_id.active)
                self.assertIn(f"[{mv.id}]", mv.cron_id.code)
                self.assertFalse(twin.cron_id)

    def test_every_sql_file_renders_with_and_without_its_optional_apps(self):
        """Each view's SQL file renders both ways (its --@if blocks are well formed), and
        the product view reads sale_order_line.margin only when sale_margin is there."""
        for view in self.Views._all_views():
            text = view._read_sql_file()
            optional = referenced_modules(text)
            with self.subTest(view=view.name):
                render(text, self.installed | optional)
                render(text, self.installed - optional)
        product = self.env.ref("superset_connector.analytics_view_vw_sale_product_monthly")
        self.assertEqual(product.optional_modules, "sale_margin")
        text = product._read_sql_file()
        self.assertIn("l.margin", render(text, {"sale", "sale_margin"}))
        self.assertNotIn("l.margin", render(text, {"sale"}))

    def test_broken_view_records_its_error_and_others_go_on(self):
        """A view whose SQL fails is left without SQL object, in state error with
        PostgreSQL's message; a view synchronised in the same run is created; the refresh
        cron entry point ignores views in error."""
        broken = self._new_view(
            "mv_test_broken", "tests/sql_views/vw_test_broken.sql", kind="materialized", unique_key="company_id"
        )
        company = self.env.ref("superset_connector.analytics_view_vw_company")
        (broken | company)._sync_views(force=True)
        self.assertEqual(broken.state, "error")
        self.assertIn("no_such_column", broken.error_message)
        self.assertIn("mv_test_broken", broken.error_message)
        self.assertIsNone(relkind(self.env, "mv_test_broken"))
        self.assertFalse(broken.cron_id)
        self.assertEqual(company.state, "installed")
        self.assertEqual(relkind(self.env, "vw_company"), "v")
        self.Views._cron_refresh(broken.ids)
        self.assertFalse(broken.last_check_date)

    def test_view_waits_for_its_app_then_appears_and_goes(self):
        """A view needing an app that is not installed waits without SQL object; when its
        requirement is met the synchronisation creates it, and drops it again when not."""
        view = self._new_view(
            "vw_test_waiting", "sql_views/company.sql", required="base, superset_connector_no_such_app"
        )
        view._sync_views()
        self.assertEqual(view.state, "waiting")
        self.assertEqual(view.missing_modules, "superset_connector_no_such_app")
        self.assertIsNone(relkind(self.env, "vw_test_waiting"))
        view.required_modules = "base"
        view._sync_views()
        self.assertEqual(view.state, "installed")
        self.assertEqual(relkind(self.env, "vw_test_waiting"), "v")
        view.required_modules = "superset_connector_no_such_app"
        view._sync_views()
        self.assertEqual(view.state, "waiting")
        self.assertIsNone(relkind(self.env, "vw_test_waiting"))

    def test_registry_load_recreates_missing_views(self):
        """The hook every registry load runs (also after an app is installed from the
        command line) creates the views that should exist and do not."""
        mv = self.env.ref("superset_connector.analytics_view_mv_sale_monthly")
        self.env.cr.execute(SQL("DROP VIEW %s", SQL.identifier(SCHEMA, "vw_company")))
        self.env.cr.execute(SQL("DROP MATERIALIZED VIEW %s", SQL.identifier(SCHEMA, "mv_sale_monthly")))
        self.Views._register_hook()
        self.assertEqual(relkind(self.env, "vw_company"), "v")
        self.assertEqual(relkind(self.env, "mv_sale_monthly"), "m")
        self.assertEqual(mv.state, "installed")
        self.assertEqual(mv.last_refresh_status, "done")

    def test_uninstalling_an_app_drops_its_views_first(self):
        """Before Odoo removes sale, the views reading sale's tables are dropped (PostgreSQL
        records no view of the schema on them any more), their crons removed, their
        records waiting; views of other apps stay. A later synchronisation, sale still
        being installed here, creates them again."""
        sale_views = self.Views.search([("required_modules", "=", "sale")])
        self.assertTrue(views_depending_on_tables(self.env, SALE_TABLES))
        crons = sale_views.cron_id
        self.assertTrue(crons)
        self.assertTrue({v.name for v in sale_views} <= self.Views._views_depending_on_modules({"sale"}))
        self.assertNotIn("vw_company", self.Views._views_depending_on_modules({"sale"}))

        self.env["ir.module.module"].search([("name", "=", "sale")]).ensure_one()
        self.Views._drop_for_modules({"sale"})

        self.assertFalse(views_depending_on_tables(self.env, SALE_TABLES))
        self.assertEqual(set(sale_views.mapped("state")), {"waiting"})
        self.assertFalse(crons.exists())
        self.assertEqual(relkind(self.env, "vw_company"), "v")
        self.assertEqual(relkind(self.env, "vw_account_revenue_monthly"), "v")

        self.Views._all_views()._sync_views()
        self.assertEqual(set(sale_views.mapped("state")), {"installed"})
        self.assertTrue(views_depending_on_tables(self.env, SALE_TABLES))

    def test_managers_tune_refresh_users_see_nothing(self):
        """A Superset Manager reads the views, changes a refresh interval (its cron follows)
        and refreshes; they may not change a view's SQL, nor create the database role.
        A Superset User and a user outside the groups read nothing and refresh nothing."""
        mv = self.env.ref("superset_connector.analytics_view_mv_sale_monthly")
        as_manager = mv.with_user(self.manager)
        as_manager.write({"refresh_interval_number": 15, "refresh_interval_type": "minutes"})
        self.assertEqual((mv.cron_id.interval_number, mv.cron_id.interval_type), (15, "minutes"))
        as_manager.action_refresh_now()
        self.assertEqual(mv.last_refresh_status, "done")
        with self.assertRaises(AccessError):
            as_manager.write({"sql_file": "tests/sql_views/vw_test_broken.sql"})
        with self.assertRaises(AccessError):
            self.Views.with_user(self.manager).action_create_readonly_role()
        for user in (self.user_a, self.outsider):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.Views.with_user(user).search([])
                with self.assertRaises(AccessError):
                    mv.with_user(user).action_refresh_now()

    def test_cron_refreshes_its_view(self):
        """Running a view's cron refreshes it: the check is recorded on the record."""
        mv = self.env.ref("superset_connector.analytics_view_mv_sale_daily")
        mv.cron_id.method_direct_trigger()
        self.assertTrue(mv.last_check_date)
        self.assertIn(mv.last_refresh_status, ("done", "skipped"))

    def test_invalid_definitions_are_refused(self):
        """Names follow vw_*/mv_* and the kind; a materialized view needs a unique key of
        plain columns; the SQL file is a .sql file of the module, no path escape."""
        cases = [
            {"name": "sale_daily", "sql_file": "sql_views/company.sql"},
            {"name": "mv_test_x", "sql_file": "sql_views/company.sql"},
            {"name": "mv_test_x", "sql_file": "sql_views/company.sql", "kind": "materialized"},
            {
                "name": "mv_test_x",
                "sql_file": "sql_views/company.sql",
                "kind": "materialized",
                "unique_key": "lower(x)",
            },
            {"name": "vw_test_x", "sql_file": "../superset_connector/sql_views/company.sql"},
            {"name": "vw_test_x", "sql_file": "sql_views/no_such_file.sql"},
            {"name": "vw_test_x", "sql_file": "__manifest__.py"},
        ]
        for values in cases:
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.Views.create(values)
        self.assertTrue(self.Views.create({"name": "vw_test_ok", "sql_file": "sql_views/company.sql"}))
