"""Dashboard bundles: Superset dashboard exports kept in Odoo and imported onto this
Odoo's analytics views (services/dashboard_bundle.py). A manager uploads one exported
from another Superset (a staging one, say), or exports a registered dashboard to take it
elsewhere; an addon ships one as a data record, and the hourly sync imports each new
version of it."""

import base64
import hashlib
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..services.dashboard_bundle import BundleError, describe, import_bundle, read, target
from ..services.errors import SupersetError
from .superset_analytics_view import SCHEMA
from .texts import user_text

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "superset_connector.group_superset_manager"


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

    # --- computes -------------------------------------------------------------------

    @api.depends("data")
    def _compute_contents(self):
        for bundle in self:
            raw = bundle._raw()
            try:
                contents = read(raw)
            except BundleError:
                contents = None  # _check_data says why
            bundle.checksum = _checksum(raw) if raw else False
            bundle.dashboard_titles = ", ".join(contents.titles) if contents else False
            bundle.chart_count = len(contents.of("charts")) if contents else 0
            bundle.dataset_names = ", ".join(contents.dataset_names) if contents else False

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
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Dashboard bundles"),
                "message": "\n".join(lines),
                "type": "warning" if failed else "success",
                "sticky": bool(failed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # --- import ---------------------------------------------------------------------

    def _import(self):
        """Import each bundle into Superset, then register the dashboards. What goes wrong
        with a bundle (its file, Superset's answer) is recorded on it and logged, not
        raised; a Superset that is not configured or not connected raises a UserError.
        Returns the bundles imported."""
        connector = self.env["superset.connector"]
        client = connector._get_client()
        try:
            to = self._target(client)
        except (BundleError, SupersetError) as exc:
            raise UserError(user_text(self.env, exc)) from exc
        imported = self.browse()
        for bundle in self:
            try:
                report = import_bundle(client, read(bundle._raw()), to)
            except (BundleError, SupersetError) as exc:
                _logger.warning("Superset dashboard bundle %s (id %s) not imported: %s", bundle.name, bundle.id, exc)
                bundle.write(
                    {"import_failed": True, "message": user_text(self.env, exc), "last_import": fields.Datetime.now()}
                )
                continue
            _logger.info("Superset dashboard bundle %s (id %s) imported: %s", bundle.name, bundle.id, report)
            bundle.write(
                {
                    "imported_checksum": bundle.checksum,
                    "import_failed": False,
                    "message": user_text(self.env, describe(report)),
                    "superset_dashboard_ids": ",".join(str(i) for i in report.dashboards.values()),
                    "last_import": fields.Datetime.now(),
                }
            )
            imported |= bundle
        if imported:
            imported._register_dashboards()
        return imported

    def _register_dashboards(self):
        """Register the imported dashboards here (embedding on, row-level security found)."""
        try:
            stats = self.env["superset.dashboard"].sudo()._sync_from_superset()
            _logger.info("Superset dashboard sync after importing bundles: %s", stats)
        except UserError as exc:
            for bundle in self:
                bundle.message = self.env._(
                    "%(message)s Not registered in Odoo yet: %(reason)s The hourly sync registers them later.",
                    message=bundle.message,
                    reason=exc.args[0],
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
            return bool(bundles._import())
        except UserError as exc:
            _logger.warning("Superset dashboard bundles not imported: %s", exc)
            return False

    # --- helpers --------------------------------------------------------------------

    def _raw(self):
        self.ensure_one()
        data = self.with_context(bin_size=False).data
        return base64.b64decode(data) if data else b""

    def _check_manager(self):
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only Superset Managers can import dashboard bundles."))

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
