"""`make demo` (PROFILE=default or production): the demo database, the servers, the
banner; `make stop`.

The default profile runs Odoo threaded and one Superset process with SQLite metadata.
The production profile runs what production does (dev/devstack/production.py): Odoo's
prefork workers behind nginx, Superset's gunicorn workers with PostgreSQL metadata,
Redis caches, Celery and async queries, reading the analytics views from a standby.
Each profile has its own demo database and Superset metadata; what was started is
recorded in .run/demo/started.json, and `make stop` stops exactly that.
"""

import json
import signal
import subprocess
import time
from pathlib import Path

from . import odoo, postgres, production, replica, settings, superset
from . import redis as redis_stack
from .console import SetupError, info, step, warn
from .procs import pick_port, stop_pidfile
from .stack import setup

DEMO_DIR = settings.RUN_DIR / "demo"
ODOO_DIR = DEMO_DIR / "odoo"
SUPERSET_DIR = DEMO_DIR / "superset"
STARTED = DEMO_DIR / "started.json"
DEMO_DATA = settings.REPO / "dev" / "demo_data.py"
DEMO_SUPERSET = settings.REPO / "dev" / "demo_superset.py"
MODULE = "superset_connector"


def _prepare_database(stack, db, superset_instance, odoo_options):
    """First run: copy the apps template and install the addon; later runs: update it."""
    log = ODOO_DIR / "logs" / "setup.log"
    config = odoo.write_config(ODOO_DIR / "setup.conf", stack.odoo_path, db=db, extra=odoo_options)
    if not postgres.db_exists(db):
        step(f"Creating the demo database {db} with {MODULE}")
        odoo.install(stack, stack.template("apps"), db, log)
    else:
        step(f"Updating {MODULE} in the demo database {db}")
        odoo.run_odoo(
            stack.odoo_venv,
            stack.odoo_path,
            config,
            ["-u", MODULE, "--stop-after-init"],
            log,
            what=f"updating {MODULE} in {db}",
        )
    step("Loading demo companies and users, pointing the addon at the local Superset")
    user, password = settings.superset_admin()
    env = odoo.odoo_env(stack.odoo_path)
    env.update(
        SC_DEMO_URL=superset_instance.url,
        SC_DEMO_USERNAME=user,
        SC_DEMO_PASSWORD=password,
        SC_DEMO_TOKEN_MODE="local",
        SC_DEMO_GUEST_TOKEN_SECRET=superset_instance.guest_token_secret,
        SC_DEMO_GUEST_TOKEN_AUDIENCE=superset.GUEST_AUDIENCE,
    )
    if _odoo_shell(stack, config, DEMO_DATA, log, env) != 0:
        raise SetupError(f"loading the demo data failed; see {log}")


def _odoo_shell(stack, config, script_path, log, env=None):
    """Run a script in `odoo-bin shell` (output appended to log); its exit code."""
    argv = [*odoo.odoo_bin(stack.odoo_venv, stack.odoo_path), "shell", "-c", str(config), "--no-http"]
    with open(script_path, "rb") as script, open(log, "ab") as out:
        return subprocess.run(
            argv,
            stdin=script,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or odoo.odoo_env(stack.odoo_path),
            check=False,
        ).returncode


def _superset_content(stack, odoo_port):
    """Superset reads the analytics views; the "Sales overview" dashboard and the starter
    dashboards, in Odoo's menu.
    A failure here leaves a working demo without that dashboard, and says so."""
    step("Connecting Superset to the analytics views; building the demo and starter dashboards")
    log = ODOO_DIR / "logs" / "setup.log"
    env = dict(
        odoo.odoo_env(stack.odoo_path),
        SC_DEMO_ODOO_URL=f"http://127.0.0.1:{odoo_port}",
    )
    if _odoo_shell(stack, ODOO_DIR / "setup.conf", DEMO_SUPERSET, log, env) != 0:
        warn(f"The demo dashboard could not be built (the rest of the demo works); see {log}")


def start(detach=False, profile="default"):
    if profile not in production.PROFILES:
        raise SetupError(f"Unknown PROFILE={profile!r}: use one of {', '.join(production.PROFILES)}.")
    stop(quiet=True)
    stack = setup()
    odoo_port = pick_port(settings.odoo_port(), "Odoo", "ODOO_PORT")
    superset_port = pick_port(settings.superset_port(), "Superset", "SUPERSET_PORT")
    if superset_port == odoo_port:
        raise SetupError("ODOO_PORT and SUPERSET_PORT must differ.")
    started = {"profile": profile, "pidfiles": [], "standby": None}
    parts = {}
    try:
        if profile == "production":
            parts = _start_production_services(started)
            db = f"{settings.demo_db()}_production"
            instance = superset.ProductionInstance(
                DEMO_DIR / "superset-production", superset_port, odoo_port, parts["redis"], f"{db}_superset"
            )
            # Superset reads the analytics views from the standby (the addon's analytics host/port).
            odoo_options = {
                "superset_connector_analytics_db_host": parts["standby"].host,
                "superset_connector_analytics_db_port": parts["standby"].port,
            }
        else:
            db = settings.demo_db()
            instance = superset.Instance(SUPERSET_DIR, superset_port, odoo_port)
            odoo_options = {}
        instance.prepare(stack.superset_venv)  # the demo database needs its secrets
        _prepare_database(stack, db, instance, odoo_options)
        step(f"Starting Superset on {instance.url}")
        _record(started, *_pidfiles_of(instance))
        instance.start(stack.superset_venv)
        _superset_content(stack, odoo_port)
        step(f"Starting Odoo on http://127.0.0.1:{odoo_port}")
        if profile == "production":
            workers = parts["workers"] = production.OdooWorkers(ODOO_DIR, odoo_port, workers=2, options=odoo_options)
            _record(started, workers.server.pidfile, workers.proxy.server.pidfile)
            workers.start(stack.odoo_venv, stack.odoo_path, db)
            watched = [workers.server, workers.proxy.server, *_servers_of(instance)]
        else:
            odoo_server = odoo.server(ODOO_DIR)
            _record(started, odoo_server.pidfile)
            odoo_server = odoo.start(
                stack.odoo_venv, stack.odoo_path, db, odoo_port, ODOO_DIR, extra_args=["--max-cron-threads", "1"]
            )
            watched = [odoo_server, instance.server]
    except BaseException:
        stop(quiet=True)
        raise
    _banner(db, odoo_port, instance, parts)
    if detach:
        return 0
    return _wait(watched)


def _start_production_services(started):
    """Redis and the PostgreSQL standby, before anything that needs them."""
    found = redis_stack.ensure(DEMO_DIR / "redis")
    if found.ours:
        _record(started, found.server.pidfile)
    port = pick_port(settings.standby_port(), "the PostgreSQL standby", "SC_STANDBY_PORT")
    standby = replica.Standby(DEMO_DIR / "standby", port)
    started["standby"] = {"folder": str(standby.folder), "port": port}
    _save(started)
    standby.start()
    return {"redis": found, "standby": standby}


def _servers_of(instance):
    extra = [instance.celery_worker, instance.celery_beat] if isinstance(instance, superset.ProductionInstance) else []
    return [instance.server, *extra]


def _pidfiles_of(instance):
    return [server.pidfile for server in _servers_of(instance)]


def _record(started, *pidfiles):
    started["pidfiles"].extend(str(p) for p in pidfiles)
    _save(started)


def _save(started):
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    STARTED.write_text(json.dumps(started, indent=1))


def _banner(db, odoo_port, instance, parts):
    user, password = settings.superset_admin()
    lines = [
        "",
        f"  superset_connector demo is running ({'production' if parts else 'default'} profile)",
        f"  Odoo      http://127.0.0.1:{odoo_port}/web   database {db}",
        "            admin / admin            (all companies, Superset Manager)",
        "            manager / superset       (all three companies, Superset Manager)",
        "            europe / superset        (Northwind Europe only)",
        "            americas / superset      (Northwind Americas only)",
        "            pacific / superset       (Northwind Pacific only)",
        f"  Superset  {instance.url}/   {user} / {password}",
    ]
    logs = [ODOO_DIR / "logs" / "odoo.log", instance.server.log]
    if parts:
        workers = parts["workers"]
        lines += [
            f"            {instance.workers} gunicorn workers, Celery worker and beat, async queries on",
            f"            metadata in PostgreSQL database {instance.metadata_db}",
            f"            {workers.workers} prefork workers (HTTP on {workers.http_port}), cron worker, gevent "
            f"process (websocket, {workers.gevent_port}), behind nginx",
            f"  Redis     {parts['redis'].url}"
            + ("" if parts["redis"].ours else " (already running; not ours to stop)"),
            f"  Standby   PostgreSQL on 127.0.0.1:{parts['standby'].port}, streaming from "
            f"{settings.pg_host()}:{settings.pg_port()}; Superset reads the analytics views there",
        ]
        logs += [instance.celery_worker.log, instance.celery_beat.log, ODOO_DIR / "nginx" / "logs" / "error.log"]
    lines.append(f"  Logs      {logs[0]}")
    lines += [f"            {log}" for log in logs[1:]]
    lines += ["  Stop      Ctrl-C here, or `make stop`", ""]
    print("\n".join(lines), flush=True)


def _wait(watched):
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping and all(server.running() for server in watched):
            time.sleep(1)
    except KeyboardInterrupt:
        print()
    if not stopping:
        down = [server.name for server in watched if not server.running()]
        if down:
            info(f"{', '.join(down)} stopped; stopping the rest.")
    stop()
    return 0


def stop(quiet=False):
    """Stop what `make demo` recorded as started, newest first; nothing else."""
    try:
        started = json.loads(STARTED.read_text())
    except (OSError, ValueError):
        started = {"pidfiles": [str(ODOO_DIR / "odoo.pid"), str(SUPERSET_DIR / "superset.pid")], "standby": None}
    stopped = [Path(p).stem for p in reversed(started.get("pidfiles", [])) if stop_pidfile(p)]
    if started.get("standby"):
        standby = replica.Standby(started["standby"]["folder"], started["standby"]["port"])
        if standby.running():
            stopped.append("standby")
        standby.stop()
    STARTED.unlink(missing_ok=True)
    if not quiet:
        step(f"Stopped {', '.join(stopped)}" if stopped else "Nothing to stop: the demo is not running")
    return 0
