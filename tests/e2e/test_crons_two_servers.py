"""The addon's background jobs run once across workers and servers: two Odoo servers on one
database, each as production runs it (prefork: `--workers 2`, one cron worker, the gevent
process on its own port).

The concurrency is made, not hoped for: the test's own connection holds a PostgreSQL lock
the job needs inside its critical section (after it took its advisory lock), so the first
run on server A waits there, visibly (pg_locks, pg_stat_activity), while the same job is
started on server B. B must answer at once - told it is busy, skipped with a log line, or
refused by Odoo's own lock of the cron's row - and once the test lets A through, the job's
effect is there exactly once. Last, both servers' schedulers find the same cron due: one
runs it, the other's sees it taken and skips it.

The servers and their scratch database (a copy of the apps template with the addon) are
shared by the tests of this module; their logs stay in .run/test/e2e/crons-{a,b}/logs.
"""

import contextlib
import threading
import time

import psycopg2
import pytest
from analytics_e2e import analytics_database
from odoo_rpc import OdooRpc

from odoo.addons.superset_connector.models.superset_analytics_sql import (
    DASHBOARD_SYNC,
    JOB_LOCK_NAMESPACE,
    JOB_LOCKS,
    LOCK_NAMESPACE,
    TOKEN_LOG_PURGE,
)

from devstack import odoo as odoo_stack
from devstack import settings
from devstack.procs import free_port

PURGE_CRON = "superset_connector.ir_cron_superset_guest_token_log_purge"
SYNC_CRON = "superset_connector.ir_cron_superset_dashboard_sync"
# Odoo's scheduler says at DEBUG level when it leaves a job another worker holds.
SCHEDULER_DEBUG = "odoo.addons.base.models.ir_cron:DEBUG"
WAIT_S = 90  # a deadline for what must happen, never a timing assertion


def wait_until(condition, what, timeout=WAIT_S, every=None):
    """Poll until condition() is true (every(): called between polls); fail if it never is."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened within {timeout}s: {what}")
        if every:
            every()
        time.sleep(0.2)


def refusal(rpc, model, method, *args):
    """The message of the error a call answers with, as the user reads it."""
    reply = rpc.session.post(
        f"{rpc.url}/web/dataset/call_kw",
        json={"jsonrpc": "2.0", "params": {"model": model, "method": method, "args": args, "kwargs": {}}},
        timeout=WAIT_S,
    ).json()
    assert "error" in reply, f"{model}.{method} answered {reply.get('result')!r}, not an error"
    return reply["error"]["data"]["message"]


class Call:
    """An RPC call made in a thread: it waits inside Odoo for as long as the test holds
    the lock it needs."""

    def __init__(self, function):
        self._outcome = {}
        self._thread = threading.Thread(target=self._run, args=(function,), daemon=True)
        self._thread.start()

    def _run(self, function):
        try:
            self._outcome["result"] = function()
        except Exception as exc:  # re-raised in the test's thread by result()
            self._outcome["error"] = exc

    def waiting(self):
        return self._thread.is_alive()

    def result(self):
        self._thread.join(WAIT_S)
        assert not self._thread.is_alive(), "the call never came back"
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["result"]


class Site:
    """The two servers ("a", "b") on one database, and the test's own connection to it."""

    def __init__(self, db, urls, logs):
        self.db = db
        self.urls = urls
        self.logs = logs
        self.conn = self.connect()
        self.conn.autocommit = True

    def connect(self, db=None):
        return psycopg2.connect(
            host=settings.pg_host(),
            port=settings.pg_port(),
            user=settings.db_user(),
            password=settings.db_password(),
            dbname=db or self.db,
        )

    def rpc(self, server):
        return OdooRpc(self.urls[server], self.db)

    def sql(self, statement, params=None):
        with self.conn.cursor() as cr:
            cr.execute(statement, params)
            return cr.fetchall() if cr.description else None

    @contextlib.contextmanager
    def holding(self, statement):
        """Run statement in a transaction of the test's own and keep it open (with the
        locks it took) until the block ends."""
        conn = self.connect()
        try:
            with conn.cursor() as cr:
                cr.execute(statement)
            yield
        finally:
            conn.rollback()
            conn.close()

    def inside(self, key1, key2):
        """Whether a session holds the advisory lock (key1, key2) and waits on another lock:
        a run of the job inside its critical section, held there by the test."""
        return bool(
            self.sql(
                """SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                      AND l.classid = %s::oid AND l.objid = %s::oid
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND a.wait_event_type = 'Lock'""",
                (key1, key2),
            )
        )

    def wait_inside(self, key1, key2, what, every=None):
        wait_until(lambda: self.inside(key1, key2), what, every=every)

    def marks(self):
        """Where each server's log ends now."""
        return {server: log.stat().st_size for server, log in self.logs.items()}

    def lines(self, marks, text):
        """[(server, line)] of the log lines holding text written since marks."""
        found = []
        for server, log in self.logs.items():
            with open(log, "rb") as handle:
                handle.seek(marks[server])
                found += [
                    (server, line) for line in handle.read().decode(errors="replace").splitlines() if text in line
                ]
        return found

    def wake_schedulers(self):
        """What Odoo does when a cron is triggered: NOTIFY cron_trigger, which every cron
        worker LISTENs to on the postgres database (odoo/service/server.py WorkerCron)."""
        conn = self.connect("postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cr:
                cr.execute("SELECT pg_notify('cron_trigger', %s)", (self.db,))
        finally:
            conn.close()


@pytest.fixture(scope="module")
def site(stack, e2e_dir):
    with analytics_database(stack, e2e_dir, "crons") as db:
        setup = psycopg2.connect(
            host=settings.pg_host(),
            port=settings.pg_port(),
            user=settings.db_user(),
            password=settings.db_password(),
            dbname=db,
        )
        with setup, setup.cursor() as cr:
            # No cron is due when the schedulers start: each test makes due what it needs.
            cr.execute("UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 year'")
            cr.execute("DELETE FROM ir_cron_trigger")
        setup.close()
        servers, urls, logs = [], {}, {}
        try:
            for name in ("a", "b"):
                port = free_port()
                run_dir = e2e_dir / f"crons-{name}"
                args = ["--workers", "2", "--max-cron-threads", "1", "--gevent-port", str(free_port())]
                args += ["--log-handler", SCHEDULER_DEBUG]
                servers.append(odoo_stack.start(stack.odoo_venv, stack.odoo_path, db, port, run_dir, args))
                urls[name], logs[name] = f"http://127.0.0.1:{port}", servers[-1].log
            site = Site(db, urls, logs)
            yield site
            site.conn.close()
        finally:
            for server in servers:
                server.stop()


def test_a_refresh_runs_once_while_the_other_server_is_told_it_is_busy(site):
    """Server A refreshes a materialized view (held inside REFRESH by an outside refresh
    of the same view); meanwhile server B shows the view as refreshing, its "Refresh now"
    says the view is being refreshed, and its run of the view's cron skips it, both at
    once; A then completes. One refresh is logged, A's."""
    a, b = site.rpc("a"), site.rpc("b")
    (view,) = a.call(
        "superset.analytics.view",
        "search_read",
        [["name", "=", "mv_sale_monthly"], ["state", "=", "installed"]],
        ["name", "cron_id", "last_refresh_date"],
    )
    # The refresh held by the test waits for it, not for the 10 s default lock timeout.
    a.set_params(analytics_lock_timeout_ms=WAIT_S * 2000)
    marks = site.marks()
    with site.holding(f"REFRESH MATERIALIZED VIEW CONCURRENTLY superset_analytics.{view['name']}"):
        first = Call(lambda: site.rpc("a").call("superset.analytics.view", "action_refresh_now", [view["id"]]))
        site.wait_inside(LOCK_NAMESPACE, view["id"], "server A's refresh waits inside its critical section")

        (running,) = b.call("superset.analytics.view", "read", [view["id"]], ["refresh_running"])
        assert running["refresh_running"]
        answer = b.call("superset.analytics.view", "action_refresh_now", [view["id"]])
        assert answer["params"]["message"] == f"Already being refreshed by another worker: {view['name']}"
        assert b.call("ir.cron", "method_direct_trigger", [view["cron_id"][0]]) is True
        assert first.waiting()  # B answered while A was still inside
    assert first.result()["params"]["message"] == "Refreshed."

    busy = site.lines(marks, f"Superset analytics: {view['name']} is being refreshed by another worker")
    assert [server for server, _line in busy] == ["b", "b"]  # the button, the cron
    done = site.lines(marks, f"Superset analytics: {view['name']} done in")
    assert [server for server, _line in done] == ["a"]
    (after,) = b.call("superset.analytics.view", "read", [view["id"]], ["last_refresh_date", "last_refresh_status"])
    assert after["last_refresh_status"] == "done"
    assert after["last_refresh_date"] > view["last_refresh_date"]


def _old_log_rows(site, count):
    site.sql(
        """INSERT INTO superset_guest_token_log (create_date, request, outcome)
           SELECT (now() AT TIME ZONE 'UTC') - interval '400 days' - g * interval '1 minute', 'token', 'issued'
             FROM generate_series(1, %s) g""",
        (count,),
    )


def _log_rows(site):
    """(old, recent) rows of the guest token log (the retention is 90 days)."""
    ((old, recent),) = site.sql(
        """SELECT count(*) FILTER (WHERE create_date < (now() AT TIME ZONE 'UTC') - interval '90 days'),
                  count(*) FILTER (WHERE create_date >= (now() AT TIME ZONE 'UTC') - interval '90 days')
             FROM superset_guest_token_log"""
    )
    return old, recent


def _progress(site, cron_id, after_id):
    """[(done, remaining)] Odoo's runs of the cron recorded (one per call) after after_id."""
    return site.sql(
        "SELECT done, remaining FROM ir_cron_progress WHERE cron_id = %s AND id > %s ORDER BY id", (cron_id, after_id)
    )


def _last_progress_id(site):
    return site.sql("SELECT coalesce(max(id), 0) FROM ir_cron_progress")[0][0]


def test_a_purge_runs_once_while_a_second_purge_on_the_other_server_skips(site):
    """Server A runs the retention cron manually (held at its DELETE by a share lock of
    the log table); meanwhile on server B the same cron is refused by Odoo's own lock of
    its row, and a second cron calling the same purge (a copy an administrator made)
    skips it with a log line; A then deletes the 30 old rows, once, as one batch; the
    recent rows stay."""
    a, b = site.rpc("a"), site.rpc("b")
    cron = a.ref(PURGE_CRON)
    (model,) = a.call("ir.model", "search", [["model", "=", "superset.guest.token.log"]])
    copy = a.call(
        "ir.cron",
        "create",
        {
            "name": "Superset: delete old guest token log rows (a copy)",
            "model_id": model,
            "state": "code",
            "code": "model._cron_purge()",
            "interval_number": 1,
            "interval_type": "days",
            "nextcall": "2099-01-01 00:00:00",
            "user_id": a.ref("base.user_root"),  # as the original: the log is written by the system only
        },
    )
    site.sql("DELETE FROM superset_guest_token_log")
    _old_log_rows(site, 30)
    site.sql(
        "INSERT INTO superset_guest_token_log (create_date, outcome) SELECT now(), 'issued' FROM generate_series(1, 3)"
    )
    since = _last_progress_id(site)
    marks = site.marks()
    with site.holding("LOCK TABLE superset_guest_token_log IN SHARE MODE"):
        first = Call(lambda: site.rpc("a").call("ir.cron", "method_direct_trigger", [cron]))
        site.wait_inside(JOB_LOCK_NAMESPACE, JOB_LOCKS[TOKEN_LOG_PURGE], "server A's purge waits at its DELETE")

        assert "This cron task is currently being executed" in refusal(b, "ir.cron", "method_direct_trigger", [cron])
        assert b.call("ir.cron", "method_direct_trigger", [copy]) is True
        assert first.waiting()
    assert first.result() is True

    assert [server for server, _line in site.lines(marks, "Superset guest token log purge skipped")] == ["b"]
    assert _log_rows(site) == (0, 3)
    assert _progress(site, cron, since) == [(30, 0)]
    assert _progress(site, copy, since) == [(0, 0)]  # it ran, deleting nothing
    b.call("ir.cron", "unlink", [copy])


def test_the_schedulers_of_both_servers_run_a_due_cron_once(site):
    """The retention cron made due with both servers' cron workers woken: one scheduler
    takes it (and is held at its DELETE); the other's, woken again while the first is held
    there, finds it due but taken, and leaves it (Odoo's row lock, FOR NO KEY UPDATE SKIP
    LOCKED). Once let through, the job has run once: one start logged, one run recorded,
    the 20 old rows deleted, the next call rescheduled."""
    cron = site.rpc("a").ref(PURGE_CRON)
    site.sql("DELETE FROM superset_guest_token_log")
    _old_log_rows(site, 20)
    since = _last_progress_id(site)
    marks = site.marks()
    started = f"({cron}) starting"
    with site.holding("LOCK TABLE superset_guest_token_log IN SHARE MODE"):
        site.sql(
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') - interval '1 minute' WHERE id = %s", (cron,)
        )
        site.wake_schedulers()
        site.wait_inside(
            JOB_LOCK_NAMESPACE,
            JOB_LOCKS[TOKEN_LOG_PURGE],
            "a scheduler's purge waits at its DELETE",
            every=site.wake_schedulers,
        )
        ((winner, _line),) = site.lines(marks, started)
        loser = "b" if winner == "a" else "a"
        skipped = f"another worker is processing job {cron}, skip"
        held = site.marks()  # from here on the winner is inside the job
        wait_until(
            lambda: any(server == loser for server, _line in site.lines(held, skipped)),
            f"server {loser.upper()}'s scheduler, woken while the job runs, sees it taken",
            every=site.wake_schedulers,
        )
    wait_until(
        lambda: site.sql("SELECT nextcall > now() AT TIME ZONE 'UTC' FROM ir_cron WHERE id = %s", (cron,))[0][0],
        "the cron is rescheduled after its run",
    )

    assert [server for server, _line in site.lines(marks, started)] == [winner]
    assert _progress(site, cron, since) == [(20, 0)]
    assert _log_rows(site) == (0, 0)


def test_a_dashboard_sync_runs_once_while_the_other_server_refuses_or_skips(site, superset, rls_content):
    """Server A syncs the dashboards from Superset (held at its first insert by a share
    lock of the dashboards table); meanwhile on server B the "Sync from Superset" button
    says a sync is running, and the hourly sync cron skips with a log line, both at once;
    A then registers every dashboard, once. Afterwards B's sync finds nothing new."""
    a, b = site.rpc("a"), site.rpc("b")
    a.use_superset(superset)
    sync_cron = a.ref(SYNC_CRON)
    marks = site.marks()
    with site.holding("LOCK TABLE superset_dashboard IN SHARE MODE"):
        first = Call(lambda: site.rpc("a").call("superset.dashboard", "action_sync_from_superset"))
        site.wait_inside(JOB_LOCK_NAMESPACE, JOB_LOCKS[DASHBOARD_SYNC], "server A's sync waits at its first insert")

        assert refusal(b, "superset.dashboard", "action_sync_from_superset") == (
            "Dashboards are being synced with Superset right now (by the hourly sync, a bundle import or another "
            "user). Try again in a minute, once it has finished."
        )
        assert b.call("ir.cron", "method_direct_trigger", [sync_cron]) is True
        assert first.waiting()
    message = first.result()["params"]["message"]

    ((registered, distinct),) = site.sql(
        "SELECT count(*), count(DISTINCT superset_dashboard_id) FROM superset_dashboard"
    )
    assert registered == distinct >= len(rls_content["dashboards"])
    assert message.startswith(f"{registered} new, 0 updated, 0 archived, 0 unchanged.")
    skipped = site.lines(marks, "Superset dashboard sync skipped: another worker or server is running it")
    assert [server for server, _line in skipped] == ["b"]
    again = b.call("superset.dashboard", "action_sync_from_superset")["params"]["message"]
    assert again.startswith("0 new,")
    assert site.sql("SELECT count(*) FROM superset_dashboard")[0][0] == registered
