import logging

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


class SupersetGuestTokenLog(models.Model):
    """One row per guest token issued or refused: who, which dashboard, which companies,
    which rules, and why a refusal. The token itself is never stored."""

    _name = "superset.guest.token.log"
    _description = "Superset Guest Token Log"
    _order = "id desc"
    _log_access = False  # rows are written once by the system; create_date is ours

    # --- fields ---------------------------------------------------------------------
    create_date = fields.Datetime(string="Date", default=fields.Datetime.now, readonly=True, index=True)
    user_id = fields.Many2one("res.users", readonly=True, ondelete="set null", index=True)
    dashboard_id = fields.Many2one("superset.dashboard", readonly=True, ondelete="set null", index=True)
    company_ids = fields.Many2many("res.company", readonly=True)
    rules = fields.Text(readonly=True, help="The row-level-security clauses the token carries.")
    token_mode = fields.Selection([("api", "Superset API"), ("local", "Signed by Odoo")], readonly=True)
    cached = fields.Boolean(readonly=True, help="An API-mode token issued earlier and reused.")
    ip_address = fields.Char(string="IP address", readonly=True)
    user_agent = fields.Char(readonly=True)
    duration_ms = fields.Float(string="Duration (ms)", digits=(16, 1), readonly=True)
    outcome = fields.Selection([("issued", "Issued"), ("refused", "Refused")], readonly=True, index=True)
    error_code = fields.Char(readonly=True)
    reason = fields.Char(readonly=True)

    # --- actions --------------------------------------------------------------------

    @api.model
    def _cron_purge(self):
        """Delete rows older than superset_connector.token_log_days (default 90)."""
        days = int(self.env["ir.config_parameter"].sudo().get_param("superset_connector.token_log_days", 90) or 90)
        old = self.sudo().search([("create_date", "<", fields.Datetime.subtract(fields.Datetime.now(), days=days))])
        count = len(old)
        old.unlink()
        _logger.info("Superset guest token log: %d rows older than %d days deleted", count, days)
        return count
