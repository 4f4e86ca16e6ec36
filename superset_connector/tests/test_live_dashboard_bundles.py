import base64
import io
import json
import os
import socket
import uuid
import zipfile
from unittest.mock import patch

import yaml

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from ..models import superset_dashboard_bundle as bundle_model
from ..models.superset_analytics_superset import DATABASE_ID_PARAM
from .common import SupersetCommonMixin


@tagged("post_install", "-at_install", "-standard", "superset_live")
class TestDashboardBundle(SupersetCommonMixin, TransactionCase):
    """Dashboard bundles in Odoo against the real Superset: exported from a registered
    dashboard, checked on upload, refused with the reason kept on the bundle, and who may
    do what. (A bundle from another Superset imported onto the analytics views, with
    row-level security per company: tests/e2e/test_analytics_apps.py; the file work itself:
    tests/live/test_bundle_import.py.)"""

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

    # --- the hourly sync goes on ------------------------------------------------------

    def _new_dashboard_file(self, title, **changed):
        """Superset's export of a new dashboard without charts, as the file of another one
        (its own uuid and title), with changed keys in its dashboard file: it imports with
        nothing but Superset."""
        (dashboard_id,) = self.live.create_dashboards(1)
        exported = self.live.client().export("dashboard", [dashboard_id])
        buffer = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(exported)) as source, zipfile.ZipFile(buffer, "w") as target:
            for name in source.namelist():
                content = yaml.safe_load(source.read(name))
                if "/dashboards/" in name:
                    content = {**content, "uuid": str(uuid.uuid4()), "dashboard_title": title, "slug": None, **changed}
                target.writestr(name, yaml.safe_dump(content, sort_keys=False))
        return buffer.getvalue()

    def _auto_bundle(self, name, data):
        return self.Bundle.create({"name": name, "data": base64.b64encode(data), "auto_import": True})

    def _swap_file(self, bundle, data):
        """The bundle's file replaced behind the ORM's back, no check run: as an addon's
        data file that an older version of the reader let in."""
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", bundle._name), ("res_id", "=", bundle.id), ("res_field", "=", "data")])
        )
        self.assertEqual(len(attachment), 1)
        attachment.write({"datas": base64.b64encode(data)})
        bundle.invalidate_recordset()

    def _registered(self, superset_id):
        return (
            self.env["superset.dashboard"]
            .with_context(active_test=False)
            .search_count([("superset_dashboard_id", "=", superset_id)])
        )

    def test_a_file_the_reader_refuses_does_not_stop_the_hourly_sync(self):
        """Two bundles to import automatically, the first with a file the reader refuses
        (a layout that is a list), the second good: the sync records why on the first,
        imports and registers the second, and registers Superset's dashboards; an hour
        later the first fails again and the sync still registers what is new. The form
        of the broken bundle still computes."""
        self._connect(self.rls["database_id"])
        tag = uuid.uuid4().hex[:6]
        broken = self._auto_bundle("A broken", self._new_dashboard_file(f"Broken {tag}"))
        good = self._auto_bundle("B good", self._new_dashboard_file(f"Good {tag}"))
        self._swap_file(broken, self._new_dashboard_file(f"Broken {tag}", position=[1]))
        (in_superset,) = self.live.create_dashboards(1)

        self.env["superset.dashboard"]._cron_sync()

        (broken | good).invalidate_recordset()
        self.assertEqual(broken.state, "failed")
        self.assertRegex(broken.message, r"^\S+/dashboards/\S+\.yaml in the file: position should be a mapping")
        self.assertEqual(good.state, "imported")
        self.assertEqual(good.message, f"Imported into Superset: Good {tag} (0 chart(s)).")
        self.assertEqual(good.dashboard_ids.mapped("name"), [f"Good {tag}"])
        self.assertTrue(self._registered(in_superset))

        (later,) = self.live.create_dashboards(1)
        self.env["superset.dashboard"]._cron_sync()
        (broken | good).invalidate_recordset()
        self.assertEqual((broken.state, good.state), ("failed", "imported"))
        self.assertTrue(self._registered(later))

        broken._compute_contents()  # the file read again: no error, nothing shown of it
        self.assertEqual((broken.dashboard_titles, broken.chart_count), (False, 0))

    def test_an_unexpected_error_is_recorded_and_what_it_wrote_rolled_back(self):
        """A bundle whose import raises an error nobody foresaw, after writing to the
        database: the bundle says so in the user's words, the traceback is logged, what it
        wrote is rolled back, and the next bundle is imported."""
        self._connect(self.rls["database_id"])
        tag = uuid.uuid4().hex[:6]
        flaky = self._auto_bundle("A flaky", self._new_dashboard_file(f"Flaky {tag}"))
        good = self._auto_bundle("B good", self._new_dashboard_file(f"Good {tag}"))
        real_import = bundle_model.import_bundle

        def import_bundle(client, bundle, to):
            if bundle.titles == [f"Flaky {tag}"]:
                self.env["res.partner"].create({"name": f"Half-done {tag}"})
                raise KeyError("position")
            return real_import(client, bundle, to)

        with (
            patch.object(bundle_model, "import_bundle", side_effect=import_bundle),
            self.assertLogs(bundle_model._logger.name, "ERROR") as logged,
        ):
            self.assertTrue(self.env["superset.dashboard.bundle"]._cron_import())

        (flaky | good).invalidate_recordset()
        self.assertEqual(flaky.state, "failed")
        self.assertEqual(
            flaky.message, "The import stopped on an unexpected error (KeyError): the server log has the details."
        )
        (record,) = logged.records
        self.assertIs(record.exc_info[0], KeyError)
        self.assertFalse(self.env["res.partner"].search_count([("name", "=", f"Half-done {tag}")]))
        self.assertEqual(good.state, "imported")
        self.assertEqual(good.dashboard_ids.mapped("name"), [f"Good {tag}"])
