from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    # --- overrides ------------------------------------------------------------------
    def module_uninstall(self):
        """Drop the analytics views that read the tables of the modules being removed
        before Odoo drops those tables and columns: PostgreSQL refuses to drop a table or
        a column a view depends on, which would make the uninstall fail. The views whose
        apps remain installed come back when the registry reloads (_register_hook)."""
        self.env["superset.analytics.view"].sudo()._drop_for_modules(self.mapped("name"))
        return super().module_uninstall()
