"""The analytics SQL layer: views and materialized views in schema ``superset_analytics``.

One ``superset.analytics.view`` record per view, loaded from ``data/``; its SELECT lives in
a SQL file of a module (``sql_views/`` here). A view exists exactly while the apps it
reads are installed: the records are synchronised with the installed modules whenever a
registry loads (``_register_hook``: after every install, upgrade or uninstall, from the
Apps menu or from the command line), and the views of an app being removed are dropped
before Odoo drops the app's tables (``ir.module.module.module_uninstall``). A view may
read another one (of a lower ``sequence``): dropped to be created again, that one takes
its readers along, and they are created again too.

Mixins do the record's other jobs: refreshes and their crons (``superset.analytics.refresh``),
the read-only role (``superset.analytics.role``), Superset's connection and datasets
(``superset.analytics.superset``), all running SQL through ``superset.analytics.sql``.

Extending the views from another addon:

- a new view: a ``superset.analytics.view`` record in the addon's data, ``sql_file``
  ``<addon>/<path>.sql`` (a path naming no module is one of superset_connector);
- columns added to a shipped view: override ``_sql_extra_columns`` (``{alias: SQL}``, put
  after the view's SELECT list, at its ``--@extra_columns`` line) and, for a view that
  aggregates, ``_sql_extra_group_by`` (``[SQL]``, at its ``--@extra_group_by`` line) for
  the columns that are no aggregates; ``self`` is one view (test its ``name``). The
  expressions are ``odoo.tools.SQL`` code over the aliases of the view's FROM clause. A
  changed definition, these columns included, creates the view again at the next
  registry load: when the addon is installed, upgraded or uninstalled.
"""

import hashlib
import json
import logging
import os
import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.modules.module import get_module_path
from odoo.tools import SQL
from odoo.tools.misc import file_open

from ..services import analytics_sql
from .superset_analytics_sql import LOCK_NAMESPACE, SCHEMA, SYNC_LOCK  # SCHEMA: other models import it from here
from .superset_connector import ADMINISTRATOR
from .user_messages import CLOSE, notification

_logger = logging.getLogger(__name__)

MODULE = "superset_connector"
STRUCTURE_FIELDS = {"name", "sql_file", "required_modules", "kind", "unique_key", "index_columns"}
SQL_FILE = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*\.sql$")
VIEW_NAME = re.compile(r"^(vw|mv)_[a-z0-9_]+$")


class SupersetAnalyticsView(models.Model):
    """A view (``vw_*``) or materialized view (``mv_*``) of schema superset_analytics."""

    _name = "superset.analytics.view"
    _inherit = [
        "superset.analytics.superset",
        "superset.analytics.refresh",
        "superset.analytics.role",
        "superset.analytics.sql",
    ]
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
        help="The view's SELECT statement: a file of a module (e.g. my_module/sql_views/my_view.sql), or of "
        "the superset_connector module when the path names no module (e.g. sql_views/sale_daily.sql).",
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

    # --- computes -------------------------------------------------------------------
    @api.depends("sql_file")
    def _compute_optional_modules(self):
        for view in self:
            try:
                view.optional_modules = ", ".join(sorted(analytics_sql.referenced_modules(view._read_sql_file())))
            except (OSError, analytics_sql.SqlFileError):
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

    # --- overrides ------------------------------------------------------------------
    def _register_hook(self):
        """Every registry load (server start, module install/upgrade/uninstall): create the
        views whose apps are now installed, drop the others."""
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
        return super().write(vals)

    def unlink(self):
        """A record removed (e.g. from a later version's data files) takes its SQL object along."""
        existing = self._existing_objects()
        for view in self:
            view._drop(existing.get(view.name), cascade=True)
        self.cron_id.sudo().unlink()
        return super().unlink()

    def _refresh(self, force=False):
        """A refresh that changed data (superset.analytics.refresh) leaves Superset's
        cached charts stale until Superset is told (superset.analytics.superset)."""
        status = super()._refresh(force=force)
        if status == "done":
            self._superset_charts_refreshed()
        return status

    @api.model
    def _cron_refresh(self, view_ids):
        result = super()._cron_refresh(view_ids)
        # Any refresh run also retries the views whose Superset was not reachable last time.
        self._expire_stale_superset_charts()
        return result

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
            message = self.env._("Already being refreshed by another worker: %(views)s", views=", ".join(busy))
            return notification(message, "warning", sticky=False, then=CLOSE)
        return notification(self.env._("Refreshed."), "success", sticky=False, then=CLOSE)

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

    # --- extension hooks ------------------------------------------------------------
    def _sql_extra_columns(self):
        """{alias: SQL expression} the installed addons add to this view (one record),
        after the last column of its SELECT list (its SQL file's ``--@extra_columns``
        line). Override, call super(), add to the dict for the views you extend."""
        self.ensure_one()
        return {}

    def _sql_extra_group_by(self):
        """[SQL expression] the installed addons add to this view's GROUP BY (its SQL
        file's ``--@extra_group_by`` line): the extra columns that are not aggregates."""
        self.ensure_one()
        return []

    # --- helpers: definition --------------------------------------------------------
    def _sql_file_path(self):
        """``<module>/<path>`` when the first part names a module, else a path in
        superset_connector; SqlFileError for a link leading out of the module's folder."""
        self.ensure_one()
        module, _slash, rest = (self.sql_file or "").partition("/")
        root = rest and get_module_path(module, display_warning=False)
        if not root:
            module, rest, root = MODULE, self.sql_file or "", get_module_path(MODULE)
        path = os.path.join(root, rest)
        if not os.path.realpath(path).startswith(os.path.realpath(root) + os.sep):
            raise analytics_sql.SqlFileError(f"{self.sql_file} leads out of the folder of module {module}")
        return path

    def _read_sql_file(self):
        with file_open(self._sql_file_path(), filter_ext=(".sql",)) as handle:
            return handle.read()

    def _render_sql(self, installed):
        """The view's SELECT for the installed modules, with the columns other addons add
        (raises SqlFileError / OSError). Code of installed addons, not user input."""
        extra = {"extra_columns": [], "extra_group_by": []}
        for alias, expression in self._sql_extra_columns().items():
            if not (analytics_sql.IDENTIFIER.match(alias) and isinstance(expression, SQL)):
                raise analytics_sql.SqlFileError(f"extra column {alias!r}: a plain name and an odoo.tools.SQL")
            extra["extra_columns"].append(SQL(",\n    %s AS %s", expression, SQL.identifier(alias)))
        for expression in self._sql_extra_group_by():
            if not isinstance(expression, SQL):
                raise analytics_sql.SqlFileError(f"extra GROUP BY {expression!r}: an odoo.tools.SQL")
            extra["extra_group_by"].append(SQL(",\n    %s", expression))
        text = analytics_sql.render(self._read_sql_file(), installed, keep_markers=True)
        parts = analytics_sql.split_at_markers(text)
        for marker, added in extra.items():
            if added and marker not in parts[1::2]:
                raise analytics_sql.SqlFileError(f"{self.sql_file} has no --@{marker} line for the columns added")
        return SQL("").join(
            SQL("").join(extra[part]) if number % 2 else SQL(part)  # odd: a marker
            for number, part in enumerate(parts)
        )

    def _definition_hash(self, select):
        """Digest of the definition: statement (extra columns included), kind, indexes.
        Parameters only when there are some: other views keep the digests they had."""
        definition = [self.kind, select.code, self.unique_key or "", self.index_columns or ""]
        if select.params:
            definition.append([repr(param) for param in select.params])
        return hashlib.sha256(json.dumps(definition).encode()).hexdigest()

    def _module_dependencies(self):
        self.ensure_one()
        try:
            required = set(analytics_sql.module_names(self.required_modules))
            optional = analytics_sql.referenced_modules(self._read_sql_file())
        except (OSError, analytics_sql.SqlFileError):
            return set()
        return required | optional

    def _relation(self):
        return SQL.identifier(SCHEMA, self.name)

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
        dropped = set()
        for view in views.sorted(lambda v: (v.sequence, v.name)):
            readers = view._sync_one(installed, existing, force)
            dropped |= readers
            for name in readers:
                existing.pop(name, None)
        # The readers of a view created again went with it: create them again too.
        for view in self._all_views().filtered(lambda v: v.name in dropped and v.name not in existing):
            view._sync_one(installed, existing, force=False)

    def _sync_one(self, installed, existing, force):
        """Synchronise this view; returns the names of the views dropped with it (its readers)."""
        self.ensure_one()
        relkind = existing.get(self.name)
        missing = set(analytics_sql.module_names(self.required_modules)) - installed
        if missing:
            dropped = self._drop(relkind, cascade=True)
            existing.pop(self.name, None)
            self._remove_cron()
            self._write_changes({"state": "waiting", "error_message": False, "applied_hash": False})
            return dropped
        try:
            select = self._render_sql(installed)
        except (OSError, analytics_sql.SqlFileError) as e:
            self._write_changes({"state": "error", "error_message": str(e), "applied_hash": False})
            return set()
        digest = self._definition_hash(select)
        wanted = "m" if self.kind == "materialized" else "v"
        if not force and self.state == "installed" and self.applied_hash == digest and relkind == wanted:
            self._ensure_cron()
            return set()
        dropped = set()
        try:
            with self.env.cr.savepoint():
                dropped = self._drop(relkind)
            existing.pop(self.name, None)
            with self.env.cr.savepoint():
                self._create_sql_object(select)
        except UserError as e:
            _logger.warning("Superset analytics: %s is not created: %s", self.name, e)
            self._remove_cron()
            self._write_changes({"state": "error", "error_message": str(e), "applied_hash": False})
            return dropped
        existing[self.name] = wanted
        self._write_changes({"state": "installed", "error_message": False, "applied_hash": digest})
        _logger.info("Superset analytics: %s created", self.name)
        if self.kind == "materialized":
            self._ensure_cron()
            self._refresh(force=True)
        return dropped

    def _create_sql_object(self, select):
        """CREATE the view (a materialized view empty, with its indexes) and grant it to
        the read-only role when that role exists."""
        self.ensure_one()
        kind = SQL("MATERIALIZED VIEW") if self.kind == "materialized" else SQL("VIEW")
        no_data = SQL("WITH NO DATA") if self.kind == "materialized" else SQL()
        self._execute(SQL("CREATE %s %s AS %s %s", kind, self._relation(), select, no_data))
        if self.kind == "materialized":
            indexes = [("key", True, analytics_sql.columns(self.unique_key))]
            indexes += [
                (f"idx{number}", False, columns)
                for number, columns in enumerate(analytics_sql.index_column_lists(self.index_columns), start=1)
            ]
            for suffix, unique, columns in indexes:
                self._execute(
                    SQL(
                        "CREATE %s %s ON %s (%s)",
                        SQL("UNIQUE INDEX") if unique else SQL("INDEX"),
                        SQL.identifier(self._index_name(suffix)),
                        self._relation(),
                        SQL(", ").join(SQL.identifier(column) for column in columns),
                    )
                )
        self._execute(SQL("COMMENT ON %s %s IS %s", kind, self._relation(), self.description or self.name))
        role = self._readonly_role_name()
        if self._role_exists(role):
            self._execute(SQL("GRANT SELECT ON %s TO %s", self._relation(), SQL.identifier(role)))

    def _index_name(self, suffix):
        """An index name within PostgreSQL's 63 characters, unique per view."""
        name = f"{self.name}_{suffix}"
        if len(name) > 63:
            name = f"{self.name[:50]}_{hashlib.sha256(self.name.encode()).hexdigest()[:6]}_{suffix}"
        return name

    def _drop(self, relkind, cascade=False):
        """DROP the object named like this view, of whichever kind the database holds.
        Its readers go along when they are analytics views (created again by the
        synchronisation) or with ``cascade``; returns their names."""
        self.ensure_one()
        if not relkind:
            return set()
        readers = self._views_reading(self.name)
        cascade = cascade or readers <= set(self._all_views().mapped("name"))
        kind = SQL("MATERIALIZED VIEW") if relkind == "m" else SQL("VIEW")
        self._execute(
            SQL("DROP %s IF EXISTS %s %s", kind, self._relation(), SQL("CASCADE") if cascade else SQL("RESTRICT"))
        )
        _logger.info("Superset analytics: %s dropped", self.name)
        return readers if cascade else set()

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
                depending |= view._drop(existing.get(view.name), cascade=True)
                view._remove_cron()
                view._write_changes({"state": "waiting", "error_message": False, "applied_hash": False})

    def _write_changes(self, values):
        """Write only what differs: a synchronisation that changes nothing writes nothing."""
        self.ensure_one()
        changed = {key: value for key, value in values.items() if self[key] != value}
        if changed:
            self.write(changed)

    @api.model
    def _uninstall_analytics(self):
        """Uninstall hook: crons, schema (every view, materialized view and index in it)
        and the read-only role go; CREATE on schema public goes back to PUBLIC if the role
        action took it."""
        self.sudo()._all_views().cron_id.unlink()
        self._execute(SQL("DROP SCHEMA IF EXISTS %s CASCADE", SQL.identifier(SCHEMA)))
        self._drop_readonly_role()

    # --- helpers: misc --------------------------------------------------------------
    @api.model
    def _all_views(self):
        """Every record: a few dozen, each needed (pylint's no-search-all guards big tables)."""
        return self.search([])  # pylint: disable=no-search-all

    def _check_structure_access(self):
        """Only administrators (and data files) change what a view is; managers change
        its refresh interval and refresh it."""
        self.env["superset.connector"]._check_access(
            ADMINISTRATOR, self.env._("Only administrators change the definition of analytics views.")
        )
