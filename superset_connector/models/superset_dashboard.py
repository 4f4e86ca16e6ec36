import logging

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..services.errors import SupersetError, SupersetNotFound
from ..services.rls import COMPANY_COLUMN
from ..services.superset_locale import superset_locale
from .superset_analytics_sql import DASHBOARD_SYNC
from .superset_connector import MANAGER
from .user_messages import RELOAD, notification, user_errors

_logger = logging.getLogger(__name__)

CLIENT_ACTION_TAG = "superset_connector.dashboard"
# Fields whose change must reach the dashboard's menu; company_ids too: the menus the web
# client loads are cached per user, and a menu write clears that cache.
MENU_FIELDS = frozenset({"name", "sequence", "group_ids", "category_id", "active", "company_ids"})
# Fields the Action-menu bindings of its filters show (superset.dashboard.filter).
BINDING_FIELDS = frozenset({"name", "group_ids", "active"})
# uiConfig bits of Superset's embedded page; with EMIT_DATA_MASKS it tells the host page
# each change of its filters (observeDataMask), which Odoo remembers per user.
UI_HIDE_TITLE, UI_HIDE_TAB, UI_HIDE_CHART_CONTROLS, UI_EMIT_DATA_MASKS = 1, 2, 8, 16


class SupersetDashboard(models.Model):
    """A Superset dashboard offered in Odoo: who sees it, where, and how it is shown.
    Opening one (its guest token) is superset.guest.token's job."""

    _name = "superset.dashboard"
    _inherit = ["superset.menu.mixin"]
    _description = "Superset Dashboard"
    _order = "sequence, name, id"
    _menu_fields = MENU_FIELDS
    _menu_records = ("menu_id", "action_id", "filter_ids.action_id")

    # --- fields ---------------------------------------------------------------------
    name = fields.Char(required=True, help="The dashboard's title in Superset, updated by each sync.")
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10, help="Order in the menu.")
    superset_dashboard_id = fields.Integer(
        string="Superset Dashboard ID", readonly=True, index=True, help="The dashboard's numeric id in Superset."
    )
    embedded_uuid = fields.Char(
        string="Embedded UUID",
        readonly=True,
        copy=False,
        help="The uuid of the dashboard's embedded configuration in Superset (not the dashboard's own uuid).",
    )
    group_ids = fields.Many2many(
        "res.groups",
        help="Groups that see this dashboard. Empty: every Superset user. "
        "A newly synced dashboard is shown to Superset Managers only until you choose.",
    )
    managers_only = fields.Boolean(
        compute="_compute_managers_only",
        search="_search_managers_only",
        help="Shown to Superset Managers only, as a newly synced dashboard is until someone publishes it.",
    )
    company_ids = fields.Many2many("res.company", help="Companies the dashboard is offered in. Empty: all companies.")
    category_id = fields.Many2one(
        "superset.dashboard.category", ondelete="set null", help="Sub-menu the dashboard is in."
    )
    action_id = fields.Many2one("ir.actions.client", readonly=True, copy=False, ondelete="set null")
    show_title = fields.Boolean(default=True, help="Show the dashboard's title bar.")
    show_tabs = fields.Boolean(default=True, help="Show the dashboard's tabs bar, when it has tabs.")
    show_chart_controls = fields.Boolean(default=True, help="Show each chart's menu (download, full screen...).")
    show_filters = fields.Boolean(default=True, help="Show the native filters bar.")
    expand_filters = fields.Boolean(default=False, help="Open the native filters bar expanded.")
    company_policy = fields.Selection(
        [("active", "Companies active in the switcher"), ("allowed", "All the user's allowed companies")],
        string="Companies shown",
        default="active",
        required=True,
        help="Which companies' rows the dashboard shows a user.",
    )
    dataset_ids = fields.One2many("superset.dashboard.dataset", "dashboard_id", string="Datasets")
    filter_ids = fields.One2many("superset.dashboard.filter", "dashboard_id", string="Native filters")
    rls_rule_ids = fields.One2many("superset.rls.rule", "dashboard_id", string="Row-level security")
    failing_dataset_ids = fields.One2many(
        "superset.dashboard.dataset",
        compute="_compute_failing_dataset_ids",
        string="Datasets without company_id",
        help=f"Superset refuses the guests' queries of these datasets: they have no {COMPANY_COLUMN} column.",
    )
    missing_in_superset = fields.Boolean(
        readonly=True, help="The last sync did not find this dashboard in Superset; it was archived."
    )
    last_sync = fields.Datetime(readonly=True)
    superset_link = fields.Char(compute="_compute_superset_link", string="Open in Superset")

    # --- constraints ----------------------------------------------------------------
    _sql_constraints = [
        (
            "superset_dashboard_id_unique",
            "unique(superset_dashboard_id)",
            "This Superset dashboard is already registered.",
        ),
    ]

    # --- computes -------------------------------------------------------------------

    @api.depends("dataset_ids.has_company_column")
    def _compute_failing_dataset_ids(self):
        for dashboard in self:
            dashboard.failing_dataset_ids = dashboard.dataset_ids.filtered(lambda d: not d.has_company_column)

    @api.depends("superset_dashboard_id")
    def _compute_superset_link(self):
        base = self.env["superset.connector"]._get_settings().browser_url
        for dashboard in self:
            dashboard.superset_link = (
                f"{base}/superset/dashboard/{dashboard.superset_dashboard_id}/"
                if base and dashboard.superset_dashboard_id
                else False
            )

    def _ui_config(self):
        """What the embedded page needs to know about showing this dashboard."""
        self.ensure_one()
        bits = (
            UI_EMIT_DATA_MASKS
            | (0 if self.show_title else UI_HIDE_TITLE)
            | (0 if self.show_tabs else UI_HIDE_TAB)
            | (0 if self.show_chart_controls else UI_HIDE_CHART_CONTROLS)
        )
        return {
            "ui_config": bits,
            "show_filters": self.show_filters,
            "expand_filters": self.expand_filters,
            "locale": superset_locale(self.env.lang),
        }

    # --- overrides ------------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        if BINDING_FIELDS & vals.keys():
            self.sudo().filter_ids._sync_bindings()
        return result

    # --- actions --------------------------------------------------------------------

    @api.model
    def action_sync_from_superset(self):
        """Button: sync now and say what changed."""
        stats = self._sync_from_superset()
        message = self.env._(
            "%(created)s new, %(updated)s updated, %(archived)s archived, %(unchanged)s unchanged.",
            **stats,
        )
        if stats["failed"]:
            message += " " + self.env._(
                "The datasets of %(count)s dashboard(s) could not be read (see the server log); the next sync "
                "tries again.",
                count=stats["failed"],
            )
        return notification(
            message,
            "warning" if stats["failed"] else "success",
            title=self.env._("Dashboards synced from Superset"),
            then=RELOAD,
        )

    @api.model
    def action_create_starter_dashboards(self):
        """Button: the ready-made dashboards (models/superset_dashboard_starter.py)."""
        return self.env["superset.dashboard.starter"].action_create()

    def action_open(self):
        self.ensure_one()
        return self.action_id.read()[0] if self.action_id else False

    def action_export_bundle(self):
        """Button: the dashboard as a bundle (Superset's export of it, with its charts and
        datasets), to import into another Odoo or ship in an addon."""
        self.ensure_one()
        Bundle = self.env["superset.dashboard.bundle"]
        Bundle._check_manager()
        data = self.env["superset.connector"]._call("export", "dashboard", [self.superset_dashboard_id])
        bundle = Bundle.create(Bundle._prepare_export_values(self, data))
        return {
            "type": "ir.actions.act_window",
            "res_model": Bundle._name,
            "res_id": bundle.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    # --- sync -----------------------------------------------------------------------

    @api.model
    def _sync_from_superset(self):
        """Register every Superset dashboard, with embedding enabled for this Odoo.

        Creates what is new, updates what changed (nothing else is written, so a second
        sync changes nothing), archives what Superset no longer has.
        """
        connector = self.env["superset.connector"]
        connector._check_access(MANAGER, self.env._("Only Superset Managers can sync dashboards."))
        self._lock_sync()
        settings = connector._get_settings()
        client = connector._get_client(settings)
        domains = connector._allowed_domains()
        if not domains:
            raise UserError(self.env._("Odoo does not know its own address (web.base.url): set it, then sync again."))
        dashboards = self.sudo().with_context(active_test=False)
        Dataset = self.env["superset.dashboard.dataset"].sudo()
        Filter = self.env["superset.dashboard.filter"].sudo()
        existing = {d.superset_dashboard_id: d for d in dashboards.search([("superset_dashboard_id", "!=", False)])}
        stats = dict.fromkeys(("created", "updated", "archived", "unchanged", "failed"), 0)
        with user_errors(self.env):
            remote = client.list_dashboards(page_size=settings.sync_page_size)
            seen = set()
            for item in remote:
                try:
                    embedded_uuid = client.ensure_embedded(item["id"], domains)
                except SupersetNotFound:
                    continue  # deleted while we were syncing
                seen.add(item["id"])
                dashboard, outcome = dashboards._sync_one(existing.get(item["id"]), item, embedded_uuid)
                try:
                    if Dataset._sync_for(dashboard, client) and outcome == "unchanged":
                        outcome = "updated"
                    if Filter._sync_for(dashboard, client) and outcome == "unchanged":
                        outcome = "updated"
                except SupersetError as exc:
                    # One dashboard Superset cannot describe in time does not stop the others.
                    _logger.warning("Superset dashboard %s: datasets not read: %s", item["id"], exc)
                    stats["failed"] += 1
                stats[outcome] += 1
        for superset_id, dashboard in existing.items():
            if superset_id not in seen and dashboard.active:
                dashboard.write({"active": False, "missing_in_superset": True})
                stats["archived"] += 1
        return stats

    def _sync_one(self, dashboard, item, embedded_uuid):
        values = self._prepare_sync_values(item, embedded_uuid)
        if not dashboard:
            return self.create({**values, **self._prepare_new_dashboard_values(item)}), "created"
        if dashboard.missing_in_superset:
            values.update(active=True, missing_in_superset=False)  # it came back
        changed = {key: value for key, value in values.items() if dashboard[key] != value}
        if not changed:
            return dashboard, "unchanged"
        dashboard.write({**changed, "last_sync": fields.Datetime.now()})
        return dashboard, "updated"

    @api.model
    def _prepare_sync_values(self, item, embedded_uuid):
        return {
            "name": item.get("dashboard_title") or self.env._("Dashboard %s", item["id"]),
            "embedded_uuid": embedded_uuid,
        }

    @api.model
    def _prepare_new_dashboard_values(self, item):
        # Fail closed: a dashboard nobody chose to publish is seen by managers only.
        manager = self.env.ref("superset_connector.group_superset_manager")
        return {
            "superset_dashboard_id": item["id"],
            "group_ids": [Command.set(manager.ids)],
            "last_sync": fields.Datetime.now(),
        }

    @api.model
    def _lock_sync(self):
        """One sync (or bundle import, which syncs) at a time on the database, whatever
        runs it: this cron on any server, the buttons, another user. Held until the
        transaction ends; a second one is told at once rather than made to wait."""
        self.env["superset.analytics.sql"]._lock_job(
            DASHBOARD_SYNC,
            busy_message=self.env._(
                "Dashboards are being synced with Superset right now (by the hourly sync, a bundle import or "
                "another user). Try again in a minute, once it has finished."
            ),
        )

    @api.model
    def _cron_sync(self):
        settings = self.env["superset.connector"]._get_settings()
        if not settings.server_url:
            _logger.info("Superset dashboard sync skipped: Superset is not configured")
            return
        # Skipped, not waited for, while another sync runs: that one does the work.
        if not self.env["superset.analytics.sql"]._lock_job(DASHBOARD_SYNC):
            return
        if self.env["superset.dashboard.bundle"]._cron_import():
            return  # the import synced the dashboards
        try:
            stats = self._sync_from_superset()
        except UserError as exc:
            _logger.warning("Superset dashboard sync failed: %s", exc)
            return
        _logger.info("Superset dashboard sync: %s", stats)

    # --- publication ----------------------------------------------------------------

    @api.depends("group_ids")
    def _compute_managers_only(self):
        manager = self.env.ref("superset_connector.group_superset_manager")
        for dashboard in self:
            dashboard.managers_only = dashboard.group_ids == manager

    def _search_managers_only(self, operator, value):
        # By the group's XML id: its name is translated, so a filter on it fails in other languages.
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search dashboards shown to managers only with = True or = False."))
        manager = self.env.ref("superset_connector.group_superset_manager")
        candidates = self.with_context(active_test=False).search([("group_ids", "in", manager.ids)])
        ids = candidates.filtered(lambda dashboard: dashboard.group_ids == manager).ids
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    # --- menus ----------------------------------------------------------------------

    def _prepare_action_values(self):
        self.ensure_one()
        return {
            "name": self.name,
            "tag": CLIENT_ACTION_TAG,
            "params": {"dashboard_id": self.id},
        }

    def _prepare_menu_values(self):
        self.ensure_one()
        parent = self.category_id.menu_id or self.env.ref("superset_connector.superset_connector_menu_root")
        groups = self.group_ids or self.env.ref("superset_connector.group_superset_user")
        return {
            "name": self.name,
            "parent_id": parent.id,
            "sequence": self.sequence,
            "action": f"ir.actions.client,{self.action_id.id}",
            "groups_id": [Command.set(groups.ids)],
            "active": self.active,
        }

    def _update_menus(self):
        """Create or update each dashboard's client action, then its menu (which opens it)."""
        for dashboard in self:
            if dashboard.action_id:
                dashboard.action_id.sudo().write(dashboard._prepare_action_values())
            else:
                action = self.env["ir.actions.client"].sudo().create(dashboard._prepare_action_values())
                dashboard.write({"action_id": action.id})
        return super()._update_menus()

    @api.model
    def _menus_hidden_from_user(self):
        """Dashboard menus the current user must not see: dashboards they cannot read in
        any of their companies (menus only filter by groups; record rules do the rest)."""
        menus = self.sudo().search([("menu_id", "!=", False)]).menu_id
        if not self.env.user.has_group("superset_connector.group_superset_user"):
            return menus
        visible = self.with_context(allowed_company_ids=self.env.user.company_ids.ids).search(
            [("menu_id", "!=", False)]
        )
        return menus - visible.menu_id
