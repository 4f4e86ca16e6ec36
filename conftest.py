"""Fixtures shared by the addon tests (superset_connector/tests) and the end-to-end tests.

Nothing here starts a server unless a selected test asks for it: `pytest
superset_connector/services/tests` starts no server and needs no database.

Two real Superset servers start once per pytest session, on the first test that asks for
them, on free ports, from copies of the bootstrapped metadata: a correctly configured one,
caching chart data as production ones do, and a misconfigured one (embedding off, framing
forbidden) for the error paths. Both are stopped by pid at the end. How a test asks:

- a pytest test names the fixture it needs (`superset`, `superset_misconfigured`,
  `rls_content`; `odoo_server` and the rest in tests/conftest.py);
- an addon test class (unittest, run by pytest-odoo) is tagged `superset_live` (with
  `-standard`, so that Odoo's own runner leaves it out unless asked for):
  `@tagged("post_install", "-at_install", "-standard", "superset_live")`. The tag is its
  one declaration: the hook below gives such a class the `live_superset` fixture, which
  publishes the servers in SC_TEST_* environment variables
  (superset_connector/tests/common.py reads them).

Without pytest-odoo's database options (a run of pure tests) no Odoo registry is loaded,
the addon is imported from this repository as Odoo would import it, Odoo's BaseCase
classes run, and one on a database (TransactionCase, HttpCase) fails at once saying so.
"""

import json
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
import pytest_odoo

import odoo  # (odoo.addons too)

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "dev"))
sys.path.insert(0, str(REPO / "tests"))  # superset_fixtures, shared with the addon tests

from devstack import settings  # noqa: E402
from devstack import superset as superset_stack  # noqa: E402
from devstack.procs import free_port  # noqa: E402
from devstack.stack import setup  # noqa: E402

LIVE_TAG = "superset_live"  # superset_connector/tests/common.py checks the same tag
STANDBY_TAG = "superset_standby"  # superset_connector/tests/test_live_standby_stamp.py uses it


def _odoo_database():
    """The database pytest-odoo was given (--odoo-config / --odoo-database), or None."""
    return odoo.tools.config["db_name"] or None


# --- how tests get what they need -----------------------------------------------------------


def pytest_configure(config):
    if not _odoo_database():
        # pytest-odoo parsed no Odoo configuration, so nothing put this repository on
        # Odoo's addons path: do it as Odoo would, and set up what pytest-odoo sets up for
        # Odoo's test classes (their module names, subtests, no retries), so that those
        # needing no database (BaseCase) run here too.
        odoo.addons.__path__.append(str(REPO))
        odoo.tools.config["test_enable"] = True  # a test run: no registry is loaded to mind it
        pytest_odoo.monkey_patch_resolve_pkg_root_and_module_name()
        pytest_odoo.support_subtest()
        pytest_odoo.disable_odoo_test_retry()


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem(collector, name, obj):
    """An addon test class tagged superset_live uses the live_superset fixture."""
    collected = yield
    if isinstance(collected, pytest.Class):
        tags = getattr(collected.obj, "test_tags", ())
        if LIVE_TAG in tags:
            collected.add_marker(pytest.mark.usefixtures("live_superset"))
        if STANDBY_TAG in tags:  # the standby starts for these tests only
            collected.add_marker(pytest.mark.usefixtures("standby"))
    return collected


BENCH_TESTS = "tests/test_benchmarks.py"
FOREGROUND_BENCHMARKS = {"load_bench"}  # run in their test, after every other test's servers
_BACKGROUND = {}  # "smoke": the benchmarks' smoke runs, once started


def pytest_collection_finish(session):
    """The selected benchmarks' smoke runs start now, in the background (tests/bench_smoke.py):
    they overlap the tests before their own. Not the load benchmark's: its standby would
    meet the tests' standby (each drops the other's replication slot as an orphan), so it
    runs in its test."""
    scripts = {
        item.callspec.params["script"]
        for item in session.items
        if item.nodeid.startswith(BENCH_TESTS) and hasattr(item, "callspec")
    }
    if not scripts or session.config.option.collectonly:
        return
    scripts = {script for script in scripts if script.stem not in FOREGROUND_BENCHMARKS}
    from bench_smoke import SmokeRuns  # noqa: PLC0415 (tests/ is on the path from here on)

    folder = Path(os.environ.get("SC_TEST_DIR") or settings.RUN_DIR / "test") / "bench"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _BACKGROUND["smoke"] = SmokeRuns(setup(), sorted(scripts), folder).start()


def pytest_sessionfinish(session):
    runs = _BACKGROUND.pop("smoke", None)
    if runs:
        runs.stop()


@pytest.fixture(scope="session")
def bench_smoke_runs():
    """The benchmarks' smoke runs started at the end of collection."""
    return _BACKGROUND["smoke"]


def pytest_runtest_setup(item):
    odoo_tests = sys.modules.get("odoo.tests")  # imported by every Odoo test module, only then
    cls = getattr(item, "cls", None)
    needs_db = odoo_tests and (odoo_tests.TransactionCase, odoo_tests.SingleTransactionCase)
    if not _odoo_database() and needs_db and isinstance(cls, type) and issubclass(cls, needs_db):
        pytest.fail(
            f"{item.nodeid} is an Odoo test on a database: it needs one with the addon installed. "
            f'Run it with `make test` (PYTEST_ARGS="-k {cls.__name__}" for this class alone).',
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """pytest-odoo's fixture of this name (this one wins): the registry of its database,
    loaded before the first test, as pytest-odoo does; none without a database."""
    if not _odoo_database():
        yield
        return
    threading.current_thread().testing = True
    with pytest_odoo._worker_db_name() as db_name:
        odoo.modules.registry.Registry(db_name)
        yield


@pytest.fixture(scope="session", autouse=True)
def odoo_statics_warm(request):
    """Read every addon manifest once, before the in-process HTTP server serves files in
    parallel threads (CPython 3.11 can fail parsing in several threads at once). Starts
    nothing; autouse because that server (pytest-odoo's, with --odoo-http) is too."""
    if request.config.getoption("--odoo-http", default=False):
        import odoo.http  # noqa: PLC0415

        assert odoo.http.root.statics


# --- the stack and the Superset servers ---------------------------------------------------------


@pytest.fixture(scope="session")
def stack():
    return setup()


@pytest.fixture(scope="session")
def test_dir():
    path = Path(os.environ.get("SC_TEST_DIR") or settings.RUN_DIR / "test") / "servers"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def odoo_port():
    """Port of the end-to-end Odoo server; its origin is the one Superset lets frame it."""
    return free_port()


@pytest.fixture(scope="session")
def superset_servers(stack, test_dir, odoo_port):
    main = superset_stack.Instance(test_dir / "superset", free_port(), odoo_port, data_cache=True)
    misconfigured = superset_stack.Instance(
        test_dir / "superset-misconfigured", free_port(), odoo_port, name="Superset (misconfigured)"
    )
    main.launch(stack.superset_venv)
    misconfigured.launch(stack.superset_venv, embedded=False, allow_framing=False)
    try:
        main.wait()
        misconfigured.wait()
        yield {"main": main, "misconfigured": misconfigured}
    finally:
        main.stop()
        misconfigured.stop()


@pytest.fixture(scope="session")
def rls_content(superset_servers):
    """Tables, datasets, charts and dashboards for the row-level-security tests."""
    import superset_fixtures  # noqa: PLC0415 (imports the addon: once Odoo's addons path is set)

    from odoo.addons.superset_connector.services.superset_client import SupersetClient  # noqa: PLC0415

    user, password = settings.superset_admin()
    client = SupersetClient(superset_servers["main"].url, user, password, retries=0)
    content = superset_fixtures.build(
        client,
        f"sc_test_rls_{os.getpid()}",
        settings.db_user(),
        settings.db_password(),
        settings.pg_host(),
        settings.pg_port(),
    )
    yield content
    superset_fixtures.drop(content["source_db"])


@pytest.fixture(scope="session")
def live_superset(superset_servers, rls_content, odoo_port):
    """What an addon test class tagged superset_live gets: both servers and the RLS
    content, published in the SC_TEST_* variables common.py's LiveSuperset reads."""
    main = superset_servers["main"]
    user, password = settings.superset_admin()
    os.environ.update(
        SC_TEST_SUPERSET_URL=main.url,
        SC_TEST_SUPERSET_MISCONFIGURED_URL=superset_servers["misconfigured"].url,
        SC_TEST_SUPERSET_USER=user,
        SC_TEST_SUPERSET_PASSWORD=password,
        SC_TEST_SUPERSET_GUEST_SECRET=main.guest_token_secret,
        SC_TEST_SUPERSET_GUEST_AUDIENCE=superset_stack.GUEST_AUDIENCE,
        SC_TEST_ODOO_ORIGIN=f"http://127.0.0.1:{odoo_port}",
        SC_TEST_RLS=json.dumps(rls_content),
    )
    return superset_servers


@pytest.fixture(scope="session")
def superset(superset_servers):
    return superset_servers["main"]


@pytest.fixture(scope="session")
def superset_misconfigured(superset_servers):
    return superset_servers["misconfigured"]


# --- the PostgreSQL standby (analytics read from a streaming replica) ------------------------


@pytest.fixture(scope="session")
def standby(stack, test_dir):
    """A hot standby of the stack's PostgreSQL on a free port (dev/devstack/replica.py),
    published in SC_TEST_STANDBY_HOST/_PORT/_DIR for the addon tests; stopped at the end,
    its replication slot dropped."""
    from devstack.replica import Standby  # noqa: PLC0415

    server = Standby(test_dir / "standby", free_port())
    try:
        server.start()
        os.environ.update(
            SC_TEST_STANDBY_HOST=server.host,
            SC_TEST_STANDBY_PORT=str(server.port),
            SC_TEST_STANDBY_DIR=str(server.folder),
        )
        yield server
    finally:
        for name in ("SC_TEST_STANDBY_HOST", "SC_TEST_STANDBY_PORT", "SC_TEST_STANDBY_DIR"):
            os.environ.pop(name, None)
        server.stop()
