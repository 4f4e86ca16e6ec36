"""Starter dashboards: ready-made Superset dashboards on the analytics views (Sales,
Invoicing, Purchase, Inventory; services/superset_content.py), built in Superset and
registered here in one click, so that a new installation shows figures before anyone
has designed a chart."""

import logging

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from ..services.errors import SupersetError
from ..services.superset_content import build_starters, describe, load_starters
from .superset_analytics_view import SCHEMA
from .texts import user_text

_logger = logging.getLogger(__name__)


class SupersetDashboardStarter(models.AbstractModel):
    _name = "superset.dashboard.starter"
    _description = "Superset Starter Dashboards"

    @api.model
    def action_create(self):
        """Button: build the starter dashboards whose views are connected, register them
        (for Superset Managers only, like any new dashboard) and say what was done."""
        if not (self.env.su or self.env.user.has_group("superset_connector.group_superset_manager")):
            raise AccessError(self.env._("Only Superset Managers can create the starter dashboards."))
        report = self._create()
        self.env["superset.dashboard"]._sync_from_superset()
        message = user_text(self.env, describe(report))
        if report.created:
            message += " " + self.env._(
                "New dashboards are shown to Superset Managers only: choose their groups to offer them to others."
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Starter dashboards"),
                "message": message,
                "type": "success" if (report.created or report.existing) and not report.failed else "warning",
                "sticky": bool(report.failed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

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
        try:
            return build_starters(
                client,
                load_starters(),
                database_id=database_id,
                schema=SCHEMA,
                datasets=datasets,
                database=self.env.cr.dbname,
                progress=_logger.info,
            )
        except SupersetError as exc:
            raise UserError(user_text(self.env, exc)) from exc
