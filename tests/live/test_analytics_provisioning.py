"""Connect Superset against the real Superset (services/analytics_provisioning.py): a
database connection and a dataset per view, made once, then refreshed; failures reported."""

import os
import uuid

import pytest

from odoo.addons.superset_connector.services import analytics_provisioning as provisioning
from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import postgres, settings


def _client(superset):
    user, password = settings.superset_admin()
    return SupersetClient(superset.url, user, password, retries=0)


@pytest.fixture
def source_db():
    """A PostgreSQL database with two tables whose names no other test uses, and sales,
    a name the RLS test content already made a dataset of."""
    name = f"sc_test_provision_{os.getpid()}"
    suffix = uuid.uuid4().hex[:8]
    postgres.drop_db(name)
    postgres.psql(f'CREATE DATABASE "{name}"')
    tables = [f"prov_{suffix}_a", f"prov_{suffix}_b"]
    postgres.psql(
        "".join(f"CREATE TABLE {table} (company_id integer, amount numeric);" for table in tables)
        + "CREATE TABLE sales (company_id integer, amount numeric);",
        db=name,
    )
    yield name, tables
    postgres.drop_db(name)


def _target(database, name):
    return provisioning.DatabaseTarget(
        name=name,
        host=settings.pg_host(),
        port=settings.pg_port(),
        database=database,
        username=settings.db_user(),
        password=settings.db_password(),
        schema="public",
    )


def test_provision_once_then_refresh_and_report_what_failed(superset, rls_content, source_db):
    """First run: the connection and a dataset per table; a missing table and a table
    name another connection has already (Superset's SQLite metadata refuses it) are
    reported, with why, and do not stop the others. Second run (connection renamed):
    the same connection and datasets, columns refreshed, nothing created."""
    database, (table_a, table_b) = source_db
    client = _client(superset)
    target = _target(database, f"tests provisioning {uuid.uuid4().hex[:8]}")
    steps = []
    first = provisioning.provision(client, target, [table_a, "no_such_table", table_b, "sales"], progress=steps.append)
    assert first.database_created and first.database_id
    assert first.created == [table_a, table_b]
    assert set(first.failed) == {"no_such_table", "sales"}, first.failed
    assert "could not be found" in first.failed["no_such_table"]
    rls_connection = f"tests {rls_content['source_db']}"
    assert f"dataset named sales (database connection {rls_connection!r})" in first.failed["sales"]
    assert steps[0].startswith("Testing Superset's connection") and len(steps) == 6, steps

    renamed = _target(database, target.name + " renamed")
    second = provisioning.provision(client, renamed, [table_a, table_b], known_database_id=first.database_id)
    assert (second.database_id, second.database_created) == (first.database_id, False)
    assert (second.created, second.refreshed) == ([], [table_a, table_b])
    assert second.datasets == first.datasets
    assert provisioning.find_database(client, renamed.name)["id"] == first.database_id
    assert provisioning.find_database(client, target.name) is None
