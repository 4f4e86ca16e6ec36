"""Fixtures shared by the addon tests (superset_connector/tests) and the end-to-end tests.

Two real Superset servers start once per pytest session on free ports, from copies of
the bootstrapped metadata: a correctly configured one, caching chart data as production
ones do, and a misconfigured one (embedding off, framing forbidden) for the error paths. Addon tests are unittest
classes run by pytest-odoo, so they find the servers through SC_TEST_* environment
variables set here. Both servers are stopped by pid at the end.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "dev"))
sys.path.insert(0, str(REPO / "tests"))  # superset_fixtures, shared with the addon tests

from devstack import settings  # noqa: E402
from devstack import superset as superset_stack  # noqa: E402
from devstack.procs import free_port  # noqa: E402
from devstack.stack import setup  # noqa: E402


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


@pytest.fixture(scope="session", autouse=True)
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
        user, password = settings.superset_admin()
        os.environ.update(
            SC_TEST_SUPERSET_URL=main.url,
            SC_TEST_SUPERSET_MISCONFIGURED_URL=misconfigured.url,
            SC_TEST_SUPERSET_USER=user,
            SC_TEST_SUPERSET_PASSWORD=password,
            SC_TEST_SUPERSET_GUEST_SECRET=main.guest_token_secret,
            SC_TEST_SUPERSET_GUEST_AUDIENCE=superset_stack.GUEST_AUDIENCE,
            SC_TEST_ODOO_ORIGIN=f"http://127.0.0.1:{odoo_port}",
        )
        yield {"main": main, "misconfigured": misconfigured}
    finally:
        main.stop()
        misconfigured.stop()


@pytest.fixture(scope="session", autouse=True)
def rls_content(superset_servers):
    """Tables, datasets, charts and dashboards for the row-level-security tests."""
    import json  # noqa: PLC0415

    import superset_fixtures  # noqa: PLC0415 (needs requests: imported once the venv runs us)

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
    os.environ["SC_TEST_RLS"] = json.dumps(content)
    yield content
    superset_fixtures.drop(content["source_db"])


@pytest.fixture(scope="session", autouse=True)
def odoo_statics_warm(request):
    """Read every addon manifest once, before the in-process HTTP server serves files in
    parallel threads (CPython 3.11 can fail parsing in several threads at once)."""
    if request.config.getoption("--odoo-http", default=False):
        import odoo.http  # noqa: PLC0415

        assert odoo.http.root.statics


@pytest.fixture(scope="session")
def superset(superset_servers):
    return superset_servers["main"]


@pytest.fixture(scope="session")
def superset_misconfigured(superset_servers):
    return superset_servers["misconfigured"]
