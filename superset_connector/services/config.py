"""The connector's settings, all of them, from their sources, in order of precedence:

1. the server environment (SUPERSET_CONNECTOR_<KEY>) — SERVER_KEYS only,
2. odoo.conf (superset_connector_<key>) — SERVER_KEYS only,
3. the database (ir.config_parameter superset_connector.<key>; Odoo's own web.base.url),
4. the default below.

Secrets, and where Superset reaches PostgreSQL, can come from 1-2 so that they need not
live in the database at all. The models read settings only through
`superset.connector._get_settings()`, which reads the sources once and caches the result
until a parameter changes.
"""

from dataclasses import dataclass, fields

PARAM_PREFIX = "superset_connector."
SECRET_KEYS = ("password", "guest_token_secret", "analytics_db_password")
SERVER_KEYS = (*SECRET_KEYS, "analytics_db_role", "analytics_db_host", "analytics_db_port")
# Settings that are Odoo's own parameters, not the connector's: {field: parameter}.
ODOO_PARAMS = {"odoo_base_url": "web.base.url"}
# Where a setting comes from, as the settings form and the messages say it.
ENVIRONMENT, ODOO_CONF, DATABASE = "environment", "odoo.conf", "database"
TOKEN_MODES = ("api", "local")
# Guest-token lifetime: under the minimum the renewal a fifth of the lifetime before
# expiry comes every few seconds; over the maximum a token copied out of a browser
# stays usable too long.
MIN_TOKEN_TTL, MAX_TOKEN_TTL = 30, 3600
# Numbers kept within these bounds however they were stored (a parameter written
# directly, bypassing the settings form): the nearest bound replaces a value outside.
BOUNDS = {
    "token_ttl": (MIN_TOKEN_TTL, MAX_TOKEN_TTL),
    "token_deadline": (0.2, 30.0),
    "connect_timeout": (0.1, 300.0),
    "read_timeout": (0.1, 3600.0),
    "retries": (0, 10),
    "breaker_threshold": (1, 1000),
    "breaker_reset": (1.0, 86400.0),
    "sync_page_size": (1, 1000),
    "token_log_days": (1, 100_000),
    "analytics_lock_timeout_ms": (0, 86_400_000),
    "analytics_statement_timeout_ms": (0, 86_400_000),
    "analytics_db_port": (0, 65535),
    "analytics_standby_max_lag": (1, 86_400),
}


def env_name(key):
    return f"SUPERSET_CONNECTOR_{key.upper()}"


def conf_name(key):
    return f"superset_connector_{key}"


@dataclass(frozen=True)
class ConnectorSettings:
    url: str = ""
    internal_url: str = ""
    username: str = ""
    password: str = ""
    token_mode: str = "api"
    guest_token_secret: str = ""
    guest_token_audience: str = "superset_connector"
    token_ttl: int = 300
    token_deadline: float = 2.0  # the whole guest-token request, however many calls it makes
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 3
    breaker_threshold: int = 5
    breaker_reset: float = 60.0
    sync_page_size: int = 100
    token_reuse: int = 1  # api mode: 0 asks Superset for every token
    token_log_days: int = 90
    allowed_domains: str = ""  # other origins users open Odoo with, space or comma separated
    odoo_base_url: str = ""
    # The analytics views as Superset reads them.
    analytics_database_name: str = ""
    analytics_database_id: int = 0
    analytics_db_role: str = ""
    analytics_db_password: str = ""
    analytics_db_host: str = ""
    analytics_db_port: int = 0
    analytics_lock_timeout_ms: int = 10_000
    analytics_statement_timeout_ms: int = 30 * 60_000
    # Seconds a standby Superset reads may take to replay a refresh before the view says so.
    analytics_standby_max_lag: int = 60
    analytics_public_create: str = ""  # "revoked" once Connect Superset took CREATE on public from PUBLIC

    def __repr__(self):
        # Never show secrets, even in a traceback or a log line.
        shown = ", ".join(
            f"{f.name}={'***' if f.name in SECRET_KEYS and getattr(self, f.name) else getattr(self, f.name)!r}"
            for f in fields(self)
        )
        return f"ConnectorSettings({shown})"

    @property
    def server_url(self):
        """The URL the Odoo server uses to reach Superset (internal, else the browser's)."""
        return (self.internal_url or self.url).rstrip("/")

    @property
    def browser_url(self):
        return self.url.rstrip("/")

    @classmethod
    def from_sources(cls, params, environ=None, conf=None):
        """params: {key: value} from the database (keys without the prefix)."""
        environ, conf = environ or {}, conf or {}
        values = {}
        for field in fields(cls):
            key = field.name
            raw = None
            if key in SERVER_KEYS:
                raw = environ.get(env_name(key)) or conf.get(conf_name(key))
            if raw in (None, ""):
                raw = params.get(key)
            if raw in (None, "", False):
                continue
            values[key] = _bounded(key, _coerce(field.type, raw, field.default))
        return cls(**values)

    @staticmethod
    def source(key, params, environ=None, conf=None):
        """Where a setting comes from: ENVIRONMENT, ODOO_CONF, DATABASE or None (not set)."""
        if key in SERVER_KEYS and (environ or {}).get(env_name(key)):
            return ENVIRONMENT
        if key in SERVER_KEYS and (conf or {}).get(conf_name(key)):
            return ODOO_CONF
        if params.get(key):
            return DATABASE
        return None

    @property
    def extra_origins(self):
        return self.allowed_domains.replace(",", " ").split()


def _bounded(key, value):
    if key not in BOUNDS:
        return value
    low, high = BOUNDS[key]
    return min(max(value, low), high)


def _coerce(kind, raw, default):
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except (TypeError, ValueError):
        return default
    return str(raw).strip()
