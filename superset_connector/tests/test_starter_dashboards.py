import socket

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from ..models.superset_analytics_superset import DATABASE_ID_PARAM
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
