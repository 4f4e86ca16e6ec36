from odoo import fields, models


class SupersetDashboard(models.Model):
    """A Superset dashboard offered in Odoo: who sees it, where, and how it is shown."""

    _name = "superset.dashboard"
    _description = "Superset Dashboard"
    _order = "sequence, name, id"

    # --- fields ---------------------------------------------------------------------
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    superset_dashboard_id = fields.Integer(
        string="Superset Dashboard ID", readonly=True, help="The dashboard's numeric id in Superset."
    )
    embedded_uuid = fields.Char(
        string="Embedded UUID",
        readonly=True,
        copy=False,
        help="The uuid of the dashboard's embedded configuration in Superset (not the dashboard's own uuid).",
    )
    group_ids = fields.Many2many(
        "res.groups", string="Groups", help="Groups that see this dashboard. Empty: every Superset user."
    )
    company_ids = fields.Many2many(
        "res.company", string="Companies", help="Companies the dashboard is offered in. Empty: all companies."
    )

    # --- constraints ----------------------------------------------------------------
    _sql_constraints = [
        (
            "superset_dashboard_id_unique",
            "unique(superset_dashboard_id)",
            "This Superset dashboard is already registered.",
        ),
    ]
