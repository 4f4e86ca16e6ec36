from odoo import fields, models


class IrActionsClient(models.Model):
    """Client actions with groups, as window actions have: the web client's Action menu
    (ir.actions.actions.get_bindings) then shows a bound one only to those groups. The
    dashboards bound to records' Action menus (superset.dashboard.filter) use it; empty,
    as for every other client action: everyone."""

    _inherit = "ir.actions.client"

    groups_id = fields.Many2many(
        "res.groups",
        "superset_connector_act_client_group_rel",
        "act_id",
        "gid",
        help="Shown in the Action menu to these groups only. Empty: to everyone.",
    )
