"""The analytics SQL layer: views and materialized views in schema ``superset_analytics``.

One ``superset.analytics.view`` record per view, loaded from ``data/``; its SELECT lives in
``sql_views/``. A view exists exactly while the apps it reads are installed: the records
are synchronised with the installed modules whenever a registry loads (``_register_hook``:
after every install, upgrade or uninstall, from the Apps menu or from the command line),
and the views of an app being removed are dropped before Odoo drops the app's tables
(``ir.module.module.module_uninstall``, see ``ir_module_module.py``).

Materialized views are refreshed by one cron each, ``CONCURRENTLY`` once filled (readers
are never blocked), under a PostgreSQL advisory lock (two workers never refresh the same
view), with lock and statement timeouts, and not at all when none of their source tables
changed since the last refresh.
"""

import hashlib
import json
import logging
import os
import re
import time

import psycopg2
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, config
from odoo.tools.misc import file_open

from ..services import analytics_sql

_logger = logging.getLogger(__name__)

MODULE = "superset_connector"
SCHEMA = "superset_analytics"
# pg_advisory_*(key1, key2): key1 marks this addon's analytics locks, key2 is the view's
# record id (refresh) or 0 (creating/dropping views).
LOCK_NAMESPACE = 0x5C_A7
SYNC_LOCK = 0
# Module states whose tables exist.
INSTALLED_STATES = ("installed", "to upgrade", "to remove")
STRUCTURE_FIELDS = {"name", "sql_file", "required_modules", "kind", "unique_key", "index_columns"}
INTERVAL_FIELDS = {"refresh_interval_number", "refresh_interval_type"}
SQL_FILE = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*\.sql$")
VIEW_NAME = re.compile(r"^(vw|mv)_[a-z0-9_]+$")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
DEFAULT_LOCK_TIMEOUT_MS = 10_000
DEFAULT_STATEMENT_TIMEOUT_MS = 30 * 60_000
# Settings of the read-only role: environment variable, odoo.conf key, ir.config_parameter key.
# (names of settings, not passwords)
PASSWORD_ENV = "SUPERSET_CONNECTOR_ANALYTICS_DB_PASSWORD"
PASSWORD_CONF = "superset_connector_analytics_db_password"
PASSWORD_PARAM = "superset_connector.analytics_db_password"
ROLE_ENV = "SUPERSET_CONNECTOR_ANALYTICS_DB_ROLE"
ROLE_CONF = "superset_connector_analytics_db_role"
ROLE_PARAM = "superset_connector.analytics_db_role"
PUBLIC_CREATE_PARAM = "superset_connector.analytics_public_create"
HOST_ENV = "SUPERSET_CONNECTOR_ANALYTICS_DB_HOST"
HOST_CONF = "superset_connector_analytics_db_host"
PORT_ENV = "SUPERSET_CONNECTOR_ANALYTICS_DB_PORT"
PORT_CONF = "superset_connector_analytics_db_port"
# Sessions of the read-only role: read-only transactions, bounded queries and connections.
ROLE_STATEMENT_TIMEOUT = "120s"
ROLE_CONNECTION_LIMIT = 20


class SupersetAnalyticsView(models.Model):
    """A view (``vw_*``) or materialized view (``mv_*``) of schema superset_analytics."""

    _name = "superset.analytics.view"
    _description = "Superset Analytics View"
    _order = "sequence, name"

    # --- fields ---------------------------------------------------------------------
    name = fields.Char(
        required=True,
        help="Name of the view in schema superset_analytics: vw_* for a view, mv_* for a materialized view.",
    )
    description = fields.Char(translate=True)
    sequence = fields.Integer(default=10)
    sql_file = fields.Char(
        string="SQL File",
        required=True,
        help="The view's SELECT statement, a file of the superset_connector module (e.g. sql_views/sale_daily.sql).",
    )
    required_modules = fields.Char(
        string="Required Apps",
        required=True,
        default="base",
        help="Technical names of the modules whose tables the view reads, comma-separated: "
        "the view exists only while all of them are installed.",
    )
    optional_modules = fields.Char(
        string="Optional Apps",
        compute="_compute_optional_modules",
        help="Modules that add columns to the view when installed (the --@if blocks of its SQL file).",
    )
    missing_modules = fields.Char(string="Missing Apps", compute="_compute_missing_modules")
    kind = fields.Selection(
        [("view", "View"), ("materialized", "Materialized view")],
        required=True,
        default="view",
    )
    unique_key = fields.Char(
        help="Materialized views: the columns (comma-separated, plain columns) of the unique index that "
        "REFRESH ... CONCURRENTLY needs.",
    )
    index_columns = fields.Text(
        string="Extra Indexes",
        help="Materialized views: one index per line, its columns comma-separated.",
    )
    refresh_interval_number = fields.Integer(string="Refresh Every", default=1)
    refresh_interval_type = fields.Selection(
        [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days"), ("weeks", "Weeks")],
        string="Refresh Unit",
        default="hours",
    )
    skip_unchanged = fields.Boolean(
        string="Skip When Unchanged",
        default=True,
        help="Refreshes do nothing while none of the view's source tables changed since the last refresh.",
    )
    cron_id = fields.Many2one("ir.cron", string="Refresh Cron", readonly=True, copy=False, ondelete="set null")
    state = fields.Selection(
        [("waiting", "Waiting for an app"), ("installed", "Installed"), ("error", "Error")],
        required=True,
        default="waiting",
        readonly=True,
        copy=False,
    )
    error_message = fields.Text(readonly=True, copy=False)
    applied_hash = fields.Char(
        readonly=True, copy=False, help="Digest of the definition the database holds; another one is recreated."
    )
    last_refresh_date = fields.Datetime(readonly=True, copy=False, help="When the data was last refreshed.")
    last_check_date = fields.Datetime(
        readonly=True, copy=False, help="When a refresh last ran, whatever its outcome (refreshed, skipped, failed)."
    )
    last_refresh_status = fields.Selection(
        [("done", "Refreshed"), ("skipped", "Skipped: sources unchanged"), ("error", "Failed")],
        readonly=True,
        copy=False,
    )
    last_refresh_duration = fields.Float(string="Duration (s)", readonly=True, copy=False, digits=(16, 3))
    refresh_message = fields.Text(readonly=True, copy=False)
    row_count = fields.Integer(readonly=True, copy=False)
    source_fingerprint = fields.Text(
        readonly=True, copy=False, help="Change counters of the source tables at the last refresh."
    )
    refresh_running = fields.Boolean(
        string="Refreshing Now", compute="_compute_refresh_running", help="A worker is refreshing this view now."
    )

    # --- constraints ----------------------------------------------------------------
    _sql_constraints = [
        ("name_unique", "unique(name)", "An analytics view with this name already exists."),
    ]

    @api.constrains("name", "kind")
    def _check_name(self):
        for view in self:
            if not VIEW_NAME.match(view.name or "") or len(view.name) > 63:
                raise ValidationError(
                    self.env._(
                        "%(name)s: a view name is vw_* or mv_*, lowercase, at most 63 characters.", name=view.name
                    )
                )
            if (view.kind == "materialized") != view.name.startswith("mv_"):
                raise ValidationError(
                    self.env._("%(name)s: materialized views are named mv_*, views vw_*.", name=view.name)
                )

    @api.constrains("sql_file", "required_modules", "unique_key", "index_columns", "kind")
    def _check_definition(self):
        for view in self:
            if not SQL_FILE.match(view.sql_file or "") or ".." in view.sql_file:
                raise ValidationError(
                    self.env._("%(name)s: the SQL file is a relative path to a .sql file.", name=view.name)
                )
            try:
                view._read_sql_file()
                analytics_sql.module_names(view.required_modules)
                key = analytics_sql.columns(view.unique_key)
                analytics_sql.index_column_lists(view.index_columns)
            except (OSError, analytics_sql.SqlFileError) as e:
                raise ValidationError(self.env._("%(name)s: %(error)s", name=view.name, error=e)) from e
            if view.kind == "materialized" and not key:
                raise ValidationError(
                    self.env._(
                        "%(name)s: a materialized view needs a unique key to be refreshed concurrently.",
                        name=view.name,
                    )
                )

    @api.constrains("refresh_interval_number")
    def _check_refresh_interval(self):
        if any(view.refresh_interval_number < 1 for view in self):
            raise ValidationError(self.env._("The refresh interval is at least 1."))

    # --- computes -------------------------------------------------------------------
    @api.depends("sql_file")
    def _compute_optional_modules(self):
        for view in self:
            try:
                view.optional_modules = ", ".join(sorted(analytics_sql.referenced_modules(view._read_sql_file())))
            except OSError:
                view.optional_modules = False

    @api.depends("required_modules")
    def _compute_missing_modules(self):
        installed = self._installed_modules()
        for view in self:
            try:
                missing = [name for name in analytics_sql.module_names(view.required_modules) if name not in installed]
            except analytics_sql.SqlFileError:
                missing = []
            view.missing_modules = ", ".join(missing)

    def _compute_refresh_running(self):
        rows = self._execute(
            SQL(
                """SELECT objid::bigint FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND classid = %s::oid AND objsubid = 2
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
                LOCK_NAMESPACE,
            ),
            fetch="all",
        )
        running = {row[0] for row in rows}
        for view in self:
            view.refresh_running = view.id in running

    # --- overrides ------------------------------------------------------------------
    def _register_hook(self):
        """Every registry load (server start, module install/upgrade/uninstall, from the UI
        or odoo-bin): create the views whose apps are now installed, drop the others."""
        super()._register_hook()
        try:
            with self.env.cr.savepoint():
                self.sudo()._sync_views(wait=False)
        except Exception:
            # Never stop Odoo from starting: the records say which view failed and why.
            _logger.exception("Superset analytics: synchronising the analytics views failed")

    @api.model_create_multi
    def create(self, vals_list):
        views = super().create(vals_list)
        views._check_structure_access()
        return views

    def write(self, vals):
        if STRUCTURE_FIELDS & set(vals):
            self._check_structure_access()
        result = super().write(vals)
        if INTERVAL_FIELDS & set(vals):
            for view in self.filtered("cron_id"):
                view.cron_id.sudo().write(view._prepare_cron_interval_vals())
        return result

    def unlink(self):
        """A record removed (e.g. from a later version's data files) takes its SQL object along."""
        existing = self._existing_objects()
        for view in self:
            view._drop(existing.get(view.name), cascade=True)
        self.cron_id.sudo().unlink()
        return super().unlink()

    # --- actions --------------------------------------------------------------------
    def action_refresh_now(self):
        """Button "Refresh now" (managers): refresh these materialized views at once,
        even when their sources did not change."""
        self.check_access("write")
        busy = []
        for view in self.sudo().filtered(lambda v: v.kind == "materialized" and v.state == "installed"):
            if view._refresh(force=True) == "busy":
                busy.append(view.name)
        if busy:
            return self._notify(
                self.env._("Already being refreshed by another worker: %(views)s", views=", ".join(busy)), "warning"
            )
        return self._notify(self.env._("Refreshed."), "success")

    def action_rebuild(self):
        """Button "Rebuild" (managers): drop and create these views again (e.g. after an error)."""
        self.check_access("write")
        self.sudo()._sync_views(force=True)
        return True

    @api.model
    def action_sync_views(self):
        """Create the views whose apps are installed and drop the others, now."""
        self.check_access("write")
        self.sudo()._all_views()._sync_views()
        return True

    @api.model
    def action_create_readonly_role(self):
        """Create (or update) the PostgreSQL role Superset connects with: it may SELECT the
        relations of schema superset_analytics and nothing else. Administrators only."""
        if not self.env.is_system():
            raise AccessError(self.env._("Only administrators manage the analytics database role."))
        role = self._readonly_role_name()
        password, _source = self._readonly_role_password(create=True)
        self.sudo()._apply_readonly_role(role, password)
        return self._notify(
            self.env._(
                "PostgreSQL role %(role)s can now read schema %(schema)s, and only it.", role=role, schema=SCHEMA
            ),
            "success",
        )

    # --- public helpers for the Superset provisioning -------------------------------
    @api.model
    def _superset_database_params(self):
        """What the Superset database connection needs to read the analytics schema.

        Used by the Superset provisioning (services/superset_client.py) when it creates
        the database connection through Superset's REST API; this method makes no call.
        Returns a dict: ``engine``, ``host``, ``port``, ``database``, ``username``,
        ``password`` (the secret itself), ``password_source`` (``env``, ``odoo.conf`` or
        ``ir.config_parameter``), ``schema`` and ``sqlalchemy_uri`` (password masked as
        Superset masks it: pass the password separately). Host and port are those Odoo
        connects to unless overridden for Superset (env ``SUPERSET_CONNECTOR_ANALYTICS_DB_HOST``
        / ``_PORT`` or odoo.conf ``superset_connector_analytics_db_host`` / ``_port``).
        System users (or sudo) only: the result holds a secret.
        """
        if not (self.env.su or self.env.is_system()):
            raise AccessError(self.env._("Only administrators read the analytics database credentials."))
        role = self._readonly_role_name()
        password, source = self._readonly_role_password(create=True)
        host = os.environ.get(HOST_ENV) or config.get(HOST_CONF) or config.get("db_host") or "localhost"
        port = int(os.environ.get(PORT_ENV) or config.get(PORT_CONF) or config.get("db_port") or 5432)
        database = self.env.cr.dbname
        return {
            "engine": "postgresql",
            "host": host,
            "port": port,
            "database": database,
            "username": role,
            "password": password,
            "password_source": source,
            "schema": SCHEMA,
            "sqlalchemy_uri": f"postgresql+psycopg2://{role}:XXXXXXXXXX@{host}:{port}/{database}",
        }

    # --- helpers: SQL ---------------------------------------------------------------
    def _execute(self, sql, fetch=None, view_name=None):
        """Run one statement (every statement of this model goes through here).

        Logs the statement without its parameters (they may hold a secret) and its
        duration; a database error becomes a UserError naming the view. ``fetch``:
        None, "one" or "all".
        """
        name = view_name or (self.name if len(self) == 1 else None) or SCHEMA
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

    @api.model
    def _ensure_schema(self):
        """Create the schema when missing (only then: creating needs CREATE on the database,
        which a DBA may have kept for themselves after creating the schema)."""
        if not self._execute(SQL("SELECT 1 FROM pg_namespace WHERE nspname = %s", SCHEMA), fetch="one"):
            self._execute(SQL("CREATE SCHEMA %s", SQL.identifier(SCHEMA)))

    def _relation(self):
        self.ensure_one()
        return SQL.identifier(SCHEMA, self.name)

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
    def _installed_modules(self):
        rows = self._execute(SQL("SELECT name FROM ir_module_module WHERE state IN %s", INSTALLED_STATES), fetch="all")
        return {row[0] for row in rows}

    def _read_sql_file(self):
        self.ensure_one()
        with file_open(f"{MODULE}/{self.sql_file}", filter_ext=(".sql",)) as handle:
            return handle.read()

    def _render_sql(self, installed):
        """The view's SELECT for the installed modules (raises SqlFileError / OSError)."""
        return analytics_sql.render(self._read_sql_file(), installed)

    def _definition_hash(self, select):
        payload = json.dumps([self.kind, select, self.unique_key or "", self.index_columns or ""])
        return hashlib.sha256(payload.encode()).hexdigest()

    def _module_dependencies(self):
        self.ensure_one()
        try:
            required = set(analytics_sql.module_names(self.required_modules))
            optional = analytics_sql.referenced_modules(self._read_sql_file())
        except (OSError, analytics_sql.SqlFileError):
            return set()
        return required | optional

    # --- helpers: creating and dropping ---------------------------------------------
    def _sync_views(self, force=False, wait=True):
        """Bring the database in line with the records (all records when self is empty).

        A view is created when its required apps are installed and dropped when one is
        not; it is recreated when its definition changed (or with ``force``). A view that
        fails is left absent with state "error" and its message; the others go on.
        ``wait=False``: give up at once when another process is synchronising.
        """
        views = self or self._all_views()
        lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        got = self._execute(SQL("SELECT %s(%s, %s)", SQL(lock), LOCK_NAMESPACE, SYNC_LOCK), fetch="one")[0]
        if got is False:
            _logger.info("Superset analytics: another process is synchronising the views")
            return
        self._ensure_schema()
        installed = self._installed_modules()
        existing = self._existing_objects()
        for view in views.sorted(lambda v: (v.sequence, v.name)):
            view._sync_one(installed, existing, force)

    def _sync_one(self, installed, existing, force):
        self.ensure_one()
        relkind = existing.get(self.name)
        missing = set(analytics_sql.module_names(self.required_modules)) - installed
        if missing:
            if relkind:
                self._drop(relkind, cascade=True)
                existing.pop(self.name, None)
            self._remove_cron()
            values = {"state": "waiting", "error_message": False, "applied_hash": False}
            self._write_changes(values)
            return
        try:
            select = self._render_sql(installed)
        except (OSError, analytics_sql.SqlFileError) as e:
            self._write_changes({"state": "error", "error_message": str(e), "applied_hash": False})
            return
        digest = self._definition_hash(select)
        wanted = "m" if self.kind == "materialized" else "v"
        if not force and self.state == "installed" and self.applied_hash == digest and relkind == wanted:
            self._ensure_cron()
            return
        try:
            with self.env.cr.savepoint():
                self._drop(relkind)
            existing.pop(self.name, None)
            with self.env.cr.savepoint():
                self._create_sql_object(select)
        except UserError as e:
            _logger.warning("Superset analytics: %s is not created: %s", self.name, e)
            self._remove_cron()
            self._write_changes({"state": "error", "error_message": str(e), "applied_hash": False})
            return
        existing[self.name] = wanted
        self._write_changes({"state": "installed", "error_message": False, "applied_hash": digest})
        _logger.info("Superset analytics: %s created", self.name)
        if self.kind == "materialized":
            self._ensure_cron()
            self._refresh(force=True)

    def _create_sql_object(self, select):
        """CREATE the view (a materialized view empty, with its indexes) and grant it to
        the read-only role when that role exists."""
        self.ensure_one()
        body = SQL(select)  # code of this module's sql_views/ file, not user input
        if self.kind == "view":
            self._execute(SQL("CREATE VIEW %s AS %s", self._relation(), body))
        else:
            self._execute(SQL("CREATE MATERIALIZED VIEW %s AS %s WITH NO DATA", self._relation(), body))
            key = analytics_sql.columns(self.unique_key)
            self._execute(
                SQL(
                    "CREATE UNIQUE INDEX %s ON %s (%s)",
                    SQL.identifier(self._index_name("key")),
                    self._relation(),
                    SQL(", ").join(SQL.identifier(column) for column in key),
                )
            )
            for number, columns in enumerate(analytics_sql.index_column_lists(self.index_columns), start=1):
                self._execute(
                    SQL(
                        "CREATE INDEX %s ON %s (%s)",
                        SQL.identifier(self._index_name(f"idx{number}")),
                        self._relation(),
                        SQL(", ").join(SQL.identifier(column) for column in columns),
                    )
                )
        self._execute(
            SQL("COMMENT ON %s %s IS %s", SQL(self._sql_kind()), self._relation(), self.description or self.name)
        )
        role = self._readonly_role_name()
        if self._role_exists(role):
            self._execute(SQL("GRANT SELECT ON %s TO %s", self._relation(), SQL.identifier(role)))

    def _index_name(self, suffix):
        """An index name within PostgreSQL's 63 characters, unique per view."""
        name = f"{self.name}_{suffix}"
        if len(name) > 63:
            name = f"{self.name[:50]}_{hashlib.sha256(self.name.encode()).hexdigest()[:6]}_{suffix}"
        return name

    def _sql_kind(self):
        return "MATERIALIZED VIEW" if self.kind == "materialized" else "VIEW"

    def _drop(self, relkind, cascade=False):
        """DROP the object named like this view, of whichever kind the database holds."""
        self.ensure_one()
        if not relkind:
            return
        kind = SQL("MATERIALIZED VIEW") if relkind == "m" else SQL("VIEW")
        self._execute(
            SQL("DROP %s IF EXISTS %s %s", kind, self._relation(), SQL("CASCADE") if cascade else SQL("RESTRICT"))
        )
        _logger.info("Superset analytics: %s dropped", self.name)

    @api.model
    def _drop_for_modules(self, module_names):
        """Drop the views reading tables or columns of modules about to be uninstalled.

        Two sources, either one suffices: the apps a view declares (required, optional)
        and PostgreSQL's own dependencies between the views and the tables and columns of
        the models and fields these modules define. Dropping too much is harmless: the
        views whose apps are still installed are created again when the registry reloads.
        """
        module_names = set(module_names)
        if MODULE in module_names:
            return  # the uninstall hook drops the whole schema
        existing = self._existing_objects()
        depending = self._views_depending_on_modules(module_names) if existing else set()
        for view in self._all_views():
            if view.name in depending or view._module_dependencies() & module_names:
                view._drop(existing.get(view.name), cascade=True)
                view._remove_cron()
                view._write_changes({"state": "waiting", "error_message": False, "applied_hash": False})

    @api.model
    def _views_depending_on_modules(self, module_names):
        """Names of the schema's views PostgreSQL records as depending on a table or
        column Odoo will drop with these modules: those of the models and fields whose XML
        ids all belong to them (the rule of ir.model.data._module_data_uninstall; a module
        extending res.partner also holds an XML id of it, which keeps the table)."""
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
        rows = self._execute(
            SQL(
                """
                SELECT DISTINCT v.relname
                  FROM pg_depend dep
                  JOIN pg_rewrite r ON r.oid = dep.objid
                  JOIN pg_class v ON v.oid = r.ev_class
                  JOIN pg_namespace n ON n.oid = v.relnamespace
                  JOIN pg_class t ON t.oid = dep.refobjid
                  LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = dep.refobjsubid
                 WHERE dep.classid = 'pg_rewrite'::regclass
                   AND dep.refclassid = 'pg_class'::regclass
                   AND n.nspname = %s
                   AND t.oid <> v.oid
                   AND (t.relname = ANY(%s)
                        OR (t.relname, a.attname) IN (SELECT * FROM unnest(%s::text[], %s::text[])))
                """,
                SCHEMA,
                sorted(tables) or [""],
                [table for table, _column in sorted(columns)] or [""],
                [column for _table, column in sorted(columns)] or [""],
            ),
            fetch="all",
        )
        return {row[0] for row in rows}

    def _write_changes(self, values):
        """Write only what differs: a synchronisation that changes nothing writes nothing."""
        self.ensure_one()
        changed = {key: value for key, value in values.items() if self[key] != value}
        if changed:
            self.write(changed)

    # --- helpers: crons -------------------------------------------------------------
    def _prepare_cron_vals(self):
        """The refresh cron of this materialized view."""
        self.ensure_one()
        return {
            "name": f"Superset analytics: refresh {self.name}",
            "model_id": self.env["ir.model"]._get_id(self._name),
            "state": "code",
            "code": f"model._cron_refresh([{self.id}])",
            "user_id": self.env.ref("base.user_root").id,
            "active": True,
            **self._prepare_cron_interval_vals(),
        }

    def _prepare_cron_interval_vals(self):
        self.ensure_one()
        return {
            "interval_number": self.refresh_interval_number or 1,
            "interval_type": self.refresh_interval_type or "hours",
        }

    def _ensure_cron(self):
        self.ensure_one()
        if self.kind == "materialized" and not self.cron_id:
            self.cron_id = self.env["ir.cron"].sudo().create(self._prepare_cron_vals())

    def _remove_cron(self):
        """Delete the view's cron. One running right now cannot be deleted: it is left, and
        does nothing when it runs (_cron_refresh only refreshes installed views)."""
        self.ensure_one()
        if not self.cron_id:
            return
        try:
            with self.env.cr.savepoint():
                self.cron_id.sudo().unlink()
        except UserError as e:
            _logger.warning("Superset analytics: the refresh cron of %s is left: %s", self.name, e)

    @api.model
    def _cron_refresh(self, view_ids):
        """Entry point of the refresh crons. Re-reads which views are materialized and
        installed now, so a stale cron never touches a dropped or broken view."""
        views = self.browse(view_ids).exists().filtered(lambda v: v.kind == "materialized" and v.state == "installed")
        for view in views:
            view._refresh()

    # --- helpers: refresh -----------------------------------------------------------
    def _lock_key(self):
        self.ensure_one()
        return LOCK_NAMESPACE, self.id

    def _try_lock(self):
        """Take this view's refresh lock until the transaction ends; False if another
        transaction holds it."""
        return self._execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", *self._lock_key()), fetch="one")[0]

    def _refresh(self, force=False):
        """Refresh this materialized view; returns "done", "skipped", "busy" or "error".

        Runs in the caller's transaction, in a savepoint: a failure is recorded on the
        record and rolled back alone. The advisory lock is a transaction lock: it is
        held until the caller commits, so a second worker trying the same view meanwhile
        gets "busy" (and writes nothing, not to conflict with the running refresh).
        """
        self.ensure_one()
        start = time.monotonic()
        values = {"last_check_date": fields.Datetime.now()}
        try:
            with self.env.cr.savepoint(flush=False):
                if not self._try_lock():
                    _logger.info("Superset analytics: %s is being refreshed by another worker", self.name)
                    return "busy"
                previous = self._set_timeouts(*self._timeouts())
                populated, fingerprint = self._populated_and_fingerprint()
                if not force and populated and self.skip_unchanged and fingerprint == self.source_fingerprint:
                    values.update(last_refresh_status="skipped", refresh_message=False)
                else:
                    self._execute(
                        SQL(
                            "REFRESH MATERIALIZED VIEW %s %s",
                            SQL("CONCURRENTLY") if populated else SQL(),
                            self._relation(),
                        )
                    )
                    # Fresh planner statistics: REFRESH keeps none, and without them a query on
                    # the view is planned for a handful of rows.
                    self._execute(SQL("ANALYZE %s", self._relation()))
                    row_count = self._execute(SQL("SELECT count(*) FROM %s", self._relation()), fetch="one")[0]
                    values.update(
                        last_refresh_status="done",
                        last_refresh_date=values["last_check_date"],
                        row_count=row_count,
                        source_fingerprint=fingerprint,
                        refresh_message=self.env._("Concurrent refresh") if populated else self.env._("First fill"),
                    )
                self._set_timeouts(*previous)
        except UserError as e:
            values.update(last_refresh_status="error", refresh_message=str(e))
        values["last_refresh_duration"] = time.monotonic() - start
        self.write(values)
        _logger.info(
            "Superset analytics: %s %s in %.3f s",
            self.name,
            values["last_refresh_status"],
            values["last_refresh_duration"],
        )
        return values["last_refresh_status"]

    def _timeouts(self):
        """(lock_timeout, statement_timeout) in ms for refreshes, from system parameters."""
        params = self.env["ir.config_parameter"].sudo()

        def read(key, default):
            try:
                return max(0, int(params.get_param(key, default)))
            except (TypeError, ValueError):
                return default

        return (
            read("superset_connector.analytics_lock_timeout_ms", DEFAULT_LOCK_TIMEOUT_MS),
            read("superset_connector.analytics_statement_timeout_ms", DEFAULT_STATEMENT_TIMEOUT_MS),
        )

    def _set_timeouts(self, lock_timeout, statement_timeout):
        """Set both timeouts for the rest of the transaction; returns the previous ones."""
        return self._execute(
            SQL(
                """SELECT current_setting('lock_timeout'), current_setting('statement_timeout'),
                          set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)""",
                str(lock_timeout),
                str(statement_timeout),
            ),
            fetch="one",
        )[:2]

    def _populated_and_fingerprint(self):
        """Whether the materialized view holds data, and the change fingerprint of its sources.

        The sources are the tables PostgreSQL records the view's query as reading
        (pg_depend of its rewrite rule, through intermediate views). For each: its
        relfilenode (new after TRUNCATE, VACUUM FULL, CLUSTER) and its inserted, updated
        and deleted tuple counters - the cumulative ones plus this transaction's own.

        Why these counters rather than max(write_date) or triggers: they cost one catalog
        lookup per table whatever its size (max(write_date) scans tables without an
        index on it, and never sees deletes or SQL writes that skip write_date); they
        need nothing installed on Odoo's tables (a trigger would add a write to every
        order line and lock contention). Their limits, all on the safe side or bounded:
        counters of aborted transactions count too (a useless refresh); a committed
        change reaches the cumulative counters when its backend flushes its statistics
        (at transaction end, at most about a second late, up to ~60 s under contention),
        so a refresh starting in that window skips and the change is picked up by the
        next one; a statistics reset changes the fingerprint (one useless refresh). With
        track_counts off there are no counters: the fingerprint is then never equal and
        every refresh runs.
        """
        self.ensure_one()
        rows = self._execute(
            SQL(
                """
                WITH RECURSIVE source(oid) AS (
                    SELECT dep.refobjid
                      FROM pg_rewrite r JOIN pg_depend dep ON dep.objid = r.oid
                     WHERE r.ev_class = %(relation)s::regclass
                       AND dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_class'::regclass
                       AND dep.refobjid <> r.ev_class
                    UNION
                    SELECT dep.refobjid
                      FROM source
                      JOIN pg_class c ON c.oid = source.oid AND c.relkind = 'v'
                      JOIN pg_rewrite r ON r.ev_class = c.oid
                      JOIN pg_depend dep ON dep.objid = r.oid
                     WHERE dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_class'::regclass
                       AND dep.refobjid <> r.ev_class
                )
                SELECT c.oid::regclass::text, pg_relation_filenode(c.oid),
                       pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_inserted(c.oid),
                       pg_stat_get_tuples_updated(c.oid) + pg_stat_get_xact_tuples_updated(c.oid),
                       pg_stat_get_tuples_deleted(c.oid) + pg_stat_get_xact_tuples_deleted(c.oid)
                  FROM source JOIN pg_class c ON c.oid = source.oid
                 WHERE c.relkind IN ('r', 'm', 'p')
                 ORDER BY 1
                """,
                relation=f"{SCHEMA}.{self.name}",
            ),
            fetch="all",
        )
        populated, track_counts = self._execute(
            SQL(
                """SELECT ispopulated, current_setting('track_counts')::boolean
                     FROM pg_matviews WHERE schemaname = %s AND matviewname = %s""",
                SCHEMA,
                self.name,
            ),
            fetch="one",
        )
        fingerprint = json.dumps([list(row) for row in rows]) if track_counts else None
        return populated, fingerprint

    # --- helpers: read-only role ----------------------------------------------------
    @api.model
    def _readonly_role_name(self):
        """The read-only role's name: env, odoo.conf, system parameter, else <database>_superset_ro."""
        name = (
            os.environ.get(ROLE_ENV)
            or config.get(ROLE_CONF)
            or self.env["ir.config_parameter"].sudo().get_param(ROLE_PARAM)
            or re.sub(r"[^a-z0-9_]", "_", f"{self.env.cr.dbname.lower()}_superset_ro")[:63]
        )
        if not ROLE_NAME.match(name):
            raise UserError(self.env._("%(name)s is not a usable PostgreSQL role name.", name=name))
        return name

    @api.model
    def _readonly_role_password(self, create=False):
        """(password, source): the environment wins over odoo.conf, which wins over the
        system parameter (readable by system users only).

        With ``create``, a missing parameter is generated by PostgreSQL itself (two random
        UUIDs, 244 random bits from its cryptographic generator) and stored in the same
        statement: the secret never appears in a statement Odoo sends, so not even
        --log-level=debug_sql shows it.
        """
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV], "env"
        if config.get(PASSWORD_CONF):
            return config[PASSWORD_CONF], "odoo.conf"
        params = self.env["ir.config_parameter"].sudo()
        if not params.get_param(PASSWORD_PARAM) and create:
            self.env.flush_all()
            self._execute(
                SQL(
                    """INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date)
                       VALUES (%s, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
                               %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
                       ON CONFLICT (key) DO NOTHING""",
                    PASSWORD_PARAM,
                    self.env.uid,
                    self.env.uid,
                ),
                view_name=PASSWORD_PARAM,
            )
            self.env.registry.clear_cache()  # get_param is cached
            params.invalidate_model()
        return params.get_param(PASSWORD_PARAM), "ir.config_parameter"

    @api.model
    def _role_exists(self, role):
        return bool(self._execute(SQL("SELECT 1 FROM pg_roles WHERE rolname = %s", role), fetch="one"))

    @api.model
    def _apply_readonly_role(self, role, password):
        """CREATE or ALTER the role so that it may log in and SELECT the relations of
        schema superset_analytics (those created later too), and nothing else; the same
        as sql_views/readonly_role.sql. Privileges it was given elsewhere are taken back.
        Fails (nothing applied) when the end state is not that: a superuser, replication
        or bypass-RLS attribute this database user may not remove, or CREATE on a schema.
        """
        ident = SQL.identifier(role)
        verifier = analytics_sql.scram_sha256_verifier(password)  # the clear password never reaches the server
        # What a CREATEROLE (non-superuser) role may set; SUPERUSER, REPLICATION and
        # BYPASSRLS are only accepted when creating (as their negation) and checked below.
        attributes = SQL(
            "LOGIN NOCREATEDB NOCREATEROLE NOINHERIT CONNECTION LIMIT %s PASSWORD %s", ROLE_CONNECTION_LIMIT, verifier
        )
        if self._role_exists(role):
            self._execute(SQL("ALTER ROLE %s %s", ident, attributes), view_name=role)
        else:
            self._execute(
                SQL("CREATE ROLE %s NOSUPERUSER NOREPLICATION NOBYPASSRLS %s", ident, attributes), view_name=role
            )
        self._execute(SQL("ALTER ROLE %s SET default_transaction_read_only = on", ident), view_name=role)
        self._execute(SQL("ALTER ROLE %s SET statement_timeout = %s", ident, ROLE_STATEMENT_TIMEOUT), view_name=role)
        # Memberships would bring other roles' privileges along.
        for (member_of,) in self._execute(
            SQL(
                """SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                    JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s""",
                role,
            ),
            fetch="all",
            view_name=role,
        ):
            self._execute(SQL("REVOKE %s FROM %s", SQL.identifier(member_of), ident), view_name=role)
        schemas = [
            schema
            for (schema,) in self._execute(
                SQL(
                    """SELECT nspname FROM pg_namespace
                        WHERE left(nspname, 3) <> 'pg_' AND nspname <> 'information_schema'"""
                ),
                fetch="all",
                view_name=role,
            )
        ]
        for schema in schemas:
            for what in (SQL("ALL TABLES"), SQL("ALL SEQUENCES"), SQL("ALL FUNCTIONS")):
                self._execute(
                    SQL("REVOKE ALL ON %s IN SCHEMA %s FROM %s", what, SQL.identifier(schema), ident), view_name=role
                )
            self._execute(SQL("REVOKE CREATE ON SCHEMA %s FROM %s", SQL.identifier(schema), ident), view_name=role)
        self._revoke_public_create()
        self._ensure_schema()
        self._execute(
            SQL("GRANT CONNECT ON DATABASE %s TO %s", SQL.identifier(self.env.cr.dbname), ident), view_name=role
        )
        self._execute(SQL("GRANT USAGE ON SCHEMA %s TO %s", SQL.identifier(SCHEMA), ident), view_name=role)
        self._execute(
            SQL("GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s", SQL.identifier(SCHEMA), ident), view_name=role
        )
        self._execute(
            SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT SELECT ON TABLES TO %s", SQL.identifier(SCHEMA), ident),
            view_name=role,
        )
        self._check_readonly_role(role)
        _logger.info("Superset analytics: read-only role %s created or updated", role)

    @api.model
    def _revoke_public_create(self):
        """Take CREATE on schema public back from PUBLIC (every role), as PostgreSQL 15
        does by default: Odoo grants it when it creates a database ("legacy behaviour"),
        which would let the read-only role create tables there. Odoo is unaffected when
        its database user owns the database (pg_database_owner owns schema public); then
        only is it done, and remembered, so that uninstalling restores Odoo's grant."""
        owner, public_create = self._execute(
            SQL(
                """SELECT pg_get_userbyid(d.datdba) = current_user,
                          COALESCE(bool_or(acl.grantee = 0 AND acl.privilege_type = 'CREATE'), false)
                     FROM pg_database d, pg_namespace n
                     LEFT JOIN LATERAL aclexplode(n.nspacl) acl ON true
                    WHERE d.datname = current_database() AND n.nspname = 'public'
                    GROUP BY d.datdba""",
            ),
            fetch="one",
        ) or (False, False)
        if public_create and owner:
            self._execute(SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
            self.env["ir.config_parameter"].sudo().set_param(PUBLIC_CREATE_PARAM, "revoked")

    @api.model
    def _check_readonly_role(self, role):
        """Raise unless the role is exactly what it should be (checked by PostgreSQL)."""
        attributes = self._execute(
            SQL(
                """SELECT rolsuper, rolreplication, rolbypassrls, rolcreatedb, rolcreaterole, rolinherit
                     FROM pg_roles WHERE rolname = %s""",
                role,
            ),
            fetch="one",
            view_name=role,
        )
        if any(attributes):
            raise UserError(
                self.env._(
                    "Role %(role)s keeps attributes this database user may not remove (superuser, replication or "
                    "bypass RLS): a DBA must run sql_views/readonly_role.sql of superset_connector.",
                    role=role,
                )
            )
        creatable = self._execute(
            SQL(
                """SELECT string_agg(nspname, ', ') FROM pg_namespace
                    WHERE left(nspname, 3) <> 'pg_' AND nspname <> 'information_schema'
                      AND has_schema_privilege(%s, oid, 'CREATE')""",
                role,
            ),
            fetch="one",
            view_name=role,
        )[0]
        if creatable:
            raise UserError(
                self.env._(
                    "Role %(role)s may create objects in schema %(schemas)s (granted to PUBLIC): a DBA must run "
                    "sql_views/readonly_role.sql of superset_connector.",
                    role=role,
                    schemas=creatable,
                )
            )

    @api.model
    def _uninstall_analytics(self):
        """Uninstall hook: crons, schema (every view, materialized view and index in it)
        and the read-only role go; CREATE on schema public goes back to PUBLIC if the role
        action took it. A role this database user cannot drop (created by a DBA) is left
        with a warning."""
        self.sudo()._all_views().cron_id.unlink()
        self._execute(SQL("DROP SCHEMA IF EXISTS %s CASCADE", SQL.identifier(SCHEMA)))
        if self.env["ir.config_parameter"].sudo().get_param(PUBLIC_CREATE_PARAM) == "revoked":
            self._execute(SQL("GRANT CREATE ON SCHEMA public TO PUBLIC"))  # as Odoo left it
        role = self._readonly_role_name()
        if not self._role_exists(role):
            return
        try:
            with self.env.cr.savepoint():
                self._execute(
                    SQL("REVOKE ALL ON DATABASE %s FROM %s", SQL.identifier(self.env.cr.dbname), SQL.identifier(role)),
                    view_name=role,
                )
                self._execute(SQL("DROP ROLE %s", SQL.identifier(role)), view_name=role)
        except UserError as e:
            _logger.warning("Superset analytics: the read-only role %s is left in place: %s", role, e)

    # --- helpers: misc --------------------------------------------------------------
    @api.model
    def _all_views(self):
        """Every record: a few dozen, each needed (pylint's no-search-all guards big tables)."""
        return self.search([])  # pylint: disable=no-search-all

    def _check_structure_access(self):
        """Only administrators (and data files) change what a view is; managers change
        its refresh interval and refresh it."""
        if not (self.env.su or self.env.is_system()):
            raise AccessError(self.env._("Only administrators change the definition of analytics views."))

    @api.model
    def _notify(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": kind,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
