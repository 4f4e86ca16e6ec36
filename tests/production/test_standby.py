"""The PostgreSQL standby of the production profile (dev/devstack/replica.py): it replays
what the primary commits, lags while its replay is paused, lets the addon's read-only
role read the analytics schema, and refuses every write.

A scratch database on the primary holds a schema superset_analytics and the read-only
role of sql_views/readonly_role.sql (what a DBA runs), so no Odoo database is touched.
(That the role cannot write on the primary is test_analytics_role's
test_role_selects_views_and_nothing_else.)
"""

import contextlib
import os
import subprocess
import uuid

import psycopg2
import pytest
from psycopg2 import errors as pg_errors

from devstack import settings
from devstack.replica import parse_lsn

ROLE_SQL = settings.REPO / "superset_connector" / "sql_views" / "readonly_role.sql"


@contextlib.contextmanager
def _connect(host, port, db, user):
    connection = psycopg2.connect(host=host, port=port, dbname=db, user=user, connect_timeout=10)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def _primary(db="postgres", user="postgres"):
    return _connect(settings.pg_host(), settings.pg_port(), db, user)


def _one(connection, sql, params=None):
    with connection.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchone()[0] if cr.description else None


@pytest.fixture(scope="module")
def scratch(standby):
    """A database on the primary with superset_analytics.figures (readable by the role)
    and public.secrets (not), the read-only role made by readonly_role.sql; replayed."""
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    db, role, odoo_role = f"sc_test_standby_{suffix}", f"sc_test_standby_ro_{suffix}", settings.db_user()
    with _primary() as admin:
        _one(admin, f'CREATE DATABASE "{db}" OWNER "{odoo_role}"')
    try:
        subprocess.run(
            [
                "psql",
                "-X",
                "-q",
                "-h",
                settings.pg_host(),
                "-p",
                str(settings.pg_port()),
                "-U",
                "postgres",
                "-d",
                db,
                "-v",
                f"role={role}",
                "-v",
                f"odoo_role={odoo_role}",
                "-f",
                str(ROLE_SQL),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        with _primary(db, odoo_role) as owner:
            _one(owner, "CREATE TABLE superset_analytics.figures (id int PRIMARY KEY, amount numeric)")
            _one(owner, "INSERT INTO superset_analytics.figures VALUES (1, 100)")
            _one(owner, "CREATE TABLE public.secrets (value text)")
            _one(owner, "INSERT INTO public.secrets VALUES ('not for Superset')")
        standby.catch_up()
        yield {"db": db, "role": role, "owner": odoo_role}
    finally:
        with _primary() as admin:
            _one(admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            _one(admin, f'DROP ROLE IF EXISTS "{role}"')


def _on_standby(standby, scratch, user=None):
    return _connect(standby.host, standby.port, scratch["db"], user or scratch["role"])


def test_a_table_written_on_the_primary_is_read_on_the_standby(standby, scratch):
    with _primary(scratch["db"], scratch["owner"]) as owner:
        _one(owner, "CREATE TABLE public.replicated (note text)")
        _one(owner, "INSERT INTO public.replicated VALUES ('from the primary')")
    standby.catch_up()
    with _on_standby(standby, scratch, user="postgres") as reader:
        assert _one(reader, "SELECT pg_is_in_recovery()") is True
        assert _one(reader, "SELECT note FROM public.replicated") == "from the primary"


def test_with_replay_paused_a_new_row_waits_for_the_resume(standby, scratch):
    """Paused, the standby still answers, with the data as of the pause: a row committed on
    the primary meanwhile is not there; after the resume it is."""
    with _on_standby(standby, scratch) as reader:
        with standby.replay_paused():
            paused_at = standby.replay_lsn()
            with _primary(scratch["db"], scratch["owner"]) as owner:
                _one(owner, "INSERT INTO superset_analytics.figures VALUES (2, 250)")
                committed = _one(owner, "SELECT pg_current_wal_lsn()::text")
            assert parse_lsn(committed) > parse_lsn(paused_at)
            assert _one(reader, "SELECT count(*) FROM superset_analytics.figures WHERE id = 2") == 0
            assert standby.replay_lsn() == paused_at
        standby.catch_up()
        assert _one(reader, "SELECT amount FROM superset_analytics.figures WHERE id = 2") == 250


def test_the_read_only_role_reads_the_analytics_schema_on_the_standby(standby, scratch):
    """The role of readonly_role.sql logs in on the standby, reads superset_analytics and
    may ask how far the standby has replayed (pg_last_wal_replay_lsn() is executable by
    every role in PostgreSQL 15, and readonly_role.sql revokes nothing in pg_catalog), which
    is what the addon asks before telling Superset about a refresh."""
    with _on_standby(standby, scratch) as reader:
        assert _one(reader, "SELECT current_user") == scratch["role"]
        assert _one(reader, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
        assert _one(reader, "SELECT amount FROM superset_analytics.figures WHERE id = 1") == 100
        assert _one(reader, "SELECT has_function_privilege('pg_last_wal_replay_lsn()', 'EXECUTE')") is True
        replayed = _one(reader, "SELECT pg_last_wal_replay_lsn()::text")
        assert parse_lsn(replayed) > 0
        assert _one(reader, "SELECT pg_is_in_recovery()") is True


def test_the_read_only_role_is_denied_the_rest_on_the_standby(standby, scratch):
    """Denied paths: Odoo's other tables, and holding replay back (which would freeze
    every dashboard's figures) are refused to the role."""
    with _on_standby(standby, scratch) as reader:
        with pytest.raises(pg_errors.InsufficientPrivilege):
            _one(reader, "SELECT value FROM public.secrets")
        with pytest.raises(pg_errors.InsufficientPrivilege):
            _one(reader, "SELECT pg_wal_replay_pause()")
    assert standby.psql("SELECT pg_get_wal_replay_pause_state()") == "not paused"


@pytest.mark.parametrize("user", ["role", "postgres"])
def test_the_standby_refuses_writes(standby, scratch, user):
    """Whoever asks, the read-only role or a superuser: a standby is read-only."""
    with _on_standby(standby, scratch, user=scratch["role"] if user == "role" else "postgres") as writer:
        for statement in (
            "INSERT INTO superset_analytics.figures VALUES (99, 1)",
            "UPDATE superset_analytics.figures SET amount = 0",
            "CREATE TABLE superset_analytics.intruder (id int)",
        ):
            with pytest.raises(pg_errors.ReadOnlySqlTransaction):
                _one(writer, statement)
        # Not even a read-write transaction can be asked for.
        with pytest.raises(psycopg2.Error, match="recovery"):
            _one(writer, "BEGIN READ WRITE; INSERT INTO public.secrets VALUES ('x'); COMMIT")
    with _primary(scratch["db"], scratch["owner"]) as owner:
        assert _one(owner, "SELECT count(*) FROM superset_analytics.figures WHERE id = 99") == 0
