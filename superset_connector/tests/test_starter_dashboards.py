import socket

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from ..models.superset_analytics_superset import DATABASE_ID_PARAM
from ..models.user_messages import user_text
from ..services.superset_content import StarterReport, describe
from .common import SupersetCommonMixin


@tagged("post_install", "-at_install")
class TestStarterDashboards(SupersetCommonMixin, TransactionCase):
    """Who may create the starter dashboards and what they are told when they cannot.
    (Built against the real Superset: tests/live/test_superset_content.py and
    tests/e2e/test_analytics_apps.py.)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()

    def _connect(self, superset_url):
        """As after "Connect Superset": a database connection and a dataset per view."""
        self.configure_superset(url=superset_url, username="admin", password="admin", retries=0)
        self.env["ir.config_parameter"].sudo().set_param(DATABASE_ID_PARAM, "7")
        views = self.env["superset.analytics.view"].sudo().search([("state", "=", "installed")])
        for index, view in enumerate(views, 1):
            view.superset_dataset_id = index

    def test_only_managers_create_them(self):
        dashboards = self.env(user=self.user_a)["superset.dashboard"]
        with self.assertRaisesRegex(AccessError, "Only Superset Managers can create the starter dashboards"):
            dashboards.action_create_starter_dashboards()

    def test_before_connect_superset_says_what_to_do(self):
        self.env["ir.config_parameter"].sudo().set_param(DATABASE_ID_PARAM, "")
        dashboards = self.env(user=self.manager)["superset.dashboard"]
        with self.assertRaisesRegex(UserError, "an administrator clicks Connect Superset"):
            dashboards.action_create_starter_dashboards()

    def test_superset_down_stops_the_run_with_one_message(self):
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        self._connect(f"http://127.0.0.1:{closed}")
        dashboards = self.env(user=self.manager)["superset.dashboard"]
        with self.assertRaises(UserError) as caught:
            dashboards.action_create_starter_dashboards()
        self.assertIn("Superset is unavailable", str(caught.exception))
        self.assertNotIn("could not be built", str(caught.exception))

    def test_a_dashboard_whose_apps_are_missing_is_said_with_their_names(self):
        """The views of an app that is not installed (Point of Sale here): the message
        names the app as the Apps menu does; a view whose app is there waits only for
        Connect Superset; a dashboard built without its optional charts says which app
        they need."""
        pos = self.env["ir.module.module"].search([("name", "=", "point_of_sale")])
        self.assertEqual(pos.state, "uninstalled")
        self.env["superset.analytics.view"].create(
            {"name": "vw_test_pos", "sql_file": "sql_views/company.sql", "required_modules": "point_of_sale"}
        )._sync_views()
        starters = self.env["superset.dashboard.starter"]
        skipped = {"Shop": ["vw_test_pos", "vw_company"], "Sales": ["vw_sale_daily"]}
        missing = starters._missing_apps({**skipped, "Partial": ["vw_test_pos"]})
        self.assertEqual(missing, {"Shop": [pos.shortdesc], "Sales": [], "Partial": [pos.shortdesc]})
        report = StarterReport(
            created={"Partial": 3},
            skipped={"Shop": ["vw_test_pos"], "Sales": ["vw_sale_daily"]},
            partial={"Partial": ["vw_test_pos"]},
        )
        text = str(user_text(self.env, describe(report, missing)))
        self.assertIn(f"Shop was skipped: it needs the {pos.shortdesc} app(s)", text)
        self.assertIn("Sales needs vw_sale_daily: install its app, then click Connect Superset.", text)
        self.assertIn(f"Partial was built without the charts that need {pos.shortdesc}", text)
