"""The production profile, for the tests of this folder: Odoo with prefork workers and its
gevent process behind nginx, Superset with two gunicorn workers, PostgreSQL metadata,
Redis caches, a Celery worker and beat, async queries on, reading the tests' data from a
streaming-replication standby of PostgreSQL.

Started once per pytest session by the first test that asks, on free ports, stopped by
pid at the end (Superset's metadata database dropped and its Redis keys deleted). Logs
stay in .run/test/production for a look after a failure.
"""

import os
import shutil
from pathlib import Path

import pytest
from odoo_rpc import OdooRpc

from devstack import odoo as odoo_stack
from devstack import production, settings
from devstack import redis as redis_stack
from devstack import superset as superset_stack
from devstack.procs import free_port

PASSWORD = "production-pw"


@pytest.fixture(scope="session")
def production_dir():
    path = Path(os.environ.get("SC_TEST_DIR") or settings.RUN_DIR / "test") / "production"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def production_redis(production_dir):
    """A Redis of ours on a free port, which test_redis_restart.py may restart (`make demo
    PROFILE=production` uses the one on 127.0.0.1:6379 when it answers, never restarted)."""
    server = redis_stack.start_server(production_dir / "redis")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def production_odoo_port():
    """nginx's port: the origin users open Odoo with, the one Superset lets frame it."""
    return free_port()


@pytest.fixture(scope="session")
def production_superset(stack, production_dir, production_redis, production_odoo_port):
    instance = superset_stack.ProductionInstance(
        production_dir / "superset",
        free_port(),
        production_odoo_port,
        production_redis,
        f"sc_superset_test_{os.getpid()}",
        name="Superset (production)",
    )
    try:
        instance.start(stack.superset_venv)
        yield instance
    finally:
        instance.drop()


@pytest.fixture(scope="session")
def production_content(production_superset, standby):
    """The row-level-security content of superset_fixtures in the production Superset,
    its database connection reading the standby (the tables are written on the primary)."""
    # Imported here: they import the addon, on Odoo's addons path only once pytest-odoo set it.
    import superset_fixtures  # noqa: PLC0415

    from odoo.addons.superset_connector.services.superset_client import SupersetClient  # noqa: PLC0415

    source_db = f"sc_test_rls_production_{os.getpid()}"
    superset_fixtures.create_source_database(source_db)
    standby.catch_up()  # the source database exists on the standby too
    user, password = settings.superset_admin()
    client = SupersetClient(production_superset.url, user, password, retries=0)
    content = superset_fixtures.build_content(
        client, source_db, settings.db_user(), settings.db_password(), standby.host, standby.port
    )
    yield content
    superset_fixtures.drop(source_db)


@pytest.fixture(scope="session")
def production_db(stack, production_dir):
    """The database the production Odoo serves: given by `make test`, else built here."""
    given = os.environ.get("SC_TEST_PRODUCTION_DB")
    if given:
        yield given
        return
    db = f"sc_production_{os.getpid()}"
    odoo_stack.install(stack, stack.template("apps"), db, production_dir / "install.log")
    yield db
    odoo_stack.drop_db(db)


@pytest.fixture(scope="session")
def production_odoo(stack, production_dir, production_db, production_odoo_port):
    workers = production.OdooWorkers(production_dir / "odoo", production_odoo_port, workers=2)
    try:
        workers.start(stack.odoo_venv, stack.odoo_path, production_db)
        yield workers
    finally:
        workers.stop()


@pytest.fixture(scope="session")
def production_site(production_odoo, production_db, production_superset, production_content):
    """The production Odoo pointed at the production Superset, users of one and of two
    companies, the RLS dashboards synced and offered to Superset users."""
    admin = OdooRpc(production_odoo.url, production_db)
    admin.use_superset(production_superset, token_mode="local", token_ttl=300)
    first = 1
    second = admin.call("res.company", "create", {"name": "Production company 2"})
    user_group = admin.ref("superset_connector.group_superset_user")

    def make_user(login, companies):
        admin.call(
            "res.users",
            "create",
            {
                "name": login.title(),
                "login": login,
                "password": PASSWORD,
                "company_id": companies[0],
                "company_ids": [[6, 0, companies]],
                "groups_id": [[4, user_group]],
            },
        )
        return OdooRpc(production_odoo.url, production_db, login, PASSWORD)

    one, both = make_user("prod_one", [first]), make_user("prod_both", [first, second])
    admin.call("superset.dashboard", "action_sync_from_superset")
    dashboards = admin.call(
        "superset.dashboard", "search_read", [["superset_dashboard_id", "!=", False]], ["superset_dashboard_id"]
    )
    by_superset_id = {d["superset_dashboard_id"]: d["id"] for d in dashboards}
    sales = by_superset_id[production_content["dashboards"]["sales"]]
    admin.call("superset.dashboard", "write", [d["id"] for d in dashboards if d["id"] != sales], {"active": False})
    admin.call("superset.dashboard", "write", [sales], {"group_ids": [[5, 0, 0]], "sequence": 1})
    admin.warm_assets("/web/login", "/odoo")
    return {
        "admin": admin,
        "url": production_odoo.url,
        "odoo": production_odoo,
        "superset": production_superset,
        "content": production_content,
        "companies": (first, second),
        "one": one,
        "both": both,
        "dashboard": sales,
        "password": PASSWORD,
    }
