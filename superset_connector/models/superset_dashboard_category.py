from odoo import fields, models


class SupersetDashboardCategory(models.Model):
    """A sub-menu of BI Dashboards grouping dashboards."""

    _name = "superset.dashboard.category"
    _inherit = ["superset.menu.mixin"]
    _description = "Superset Dashboard Category"
    _order = "sequence, name, id"
    _menu_fields = frozenset({"name", "sequence", "active"})

    # --- fields ---------------------------------------------------------------------
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    dashboard_ids = fields.One2many("superset.dashboard", "category_id")

    # --- overrides ------------------------------------------------------------------

    def unlink(self):
        # Dashboards move back under the root menu before their category's menu goes.
        self.with_context(active_test=False).dashboard_ids.write({"category_id": False})
        return super().unlink()

    # --- menus ----------------------------------------------------------------------

    def _prepare_menu_values(self):
        self.ensure_one()
        return {
            "name": self.name,
            "parent_id": self.env.ref("superset_connector.superset_connector_menu_root").id,
            "sequence": self.sequence,
            "active": self.active,
        }
