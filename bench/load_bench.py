"""Load and faults, in the production profile: VIEWERS simulated viewers open a dashboard
as Odoo's client action does, over and over, while Superset, Redis and the standby fail
one after the other. All traffic on loopback; bounded in time (DURATION) and requests
(MAX_REQUESTS).

One viewer iteration, as the client action and the embedded page make it:
  1. the guest-token route through nginx and Odoo's workers (the `cids` cookie carries
     the active companies; tokens signed by Odoo, local mode);
  2. the client's reachability probe of Superset (GET /health);
  3. every chart of the dashboard's data as the guest, force=false as the page opens it:
     POST /api/v1/chart/data (200 from Redis's cache, or 202 and a Celery job: polled on
     /api/v1/async_event/ every 0.5 s as Superset's page polls, then the result read);
  4. the token renewed (the route again), and the by-company chart refreshed with the
     renewed token, force=true: computed by Celery, on the standby.
A failed iteration is retried after a second, as a user clicking Retry. Every row is
checked: a company the viewer does not have is a foreign row (must stay 0), a figure
other than the data's is a wrong figure.

Phases: warm-up, steady, then each fault in turn with the viewers still running:
  - one Superset gunicorn worker SIGKILLed (gunicorn respawns it);
  - Superset fully down (gunicorn, its workers, the Celery worker and beat) for
    DOWN_SECONDS, then started again; Odoo in API mode for the middle third of the
    outage, to show the route's refusals (in local mode the route needs no Superset);
  - Redis (the bench's own server) restarted, everything it held lost;
  - the standby frozen (SIGSTOP of its processes) for FREEZE_SECONDS: "paused" as
    devstack's Instance.paused means it, a server hung, not down;
  - the standby's WAL replay paused as long: it answers with data as of the pause.
For each: when, how long, how long dashboards were interrupted, time until the first and
until every viewer got a full dashboard again, what users saw meanwhile (each kind once,
with one message; any Traceback flagged), foreign rows and requests never answered.
Superset's Celery worker and beat run under a supervisor, as in production (see
Supervisor): one that exits is started again, and the output says when and why.

Run: make bench NAME=load (VIEWERS=n, SECONDS=n of the steady phase, DOWN_SECONDS,
FREEZE_SECONDS, DURATION, MAX_REQUESTS; SC_BENCH_SMOKE=1 for a run of seconds, see
harness.py). Nothing is asserted; the exit code is 1 when a foreign row was seen, no
dashboard opened at all, or the set-up failed.
"""

import base64
import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import harness
import psycopg2
import requests
from figures import percentile
from odoo_rpc import OdooRpc

from devstack import odoo as odoo_stack
from devstack import production, settings
from devstack import redis as redis_stack
from devstack import superset as superset_stack
from devstack.procs import free_port
from devstack.replica import Standby
from devstack.stack import setup

harness.use_addon()  # before the imports below: they import the addon

import superset_fixtures  # noqa: E402

from odoo.addons.superset_connector.services.guest_token import sign_guest_token  # noqa: E402
from odoo.addons.superset_connector.services.rls import company_rule  # noqa: E402
from odoo.addons.superset_connector.services.superset_client import SupersetClient  # noqa: E402

VIEWERS = harness.size("VIEWERS", 50, 3)
USERS = min(VIEWERS, harness.size("USERS", 12, 3))  # Odoo users; the viewers are their tabs
WARMUP = harness.size("WARMUP_SECONDS", 10, 2)
SECONDS = harness.size("SECONDS", 45, 4)  # the steady phase
DOWN_SECONDS = harness.size("DOWN_SECONDS", 30, 4)
REDIS_DOWN_SECONDS = harness.size("REDIS_DOWN_SECONDS", 2, 1)
FREEZE_SECONDS = harness.size("FREEZE_SECONDS", 20, 3)
SETTLE = harness.size("SETTLE_SECONDS", 10, 2)  # normal traffic after each fault's recovery
OBSERVE = harness.size("OBSERVE_SECONDS", 60, 60)  # at most, waiting for every viewer to be back
DURATION = harness.size("DURATION", 480, 300)  # the load run's bound (the set-up aside)
MAX_REQUESTS = harness.size("MAX_REQUESTS", 400_000, 50_000)
REQUEST_TIMEOUT = 30  # seconds without an answer: a request never answered
CHART_WAIT = 30  # seconds an async chart may take before the viewer gives up on it
POLL = 0.5  # Superset's GLOBAL_ASYNC_QUERIES_POLLING_DELAY: how often its page polls
PROBE_TIMEOUT = 2.5  # the client action's PROBE_TIMEOUT_MS
RETRY_DELAY = 1.0
PASSWORD = "load-bench-pw"
TOKEN_ROUTE = "/superset_connector/dashboards/{}/guest_token"
# What the client action shows when its probe of Superset fails (dashboard_action.js).
PROBE_MESSAGE = "Superset is unavailable: your browser cannot reach {}. Retry in a moment."


@dataclass(frozen=True)
class Chart:
    name: str
    chart_id: int
    dataset_id: int
    columns: tuple


@dataclass
class Iteration:
    """One dashboard opening by one viewer: what it cost and what it showed."""

    viewer: int
    started: float
    ended: float = 0.0
    requests: int = 0
    token_ms: list = field(default_factory=list)
    chart_ms: dict = field(default_factory=lambda: {"open": [], "refresh": []})
    errors: list = field(default_factory=list)  # (kind, message, traceback seen)
    foreign: int = 0
    wrong: int = 0
    unanswered: int = 0
    jtis: list = field(default_factory=list)
    refusals: int = 0
    slow_probes: int = 0  # the client's probe got no answer in time: the page embedded anyway

    @property
    def ok(self):
        return not self.errors


def now():
    return time.perf_counter()


def superset_message(response):
    """What Superset's page would show for a failed call: its JSON message, else the text."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:200] or f"HTTP {response.status_code}, empty body"
    if isinstance(body, dict):
        for key in ("message", "msg", "error"):
            if body.get(key):
                return str(body[key])[:200]
        errors = body.get("errors") or []
        if errors and isinstance(errors[0], dict):
            return str(errors[0].get("message"))[:200]
    return json.dumps(body)[:200]


CONNECTION_ERRORS = (
    "Connection refused",
    "Remote end closed connection without response",
    "Connection reset by peer",
    "Connection aborted",
)


def connection_error(exc):
    """The network's reason, without requests' wrapping (what a browser calls a network error)."""
    text = str(exc)
    return next((known for known in CONNECTION_ERRORS if known in text), text[:160])


def token_jti(token):
    """The jti claim of a token signed by Odoo (to find its audit row)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("jti")


class Viewer(threading.Thread):
    """One browser tab of one Odoo user, opening the dashboard again and again."""

    def __init__(self, bench, index, cookies, companies):
        super().__init__(name=f"viewer-{index}", daemon=True)
        self.bench = bench
        self.index = index
        self.companies = tuple(companies)
        self.odoo = requests.Session()
        self.odoo.cookies.update(cookies)  # the user's session: several tabs share one
        self.odoo.cookies.set("cids", "-".join(map(str, companies)))
        self.superset = requests.Session()  # the embedded page's origin, its async-query cookie
        self.last_event = None
        self.last_ok_end = -1.0

    def run(self):
        bench = self.bench
        while not bench.stopping.is_set() and bench.requests_left():
            it = self.iteration()
            bench.iterations.append(it)
            if it.ok:
                self.last_ok_end = it.ended
            else:
                bench.stopping.wait(RETRY_DELAY)

    def iteration(self):
        it = Iteration(self.index, now())
        try:
            payload = self.token(it)
            if payload and self.probe(it, payload["superset_url"]):
                self.charts(it, payload, self.bench.charts, force=False, kind="open")
                if it.ok:
                    renewed = self.token(it)
                    if renewed:
                        self.charts(it, renewed, [self.bench.by_company], force=True, kind="refresh")
        except Exception as exc:  # a bench bug must show, not stop this viewer
            self.error(it, "bench: unexpected exception", repr(exc))
        it.ended = now()
        return it

    # --- helpers
    def error(self, it, kind, message, text=""):
        it.errors.append((kind, " ".join(str(message).split())[:200], "Traceback" in (text or "")))

    def request(self, it, session, method, url, what, **kwargs):
        """One HTTP call, counted; None when it failed without an answer (recorded)."""
        it.requests += 1
        self.bench.count()
        try:
            return session.request(method, url, timeout=REQUEST_TIMEOUT, **kwargs)
        except requests.Timeout as exc:
            it.unanswered += 1
            self.error(it, f"{what}: no answer within {REQUEST_TIMEOUT} s", type(exc).__name__)
        except requests.ConnectionError as exc:
            self.error(it, f"{what}: connection error", connection_error(exc))
        return None

    # --- the client action
    def token(self, it):
        started = now()
        url = f"{self.bench.odoo_url}{TOKEN_ROUTE.format(self.bench.dashboard)}"
        response = self.request(it, self.odoo, "POST", url, "token route", json={"jsonrpc": "2.0", "params": {}})
        if response is None:
            return None
        if response.status_code != 200:
            self.error(it, f"token route: HTTP {response.status_code}", superset_message(response), response.text)
            return None
        reply = response.json()
        result = reply.get("result") or {}
        if "error" in reply:  # an exception Odoo itself turned into a JSON-RPC error
            message = (reply["error"].get("data") or {}).get("message") or reply["error"].get("message")
            self.error(it, "token route: Odoo error", message, response.text)
            return None
        if result.get("error"):
            refusal = result["error"]
            it.refusals += 1
            retryable = "retryable" if refusal.get("retryable") else "final"
            self.error(it, f"token refused: {refusal.get('code')} ({retryable})", refusal.get("message"), response.text)
            return None
        it.token_ms.append((now() - started) * 1000)
        it.jtis.append(token_jti(result["token"]))
        return result

    def probe(self, it, superset_url):
        """The client's check that Superset answers at all (any answer will do). No answer
        within PROBE_TIMEOUT is "slow": the client embeds the page anyway, and so do we."""
        it.requests += 1
        self.bench.count()
        try:
            self.superset.get(f"{superset_url}/health", timeout=PROBE_TIMEOUT)
        except requests.Timeout:
            it.slow_probes += 1
        except requests.RequestException:
            self.error(it, "Superset unreachable (the client's probe)", PROBE_MESSAGE.format(superset_url))
            return False
        return True

    # --- the embedded page
    def charts(self, it, payload, charts, force, kind):
        """Every chart's data as the embedded page asks for it: all requested, then one poll
        loop for the jobs Celery runs. Milliseconds until each chart's rows, in it.chart_ms."""
        url, guest = payload["superset_url"], {"X-GuestToken": payload["token"], "Accept": "application/json"}
        pending = {}
        for chart in charts:
            started = now()
            response = self.submit(it, url, guest, chart, force)
            if response is None:
                return
            if response.status_code == 200:  # from the cache: no job
                self.check(it, chart, response.json()["result"][0]["data"])
                it.chart_ms[kind].append((now() - started) * 1000)
            else:
                pending[response.json()["job_id"]] = (chart, started)
        deadline = now() + CHART_WAIT
        while pending and now() < deadline and not self.bench.stopping.is_set():
            time.sleep(POLL)
            for event in self.events(it, url, guest):
                if event is None:
                    return
                if event["job_id"] in pending and event["status"] in ("done", "error"):
                    chart, started = pending.pop(event["job_id"])
                    if self.result(it, url, guest, chart, event):
                        it.chart_ms[kind].append((now() - started) * 1000)
        if pending and not self.bench.stopping.is_set():
            it.unanswered += len(pending)
            self.error(it, f"async job: no result within {CHART_WAIT} s", f"{len(pending)} chart(s) still loading")

    def submit(self, it, url, guest, chart, force):
        """POST /api/v1/chart/data: the answer when 200 (cached) or 202 (a job), else None."""
        body = superset_fixtures.chart_data_body(
            self.bench.superset_dashboard,
            chart.chart_id,
            chart.dataset_id,
            chart.columns,
            [superset_fixtures.SUM_AMOUNT],
            force=force,
        )
        for _attempt in range(2):
            response = self.request(
                it, self.superset, "POST", f"{url}/api/v1/chart/data", "chart data", json=body, headers=guest
            )
            # The first answer without the async-query cookie refuses and sets it.
            if response is None or response.status_code != 401 or "async-token" not in self.superset.cookies:
                break
        if response is None or response.status_code in (200, 202):
            return response
        self.error(it, f"chart data: HTTP {response.status_code}", superset_message(response), response.text)
        return None

    def events(self, it, url, guest):
        """The async events since the last one this page saw; a None among them: failed."""
        params = {"last_id": self.last_event} if self.last_event else {}
        events = self.request(
            it, self.superset, "GET", f"{url}/api/v1/async_event/", "async events", params=params, headers=guest
        )
        if events is None:
            return [None]
        if events.status_code != 200:
            self.error(it, f"async events: HTTP {events.status_code}", superset_message(events), events.text)
            return [None]
        found = events.json()["result"]
        if found:
            self.last_event = found[-1]["id"]
        return found

    def result(self, it, url, guest, chart, event):
        """A finished job's rows, read and checked; False when there are none."""
        if event["status"] == "error":
            errors = event.get("errors") or [{}]
            self.error(it, "async job error", errors[0].get("message") or errors, json.dumps(errors))
            return False
        result = self.request(it, self.superset, "GET", f"{url}{event['result_url']}", "chart result", headers=guest)
        if result is None:
            return False
        if result.status_code != 200:
            self.error(it, f"chart result: HTTP {result.status_code}", superset_message(result), result.text)
            return False
        self.check(it, chart, result.json()["result"][0]["data"])
        return True

    def check(self, it, chart, rows):
        """Foreign rows (of a company the viewer does not have) and wrong figures."""
        mine = self.companies
        foreign = wrong = 0
        if chart.columns:
            for row in rows:
                company = int(row["company_id"])
                if company not in mine:
                    foreign += 1
                elif float(row["Total"]) != superset_fixtures.company_total(company):
                    wrong += 1
            if not foreign and sorted(int(row["company_id"]) for row in rows) != sorted(mine):
                wrong += 1
        elif not rows or float(rows[0]["Total"]) != sum(superset_fixtures.company_total(c) for c in mine):
            wrong += 1
        it.foreign += foreign
        it.wrong += wrong
        if foreign:
            self.error(it, "FOREIGN ROWS", f"{chart.name}: company ids {sorted({r.get('company_id') for r in rows})}")
        elif wrong:
            self.error(it, "wrong figures", f"{chart.name}: {json.dumps(rows)[:160]}")


class Bench:
    """The viewers, the shared counters, and the timeline of phases and faults."""

    def __init__(self, odoo_url, dashboard, content):
        self.odoo_url = odoo_url
        self.dashboard = dashboard
        self.superset_dashboard = content["dashboards"]["sales"]
        sales = content["datasets"]["sales"]
        self.by_company = Chart("Sales by company", content["charts"]["by_company"], sales, ("company_id",))
        self.charts = [Chart("Sales total", content["charts"]["total"], sales, ()), self.by_company]
        self.stopping = threading.Event()
        self.iterations = []
        self.viewers = []
        self._requests = itertools.count(1)
        self._sent = 0
        self.t0 = now()
        self.phases = []  # (name, start, end)
        self.faults = []  # dicts, see Faults
        self.restarts = []  # by the Supervisor
        self.cpu = 0.0

    def count(self):
        self._sent = next(self._requests)

    def requests_left(self):
        return self._sent < MAX_REQUESTS

    def elapsed(self):
        return now() - self.t0

    def start(self, logins):
        self.t0 = now()
        self.cpu = _cpu()
        for index in range(VIEWERS):
            cookies, companies = logins[index % len(logins)]
            viewer = Viewer(self, index, cookies, companies)
            self.viewers.append(viewer)
            viewer.start()

    def stop(self):
        self.stopping.set()
        for viewer in self.viewers:
            viewer.join(timeout=REQUEST_TIMEOUT + CHART_WAIT + 10)
        self.cpu = _cpu() - self.cpu

    @contextlib.contextmanager
    def phase(self, name):
        start = now()
        try:
            yield
        finally:
            self.phases.append((name, start, now()))

    def all_back(self, since):
        return all(viewer.last_ok_end >= since for viewer in self.viewers)

    def wait_back(self, since, limit=OBSERVE):
        deadline = now() + limit
        while not self.all_back(since) and now() < deadline and self.requests_left():
            time.sleep(0.2)


def _cpu():
    """CPU seconds of this process (the viewers' threads), not of the servers it started."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Supervisor(threading.Thread):
    """What production runs Superset's Celery processes under (systemd's Restart=always
    with a liveness check, a Kubernetes pod's liveness probe): one that exited, or that
    wrote "Unrecoverable error" in its log (the worker's own word that it is dead; it may
    hang in its warm shutdown after it), is stopped and started again, with the command
    line, environment and folder it had (read from /proc when supervision starts).
    devstack's ProductionInstance has no supervisor; its worker runs without mingle since
    a Redis restart killed it there (kombu 5.6.2, celery/kombu#2582). Should a process die
    anyway, every async chart after it would wait forever and the faults after it would
    measure that instead of themselves: the bench prints each restart it made."""

    def __init__(self, bench, servers):
        super().__init__(name="supervisor", daemon=True)
        self.bench = bench
        self.servers = servers
        self.commands = {}
        self.scanned = {}  # how far each log was read
        self.lock = threading.Lock()  # held while deciding and restarting
        self.enabled = False
        self.restarts = []  # (name, seen dead at, started again at, why)

    def supervise(self):
        """(Re)read each process's command and watch them from now on."""
        with self.lock:
            for server in self.servers:
                pid = server.popen.pid
                with contextlib.suppress(OSError):  # not running: the command known before stays
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
                    environ = Path(f"/proc/{pid}/environ").read_bytes().rstrip(b"\0").split(b"\0")
                    env = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
                    self.commands[server.name] = ([a.decode() for a in argv], env, os.readlink(f"/proc/{pid}/cwd"))
                self.scanned[server.name] = log_size(server.log)
            self.enabled = True

    @contextlib.contextmanager
    def suspended(self):
        """Not watching: the processes are being stopped on purpose."""
        with self.lock:
            self.enabled = False
        try:
            yield
        finally:
            self.supervise()

    def run(self):
        while not self.bench.stopping.wait(0.5):
            with self.lock:
                if not self.enabled:
                    continue
                for server in self.servers:
                    self.check(server)

    def check(self, server):
        fatal = self.fatal_line(server)
        running = server.running()
        if running and not fatal:
            return
        seen = now()
        why = fatal or "exited, no reason in its log"
        if running:
            server.stop(timeout=5)  # it said it is dead but did not exit
            why += " (still running: stopped)"
        argv, env, cwd = self.commands[server.name]
        server.start(argv, env=env, cwd=cwd)
        self.scanned[server.name] = log_size(server.log)
        self.restarts.append((server.name, seen, now(), why))

    def fatal_line(self, server):
        """The first 'Unrecoverable error' line the log gained since the last look, or None."""
        start = self.scanned.get(server.name, 0)
        with contextlib.suppress(OSError), open(server.log, "rb") as handle:
            handle.seek(start)
            text = handle.read()
            # Only whole lines: the rest is read next time.
            self.scanned[server.name] = start + text.rfind(b"\n") + 1
            for line in text[: text.rfind(b"\n") + 1].decode(errors="replace").splitlines():
                if "Unrecoverable error" in line:
                    return line.split("] ", 1)[-1][:160]
        return None


def log_size(log):
    try:
        return log.stat().st_size
    except OSError:
        return 0


# --- the faults ---------------------------------------------------------------------------


def gunicorn_workers(master):
    """Pids of the gunicorn master's live children (its workers)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields_ = stat.read_text().rsplit(") ", 1)[1].split()
            if int(fields_[1]) == master and fields_[0] != "Z":
                children.append(int(stat.parent.name))
    return sorted(children)


class Faults:
    """Each fault caused for real on the bench's own servers, its times recorded."""

    def __init__(self, bench, site, supervisor):
        self.bench = bench
        self.stack, self.instance, self.redis = site.stack, site.instance, site.redis
        self.standby, self.admin = site.standby, site.admin
        self.supervisor = supervisor

    def record(self, name, how, start, end, **notes):
        fault = {"name": name, "how": how, "start": start, "end": end, "notes": notes}
        self.bench.faults.append(fault)
        return fault

    def kill_worker(self):
        master = self.instance.server.popen.pid
        workers = gunicorn_workers(master)
        if not workers:
            raise RuntimeError(f"Superset's gunicorn master {master} has no workers to kill")
        victim = workers[0]
        start = now()
        os.kill(victim, signal.SIGKILL)
        respawned = None
        while now() - start < 60:
            alive = gunicorn_workers(master)
            if len(alive) >= self.instance.workers and victim not in alive:
                respawned = now() - start
                break
            time.sleep(0.05)
        return self.record(
            "worker killed",
            f"SIGKILL of gunicorn worker {victim} (of {len(workers)}); gunicorn forks a new one",
            start,
            start,
            respawned=respawned,
        )

    def superset_down(self):
        with self.supervisor.suspended():
            start = now()
            self.instance.stop()  # Celery beat, Celery worker (warm: running tasks end), gunicorn and its workers
            down = now()
            third = DOWN_SECONDS / 3
            time.sleep(third)
            self.admin.set_params(token_mode="api")
            api_start = now()
            time.sleep(third)
            self.admin.set_params(token_mode="local")
            api_end = now()
            time.sleep(max(0.0, DOWN_SECONDS - (now() - down)))
            end = now()
            self.instance.start(self.stack.superset_venv)
        return self.record(
            "Superset down",
            f"gunicorn, its workers, the Celery worker and beat stopped ({down - start:.1f} s to stop), "
            f"{DOWN_SECONDS} s down, then started; Odoo in API mode for {api_end - api_start:.0f} s of it",
            start,
            end,
            health=now() - end,
            api=(api_start, api_end),
        )

    def redis_restart(self):
        start = now()
        self.redis.restart(down_seconds=REDIS_DOWN_SECONDS)
        return self.record(
            "Redis restarted",
            f"the bench's Redis stopped, {REDIS_DOWN_SECONDS} s down, started empty (no RDB/AOF)",
            start,
            now(),
        )

    def standby_frozen(self):
        start = now()
        self.standby.server.pause()
        try:
            time.sleep(FREEZE_SECONDS)
        finally:
            self.standby.server.resume()
        return self.record(
            "standby frozen",
            f"SIGSTOP of the standby's processes for {FREEZE_SECONDS} s, then SIGCONT (hung, not down)",
            start,
            now(),
        )

    def replay_paused(self):
        start = now()
        with self.standby.replay_paused():
            time.sleep(FREEZE_SECONDS)
        return self.record(
            "standby replay paused",
            f"pg_wal_replay_pause() for {FREEZE_SECONDS} s: it answers, with data as of the pause",
            start,
            now(),
        )

    def schedule(self):
        """(fault, seconds it needs at least) in the order they run."""
        return [
            (self.kill_worker, 30),
            (self.superset_down, DOWN_SECONDS + 90),
            (self.redis_restart, 30),
            (self.standby_frozen, FREEZE_SECONDS + 30),
            (self.replay_paused, FREEZE_SECONDS + 15),
        ]


def timeline(bench, faults):
    """Warm-up, steady, then each fault with its recovery and SETTLE seconds of normal traffic."""
    bench_end = bench.t0 + DURATION
    with bench.phase("warm-up"):
        time.sleep(WARMUP)
    with bench.phase("steady"):
        time.sleep(SECONDS)
    skipped = []
    for fault, needs in faults.schedule():
        if now() + needs > bench_end or not bench.requests_left():
            skipped.append(fault.__name__)
            continue
        phase_start = now()
        record = fault()
        bench.wait_back(record["end"], min(OBSERVE, max(1.0, bench_end - now())))
        time.sleep(min(SETTLE, max(0.0, bench_end - now())))
        bench.phases.append((record["name"], phase_start, now()))
    return skipped


# --- set-up -------------------------------------------------------------------------------


COMPANY_SETS = ("first", "first+second", "third")


def make_site(admin, content):
    """Three companies, USERS users (company 1 / companies 1 and 2 / company 3, in turn),
    the RLS sales dashboard synced and offered to every Superset user; the logins."""
    first = 1
    second = admin.call("res.company", "create", {"name": "Load company 2"})
    third = admin.call("res.company", "create", {"name": "Load company 3"})
    sets = {"first": [first], "first+second": [first, second], "third": [third]}
    user_group = admin.ref("superset_connector.group_superset_user")
    logins = []
    for index in range(USERS):
        companies = sets[COMPANY_SETS[index % len(COMPANY_SETS)]]
        login = f"load_viewer_{index}"
        admin.call(
            "res.users",
            "create",
            {
                "name": f"Load viewer {index}",
                "login": login,
                "password": PASSWORD,
                "company_id": companies[0],
                "company_ids": [[6, 0, companies]],
                "groups_id": [[4, user_group]],
            },
        )
        rpc = OdooRpc(admin.url, admin.db, login, PASSWORD)
        logins.append((rpc.session.cookies, companies))
    admin.call("superset.dashboard", "action_sync_from_superset")
    dashboards = admin.call(
        "superset.dashboard", "search_read", [["superset_dashboard_id", "!=", False]], ["superset_dashboard_id"]
    )
    by_superset_id = {d["superset_dashboard_id"]: d["id"] for d in dashboards}
    sales = by_superset_id[content["dashboards"]["sales"]]
    admin.call("superset.dashboard", "write", [d["id"] for d in dashboards if d["id"] != sales], {"active": False})
    admin.call("superset.dashboard", "write", [sales], {"group_ids": [[5, 0, 0]], "sequence": 1})
    return sales, logins, sets


def _connect(db):
    return psycopg2.connect(host=settings.pg_host(), port=settings.pg_port(), dbname=db, user=settings.db_user())


def database_now(db):
    """The database's clock, in UTC as Odoo stores create_date."""
    with _connect(db) as conn, conn.cursor() as cr:
        cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        return cr.fetchone()[0]


def audit_rows(db, since):
    """(issued jtis, refusals) of the token route in Odoo's audit log since a moment."""
    with _connect(db) as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT outcome, jti FROM superset_guest_token_log WHERE request = 'token' AND create_date >= %s", [since]
        )
        rows = cr.fetchall()
    return {jti for outcome, jti in rows if outcome == "issued"}, sum(1 for outcome, _ in rows if outcome == "refused")


class Site:
    """The production profile of the run, on free ports, each part stopped by pid at the
    end: our Redis, the standby, Superset (PostgreSQL metadata, Redis, Celery, async
    queries; data read from the standby), Odoo's workers behind nginx, the users."""

    def __init__(self, stack):
        self.stack = stack
        self.work = Path(tempfile.mkdtemp(prefix="sc-bench-load-"))
        pid = os.getpid()
        self.db, self.source_db = f"sc_bench_load_{pid}", f"sc_bench_load_rls_{pid}"
        self.metadata_db = f"sc_bench_load_meta_{pid}"
        # The standby's postgres (another OS user) must traverse its folder: not a 0700 temp dir.
        self.standby_dir = settings.RUN_DIR / "bench" / f"load-standby-{pid}"
        self.workers = production.OdooWorkers(self.work / "odoo", free_port(), workers=2)
        self.redis = self.standby = self.instance = self.content = self.admin = None
        self.dashboard, self.logins, self.sets = None, [], {}

    def start(self):
        stack = self.stack
        print(f"setting up the production profile: database {self.db}, logs in {self.work}", flush=True)
        self.redis = redis_stack.start_server(self.work / "redis")  # ours: the fault restarts it, not the system's
        self.standby = Standby(self.standby_dir, free_port())
        self.standby.start()
        self.instance = superset_stack.ProductionInstance(
            self.work / "superset",
            free_port(),
            self.workers.port,
            self.redis,
            self.metadata_db,
            name="Superset (load bench)",
            workers=2,
        )
        odoo_stack.install(stack, stack.template("apps"), self.db, self.work / "install.log")
        self.instance.start(stack.superset_venv)
        superset_fixtures.create_source_database(self.source_db)
        self.content = {"source_db": self.source_db}
        self.standby.catch_up()  # the source database exists on the standby too
        user, password = settings.superset_admin()
        client = SupersetClient(self.instance.url, user, password, retries=0)
        self.content = superset_fixtures.build_content(
            client, self.source_db, settings.db_user(), settings.db_password(), self.standby.host, self.standby.port
        )
        self.workers.start(stack.odoo_venv, stack.odoo_path, self.db)
        self.admin = OdooRpc(self.workers.url, self.db)
        self.admin.use_superset(self.instance, token_mode="local", token_ttl=300)
        self.dashboard, self.logins, self.sets = make_site(self.admin, self.content)

    def stop(self):
        if self.standby is not None:
            with contextlib.suppress(Exception):
                self.standby.server.resume()  # a frozen standby would not stop
            with contextlib.suppress(Exception):
                self.standby.resume_replay()
        self.workers.stop()
        if self.instance is not None:
            self.instance.drop()
        if self.standby is not None:
            self.standby.stop()
            shutil.rmtree(self.standby_dir, ignore_errors=True)
        if self.redis is not None:
            self.redis.stop()
        odoo_stack.drop_db(self.db)
        if self.content:
            superset_fixtures.drop(self.source_db)


def detector_check(bench, site):
    """The foreign-row count itself, shown to work: a token for all three companies, signed
    as Odoo signs them, read by a viewer of the first company only, must count some."""
    companies = sorted({c for members in site.sets.values() for c in members})
    (dashboard,) = site.admin.call("superset.dashboard", "read", [site.dashboard], ["embedded_uuid"])
    token, _expires = sign_guest_token(
        site.instance.guest_token_secret,
        superset_stack.GUEST_AUDIENCE,
        {"username": "load_bench_check", "first_name": "Load", "last_name": "check"},
        [{"type": "dashboard", "id": dashboard["embedded_uuid"]}],
        [company_rule(companies)],
        300,
    )
    viewer = Viewer(bench, -1, {}, site.sets["first"])
    it = Iteration(-1, now())
    viewer.charts(it, {"superset_url": site.instance.url, "token": token}, [bench.by_company], True, "refresh")
    print(
        f"foreign-row count checked: a token for companies {companies} read by a viewer of {site.sets['first']} "
        f"counts {it.foreign} foreign rows{'' if it.foreign else ' -- THE COUNT DOES NOT WORK'}",
        flush=True,
    )
    return it.foreign > 0


def main():
    harness.announce()
    site = Site(setup())
    try:
        site.start()
        print(
            f"running: {VIEWERS} viewers ({USERS} Odoo users, companies {site.sets}), at most {DURATION} s and "
            f"{MAX_REQUESTS} requests",
            flush=True,
        )
        bench = Bench(site.workers.url, site.dashboard, site.content)
        if not detector_check(bench, site):
            return 1
        since = database_now(site.db)
        supervisor = Supervisor(bench, [site.instance.celery_worker, site.instance.celery_beat])
        supervisor.supervise()
        supervisor.start()
        bench.start(site.logins)
        try:
            skipped = timeline(bench, Faults(bench, site, supervisor))
        finally:
            bench.stop()
            supervisor.join(timeout=10)
        bench.restarts = supervisor.restarts
        issued, refused = audit_rows(site.db, since)
    finally:
        site.stop()
    return report(bench, skipped, issued, refused)


# --- the figures --------------------------------------------------------------------------


def pcts(samples):
    if not samples:
        return f"{'-':>7} {'-':>7} {'-':>7}"
    return " ".join(f"{percentile(samples, q):>7.0f}" for q in (0.5, 0.95, 0.99))


def ended_in(iterations, start, end):
    """The iterations that ended in [start, end): what users got then."""
    return [it for it in iterations if start <= it.ended < end]


def kinds(iterations):
    """{kind: [count, one message, a Traceback seen]} of these iterations' errors."""
    found = {}
    for it in iterations:
        for kind, message, traceback in it.errors:
            entry = found.setdefault(kind, [0, message, False])
            entry[0] += 1
            entry[2] = entry[2] or traceback
    return found


def recovery(iterations, fault, window_end):
    """(longest stretch from the fault's start without any viewer completing a full
    dashboard; seconds after its end until the first viewer, and until every viewer,
    completed one again: None when not within the window)."""
    start, end = fault["start"], fault["end"]
    done = sorted(it.ended for it in iterations if it.ok and start <= it.ended < window_end)
    gaps = [b - a for a, b in itertools.pairwise([start, *done, window_end])]
    firsts = {}
    for it in iterations:
        if it.ok and end <= it.ended < window_end:
            firsts[it.viewer] = min(firsts.get(it.viewer, it.ended), it.ended)
    first = min(firsts.values()) - end if firsts else None
    every = max(firsts.values()) - end if len(firsts) == VIEWERS else None
    return max(gaps), first, every


def seconds(value):
    return "never" if value is None else f"{value:.1f}"


def print_phases(bench, iterations):
    print("\nby phase (iterations that ended in it; iter/s: successful ones; latencies: ms of successful calls)")
    print(
        f"{'phase':<22} {'s':>5} {'iter/s':>7} {'req/s':>7} {'failed':>7} {'foreign':>7} "
        f"{'token p50':>9} {'p95':>7} {'p99':>7} {'open p50':>9} {'p95':>7} {'p99':>7} "
        f"{'refresh p50':>11} {'p95':>7} {'p99':>7}"
    )
    for name, start, end in bench.phases:
        its = ended_in(iterations, start, end)
        span = max(end - start, 1e-9)
        ok = [it for it in its if it.ok]
        token = [ms for it in its for ms in it.token_ms]
        opened = [ms for it in its for ms in it.chart_ms["open"]]
        refreshed = [ms for it in its for ms in it.chart_ms["refresh"]]
        print(
            f"{name:<22} {span:>5.0f} {len(ok) / span:>7.1f} {sum(it.requests for it in its) / span:>7.0f} "
            f"{len(its) - len(ok):>7} {sum(it.foreign for it in its):>7} "
            f"  {pcts(token)}   {pcts(opened)}     {pcts(refreshed)}"
        )


def print_kinds(found, prefix):
    for kind, (count, message, traceback) in sorted(found.items(), key=lambda item: -item[1][0]):
        print(f"{prefix}{count:>6} x  {kind}{'  [TRACEBACK]' if traceback else ''}: {message}")


def print_faults(bench, iterations):
    print("\nfaults (s; no dashboard: longest stretch from the fault's start without a full dashboard for")
    print("anyone; back: after the fault ended, the first viewer and every viewer with a full dashboard)")
    print(
        f"{'fault':<22} {'at':>5} {'lasted':>6} {'no dashboard':>12} {'first back':>10} {'all back':>8} "
        f"{'failed':>6} {'foreign':>7} {'unanswered':>10} {'traceback':>9}"
    )
    windows = {name: end for name, _start, end in bench.phases}
    details = []
    for fault in bench.faults:
        window_end = windows[fault["name"]]
        its = ended_in(iterations, fault["start"], window_end)
        gap, first, every = recovery(iterations, fault, window_end)
        seen = kinds(its)
        print(
            f"{fault['name']:<22} {fault['start'] - bench.t0:>5.0f} {fault['end'] - fault['start']:>6.1f} "
            f"{gap:>12.1f} {seconds(first):>10} {seconds(every):>8} {sum(not it.ok for it in its):>6} "
            f"{sum(it.foreign for it in its):>7} {sum(it.unanswered for it in its):>10} "
            f"{'yes' if any(t for _c, _m, t in seen.values()) else 'no':>9}"
        )
        details.append((fault, seen))
    for fault, seen in details:
        notes = fault["notes"]
        extra = []
        if notes.get("respawned") is not None:
            extra.append(f"gunicorn had forked a new worker {notes['respawned']:.1f} s later (its app loads then)")
        if notes.get("health") is not None:
            extra.append(f"Superset answered /health {notes['health']:.1f} s after its start")
        window_end = windows[fault["name"]]
        for name, exited, started, why in bench.restarts:
            if fault["start"] <= exited < window_end:
                extra.append(
                    f"{name} seen dead {exited - fault['end']:.1f} s after the fault's end ({why}); "
                    f"started again by the supervisor {started - exited:.1f} s later"
                )
        print(f"\n{fault['name']}: {fault['how']}{'; ' + '; '.join(extra) if extra else ''}")
        if notes.get("api"):
            api = kinds(ended_in(iterations, *notes["api"]))
            print(f"   in API mode: {', '.join(f'{k} ({v[0]})' for k, v in api.items()) or 'nothing but dashboards'}")
        if not seen:
            print("   users saw dashboards, no error")
        print_kinds(seen, "   users saw")


def report(bench, skipped, issued, refused):
    iterations = [it for it in bench.iterations if it.ended]
    print(
        f"\nload and faults: {VIEWERS} viewers ({USERS} Odoo users), Odoo 2 workers behind nginx, Superset 2 "
        f"gunicorn workers + Celery (2 processes), Redis, data on the standby; {len(iterations)} iterations, "
        f"{sum(it.requests for it in iterations)} requests in {bench.phases[-1][2] - bench.t0:.0f} s"
    )
    print(
        "one iteration: token route, probe, 2 charts (force=false, as the page opens them), token renewed, "
        "by-company chart refreshed (force=true: computed by Celery)"
    )
    steady = next((start, end) for name, start, end in bench.phases if name == "steady")
    lengths = [it.ended - it.started for it in ended_in(iterations, *steady) if it.ok]
    if lengths:
        print(
            f"an iteration lasts {percentile(lengths, 0.5):.1f} s at the median in the steady phase (p95 "
            f"{percentile(lengths, 0.95):.1f} s); the viewers' own process used {bench.cpu:.0f} s of CPU in "
            f"{bench.phases[-1][2] - bench.t0:.0f} s"
        )
    print_phases(bench, iterations)
    print("\nerrors by kind (whole run): count, kind, one message")
    found = kinds(iterations)
    print_kinds(found, "")
    if not found:
        print("     0 x  none")
    slow = sum(it.slow_probes for it in iterations)
    print(f"\nthe client's probe of Superset unanswered within {PROBE_TIMEOUT} s (slow, embedded anyway): {slow}")
    print_faults(bench, iterations)
    print(
        f"\nprocesses started again by the bench's supervisor (as systemd or supervisord would): {len(bench.restarts)}"
    )
    for name, exited, started, why in bench.restarts:
        print(f"   {name} seen dead at {exited - bench.t0:.0f} s: {why}; started again {started - exited:.1f} s later")
    for name in skipped:
        print(f"\nskipped (the run's bound of {DURATION} s or {MAX_REQUESTS} requests): {name}")
    received = {jti for it in iterations for jti in it.jtis}
    print(
        f"\naudit (nothing lost): {len(received)} tokens received, {len(received - issued)} without an audit row; "
        f"{sum(it.refusals for it in iterations)} refusals received, {refused} refusal rows; "
        f"{len(issued - received)} issued rows whose token no viewer received (an answer cut on the way)"
    )
    foreign = sum(it.foreign for it in iterations)
    tracebacks = sum(t for it in iterations for _k, _m, t in it.errors)
    print(
        f"foreign rows seen by any viewer: {foreign} (must be 0); wrong figures: "
        f"{sum(it.wrong for it in iterations)}; answers with a Traceback: {tracebacks}"
    )
    if foreign:
        return 1
    if not any(it.ok for it in ended_in(iterations, *steady)):
        print("no dashboard opened in the steady phase: the set-up does not work", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
