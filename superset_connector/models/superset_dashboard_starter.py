"""Starter dashboards: ready-made Superset dashboards on the analytics views (Financial,
Human resources, Inventory, Manufacturing, Procurement, Sales & CRM;
services/superset_content.py), built in Superset and
registered here in one click, so that a new installation shows figures before anyone
has designed a chart."""

import logging

from odoo import api, models
from odoo.exceptions import UserError

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
