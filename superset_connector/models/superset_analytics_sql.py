"""The analytics schema as PostgreSQL holds it: the one helper every analytics statement
goes through, the schema's creation, and what the catalogs say about it (installed
modules, the views it holds, which of them read what)."""

import logging
import time

import psycopg2
from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

SCHEMA = "superset_analytics"
# pg_advisory_*(key1, key2): key1 marks this addon's locks and what they guard, key2 which one.
# Analytics views: key2 is the view's record id (its refresh) or SYNC_LOCK (creating/dropping views).
LOCK_NAMESPACE = 0x5C_A7
SYNC_LOCK = 0
# Jobs that run once at a time across the workers and servers of a database (_lock_job):
# the dashboard sync (with the import of bundles, which syncs), the token log's purge.
JOB_LOCK_NAMESPACE = 0x5C_A8
DASHBOARD_SYNC, TOKEN_LOG_PURGE = "dashboard sync", "guest token log purge"
JOB_LOCKS = {DASHBOARD_SYNC: 1, TOKEN_LOG_PURGE: 2}
# Module states whose tables exist.
INSTALLED_STATES = ("installed", "to upgrade", "to remove")
# A view's readers, then theirs (rewrite rules of views and materialized views).
_READERS = """
    WITH RECURSIVE reader(oid) AS (
        %s
        UNION
        SELECT r.ev_class
          FROM reader
          JOIN pg_depend dep ON dep.refobjid = reader.oid
           AND dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_class'::regclass
          JOIN pg_rewrite r ON r.oid = dep.objid
         WHERE r.ev_class <> reader.oid
    )
    SELECT DISTINCT v.relname
      FROM reader JOIN pg_class v ON v.oid = reader.oid JOIN pg_namespace n ON n.oid = v.relnamespace
     WHERE n.nspname = %s
"""


class SupersetAnalyticsSql(models.AbstractModel):
    """Mixed into every analytics model (``_inherit``): they run SQL only through
    ``_execute``, which logs it and names the view a database error is about."""

    _name = "superset.analytics.sql"
    _description = "Superset Analytics SQL"

    # --- helpers: SQL ---------------------------------------------------------------
    def _execute(self, sql, fetch=None, view_name=None):
        """Run one statement (every statement of the analytics models goes through here).

        Logs the statement without its parameters (they may hold a secret) and its
        duration; a database error becomes a UserError naming the view. ``fetch``:
        None, "one" or "all".
        """
        name = view_name or (getattr(self, "name", None) if len(self) == 1 else None) or SCHEMA
        start = time.monotonic()
        try:
            self.env.cr.execute(sql, log_exceptions=False)
            result = None
            if fetch == "one":
                result = self.env.cr.fetchone()
            elif fetch == "all":
                result = self.env.cr.fetchall()
        except pg_errors.TransactionRollbackError:
            raise  # serialization failure or deadlock: let Odoo retry the transaction
        except psycopg2.Error as e:
            _logger.warning("Superset analytics: %s failed: %s", name, str(e).strip())
            raise UserError(self.env._("Analytics view %(name)s: %(error)s", name=name, error=str(e).strip())) from e
        _logger.debug("Superset analytics: %s: %.1f ms: %s", name, 1000 * (time.monotonic() - start), sql.code)
        return result

    # --- helpers: locks -------------------------------------------------------------
    @api.model
    def _try_xact_lock(self, key1, key2):
        """Take the advisory lock (key1, key2) until this transaction ends, without waiting:
        False when another transaction holds it. Re-entrant: a transaction holding it gets it
        again (a job may call a step that locks too); taken in a savepoint rolled back, it is
        released with it. A worker killed meanwhile holds it until PostgreSQL ends its
        session, which lets the statement running finish first: no second run overlaps it."""
        return self._execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", key1, key2), fetch="one")[0]

    @api.model
    def _lock_job(self, job, busy_message=None):
        """Make this transaction the one running ``job`` (a key of JOB_LOCKS) on every
        worker and server of the database, until it commits or rolls back. Never waits:
        when another transaction runs it, raises UserError(busy_message) when given (a
        button: the user reads why), else logs and returns False (a cron: this run is
        skipped, the one running does the work)."""
        if self._try_xact_lock(JOB_LOCK_NAMESPACE, JOB_LOCKS[job]):
            return True
        if busy_message:
            raise UserError(busy_message)
        _logger.info("Superset %s skipped: another worker or server is running it", job)
        return False

    @api.model
    def _ensure_schema(self):
        """Create the schema when missing (only then: creating needs CREATE on the database,
        which a DBA may have kept for themselves after creating the schema)."""
        if not self._execute(SQL("SELECT 1 FROM pg_namespace WHERE nspname = %s", SCHEMA), fetch="one"):
            self._execute(SQL("CREATE SCHEMA %s", SQL.identifier(SCHEMA)))

    # --- helpers: catalogs ----------------------------------------------------------
    @api.model
    def _installed_modules(self):
        rows = self._execute(SQL("SELECT name FROM ir_module_module WHERE state IN %s", INSTALLED_STATES), fetch="all")
        return {row[0] for row in rows}

    @api.model
    def _existing_objects(self):
        """{name: 'v' | 'm'} of the views and materialized views of the schema."""
        rows = self._execute(
            SQL(
                """SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = %s AND c.relkind IN ('v', 'm')""",
                SCHEMA,
            ),
            fetch="all",
        )
        return dict(rows)

    @api.model
    def _schema_readers(self, direct):
        """Names of the schema's views reading, directly or through other views, what
        the query ``direct`` stands for (it selects the oids of its direct readers)."""
        return {row[0] for row in self._execute(SQL(_READERS, direct, SCHEMA), fetch="all")}

    @api.model
    def _views_reading(self, name):
        """Names of the schema's views reading the schema's view ``name``, directly or
        through others: a DROP ... CASCADE of it takes them along."""
        return self._schema_readers(
            SQL(
                """SELECT r.ev_class FROM pg_depend dep JOIN pg_rewrite r ON r.oid = dep.objid
                    WHERE dep.refobjid = to_regclass(%s) AND r.ev_class <> dep.refobjid
                      AND dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_class'::regclass""",
                f"{SCHEMA}.{name}",
            )
        )

    @api.model
    def _views_depending_on_modules(self, module_names):
        """Names of the schema's views PostgreSQL records as depending (directly, or
        through views reading them) on a table or column Odoo will drop with these
        modules: those of the models and fields whose XML ids all belong to them (the
        rule of ir.model.data._module_data_uninstall; a module extending res.partner also
        holds an XML id of it, which keeps the table)."""
        gone = self._execute(
            SQL(
                """
                WITH gone AS (
                    SELECT d.model, d.res_id
                      FROM ir_model_data d
                     WHERE d.model IN ('ir.model', 'ir.model.fields')
                     GROUP BY d.model, d.res_id
                    HAVING bool_and(d.module IN %s)
                )
                SELECT m.model, NULL, NULL
                  FROM gone JOIN ir_model m ON m.id = gone.res_id AND gone.model = 'ir.model'
                UNION ALL
                SELECT f.model, f.name, f.relation_table
                  FROM gone JOIN ir_model_fields f ON f.id = gone.res_id AND gone.model = 'ir.model.fields'
                """,
                tuple(module_names),
            ),
            fetch="all",
        )

        def table_of(model):
            return self.env[model]._table if model in self.env else model.replace(".", "_")

        tables = {table_of(model) for model, field, _relation in gone if not field}
        tables |= {relation for _model, field, relation in gone if field and relation}
        columns = {(table_of(model), field) for model, field, _relation in gone if field}
        if not (tables or columns):
            return set()
        return self._schema_readers(
            SQL(
                """
                SELECT r.ev_class
                  FROM pg_depend dep
                  JOIN pg_rewrite r ON r.oid = dep.objid
                  JOIN pg_class t ON t.oid = dep.refobjid
                  LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = dep.refobjsubid
                 WHERE dep.classid = 'pg_rewrite'::regclass
                   AND dep.refclassid = 'pg_class'::regclass
                   AND t.oid <> r.ev_class
                   AND (t.relname = ANY(%s)
                        OR (t.relname, a.attname) IN (SELECT * FROM unnest(%s::text[], %s::text[])))
                """,
                sorted(tables) or [""],
                [table for table, _column in sorted(columns)] or [""],
                [column for _table, column in sorted(columns)] or [""],
            )
        )
