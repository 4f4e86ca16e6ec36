import logging

from odoo import api, fields, models
from odoo.tools import SQL

from .superset_analytics_sql import TOKEN_LOG_PURGE

_logger = logging.getLogger(__name__)

# Columns the token route fills in (see _record).
LOG_COLUMNS = (
    "request",
    "jti",
    "user_id",
    "dashboard_id",
    "rules",
    "token_mode",
    "cached",
    "ip_address",
    "user_agent",
    "duration_ms",
    "outcome",
    "error_code",
    "reason",
)
# Rows the retention cron deletes per call (one transaction each).
PURGE_BATCH = 10_000


class SupersetGuestTokenLog(models.Model):
    """One row per guest token issued or refused, and per diagnosis of a dashboard that
    did not show: who, which dashboard, which companies, which rules, and why a refusal
    (in full: Superset's words too, which the user was spared). The token itself is never
    stored, only its jti."""

    _name = "superset.guest.token.log"
    _description = "Superset Guest Token Log"
    _order = "id desc"
    _log_access = False  # rows are written once by the system; create_date is ours

    # --- fields ---------------------------------------------------------------------
    create_date = fields.Datetime(string="Date", default=fields.Datetime.now, readonly=True, index=True)
    request = fields.Selection(
        [("token", "Guest token"), ("diagnose", "Diagnosis")],
        default="token",
        readonly=True,
        help="Guest token: a dashboard asked for a token. Diagnosis: the dashboard's page did not answer in the "
        "browser, and Odoo looked for why.",
    )
    jti = fields.Char(
        string="Token id",
        readonly=True,
        index=True,
        help="The token's jti claim (tokens signed by Odoo carry one); for a token Superset issued, which carries "
        "none, a SHA-256 fingerprint of it. The token itself is never stored.",
    )
    user_id = fields.Many2one("res.users", readonly=True, ondelete="set null", index=True)
    dashboard_id = fields.Many2one("superset.dashboard", readonly=True, ondelete="set null", index=True)
    company_ids = fields.Many2many(
        "res.company", "superset_guest_token_log_company_rel", "log_id", "company_id", readonly=True
    )
    rules = fields.Text(readonly=True, help="The row-level-security clauses the token carries.")
    token_mode = fields.Selection([("api", "Superset API"), ("local", "Signed by Odoo")], readonly=True)
    cached = fields.Boolean(readonly=True, help="An API-mode token issued earlier and reused.")
    ip_address = fields.Char(string="IP address", readonly=True)
    user_agent = fields.Char(readonly=True)
    duration_ms = fields.Float(string="Duration (ms)", digits=(16, 1), readonly=True)
    outcome = fields.Selection([("issued", "Issued"), ("refused", "Refused")], readonly=True, index=True)
    error_code = fields.Char(readonly=True)
    reason = fields.Text(readonly=True)

    # --- helpers --------------------------------------------------------------------

    @api.model
    def _record(self, values, company_ids):
        """Write one row and its companies in a single round trip on the token's hot path
        (the ORM would take three), and let this transaction commit without waiting for
        the disk (synchronous_commit off for it only): PostgreSQL stays consistent, a crash
        can lose the last fraction of a second of rows."""
        columns = [name for name in LOG_COLUMNS if values.get(name) is not None]
        self.env.cr.execute(
            SQL(
                "SET LOCAL synchronous_commit TO OFF; "
                "WITH row AS (INSERT INTO %(table)s (create_date, %(columns)s) "
                "VALUES (now() AT TIME ZONE 'UTC', %(values)s) RETURNING id) "
                "INSERT INTO superset_guest_token_log_company_rel (log_id, company_id) "
                "SELECT row.id, company FROM row, unnest(%(companies)s::int[]) AS company",
                table=SQL.identifier(self._table),
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                values=SQL(", ").join(SQL("%s", values[name]) for name in columns),
                companies=list(company_ids),
            )
        )

    # --- actions --------------------------------------------------------------------

    @api.model
    def _cron_purge(self, batch_size=PURGE_BATCH):
        """Delete rows older than superset_connector.token_log_days (default 90), oldest
        first, at most batch_size per call. A dashboard left open renews its token every few
        minutes, so the log can hold millions of rows: one unbounded delete would hold all
        their ids in the worker's memory and may outlive the cron's time limit. Each call
        reports its progress; Odoo's cron runner commits and calls again while rows remain,
        and the trigger below finishes the backlog after a manual run too. Another purge
        running meanwhile (another cron or caller, on any server) makes this call a no-op
        returning 0: the two would only fight over the same rows."""
        if not self.env["superset.analytics.sql"]._lock_job(TOKEN_LOG_PURGE):
            return 0
        days = self.env["superset.connector"]._get_settings().token_log_days
        old_domain = [("create_date", "<", fields.Datetime.subtract(fields.Datetime.now(), days=days))]
        logs = self.sudo()
        batch = logs.search(old_domain, order="create_date, id", limit=batch_size)
        batch.unlink()
        remaining = logs.search_count(old_domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        if remaining:
            cron = self.env.ref("superset_connector.ir_cron_superset_guest_token_log_purge", raise_if_not_found=False)
            if cron:
                cron._trigger()
        _logger.info(
            "Superset guest token log: %d rows older than %d days deleted, %d left", len(batch), days, remaining
        )
        return len(batch)
