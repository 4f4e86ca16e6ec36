import base64
import json
import os
import socket

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from ..models.superset_analytics_superset import DATABASE_ID_PARAM
from .common import SupersetCommonMixin


@tagged("post_install", "-at_install")
class TestDashboardBundle(SupersetCommonMixin, TransactionCase):
    """Dashboard bundles in Odoo against the real Superset: exported from a registered
    dashboard, checked on upload, refused with the reason kept on the bundle, and who may
    do what. (A bundle from another Superset imported onto the analytics views, with
    row-level security per company: tests/test_analytics_apps.py; the file work itself:
    tests/test_dashboard_bundle.py.)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.setup_live_superset()
        cls.rls = json.loads(os.environ.get("SC_TEST_RLS") or "{}")
        cls.Bundle = cls.env["superset.dashboard.bundle"].with_user(cls.manager)
        cls.rls_sales = cls.env["superset.dashboard"].create(
            {"name": "RLS sales", "superset_dashboard_id": cls.rls["dashboards"]["sales"]}
        )

    def _exported(self):
        """A bundle of the RLS sales dashboard, as Export bundle makes it."""
        action = self.rls_sales.with_user(self.manager).action_export_bundle()
        return self.Bundle.browse(action["res_id"])

    def _uploaded(self):
        """The same file, uploaded as a bundle of its own: not imported yet."""
        return self.Bundle.create({"name": "Uploaded", "data": self._exported().data, "filename": "rls.zip"})

    def _connect(self, database_id):
        """As after "Connect Superset": a database connection and a dataset per view."""
        self.env["ir.config_parameter"].sudo().set_param(DATABASE_ID_PARAM, str(database_id))
        views = self.env["superset.analytics.view"].sudo().search([("state", "=", "installed")])
        for index, view in enumerate(views, 1):
            view.superset_dataset_id = index

    def test_export_makes_a_bundle_of_the_dashboard(self):
        """Export bundle keeps Superset's export of the dashboard: its title, charts and
        datasets are read from the file; it counts as imported here, and links back."""
        bundle = self._exported()
        self.assertEqual(bundle.name, "RLS sales")
        self.assertEqual(bundle.dashboard_titles, "RLS sales")
        self.assertEqual(bundle.chart_count, 2)
        self.assertEqual(bundle.dataset_names, "regions, sales")
        self.assertEqual(bundle.state, "imported")
        self.assertEqual(bundle.dashboard_ids, self.rls_sales)
        self.assertIn("download the file to import it into another Odoo", bundle.message)
        self.assertTrue(base64.b64decode(bundle.data).startswith(b"PK"))

    def test_a_file_that_is_not_a_bundle_is_refused_on_save(self):
        """Nothing is saved: neither a new bundle nor a bundle's new file."""
        count = self.Bundle.search_count([])
        # As in a request: the error rolls back what the call wrote.
        with self.assertRaisesRegex(ValidationError, "The file is not a ZIP archive"), self.env.cr.savepoint():
            self.Bundle.create({"name": "Broken", "data": base64.b64encode(b"not a zip")})
        self.assertEqual(self.Bundle.search_count([]), count)
        bundle = self._exported()
        good = bundle.data
        with self.assertRaisesRegex(ValidationError, "The file is not a ZIP archive"), self.env.cr.savepoint():
            bundle.write({"data": base64.b64encode(b"garbage")})
        bundle.invalidate_recordset()
        self.assertEqual(bundle.data, good)

    def test_superset_users_may_not_see_import_or_export(self):
        bundle = self._exported()
        as_user = self.env(user=self.user_a)
        with self.assertRaises(AccessError):
            as_user["superset.dashboard.bundle"].search([])
        with self.assertRaises(AccessError):
            as_user["superset.dashboard.bundle"].create({"name": "Mine", "data": bundle.data})
        with self.assertRaisesRegex(AccessError, "Only Superset Managers can import dashboard bundles"):
            bundle.with_user(self.user_a).action_import()
        with self.assertRaisesRegex(AccessError, "Only Superset Managers can import dashboard bundles"):
            self.dash_everyone.with_user(self.user_a).action_export_bundle()

    def test_before_connect_superset_says_what_to_do(self):
        bundle = self._exported()
        self.env["ir.config_parameter"].sudo().set_param(DATABASE_ID_PARAM, "")
        with self.assertRaisesRegex(UserError, "an administrator clicks Connect Superset"):
            bundle.action_import()

    def test_a_connection_deleted_in_superset_says_to_connect_again(self):
        bundle = self._uploaded()
        self._connect(987654)  # no such database connection in Superset
        with self.assertRaisesRegex(UserError, r"no longer has the analytics database connection \(id 987654\)"):
            bundle.action_import()
        self.assertEqual(bundle.state, "new")

    def test_superset_down_says_so_and_leaves_the_bundle_as_it_was(self):
        bundle = self._uploaded()
        self.assertEqual(bundle.state, "new")
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        self.configure_superset(url=f"http://127.0.0.1:{closed}")
        self._connect(self.rls["database_id"])
        with self.assertRaisesRegex(UserError, "Superset is unavailable"):
            bundle.action_import()
        self.assertEqual(bundle.state, "new")

    def test_a_refused_bundle_keeps_the_reason_until_its_file_changes(self):
        """A bundle whose datasets are outside the analytics schema: the import fails with
        the reason on the bundle and in a sticky warning, Superset is left as it was; a new
        file clears the failure."""
        bundle = self._uploaded()
        self._connect(self.rls["database_id"])
        client = self.live.client()
        before = client.list_all("dashboard", {"columns": ["id"]})[1]
        action = bundle.action_import()
        self.assertEqual(bundle.state, "failed")
        self.assertIn(
            "Dataset sales reads schema public: a dashboard may read only the analytics views "
            "(schema superset_analytics).",
            bundle.message,
        )
        self.assertEqual(action["params"]["type"], "warning")
        self.assertTrue(action["params"]["sticky"])
        self.assertIn(bundle.message, action["params"]["message"])
        self.assertEqual(client.list_all("dashboard", {"columns": ["id"]})[1], before)
        bundle.write({"data": bundle.data})
        self.assertEqual(bundle.state, "new")
