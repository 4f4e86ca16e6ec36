from odoo import models


class IrModuleModule(models.Model):
    """Odoo's modules, extended: an uninstall first drops the analytics views reading them."""

    _inherit = "ir.module.module"

    # --- overrides ------------------------------------------------------------------
    def module_uninstall(self):
        """Drop the analytics views that read the tables of the modules being removed
        before Odoo drops those tables and columns.

        Odoo 18 drops a model's table and a field's column with CASCADE: that would take
        the views along silently, leaving their records "installed" and the refresh crons
        of materialized ones failing. It drops SQL views (reports) and many2many tables
        without CASCADE: there a dependent view would make the uninstall fail. Dropping
        first keeps records, crons and database in step; the views whose apps remain
        installed come back when the registry reloads (_register_hook)."""
        self.env["superset.analytics.view"].sudo()._drop_for_modules(self.mapped("name"))
        return super().module_uninstall()
