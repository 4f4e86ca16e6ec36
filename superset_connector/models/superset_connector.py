import logging
import os
from dataclasses import fields as dataclass_fields
from urllib.parse import urlsplit

from odoo import api, models, tools
from odoo.exceptions import AccessError, UserError

from ..services.circuit_breaker import CircuitBreaker
from ..services.client_pool import ClientPool
from ..services.config import ODOO_PARAMS, PARAM_PREFIX, ConnectorSettings
from ..services.connection_check import CheckReport, Problem, check_connection
from ..services.superset_client import SupersetClient
from ..services.token_cache import TokenCache
from .user_messages import notification, user_errors, user_text

_logger = logging.getLogger(__name__)

# Per Odoo process: the Superset clients (services/client_pool.py) and the guest tokens
# reused in API mode (services/token_cache.py).
CLIENTS = ClientPool()
TOKENS = TokenCache()
MANAGER_GROUP = "superset_connector.group_superset_manager"
MANAGER, ADMINISTRATOR = "manager", "administrator"


class SupersetConnector(models.AbstractModel):
    """The Superset connection: every setting from its sources (the one place that reads
    them), who may do what, and the shared REST client."""

    _name = "superset.connector"
    _description = "Superset Connection"

    # --- settings -------------------------------------------------------------------

    @api.model
    def _get_settings(self):
        return self._settings_cached()

    @tools.ormcache()
    def _settings_cached(self):
        # Cleared with the registry's cache, as every ir.config_parameter change does (in all workers).
        return ConnectorSettings.from_sources(self._stored_settings(), os.environ, tools.config.options)

    @api.model
    def _stored_settings(self):
        """{setting: value} as the database holds them (keys without the prefix)."""
        params = self.env["ir.config_parameter"].sudo()
        return {
            f.name: params.get_param(ODOO_PARAMS.get(f.name) or PARAM_PREFIX + f.name)
            for f in dataclass_fields(ConnectorSettings)
        }

    @api.model
    def _setting_source(self, key):
        """Where a setting comes from: environment, odoo.conf, database, or None (not set)."""
        return ConnectorSettings.source(key, self._stored_settings(), os.environ, tools.config.options)

    @api.model
    def _odoo_origin(self):
        """The origin browsers use for this Odoo (from web.base.url)."""
        parts = urlsplit(self._get_settings().odoo_base_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""

    @api.model
    def _allowed_domains(self):
        """Origins Superset must accept as the Referer of an embedded dashboard."""
        origins = [self._odoo_origin(), *self._get_settings().extra_origins]
        return list(dict.fromkeys(o.rstrip("/") for o in origins if o))

    # --- access ---------------------------------------------------------------------

    @api.model
    def _is_manager(self):
        """A Superset Manager, or code running as superuser."""
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    @api.model
    def _check_access(self, level, message):
        """AccessError(message) unless the user may act at this level: MANAGER (a Superset
        Manager) or ADMINISTRATOR (Odoo's system group); code running as superuser may."""
        allowed = self.env.is_system() if level == ADMINISTRATOR else self._is_manager()
        if not allowed:
            raise AccessError(message)

    # --- client ---------------------------------------------------------------------

    @api.model
    def _get_client(self, settings=None, interactive=False):
        """The shared client. interactive: for a user waiting on a page (a guest token):
        no retries, so a dead Superset is reported at once, and a circuit breaker of its
        own, so that background work stuck on a slow dashboard (the sync, a refresh)
        never opens it for the users."""
        settings = settings or self._get_settings()
        if not settings.server_url:
            raise UserError(self.env._("Superset is not configured yet: set its URL in Settings ‣ Superset."))
        pair = CLIENTS.get(self.env.cr.dbname, settings, self._new_clients)
        return pair[1] if interactive else pair[0]

    @api.model
    def _forget_connections(self):
        """Forget this process's Superset clients (logins, circuit breakers) and reused
        guest tokens: the next call starts afresh."""
        CLIENTS.clear()
        TOKENS.clear()

    @api.model
    def _new_clients(self, settings):
        return tuple(
            SupersetClient(
                settings.server_url,
                settings.username,
                settings.password,
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
                retries=retries,
                breaker=CircuitBreaker(settings.breaker_threshold, settings.breaker_reset),
            )
            for retries in (settings.retries, 0)
        )

    @api.model
    def _call(self, method, *args, **kwargs):
        """Call a client method; Superset errors become UserErrors with their message."""
        client = self._get_client()
        with user_errors(self.env):
            return getattr(client, method)(*args, **kwargs)

    # --- connection test ------------------------------------------------------------

    @api.model
    def _check_connection(self, settings):
        """Run every check against Superset with these settings (a throw-away client)."""
        if not settings.server_url:
            report = CheckReport()
            report.problems.append(
                Problem(self.env._("No Superset URL is set."), self.env._("Enter the Superset URL above."))
            )
            return report
        client = SupersetClient(
            settings.server_url,
            settings.username,
            settings.password,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            retries=0,  # an admin waiting for an answer: no retries
        )
        return check_connection(
            client,
            odoo_origin=self._odoo_origin(),
            token_mode=settings.token_mode,
            guest_token_secret=settings.guest_token_secret,
            guest_token_audience=settings.guest_token_audience,
        )

    @api.model
    def _connection_notification(self, report):
        if report.ok:
            return notification(
                "; ".join(user_text(self.env, fact) for fact in report.facts) + ".",
                title=self.env._("Superset connection works"),
            )
        lines = [
            f"{user_text(self.env, problem.message)} {self.env._('Fix:')} {user_text(self.env, problem.fix)}"
            for problem in report.problems
        ]
        return notification(
            "\n".join(lines),
            "danger",
            title=self.env._("Superset connection: %(count)s problem(s)", count=len(lines)),
        )
