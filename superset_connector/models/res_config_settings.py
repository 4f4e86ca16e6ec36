from dataclasses import replace

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..services.config import BOUNDS, DATABASE, ENVIRONMENT, MAX_TOKEN_TTL, MIN_TOKEN_TTL, ODOO_CONF, PARAM_PREFIX

# The secrets the form takes (write-only fields superset_<key>).
FORM_SECRETS = ("password", "guest_token_secret")


def _secret_state(env, source):
    if source == ENVIRONMENT:
        return env._("Set in the server environment; it wins over any value entered here.")
    if source == ODOO_CONF:
        return env._("Set in odoo.conf; it wins over any value entered here.")
    if source == DATABASE:
        return env._("Stored. Type a new value to replace it.")
    return env._("Not set.")


class ResConfigSettings(models.TransientModel):
    """Odoo's Settings, extended: the Superset section (values checked on save; secrets
    write-only)."""

    _inherit = "res.config.settings"

    # --- fields ---------------------------------------------------------------------
    superset_url = fields.Char(
        string="Superset URL",
        config_parameter="superset_connector.url",
        help="Superset as the users' browsers reach it, e.g. https://bi.example.com",
    )
    superset_internal_url = fields.Char(
        string="Internal URL",
        config_parameter="superset_connector.internal_url",
        help="Superset as the Odoo server reaches it, when that differs (proxy, containers). Empty: the Superset URL.",
    )
    superset_username = fields.Char(
        string="Service account",
        config_parameter="superset_connector.username",
        help="Superset user Odoo logs in as to sync dashboards (and issue guest tokens in API mode).",
    )
    # Secrets are write-only: never read back into the form, so never sent to a browser.
    superset_password = fields.Char(string="Password", groups="base.group_system")
    superset_password_state = fields.Char(compute="_compute_superset_secret_states", groups="base.group_system")
    superset_token_mode = fields.Selection(
        [("api", "Superset API"), ("local", "Signed by Odoo")],
        string="Guest tokens",
        default="api",
        config_parameter="superset_connector.token_mode",
        help="Superset API: Odoo asks Superset for each guest token (needs can_grant_guest_token). "
        "Signed by Odoo: Odoo signs them with Superset's GUEST_TOKEN_JWT_SECRET, no round trip.",
    )
    superset_guest_token_secret = fields.Char(string="Guest-token secret", groups="base.group_system")
    superset_guest_token_secret_state = fields.Char(
        compute="_compute_superset_secret_states", groups="base.group_system"
    )
    superset_guest_token_audience = fields.Char(
        string="Guest-token audience",
        default="superset_connector",
        config_parameter="superset_connector.guest_token_audience",
        help="Must equal GUEST_TOKEN_JWT_AUDIENCE in superset_config.py.",
    )
    superset_token_ttl = fields.Integer(
        string="Token lifetime (s)",
        default=300,
        config_parameter="superset_connector.token_ttl",
        help=f"Guest tokens expire after this many seconds ({MIN_TOKEN_TTL} to {MAX_TOKEN_TTL}); the dashboard "
        "gets a fresh one before that.",
    )
    superset_token_deadline = fields.Float(
        string="Guest token deadline (s)",
        default=2.0,
        config_parameter="superset_connector.token_deadline",
        help="The longest a user opening a dashboard waits on Superset for a guest token (Superset API mode), "
        "all calls included; past it the dashboard says Superset is unavailable.",
    )
    superset_token_log_days = fields.Integer(
        string="Keep the log (days)",
        default=90,
        config_parameter="superset_connector.token_log_days",
        help="A daily cron deletes the guest token log rows older than this.",
    )
    superset_connect_timeout = fields.Float(
        string="Connect timeout (s)", default=5.0, config_parameter="superset_connector.connect_timeout"
    )
    superset_read_timeout = fields.Float(
        string="Read timeout (s)", default=30.0, config_parameter="superset_connector.read_timeout"
    )
    superset_allowed_domains = fields.Char(
        string="Other Odoo addresses",
        config_parameter="superset_connector.allowed_domains",
        help="Other origins users open Odoo with (space separated), e.g. https://erp.example.com. "
        "The origin of web.base.url is always allowed.",
    )
    superset_analytics_database_name = fields.Char(
        string="Database name in Superset",
        config_parameter="superset_connector.analytics_database_name",
        help="Name of the Superset database connection to the analytics views. Empty: Odoo analytics (<database>).",
    )
    superset_analytics_standby_max_lag = fields.Integer(
        string="Standby lag allowed (s)",
        default=60,
        config_parameter="superset_connector.analytics_standby_max_lag",
        help="When Superset reads the analytics views from a standby (analytics host/port set on the server), "
        "Odoo tells Superset about a refresh only once the standby has replayed it. A standby that has not "
        "after this many seconds is said on the analytics view.",
    )

    # --- computes -------------------------------------------------------------------

    @api.depends("superset_url")
    def _compute_superset_secret_states(self):
        connector = self.env["superset.connector"]
        password = _secret_state(self.env, connector._setting_source("password"))
        guest_secret = _secret_state(self.env, connector._setting_source("guest_token_secret"))
        for settings in self:
            settings.superset_password_state = password
            settings.superset_guest_token_secret_state = guest_secret

    # --- constraints ----------------------------------------------------------------

    @api.constrains(
        "superset_token_ttl",
        "superset_token_deadline",
        "superset_connect_timeout",
        "superset_read_timeout",
        "superset_token_log_days",
        "superset_analytics_standby_max_lag",
    )
    def _check_superset_numbers(self):
        # A value out of range would be stored as is and break every dashboard later
        # (tokens born expired or usable for a year, calls that time out at once, a log
        # purged of everything).
        low, high = BOUNDS["token_deadline"]
        for settings in self:
            if settings.superset_token_ttl < MIN_TOKEN_TTL:
                raise ValidationError(
                    self.env._(
                        "The token lifetime must be at least %(min)s seconds (it is %(value)s): "
                        "a dashboard renews its token shortly before it expires.",
                        min=MIN_TOKEN_TTL,
                        value=settings.superset_token_ttl,
                    )
                )
            if settings.superset_token_ttl > MAX_TOKEN_TTL:
                raise ValidationError(
                    self.env._(
                        "The token lifetime may be at most %(max)s seconds (it is %(value)s): a token copied out "
                        "of a browser must not stay usable for long. The dashboard renews its token by itself.",
                        max=MAX_TOKEN_TTL,
                        value=settings.superset_token_ttl,
                    )
                )
            if not low <= settings.superset_token_deadline <= high:
                raise ValidationError(
                    self.env._(
                        "The guest token deadline must be between %(low)s and %(high)s seconds (it is %(value)s).",
                        low=low,
                        high=high,
                        value=settings.superset_token_deadline,
                    )
                )
            if settings.superset_connect_timeout <= 0 or settings.superset_read_timeout <= 0:
                raise ValidationError(self.env._("The timeouts of the calls to Superset must be more than 0 seconds."))
            if settings.superset_token_log_days < 1:
                raise ValidationError(
                    self.env._(
                        "The guest token log must be kept at least 1 day (it is %(value)s).",
                        value=settings.superset_token_log_days,
                    )
                )
            lag_low, lag_high = BOUNDS["analytics_standby_max_lag"]
            if not lag_low <= settings.superset_analytics_standby_max_lag <= lag_high:
                raise ValidationError(
                    self.env._(
                        "The standby lag allowed must be between %(low)s and %(high)s seconds (it is %(value)s).",
                        low=lag_low,
                        high=lag_high,
                        value=settings.superset_analytics_standby_max_lag,
                    )
                )

    # --- overrides ------------------------------------------------------------------

    def set_values(self):
        result = super().set_values()
        params = self.env["ir.config_parameter"].sudo()
        for key in FORM_SECRETS:
            value = (self[f"superset_{key}"] or "").strip()
            if value:  # empty means "keep what is stored"
                params.set_param(PARAM_PREFIX + key, value)
        # The transient record would keep the typed secret in its table until vacuumed.
        self.write({f"superset_{key}": False for key in FORM_SECRETS})
        return result

    # --- actions --------------------------------------------------------------------

    def action_superset_provision_analytics(self):
        """Save the form, then create or update Superset's connection to the analytics views."""
        self.execute()
        return self.env["superset.analytics.view"].action_provision_superset()

    def action_superset_create_starter_dashboards(self):
        """Save the form, then build the starter dashboards on the connected views."""
        self.execute()
        return self.env["superset.dashboard.starter"].action_create()

    def action_superset_test_connection(self):
        """Check the connection with the values in the form, saved or not."""
        self.ensure_one()
        connector = self.env["superset.connector"]
        settings = replace(
            connector._get_settings(),
            url=self.superset_url or "",
            internal_url=self.superset_internal_url or "",
            username=self.superset_username or "",
            token_mode=self.superset_token_mode or "api",
            guest_token_audience=self.superset_guest_token_audience or "",
            connect_timeout=self.superset_connect_timeout or 5.0,
            read_timeout=self.superset_read_timeout or 30.0,
        )
        overrides = {key: (self[f"superset_{key}"] or "").strip() for key in FORM_SECRETS}
        if overrides["password"] and connector._setting_source("password") in (None, DATABASE):
            settings = replace(settings, password=overrides["password"])
        if overrides["guest_token_secret"] and connector._setting_source("guest_token_secret") in (None, DATABASE):
            settings = replace(settings, guest_token_secret=overrides["guest_token_secret"])
        return connector._connection_notification(connector._check_connection(settings))
