"""The connector's settings, from their sources, in order of precedence:

1. the server environment (SUPERSET_CONNECTOR_<KEY>) — secrets only,
2. odoo.conf (superset_connector_<key>) — secrets only,
3. the database (ir.config_parameter superset_connector.<key>),
4. the default below.

Secrets come from 1-2 so that they need not live in the database at all.
"""

from dataclasses import dataclass, fields

PARAM_PREFIX = "superset_connector."
SECRET_KEYS = ("password", "guest_token_secret")
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
            if key in SECRET_KEYS:
                raw = environ.get(env_name(key)) or conf.get(conf_name(key))
            if raw in (None, ""):
                raw = params.get(key)
            if raw in (None, "", False):
                continue
            values[key] = _bounded(key, _coerce(field.type, raw, field.default))
        return cls(**values)

    @staticmethod
    def secret_source(key, params, environ=None, conf=None):
        """Where a secret comes from: 'environment', 'odoo.conf', 'database' or None."""
        if (environ or {}).get(env_name(key)):
            return "environment"
        if (conf or {}).get(conf_name(key)):
            return "odoo.conf"
        if params.get(key):
            return "database"
        return None


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
