PARAM_PREFIX = "superset_connector."


def uninstall_hook(env):
    """Leave nothing behind: settings (secrets included) are not owned by an XML id,
    so Odoo would keep them after the module is gone."""
    # First the analytics schema, its crons and read-only role (its name may be a setting).
    env["superset.analytics.view"].sudo()._uninstall_analytics()
    env["ir.config_parameter"].sudo().search([("key", "=like", f"{PARAM_PREFIX}%")]).unlink()
