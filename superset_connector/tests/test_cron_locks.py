"""The jobs that must not run twice at once (the dashboard sync with the bundle import, the
token log's purge) take a transaction-level advisory lock first (superset.analytics.sql
``_lock_job``). Here another transaction, on its own connection as another worker or server
would be, holds that lock: a cron skips with a log line and leaves everything as it was, a
button says at once that a sync is running; once that transaction ends, the same calls run.
tests/e2e/test_crons_two_servers.py shows the same with two Odoo servers."""

import logging

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..models.superset_analytics_sql import (
    DASHBOARD_SYNC,
    JOB_LOCK_NAMESPACE,
    JOB_LOCKS,
    TOKEN_LOG_PURGE,
)
from .common import SupersetCommonMixin

# Levels as numbers: Odoo names its level 25 "INFO" too, which assertLogs would take.
LOCK_LOGGER = "odoo.addons.superset_connector.models.superset_analytics_sql"
DASHBOARD_LOGGER = "odoo.addons.superset_connector.models.superset_dashboard"
# Nothing listens there: a sync that gets past the lock fails at once, and says so.
UNREACHABLE = "http://127.0.0.1:9"


@tagged("post_install", "-at_install")
class TestCronLocks(SupersetCommonMixin, TransactionCase):
    """SupersetCommonMixin: its loopback rule for outbound HTTP, which takes the client's
    (connect, read) timeouts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        for key, value in {"url": UNREACHABLE, "retries": "0", "connect_timeout": "1"}.items():
            params.set_param(f"superset_connector.{key}", value)
        cls.addClassCleanup(cls.env["superset.connector"]._forget_connections)

    def _other_transaction(self, job):
        """Another connection holding the lock of job, as a worker running it would."""
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        self.addCleanup(cr.rollback)
        cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (JOB_LOCK_NAMESPACE, JOB_LOCKS[job]))
        self.assertTrue(cr.fetchone()[0], "nothing else holds the lock")
        return cr

    def test_sync_cron_skips_while_another_sync_runs(self):
        """Denied path: the hourly sync, run while another transaction syncs, logs that it
        skips and goes nowhere near Superset (no failure to reach it is logged); once that
        transaction ended, the same cron runs (and fails to reach the address nothing
        listens at, which shows it got past the lock)."""
        other = self._other_transaction(DASHBOARD_SYNC)
        with (
            self.assertLogs(LOCK_LOGGER, logging.INFO) as skipped,
            self.assertNoLogs(DASHBOARD_LOGGER, logging.WARNING),
        ):
            self.env["superset.dashboard"]._cron_sync()
        self.assertIn(
            "Superset dashboard sync skipped: another worker or server is running it", "\n".join(skipped.output)
        )

        other.rollback()
        with self.assertLogs(DASHBOARD_LOGGER, logging.WARNING) as ran:
            self.env["superset.dashboard"]._cron_sync()
        self.assertIn("Superset dashboard sync failed", "\n".join(ran.output))

    def test_sync_buttons_say_a_sync_is_running(self):
        """Denied path: "Sync from Superset" and "Import" of bundles (which syncs) raise a
        UserError saying a sync is running and to try again, without waiting for it; once
        it ended, the button gets past the lock (to the unreachable Superset)."""
        other = self._other_transaction(DASHBOARD_SYNC)
        for button in (
            self.env["superset.dashboard"].action_sync_from_superset,
            self.env["superset.dashboard.bundle"].action_import,
        ):
            with self.subTest(button=button.__name__), self.assertRaises(UserError) as refused:
                button()
            self.assertIn("Dashboards are being synced with Superset right now", str(refused.exception))
            self.assertIn("Try again in a minute", str(refused.exception))

        other.rollback()
        with self.assertRaises(UserError) as unreachable:
            self.env["superset.dashboard"].action_sync_from_superset()
        self.assertNotIn("being synced", str(unreachable.exception))

    def test_purge_is_a_no_op_while_another_purge_runs(self):
        """Denied path: the retention cron, run manually while another transaction
        purges, deletes nothing and logs that it skipped; afterwards it deletes the old row.
        The recent row stays throughout."""
        Log = self.env["superset.guest.token.log"]
        now = fields.Datetime.now()
        old = Log.create({"outcome": "issued", "create_date": fields.Datetime.subtract(now, days=400)})
        recent = Log.create({"outcome": "issued"})
        cron = self.env.ref("superset_connector.ir_cron_superset_guest_token_log_purge")
        other = self._other_transaction(TOKEN_LOG_PURGE)
        with self.assertLogs(LOCK_LOGGER, logging.INFO) as skipped:
            cron.method_direct_trigger()
            self.assertEqual(Log._cron_purge(), 0)
        self.assertIn("Superset guest token log purge skipped", "\n".join(skipped.output))
        self.assertTrue(old.exists())

        other.rollback()
        cron.method_direct_trigger()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_the_lock_is_held_until_the_transaction_ends_and_is_reentrant(self):
        """The transaction running a job takes its lock again (the sync cron's bundle
        import and dashboard sync lock too), and holds it: another transaction cannot
        take it meanwhile. Each job has its own lock."""
        Sql = self.env["superset.analytics.sql"]
        self.assertTrue(Sql._lock_job(DASHBOARD_SYNC))
        self.assertTrue(Sql._lock_job(DASHBOARD_SYNC, busy_message="unused: this transaction holds it"))
        other = self.registry.cursor()
        self.addCleanup(other.close)
        self.addCleanup(other.rollback)
        other.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s), pg_try_advisory_xact_lock(%s, %s)",
            (JOB_LOCK_NAMESPACE, JOB_LOCKS[DASHBOARD_SYNC], JOB_LOCK_NAMESPACE, JOB_LOCKS[TOKEN_LOG_PURGE]),
        )
        self.assertEqual(other.fetchone(), (False, True))
