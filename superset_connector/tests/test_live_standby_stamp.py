"""After a refresh, Superset is told (the chart-cache stamp) only once the standby it
reads has replayed the refresh: against the real standby `make test` starts
(dev/devstack/replica.py) and the real Superset.

Tests never commit, so the refresh's commit is stood in for: a transaction committed on
a second connection moves the primary's WAL past the paused standby, as the commit of
the refresh does; then the test calls what runs after the commit
(``_expire_superset_charts``), as test_analytics_refresh does.
"""

import importlib
import json
import os
import socket
import uuid

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, config

from ..services.analytics_provisioning import DatabaseTarget, provision
from ..services.standby import lsn_reached
from ..services.superset_cache import STAMP_KEY
from .analytics_common import SCHEMA, AnalyticsCase
from .common import LIVE_TAG, LiveSupersetMissing, SupersetCommonMixin

STANDBY_TAG = "superset_standby"  # the conftest.py at the repository root starts the standby for it
BEFORE = "before-this-test"
EXPIRE_AFTER_COMMIT = "superset_connector.expire_superset_charts"


@tagged("post_install", "-at_install", "-standard", LIVE_TAG, STANDBY_TAG)
class TestLiveStandbyStamp(SupersetCommonMixin, AnalyticsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_live_superset()
        port = os.environ.get("SC_TEST_STANDBY_PORT")
        if not port:
            raise LiveSupersetMissing(
                f"{cls.__name__} needs the PostgreSQL standby that `make test` starts for classes tagged "
                f"{STANDBY_TAG} (SC_TEST_STANDBY_PORT is not set): run it with `make test`."
            )
        replica = importlib.import_module("devstack.replica")  # on sys.path under pytest only
        cls.standby = replica.Standby(os.environ["SC_TEST_STANDBY_DIR"], int(port))
        cls.address = f"{cls.standby.host}:{cls.standby.port}"
        cls.mv = cls.shipped("mv_sale_monthly")
        cls._make_role()
        cls._make_superset_dataset()
        cls.standby.catch_up()  # the role exists on the standby too

    @classmethod
    def _make_role(cls):
        """A login role for the replay check, committed (the standby replays only that);
        the addon's own role is made by Connect Superset and tested in test_analytics_role."""
        cls.role, password = f"sc_test_standby_ro_{os.getpid()}", uuid.uuid4().hex
        with cls.registry.cursor() as cr:
            cr.execute(SQL("CREATE ROLE %s LOGIN NOINHERIT PASSWORD %s", SQL.identifier(cls.role), password))
            cr.execute(SQL("GRANT CONNECT ON DATABASE %s TO %s", SQL.identifier(cr.dbname), SQL.identifier(cls.role)))

        def drop():
            with cls.registry.cursor() as cr:
                cr.execute(
                    SQL("REVOKE ALL ON DATABASE %s FROM %s", SQL.identifier(cr.dbname), SQL.identifier(cls.role))
                )
                cr.execute(SQL("DROP ROLE %s", SQL.identifier(cls.role)))

        cls.addClassCleanup(drop)
        cls.configure_superset(analytics_db_role=cls.role, analytics_db_password=password)

    @classmethod
    def _make_superset_dataset(cls):
        """A Superset database connection reading the standby, and a dataset of SQL on the
        view (a name of its own: Superset's SQLite metadata takes each table name once)."""
        client = cls.live.client()
        target = DatabaseTarget(
            name=f"sc test standby {uuid.uuid4().hex[:8]}",
            host=cls.standby.host,
            port=cls.standby.port,
            database=cls.env.cr.dbname,
            username=config["db_user"],
            password=config["db_password"] or "",
            schema=SCHEMA,
        )
        database_id = provision(client, target, []).database_id
        cls.addClassCleanup(client.request, "DELETE", f"/api/v1/database/{database_id}")
        cls.dataset_id = client.post_json(
            "/api/v1/dataset/",
            {
                "database": database_id,
                "schema": SCHEMA,
                "table_name": f"sc_standby_{uuid.uuid4().hex[:8]}",
                "sql": "SELECT * FROM superset_analytics.mv_sale_monthly",
            },
        )["id"]
        cls.addClassCleanup(client.request, "DELETE", f"/api/v1/dataset/{cls.dataset_id}")
        cls.configure_superset(analytics_database_id=database_id)

    # --- helpers
    def _stamp(self):
        extra = self.live.client().dataset(self.dataset_id).get("extra")
        return json.loads(extra or "{}").get(STAMP_KEY)

    def _reset_stamp(self):
        self.live.client().request(
            "PUT", f"/api/v1/dataset/{self.dataset_id}", json={"extra": json.dumps({STAMP_KEY: BEFORE})}
        )
        self.assertEqual(self._stamp(), BEFORE)

    def _read_from(self, host, port, max_lag=3600):
        """Where Superset reads the analytics views, as the server's settings say it."""
        self.configure_superset(
            analytics_db_host=host or False, analytics_db_port=port or False, analytics_standby_max_lag=max_lag
        )

    def _paused(self):
        self.standby.pause_replay()
        self.addCleanup(self.standby.resume_replay)  # also when the test fails half-way

    def _commit_elsewhere(self):
        """A transaction committed on another connection: the primary's WAL moves on, as
        with the commit of the refresh."""
        with self.registry.cursor() as cr:
            cr.execute("SELECT txid_current()")

    def _refreshed(self):
        self.assertEqual(self.mv._refresh(force=True), "done")
        self.assertTrue(self.mv.superset_charts_stale)
        self.env.cr.postcommit.clear()  # never run in a test; the tests call it themselves
        self._commit_elsewhere()

    def _retries(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.mv.cron_id.id)])

    # --- tests
    def test_the_stamp_waits_for_the_standby_to_replay_the_refresh(self):
        """Replay paused: after the refresh, Superset's dataset keeps its stamp, the view
        says it waits for the standby (then, past the lag allowed, that the standby lags and
        what to check) and its cron is triggered again. Resumed: the retry writes the stamp
        and the view is clean."""
        self._read_from(self.standby.host, self.standby.port, max_lag=3600)
        self._reset_stamp()
        self.assertTrue(self.mv.cron_id)
        retries = self._retries()
        self._paused()
        self._refreshed()
        paused_at = self.standby.replay_lsn()

        self.mv._expire_superset_charts()  # what the refresh's commit runs
        self.assertEqual(self._stamp(), BEFORE)
        self.assertTrue(self.mv.superset_charts_stale)
        self.assertTrue(self.mv.superset_charts_lsn)
        self.assertFalse(lsn_reached(paused_at, self.mv.superset_charts_lsn))
        self.assertIn(
            f"Waiting for the standby at {self.address} to replay the refresh", self.mv.superset_charts_message
        )
        self.assertGreater(self._retries(), retries)
        target = self.mv.superset_charts_lsn

        # A refresh run meanwhile queues it again, for after its commit.
        self.Views._expire_stale_superset_charts()
        self.assertIn(self.mv.id, self.env.cr.postcommit.data[EXPIRE_AFTER_COMMIT])
        self.env.cr.postcommit.clear()

        # Past the lag allowed (1 s; the wait above took longer), the view says so.
        self._read_from(self.standby.host, self.standby.port, max_lag=1)
        self.mv._expire_superset_charts()  # the retry
        self.assertEqual(self._stamp(), BEFORE)
        message = self.mv.superset_charts_message
        self.assertIn(f"The standby at {self.address} has not replayed the refresh for", message)
        self.assertIn("still shows the older figures", message)
        self.assertIn("pg_stat_replication", message)
        self.assertEqual(self.mv.superset_charts_lsn, target)  # the retry waits for the same refresh

        self.standby.resume_replay()
        self.standby.catch_up()
        self.mv._expire_superset_charts()  # the retry
        self.assertNotEqual(self._stamp(), BEFORE)
        self.assertFalse(self.mv.superset_charts_stale)
        self.assertFalse(self.mv.superset_charts_message)
        self.assertFalse(self.mv.superset_charts_lsn)
        self.assertFalse(self.mv.superset_charts_pending_since)

    def test_a_standby_that_does_not_answer_keeps_the_view_stale(self):
        """Nothing listens where Superset reads: nothing is told, the view says Odoo cannot
        reach it, and it is retried."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        self._read_from("127.0.0.1", closed)
        self._reset_stamp()
        retries = self._retries()
        self._refreshed()
        self.mv._expire_superset_charts()
        self.assertEqual(self._stamp(), BEFORE)
        self.assertTrue(self.mv.superset_charts_stale)
        self.assertTrue(self.mv.superset_charts_lsn)
        self.assertIn(
            f"Odoo cannot reach the analytics database at 127.0.0.1:{closed}", self.mv.superset_charts_message
        )
        self.assertGreater(self._retries(), retries)

    def test_superset_reading_the_primary_is_told_at_once(self):
        """Superset reading Odoo's own server (no analytics host or port): told at once, as
        before standbys, whatever the standby does; nothing is recorded for a standby. With
        the analytics address set to the primary, it is asked, and says it is no standby."""
        self._paused()
        self._read_from(False, False)
        self._reset_stamp()
        self._refreshed()
        self.mv._expire_superset_charts()
        self.assertNotEqual(self._stamp(), BEFORE)
        self.assertFalse(self.mv.superset_charts_stale)
        self.assertFalse(self.mv.superset_charts_message)
        self.assertFalse(self.mv.superset_charts_lsn)

        self._read_from(config["db_host"] or "127.0.0.1", int(config["db_port"] or 5432))
        self._reset_stamp()
        self._refreshed()
        self.mv._expire_superset_charts()
        self.assertNotEqual(self._stamp(), BEFORE)
        self.assertFalse(self.mv.superset_charts_stale)
        self.assertFalse(self.mv.superset_charts_message)

    def test_the_lag_setting_is_saved_from_the_form_and_checked(self):
        """The Settings form stores the lag allowed, read through _get_settings(); a value
        out of its bounds is refused on save."""
        form = self.env["res.config.settings"].create({"superset_analytics_standby_max_lag": 15})
        form.execute()
        self.assertEqual(self.env["superset.connector"]._get_settings().analytics_standby_max_lag, 15)
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"superset_analytics_standby_max_lag": 0})
