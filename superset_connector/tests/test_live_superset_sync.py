from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from .common import SupersetCommonMixin


@tagged("post_install", "-at_install", "-standard", "superset_live")
class TestSupersetSync(SupersetCommonMixin, TransactionCase):
    """The dashboard registry against the real Superset `make test` starts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.setup_live_superset()
        cls.configure_superset(sync_page_size=2)  # several pages with a handful of dashboards
        cls.Dashboard = cls.env["superset.dashboard"].with_user(cls.manager)

    def _by_superset_id(self, superset_ids):
        return (
            self.Dashboard.sudo()
            .with_context(active_test=False)
            .search([("superset_dashboard_id", "in", superset_ids)])
        )

    def test_sync_registers_every_page_with_embedded_uuids(self):
        """Dashboards created in Superset (more than a page) are registered with their
        embedded uuids, embedding enabled for this Odoo, a menu each, managers only."""
        ids = self.live.create_dashboards(5)
        stats = self.Dashboard._sync_from_superset()
        self.assertGreaterEqual(stats["created"], 5)
        registered = self._by_superset_id(ids)
        self.assertEqual(sorted(registered.mapped("superset_dashboard_id")), sorted(ids))
        client = self.live.client()
        for dashboard in registered:
            embedded = client.embedded(dashboard.superset_dashboard_id)
            self.assertEqual(dashboard.embedded_uuid, embedded["uuid"])
            self.assertIn(self.live.odoo_origin, embedded["allowed_domains"])
            self.assertNotEqual(dashboard.embedded_uuid, client.dashboard(dashboard.superset_dashboard_id)["uuid"])
            self.assertTrue(dashboard.menu_id.active)
            self.assertEqual(dashboard.group_ids, self.env.ref("superset_connector.group_superset_manager"))

    def test_second_sync_changes_nothing(self):
        """Syncing twice: no record created, written or archived the second time."""
        ids = self.live.create_dashboards(3)
        self.Dashboard._sync_from_superset()
        registered = self._by_superset_id(ids)
        before = {d.id: (d.write_date, d.embedded_uuid, d.name) for d in registered}
        count = self.Dashboard.sudo().with_context(active_test=False).search_count([])
        self.env.flush_all()
        stats = self.Dashboard._sync_from_superset()
        self.assertEqual((stats["created"], stats["updated"], stats["archived"]), (0, 0, 0))
        self.assertEqual(self.Dashboard.sudo().with_context(active_test=False).search_count([]), count)
        registered.invalidate_recordset()
        self.assertEqual({d.id: (d.write_date, d.embedded_uuid, d.name) for d in registered}, before)

    def test_title_change_and_deletion_in_superset(self):
        """A renamed dashboard is renamed with its menu; a deleted one is archived and its
        menu disappears from the menus the web client loads."""
        renamed_id, deleted_id = self.live.create_dashboards(2)
        self.Dashboard._sync_from_superset()
        client = self.live.client()
        client.request("PUT", f"/api/v1/dashboard/{renamed_id}", json={"dashboard_title": "Renamed in Superset"})
        client.request("DELETE", f"/api/v1/dashboard/{deleted_id}")
        stats = self.Dashboard._sync_from_superset()
        self.assertGreaterEqual(stats["archived"], 1)
        renamed, deleted = self._by_superset_id([renamed_id]), self._by_superset_id([deleted_id])
        self.assertEqual((renamed.name, renamed.menu_id.name), ("Renamed in Superset", "Renamed in Superset"))
        self.assertFalse(deleted.active)
        self.assertTrue(deleted.missing_in_superset)
        self.assertFalse(deleted.menu_id.active)
        menus = self.env["ir.ui.menu"].with_user(self.manager).load_menus(False)
        self.assertNotIn(deleted.menu_id.id, menus)
        self.assertIn(renamed.menu_id.id, menus)

    def test_only_managers_sync(self):
        """Denied path: a Superset User cannot sync."""
        with self.assertRaises(AccessError):
            self.env["superset.dashboard"].with_user(self.user_a)._sync_from_superset()

    def test_unreachable_superset_fails_fast_with_a_clear_error(self):
        """Superset down: the sync says so in the user's terms; once the breaker is open
        the next sync fails at once with "Superset is unavailable"."""
        self.configure_superset(url="http://127.0.0.1:9", breaker_threshold=2)
        for _attempt in range(2):
            with self.assertRaisesRegex(UserError, "Superset is unavailable at http://127.0.0.1:9"):
                self.Dashboard._sync_from_superset()
        client = self.env["superset.connector"]._get_client()
        sent = client.attempts
        with self.assertRaisesRegex(UserError, r"^Superset is unavailable \(2 failed calls in a row"):
            self.Dashboard._sync_from_superset()
        self.assertEqual(client.attempts, sent)
        self.env["superset.connector"]._forget_connections()
