"""Dashboard bundles: Superset dashboard exports kept in Odoo and imported onto this
Odoo's analytics views (services/dashboard_bundle.py). A manager uploads one exported
from another Superset (a staging one, say), or exports a registered dashboard to take it
elsewhere; an addon ships one as a data record, and the hourly sync imports each new
version of it."""

import base64
import hashlib
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..services.dashboard_bundle import BundleError, describe, import_bundle, read, target
from ..services.errors import SupersetError
from .superset_analytics_view import SCHEMA
from .superset_connector import MANAGER
from .user_messages import RELOAD, notification, user_errors, user_text

_logger = logging.getLogger(__name__)


def _checksum(raw):
    return hashlib.sha256(raw).hexdigest()


class SupersetDashboardBundle(models.Model):
    _name = "superset.dashboard.bundle"
    _description = "Superset Dashboard Bundle"
    _order = "sequence, name, id"

    # --- fields ---------------------------------------------------------------------
    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    data = fields.Binary(
        string="File",
        attachment=True,
        required=True,
        help="A dashboard export of Superset (ZIP): in Superset, open the dashboard, then ⋯ ‣ Download ‣ "
        'Export YAML. An addon ships one with <field name="data" type="base64" file="my_addon/data/x.zip"/>.',
    )
    filename = fields.Char()
    checksum = fields.Char(compute="_compute_contents", store=True, help="SHA-256 of the file.")
    dashboard_titles = fields.Char(string="Dashboards", compute="_compute_contents", store=True)
    chart_count = fields.Integer(string="Charts", compute="_compute_contents", store=True)
    dataset_names = fields.Char(string="Datasets", compute="_compute_contents", store=True)
    auto_import = fields.Boolean(
        string="Import automatically",
        help="The hourly Superset sync imports the file whenever it is new or changed: an addon that ships "
        "a bundle brings each new version of its dashboards this way.",
    )
    state = fields.Selection(
        [
            ("new", "Not imported"),
            ("imported", "Imported"),
            ("changed", "Changed since imported"),
            ("failed", "Import failed"),
        ],
        compute="_compute_state",
        store=True,
    )
    imported_checksum = fields.Char(readonly=True, copy=False)
    import_failed = fields.Boolean(readonly=True, copy=False)
    message = fields.Text(string="Last import", readonly=True, copy=False)
    last_import = fields.Datetime(readonly=True, copy=False)
    superset_dashboard_ids = fields.Char(
        readonly=True, copy=False, help="Ids, in Superset, of the dashboards the last import made or updated."
    )
    dashboard_ids = fields.Many2many(
        "superset.dashboard",
        compute="_compute_dashboard_ids",
        string="Registered dashboards",
        help="The dashboards of the last import, as registered here (once the sync has found them).",
    )

    # --- constraints ----------------------------------------------------------------

    @api.constrains("data")
    def _check_data(self):
        # _compute_contents read the file already: read it again only to say why it failed.
        for bundle in self.filtered(lambda b: not b.dashboard_titles):
            try:
                read(bundle._raw())
            except BundleError as exc:
                raise ValidationError(user_text(self.env, exc)) from exc
            except Exception as exc:
                _logger.exception(
                    "Superset dashboard bundle %s (id %s): the file cannot be read", bundle.name, bundle.id
                )
                raise ValidationError(
                    self.env._(
                        "The file cannot be read as a dashboard export (%(error)s): the server log has the details.",
                        error=type(exc).__name__,
                    )
                ) from exc

    # --- computes -------------------------------------------------------------------

    @api.depends("data")
    def _compute_contents(self):
        for bundle in self:
            raw = bundle._raw()
            bundle.checksum = _checksum(raw) if raw else False
            bundle.update(bundle._summary(raw))

    def _summary(self, raw):
        """What the form shows of the file; nothing when it cannot be read (_check_data
        says why). Never raises: a file that slipped past the reader of an older version
        must not break the form or the sync."""
        empty = {"dashboard_titles": False, "chart_count": 0, "dataset_names": False}
        try:
            contents = read(raw)
            return {
                "dashboard_titles": ", ".join(contents.titles),
                "chart_count": len(contents.of("charts")),
                "dataset_names": ", ".join(contents.dataset_names),
            }
        except BundleError:
            return empty
        except Exception:
            _logger.exception("Superset dashboard bundle %s (id %s): the file cannot be read", self.name, self.id)
            return empty

    @api.depends("checksum", "imported_checksum", "import_failed")
    def _compute_state(self):
        for bundle in self:
            if bundle.import_failed:
                bundle.state = "failed"
            elif not bundle.imported_checksum:
                bundle.state = "new"
            else:
                bundle.state = "imported" if bundle.imported_checksum == bundle.checksum else "changed"

    @api.depends("superset_dashboard_ids")
    def _compute_dashboard_ids(self):
        Dashboard = self.env["superset.dashboard"].with_context(active_test=False)
        for bundle in self:
            ids = [int(i) for i in (bundle.superset_dashboard_ids or "").split(",") if i.strip().isdigit()]
            bundle.dashboard_ids = Dashboard.search([("superset_dashboard_id", "in", ids)]) if ids else False

    # --- overrides ------------------------------------------------------------------

    def write(self, vals):
        if "data" in vals:
            vals = {**vals, "import_failed": False}  # the failure was the old file's
        return super().write(vals)

    # --- actions --------------------------------------------------------------------

    def action_import(self):
        """Button: import the files into Superset, register their dashboards, say how it went."""
        self._check_manager()
        imported = self._import()
        failed = self - imported
        lines = [f"{bundle.name}: {bundle.message}" for bundle in self]
        if imported:
            lines.append(
                self.env._(
                    "New dashboards are shown to Superset Managers only: choose their groups to offer them to others."
                )
            )
        return notification(
            "\n".join(lines), "warning" if failed else "success", title=self.env._("Dashboard bundles"), then=RELOAD
        )

    # --- import ---------------------------------------------------------------------

    def _import(self):
        """Import each bundle into Superset, then register the dashboards. Whatever goes
        wrong with a bundle (its file, Superset's answer, an error nobody foresaw) is
        recorded on it and logged, not raised, and what it wrote here is rolled back; the
        other bundles are imported all the same. A Superset that is not configured or not
        connected, or a sync running meanwhile, raises a UserError. Returns the bundles imported."""
        self.env["superset.dashboard"]._lock_sync()  # the import syncs: one of either at a time
        connector = self.env["superset.connector"]
        client = connector._get_client()
        with user_errors(self.env, BundleError):
            to = self._target(client)
        imported = self.browse()
        for bundle in self:
            reason = bundle._import_one(client, to)
            if reason is None:
                imported |= bundle
            else:
                bundle.write({"import_failed": True, "message": reason, "last_import": fields.Datetime.now()})
        if imported:
            imported._register_dashboards()
        return imported

    def _import_one(self, client, to):
        """Import this bundle, in a savepoint: None when it was imported, else why not (in
        the user's words)."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                report = import_bundle(client, read(self._raw()), to)
                self.write(
                    {
                        "imported_checksum": self.checksum,
                        "import_failed": False,
                        "message": user_text(self.env, describe(report)),
                        "superset_dashboard_ids": ",".join(str(i) for i in report.dashboards.values()),
                        "last_import": fields.Datetime.now(),
                    }
                )
        except (BundleError, SupersetError) as exc:
            _logger.warning("Superset dashboard bundle %s (id %s) not imported: %s", self.name, self.id, exc)
            return user_text(self.env, exc)
        except Exception as exc:
            _logger.exception("Superset dashboard bundle %s (id %s) not imported: unexpected error", self.name, self.id)
            return self.env._(
                "The import stopped on an unexpected error (%(error)s): the server log has the details.",
                error=type(exc).__name__,
            )
        _logger.info("Superset dashboard bundle %s (id %s) imported: %s", self.name, self.id, report)
        return None

    def _register_dashboards(self):
        """Register the imported dashboards here (embedding on, row-level security found).
        When that fails, the bundles say so: the hourly sync registers them later."""
        try:
            with self.env.cr.savepoint():
                stats = self.env["superset.dashboard"].sudo()._sync_from_superset()
            _logger.info("Superset dashboard sync after importing bundles: %s", stats)
            return
        except UserError as exc:
            reason = exc.args[0]
        except Exception as exc:
            _logger.exception("Superset dashboard sync after importing bundles failed")
            reason = self.env._(
                "An unexpected error (%(error)s) stopped it; the server log has the details.", error=type(exc).__name__
            )
        for bundle in self:
            bundle.message = self.env._(
                "%(message)s Not registered in Odoo yet: %(reason)s The hourly sync registers them later.",
                message=bundle.message,
                reason=reason,
            )

    @api.model
    def _target(self, client):
        """The analytics connection a bundle's datasets land on ("Connect Superset")."""
        database_id = self.env["superset.analytics.view"]._superset_database_id()
        views = self.env["superset.analytics.view"].sudo().search([("state", "=", "installed")])
        tables = {view.name for view in views if view.superset_dataset_id}
        if not database_id or not tables:
            raise UserError(
                self.env._(
                    "Superset does not read the analytics views yet: an administrator clicks Connect Superset "
                    "(Settings ‣ Superset), then you import the bundle."
                )
            )
        return target(client, database_id, SCHEMA, tables)

    @api.model
    def _cron_import(self):
        """The hourly sync's first step: import the files set to import automatically
        that are new, changed or failed last time. True when some were imported (and the
        dashboards synced with them)."""
        bundles = self.search([("auto_import", "=", True), ("state", "!=", "imported")])
        if not bundles:
            return False
        try:
            with self.env.cr.savepoint():
                return bool(bundles._import())
        except UserError as exc:
            _logger.warning("Superset dashboard bundles not imported: %s", exc)
        except Exception:
            # Never in the way of the dashboard sync that follows.
            _logger.exception("Superset dashboard bundles not imported: unexpected error")
        return False

    # --- helpers --------------------------------------------------------------------

    def _raw(self):
        self.ensure_one()
        data = self.with_context(bin_size=False).data
        return base64.b64decode(data) if data else b""

    def _check_manager(self):
        self.env["superset.connector"]._check_access(
            MANAGER, self.env._("Only Superset Managers can import dashboard bundles.")
        )

    @api.model
    def _prepare_export_values(self, dashboard, data):
        """A bundle of a dashboard exported from this Superset: imported already, here."""
        return {
            "name": dashboard.name,
            "data": base64.b64encode(data),
            "filename": f"{dashboard.name}.zip",
            "imported_checksum": _checksum(data),
            "superset_dashboard_ids": str(dashboard.superset_dashboard_id),
            "message": self.env._(
                "Exported from this Superset: download the file to import it into another Odoo, or ship it in an addon."
            ),
            "last_import": fields.Datetime.now(),
        }
