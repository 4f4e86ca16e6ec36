from odoo import api, fields, models


class SupersetDashboardCategory(models.Model):
    """A sub-menu of BI Dashboards grouping dashboards."""

    _name = "superset.dashboard.category"
    _description = "Superset Dashboard Category"
    _order = "sequence, name, id"

    # --- fields ---------------------------------------------------------------------
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    dashboard_ids = fields.One2many("superset.dashboard", "category_id")
    menu_id = fields.Many2one("ir.ui.menu", readonly=True, copy=False, ondelete="set null")

    # --- overrides ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        categories = super().create(vals_list)
        categories._update_menus()
        return categories

    def write(self, vals):
        result = super().write(vals)
        if {"name", "sequence", "active"} & vals.keys():
            self._update_menus()
        return result

    def unlink(self):
        menus = self.menu_id
        # Dashboards move back under the root menu before their category's menu goes.
        self.with_context(active_test=False).dashboard_ids.write({"category_id": False})
        result = super().unlink()
        menus.sudo().unlink()
        return result

    # --- menus ----------------------------------------------------------------------

    def _prepare_menu_values(self):
        self.ensure_one()
        return {
            "name": self.name,
            "parent_id": self.env.ref("superset_connector.superset_connector_menu_root").id,
            "sequence": self.sequence,
            "active": self.active,
        }

    def _update_menus(self):
        for category in self:
            menu = category.menu_id.sudo().with_context(active_test=False)
            if menu.exists():
                menu.write(category._prepare_menu_values())
            else:
                menu = self.env["ir.ui.menu"].sudo().create(category._prepare_menu_values())
                category.write({"menu_id": menu.id})
