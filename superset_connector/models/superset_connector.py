import logging
import os
import threading
from dataclasses import fields as dataclass_fields
from urllib.parse import urlsplit

from odoo import api, models, tools
from odoo.exceptions import UserError

from ..services.circuit_breaker import CircuitBreaker
from ..services.config import PARAM_PREFIX, ConnectorSettings
from ..services.connection_check import CheckReport, Problem, check_connection
from ..services.errors import SupersetError
from ..services.superset_client import SupersetClient
from .texts import user_text

_logger = logging.getLogger(__name__)

# One client per database and settings, per Odoo process: the Superset login, its CSRF
# session and the circuit breaker outlive a single HTTP request.
_clients = {}
_clients_lock = threading.Lock()


class SupersetConnector(models.AbstractModel):
    """The Superset connection: settings from their sources and the shared REST client."""

    _name = "superset.connector"
    _description = "Superset Connection"

    # --- settings -------------------------------------------------------------------

    @api.model
    def _get_settings(self):
        return self._settings_cached()

    @tools.ormcache()
    def _settings_cached(self):
        # Cleared with the registry's cache, as every ir.config_parameter change does (in all workers).
        params = self.env["ir.config_parameter"].sudo()
        values = {f.name: params.get_param(PARAM_PREFIX + f.name) for f in dataclass_fields(ConnectorSettings)}
        return ConnectorSettings.from_sources(values, os.environ, tools.config.options)

    @api.model
    def _secret_source(self, key):
        params = self.env["ir.config_parameter"].sudo()
        stored = {key: params.get_param(PARAM_PREFIX + key)}
        return ConnectorSettings.secret_source(key, stored, os.environ, tools.config.options)

    @api.model
    def _odoo_origin(self):
        """The origin browsers use for this Odoo (from web.base.url)."""
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        parts = urlsplit(base_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""

    @api.model
    def _allowed_domains(self):
        """Origins Superset must accept as the Referer of an embedded dashboard."""
        extra = self.env["ir.config_parameter"].sudo().get_param(PARAM_PREFIX + "allowed_domains") or ""
        origins = [self._odoo_origin(), *extra.replace(",", " ").split()]
        return list(dict.fromkeys(o.rstrip("/") for o in origins if o))

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
        key = (self.env.cr.dbname, settings)
        with _clients_lock:
            pair = _clients.get(key)
            if pair is None:
                for stale in [k for k in _clients if k[0] == self.env.cr.dbname]:
                    del _clients[stale]  # the settings changed
                pair = _clients[key] = self._new_clients(settings)
        return pair[1] if interactive else pair[0]

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
        try:
            return getattr(client, method)(*args, **kwargs)
        except SupersetError as exc:
            raise UserError(user_text(self.env, exc)) from exc

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
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": self.env._("Superset connection works"),
                    "message": "; ".join(user_text(self.env, fact) for fact in report.facts) + ".",
                    "type": "success",
                    "sticky": False,
                },
            }
        lines = [
            f"{user_text(self.env, problem.message)} {self.env._('Fix:')} {user_text(self.env, problem.fix)}"
            for problem in report.problems
        ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Superset connection: %(count)s problem(s)", count=len(lines)),
                "message": "\n".join(lines),
                "type": "danger",
                "sticky": True,
            },
        }
