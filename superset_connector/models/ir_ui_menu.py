from odoo import models


class IrUiMenu(models.Model):
    """Odoo's menus, extended: a dashboard's menu is hidden from users who may not read it."""

    _inherit = "ir.ui.menu"

    def _load_menus_blacklist(self):
        # Menus filter by groups only; a dashboard's companies and record rules decide too.
        hidden = self.env["superset.dashboard"]._menus_hidden_from_user()
        return super()._load_menus_blacklist() + hidden.ids
