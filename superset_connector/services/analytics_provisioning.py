"""Provision Superset for the analytics schema: one database connection that logs in
as the read-only PostgreSQL role, and one dataset per analytics view.

Idempotent: a second run finds the connection by name and updates it (a changed password
or host reaches Superset), creates only the datasets that are missing and refreshes the
columns of the others. The connection is tested by Superset before anything is written,
so a wrong host or password changes nothing in Superset.
"""

import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from .errors import SupersetBadResponse, SupersetError, SupersetNotFound

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseTarget:
    """Where and as whom Superset reads the analytics schema."""

    name: str  # the connection's name in Superset
    host: str
    port: int
    database: str
    username: str
    password: str
    schema: str

    def __repr__(self):
        # The password never shows, not even in a traceback.
        return f"DatabaseTarget({self.name!r}, {self.username}@{self.host}:{self.port}/{self.database})"

    def sqlalchemy_uri(self):
        user, password = quote(self.username, safe=""), quote(self.password, safe="")
        return f"postgresql+psycopg2://{user}:{password}@{self.host}:{self.port}/{quote(self.database, safe='')}"

    def payload(self):
        return {
            "database_name": self.name,
            "sqlalchemy_uri": self.sqlalchemy_uri(),
            "expose_in_sqllab": True,
            # Read-only all the way: PostgreSQL refuses writes to the role anyway.
            "allow_dml": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_file_upload": False,
            "extra": json.dumps({"schemas_allowed_for_file_upload": [], "allows_virtual_table_explore": True}),
        }


@dataclass
class ProvisionReport:
    database_id: int = 0
    database_created: bool = False
    datasets: dict = field(default_factory=dict)  # table name -> Superset dataset id
    created: list = field(default_factory=list)
    refreshed: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)  # table name -> message


def provision(client, target, tables, known_database_id=None, progress=None):
    """Create or update the connection, then a dataset per table in target.schema.

    known_database_id: the connection made last time, if any; it is updated (renamed
    too) when it still exists, else the connection is looked up by name.

    progress(message) is called before each step that talks to Superset. Raises a
    SupersetError (with what to fix) when the connection cannot be made; a dataset that
    cannot be created is reported in ``failed`` and does not stop the others.
    """
    say = progress or (lambda _message: None)
    report = ProvisionReport()
    say(f"Testing Superset's connection to {target.host}:{target.port}/{target.database} as {target.username}")
    check_database_connection(client, target)
    existing = (known_database_id and find_database_by_id(client, known_database_id)) or find_database(
        client, target.name
    )
    if existing:
        say(f"Updating Superset database connection {target.name!r}")
        client.request("PUT", f"/api/v1/database/{existing['id']}", json=target.payload())
        report.database_id = existing["id"]
    else:
        say(f"Creating Superset database connection {target.name!r}")
        report.database_id = client.post_json("/api/v1/database/", target.payload())["id"]
        report.database_created = True
    current = {
        dataset["table_name"]: dataset["id"]
        for dataset in list_datasets(client, report.database_id)
        if dataset.get("schema") == target.schema
    }
    for index, table in enumerate(tables, 1):
        say(f"Dataset {index}/{len(tables)}: {target.schema}.{table}")
        try:
            if table in current:
                # New columns of a changed view become visible in Superset.
                client.request("PUT", f"/api/v1/dataset/{current[table]}/refresh")
                report.refreshed.append(table)
                report.datasets[table] = current[table]
            else:
                body = {"database": report.database_id, "schema": target.schema, "table_name": table}
                report.datasets[table] = client.post_json("/api/v1/dataset/", body)["id"]
                report.created.append(table)
        except SupersetBadResponse as exc:
            message = _dataset_clash(client, table, report.database_id) or exc.text
            _logger.warning("Superset dataset %s.%s: %s", target.schema, table, message)
            report.failed[table] = message
    return report


def _dataset_clash(client, table, database_id):
    """Why a dataset could not be created when another database connection already has
    one of that name: Superset keeping its metadata in SQLite allows each table name
    once in all (its old unique constraint on the name alone cannot be dropped there)."""
    query = {
        "filters": [{"col": "table_name", "opr": "eq", "value": table}],
        "columns": ["id", "database.id", "database.database_name"],
    }
    try:
        found, _count = client.list_all("dataset", query)
    except SupersetError:
        return None
    others = [item for item in found if item.get("database", {}).get("id") != database_id]
    if not others:
        return None
    other = others[0].get("database", {}).get("database_name", "?")
    return _(
        "Superset already has a dataset named %(table)s (database connection %(other)r); a Superset "
        "that keeps its metadata in SQLite accepts each table name only once. Keep Superset's metadata "
        "in PostgreSQL (SQLALCHEMY_DATABASE_URI), or delete that dataset, then connect again.",
        table=table,
        other=other,
    )


def check_database_connection(client, target):
    """Ask Superset to connect to PostgreSQL with the target's settings (writes nothing)."""
    body = {key: value for key, value in target.payload().items() if key in ("database_name", "sqlalchemy_uri")}
    try:
        client.request("POST", "/api/v1/database/test_connection/", json=body)
    except SupersetBadResponse as exc:
        raise SupersetError(
            _(
                "Superset could not log in to PostgreSQL at %(host)s:%(port)s, database %(database)s, as role "
                "%(role)s: %(reason)s.",
                host=target.host,
                port=target.port,
                database=target.database,
                role=target.username,
                reason=postgres_reason(exc.detail or exc.message),
            ),
            _(
                "Check that this host and port reach PostgreSQL from the Superset server (set "
                "SUPERSET_CONNECTOR_ANALYTICS_DB_HOST / _PORT for Superset's view of it), that "
                "pg_hba.conf lets the role in with a password, and create the role again "
                "(Superset ‣ Analytics Views ‣ Create read-only role) if its password changed."
            ),
            status=exc.status,
        ) from exc


# PostgreSQL's words in a failed connection, and what they mean in plain ones.
POSTGRES_REASONS = (
    ("connection refused", _("connection refused (nothing listens on that host and port)")),
    ("password authentication failed", _("password authentication failed")),
    ("could not translate host name", _("the host name does not resolve")),
    ("timeout expired", _("the connection timed out")),
    ("no pg_hba.conf entry", _("pg_hba.conf has no entry for this role and host")),
)


def postgres_reason(text):
    """PostgreSQL's reason in Superset's error text, without the SQLAlchemy wrapping."""
    lowered = text.lower()
    for needle, reason in POSTGRES_REASONS:
        if needle in lowered:
            return reason
    fatal = re.search(r"FATAL:\s*([^\n]+)", text)
    if fatal:
        return fatal.group(1).strip()
    return " ".join(text.split())[:200]


def find_database(client, name):
    """The Superset database connection with exactly this name, or None."""
    return client.find("database", "database_name", name)


def find_database_by_id(client, database_id):
    try:
        return client.get_json(f"/api/v1/database/{int(database_id)}")["result"]
    except SupersetNotFound:
        return None


def list_datasets(client, database_id, columns=("id", "table_name", "schema")):
    """Every dataset of this database connection: [{id, table_name, schema}] (or the columns asked)."""
    query = {
        "filters": [{"col": "database", "opr": "rel_o_m", "value": int(database_id)}],
        "columns": list(columns),
    }
    return client.list_all("dataset", query)[0]
