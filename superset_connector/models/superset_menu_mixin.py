from odoo import api, fields, models


class SupersetMenuMixin(models.AbstractModel):
    """A record that owns a menu under BI Dashboards (a dashboard, a category): the menu
    is made with the record, follows the writes of _menu_fields, and goes with it. The
    record says what its menu is (_prepare_menu_values)."""

    _name = "superset.menu.mixin"
    _description = "Superset Record with a Menu"
    _menu_fields = frozenset()  # the fields the menu shows: a write of one updates it
    _menu_records = ("menu_id",)  # what was made for the menu, removed with the record

    # --- fields ---------------------------------------------------------------------
    menu_id = fields.Many2one("ir.ui.menu", readonly=True, copy=False, ondelete="set null")

    # --- overrides ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._update_menus()
        return records

    def write(self, vals):
        result = super().write(vals)
        if self._menu_fields & vals.keys():
            self._update_menus()
        return result

    def unlink(self):
        made = [self.mapped(name) for name in self._menu_records]
        result = super().unlink()
        for records in made:
            records.sudo().unlink()
        return result

    # --- menus ----------------------------------------------------------------------

    def _prepare_menu_values(self):
        raise NotImplementedError

    def _update_menus(self):
        """Create or update each record's menu."""
        for record in self:
            values = record._prepare_menu_values()
            menu = record.menu_id.sudo().with_context(active_test=False)
            if menu.exists():
                menu.write(values)
            else:
                record.write({"menu_id": self.env["ir.ui.menu"].sudo().create(values).id})
