"""`make demo`: the demo database, both servers, the banner; `make stop`."""

import signal
import subprocess
import time

from . import odoo, postgres, settings, superset
from .console import SetupError, info, step, warn
from .procs import pick_port, stop_pidfile
from .stack import setup

DEMO_DIR = settings.RUN_DIR / "demo"
ODOO_DIR = DEMO_DIR / "odoo"
SUPERSET_DIR = DEMO_DIR / "superset"
DEMO_DATA = settings.REPO / "dev" / "demo_data.py"
DEMO_SUPERSET = settings.REPO / "dev" / "demo_superset.py"
MODULE = "superset_connector"


def _prepare_database(stack, db, superset_instance):
    """First run: copy the apps template and install the addon; later runs: update it."""
    log = ODOO_DIR / "logs" / "setup.log"
    config = odoo.write_config(ODOO_DIR / "setup.conf", stack.odoo_path, db=db)
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


def start(detach=False):
    stop(quiet=True)
    stack = setup()
    odoo_port = pick_port(settings.odoo_port(), "Odoo", "ODOO_PORT")
    superset_port = pick_port(settings.superset_port(), "Superset", "SUPERSET_PORT")
    if superset_port == odoo_port:
        raise SetupError("ODOO_PORT and SUPERSET_PORT must differ.")
    db = settings.demo_db()
    instance = superset.Instance(SUPERSET_DIR, superset_port, odoo_port)
    instance.prepare(stack.superset_venv)  # the demo database needs its secrets
    _prepare_database(stack, db, instance)
    step(f"Starting Superset on {instance.url}")
    instance.start(stack.superset_venv)
    _superset_content(stack, odoo_port)
    step(f"Starting Odoo on http://127.0.0.1:{odoo_port}")
    try:
        odoo_server = odoo.start(
            stack.odoo_venv, stack.odoo_path, db, odoo_port, ODOO_DIR, extra_args=["--max-cron-threads", "1"]
        )
    except SetupError:
        instance.stop()
        raise
    _banner(db, odoo_port, instance)
    if detach:
        return 0
    return _wait(odoo_server, instance)


def _banner(db, odoo_port, instance):
    user, password = settings.superset_admin()
    print(
        f"""
  superset_connector demo is running
  Odoo      http://127.0.0.1:{odoo_port}/web   database {db}
            admin / admin            (all companies, Superset Manager)
            manager / superset       (all three companies, Superset Manager)
            europe / superset        (Northwind Europe only)
            americas / superset      (Northwind Americas only)
            pacific / superset       (Northwind Pacific only)
  Superset  {instance.url}/   {user} / {password}
  Logs      {ODOO_DIR / "logs" / "odoo.log"}
            {instance.server.log}
  Stop      Ctrl-C here, or `make stop`
""",
        flush=True,
    )


def _wait(odoo_server, instance):
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        while not stopping and odoo_server.running() and instance.server.running():
            time.sleep(1)
    except KeyboardInterrupt:
        print()
    if not stopping and not (odoo_server.running() and instance.server.running()):
        info("A server stopped; stopping the other one.")
    stop()
    return 0


def stop(quiet=False):
    stopped = [
        name
        for name, pidfile in (("Odoo", ODOO_DIR / "odoo.pid"), ("Superset", SUPERSET_DIR / "superset.pid"))
        if stop_pidfile(pidfile)
    ]
    if not quiet:
        step(f"Stopped {' and '.join(stopped)}" if stopped else "Nothing to stop: the demo is not running")
    return 0
