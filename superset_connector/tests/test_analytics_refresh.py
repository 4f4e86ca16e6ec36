import threading
import time

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import SQL

from .analytics_common import SCHEMA, AnalyticsCase, view_rows


def wait_until(condition, what, timeout=30):
    """Poll a database condition (never a timing assertion: fails only if it never holds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


@tagged("post_install", "-at_install")
class TestAnalyticsRefresh(AnalyticsCase):
    """Refresh of materialized views: skipped when unchanged, concurrent, one at a time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mv, cls.mv_daily = cls.shipped("mv_sale_monthly"), cls.shipped("mv_sale_daily")
        cls.relation = SQL.identifier(SCHEMA, cls.mv.name)
        cls.customer = cls.env["res.partner"].create({"name": "Refresh Test Customer"})
        cls.product = cls.env["product.product"].create({"name": "Refresh Test Product", "list_price": 10.0})

    def _side_cursor(self):
        """A second connection to the database: its own transaction, rolled back at the end."""
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        self.addCleanup(cr.rollback)
        return cr

    def _holding_refresh_lock(self):
        """Another connection in the middle of its own refresh of the view: it holds the
        EXCLUSIVE lock a refresh needs until it rolls back."""
        blocker = self._side_cursor()
        blocker.execute(SQL("REFRESH MATERIALIZED VIEW CONCURRENTLY %s", self.relation))
        return blocker

    def _confirmed_order(self, price):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1, "price_unit": price})],
            }
        )
        order.action_confirm()
        self.env.flush_all()
        return order

    def test_unchanged_sources_skip_changed_sources_refresh(self):
        """Refreshing again with no source table changed skips (nothing written to the view,
        last refresh date kept); once an order is confirmed the next refresh runs and the
        view shows it; a view set not to skip always refreshes."""
        self.assertEqual(self.mv._refresh(), "done")  # other tests of the session may have changed sales
        refreshed_at, fingerprint = self.mv.last_refresh_date, self.mv.source_fingerprint
        self.assertIn('"sale_order_line"', fingerprint)
        self.assertEqual(self.mv._refresh(), "skipped")
        self.assertEqual(self.mv.last_refresh_status, "skipped")
        self.assertEqual(self.mv.last_refresh_date, refreshed_at)

        company = self.env.company
        before = sum(
            row["untaxed_revenue"] for row in view_rows(self.env, "mv_sale_monthly", SQL("company_id = %s", company.id))
        )
        self._confirmed_order(123.45)
        self.assertEqual(self.mv._refresh(), "done")
        self.assertNotEqual(self.mv.source_fingerprint, fingerprint)
        after = sum(
            row["untaxed_revenue"] for row in view_rows(self.env, "mv_sale_monthly", SQL("company_id = %s", company.id))
        )
        self.assertAlmostEqual(float(after - before), 123.45, places=2)

        self.mv.skip_unchanged = False
        self.assertEqual(self.mv._refresh(), "done")

    def test_reader_is_not_blocked_by_a_concurrent_refresh(self):
        """While a refresh CONCURRENTLY holds its lock (in progress, not committed) in one
        connection, another connection reads the view at once. Denied path: during a
        plain REFRESH the same read cannot get its lock (lock_timeout error)."""
        writer, reader = self._side_cursor(), self._side_cursor()
        mv_writer = api.Environment(writer, SUPERUSER_ID, {})["superset.analytics.view"].browse(self.mv.id)
        self.assertEqual(mv_writer._refresh(force=True), "done")
        self.assertEqual(mv_writer.refresh_message, "Concurrent refresh")
        reader.execute(
            """SELECT mode FROM pg_locks WHERE relation = %s::regclass AND pid <> pg_backend_pid() AND granted""",
            [f"{SCHEMA}.{self.mv.name}"],
        )
        self.assertIn("ExclusiveLock", {mode for (mode,) in reader.fetchall()})
        reader.execute("SET lock_timeout = '5s'")
        reader.execute(SQL("SELECT count(*) FROM %s", self.relation))
        self.assertIsNotNone(reader.fetchone())
        writer.rollback()
        reader.rollback()

        writer.execute(SQL("REFRESH MATERIALIZED VIEW %s", self.relation))
        reader.execute("SET lock_timeout = '200ms'")
        with self.assertRaises(pg_errors.LockNotAvailable):
            reader.execute(SQL("SELECT count(*) FROM %s", self.relation), log_exceptions=False)

    def test_two_workers_never_refresh_the_same_view_together(self):
        """Worker A refreshes the view (held inside REFRESH by the lock of an outside
        refresh in progress); meanwhile worker B's refresh of the same view returns "busy" without
        running nor writing, and the record shows a refresh running; a different view
        refreshes normally; A then completes."""
        blocker = self._holding_refresh_lock()
        result = {}

        def worker_a():
            with self.registry.cursor() as cr:
                view = api.Environment(cr, SUPERUSER_ID, {})["superset.analytics.view"].browse(self.mv.id)
                result["a"] = view._refresh(force=True)
                cr.rollback()

        thread = threading.Thread(target=worker_a)
        thread.start()
        try:
            lock_key = self.mv._lock_key()

            def a_holds_lock():
                blocker.execute(
                    """SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
                        AND classid = %s::oid AND objid = %s::oid AND objsubid = 2""",
                    list(lock_key),
                )
                return bool(blocker.fetchone())

            wait_until(a_holds_lock, "worker A takes the refresh lock")
            self.assertTrue(self.mv.refresh_running)
            checked_before = self.mv.last_check_date
            self.assertEqual(self.mv._refresh(force=True), "busy")
            self.assertEqual(self.mv.last_check_date, checked_before)
            self.assertEqual(self.mv_daily._refresh(force=True), "done")
        finally:
            blocker.rollback()
            thread.join(60)
        self.assertEqual(result.get("a"), "done")

    def test_lock_timeout_fails_this_refresh_only(self):
        """A refresh that cannot get its lock within the configured lock_timeout fails:
        status error with PostgreSQL's reason on the record; the transaction goes on and
        its own timeouts are unchanged."""
        self.env["ir.config_parameter"].set_param("superset_connector.analytics_lock_timeout_ms", "100")
        blocker = self._holding_refresh_lock()
        self.env.cr.execute("SHOW lock_timeout")
        before = self.env.cr.fetchone()[0]
        self.assertEqual(self.mv._refresh(force=True), "error")
        self.assertIn("lock timeout", self.mv.refresh_message)
        self.assertIn("mv_sale_monthly", self.mv.refresh_message)
        self.env.cr.execute("SHOW lock_timeout")
        self.assertEqual(self.env.cr.fetchone()[0], before)
        blocker.rollback()
        self.assertEqual(self.mv._refresh(force=True), "done")

    def test_statement_timeout_cancels_a_long_refresh(self):
        """A refresh running longer than the configured statement_timeout is cancelled and
        recorded as failed; with the default timeout it succeeds. A filled view has planner
        statistics."""
        slow = self.Views.create(
            {
                "name": "mv_test_slow",
                "sql_file": "tests/sql_views/mv_test_slow.sql",
                "kind": "materialized",
                "unique_key": "company_id",
            }
        )
        slow._sync_views()
        self.assertEqual((slow.state, slow.last_refresh_status), ("installed", "done"))
        # Analyzed after its fill: column statistics exist, so queries on it are planned for its rows.
        self.env.cr.execute(
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'superset_analytics' AND tablename = 'mv_test_slow'"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 2)
        self.env["ir.config_parameter"].set_param("superset_connector.analytics_statement_timeout_ms", "100")
        self.assertEqual(slow._refresh(force=True), "error")
        self.assertIn("statement timeout", slow.refresh_message)
        self.env["ir.config_parameter"].set_param("superset_connector.analytics_statement_timeout_ms", "60000")
        self.assertEqual(slow._refresh(force=True), "done")

    def test_a_refresh_waits_for_the_commit_to_tell_superset(self):
        """A refresh that changed data marks the view's Superset charts stale and leaves
        telling Superset to after the commit (tests never commit: it stays queued); a
        busy or skipped refresh queues nothing. Where Superset was never connected to
        the views, there is nothing to tell and the mark goes."""
        self.assertEqual(self.mv._refresh(force=True), "done")
        self.assertTrue(self.mv.superset_charts_stale)
        self.assertEqual(self.env.cr.postcommit.data["superset_connector.expire_superset_charts"], {self.mv.id})
        self.env.cr.postcommit.clear()
        self.assertEqual(self.mv._refresh(), "skipped")
        self.assertNotIn("superset_connector.expire_superset_charts", self.env.cr.postcommit.data)

        self.env["ir.config_parameter"].sudo().set_param("superset_connector.analytics_database_id", False)
        self.mv._expire_superset_charts()
        self.assertFalse(self.mv.superset_charts_stale)
        self.assertFalse(self.mv.superset_charts_message)
