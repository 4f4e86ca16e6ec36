"""Starter dashboards: ready-made Superset dashboards on the analytics views (Financial,
Human resources, Inventory, Manufacturing, Procurement, Sales & CRM;
services/superset_content.py), built in Superset and
registered here in one click, so that a new installation shows figures before anyone
has designed a chart."""

import logging

from odoo import api, models
from odoo.exceptions import UserError, ValidationError

from ..services import analytics_sql
from ..services.superset_content import build_starters, describe, load_starters
from .superset_analytics_view import SCHEMA
from .superset_connector import MANAGER
from .user_messages import RELOAD, notification, user_errors, user_text

_logger = logging.getLogger(__name__)


class SupersetDashboardStarter(models.AbstractModel):
    _name = "superset.dashboard.starter"
    _description = "Superset Starter Dashboards"

    @api.model
    def action_create(self):
        """Button: build the starter dashboards whose views are connected, register them
        (for Superset Managers only, like any new dashboard) and say what was done."""
        self.env["superset.connector"]._check_access(
            MANAGER, self.env._("Only Superset Managers can create the starter dashboards.")
        )
        # The sync below needs the lock: take it before building anything in Superset.
        self.env["superset.dashboard"]._lock_sync()
        report = self._create()
        self.env["superset.dashboard"]._sync_from_superset()
        self._open_from_records(report, load_starters())
        message = user_text(self.env, describe(report, self._missing_apps({**report.skipped, **report.partial})))
        if report.created:
            message += " " + self.env._(
                "New dashboards are shown to Superset Managers only: choose their groups to offer them to others."
            )
        return notification(
            message,
            "success" if (report.created or report.existing) and not report.failed else "warning",
            title=self.env._("Starter dashboards"),
            sticky=bool(report.failed),
            then=RELOAD,
        )

    @api.model
    def _open_from_records(self, report, starters):
        """Set "Open from records" on the synced filters of the starter dashboards whose
        file says so ("open_from"), where the line has none yet and the model is installed."""
        by_title = {starter.title: starter for starter in starters}
        Dashboard = self.env["superset.dashboard"].sudo().with_context(active_test=False)
        for title, superset_id in {**report.existing, **report.created}.items():
            starter = by_title.get(title)
            dashboard = Dashboard.search([("superset_dashboard_id", "=", superset_id)], limit=1)
            if not starter or not dashboard:
                continue
            for item in starter.filters:
                open_from = item.get("open_from")
                model = open_from and self.env["ir.model"]._get(open_from["model"])
                if not model or model in dashboard.filter_ids.model_id:
                    continue  # the app is not installed, or its records open another filter
                line = dashboard.filter_ids.filtered(lambda f, key=item["key"]: f.filter_id == f"NATIVE_FILTER-{key}")
                if not line or line.model_id:
                    continue
                try:
                    with self.env.cr.savepoint():
                        line.write({"model_id": model.id, "value_field": open_from["field"]})
                except ValidationError as exc:
                    _logger.warning(
                        "Starter dashboard %s: filter %s not opened from records: %s", title, item["key"], exc
                    )

    @api.model
    def _missing_apps(self, skipped):
        """{dashboard title: names of the apps (as the Apps menu shows them) that its
        views wait for} of the skipped dashboards (or the left-out charts); a view Odoo does not know counts as
        waiting for Connect Superset only."""
        Views = self.env["superset.analytics.view"].sudo().with_context(active_test=False)
        modules = self.env["ir.module.module"].sudo()
        missing = {}
        for title, view_names in skipped.items():
            technical = set()
            for view in Views.search([("name", "in", view_names)]):
                technical.update(analytics_sql.module_names(view.missing_modules))
            found = modules.search([("name", "in", sorted(technical))])
            names = {module.name: module.shortdesc or module.name for module in found}
            missing[title] = sorted(names.get(name, name) for name in technical)
        return missing

    @api.model
    def _create(self):
        """The starter dashboards built in Superset (services/superset_content.py): a StarterReport."""
        views = self.env["superset.analytics.view"].sudo().search([("state", "=", "installed")])
        database_id = self.env["superset.analytics.view"]._superset_database_id()
        datasets = {view.name: view.superset_dataset_id for view in views if view.superset_dataset_id}
        if not database_id or not datasets:
            raise UserError(
                self.env._(
                    "Superset does not read the analytics views yet: an administrator clicks Connect Superset "
                    "(Settings ‣ Superset), then you create the starter dashboards."
                )
            )
        client = self.env["superset.connector"]._get_client()
        with user_errors(self.env):
            return build_starters(
                client,
                load_starters(),
                database_id=database_id,
                schema=SCHEMA,
                datasets=datasets,
                database=self.env.cr.dbname,
                progress=_logger.info,
            )
