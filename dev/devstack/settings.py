"""Every knob of the local stack, read from the environment with its default.

Documented in README.md ("Configuration"); keep both in step.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN_DIR = REPO / ".run"

# Modules the test template and the demo database carry (the addon is added on top).
BUSINESS_APPS = (
    "sale_management",
    "account",
    "stock",
    "purchase",
    "hr",
    "mrp",
    "crm",
    "hr_holidays",
    "hr_attendance",
    "hr_contract",
)
BASE_APPS = ("base", "web")


def _env(name, default):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def cache_dir():
    xdg = _env("XDG_CACHE_HOME", str(Path.home() / ".cache"))
    return Path(_env("SC_CACHE_DIR", str(Path(xdg) / "superset_connector")))


def default_odoo_path():
    return cache_dir() / "odoo-18.0"


def odoo_git_url():
    return _env("ODOO_GIT_URL", "https://github.com/odoo/odoo.git")


def odoo_port():
    return int(_env("ODOO_PORT", "8069"))


def superset_port():
    return int(_env("SUPERSET_PORT", "8088"))


def standby_port():
    """The production profile demo's PostgreSQL standby."""
    return int(_env("SC_STANDBY_PORT", "5433"))


def pg_host():
    return _env("PGHOST", "127.0.0.1")


def pg_port():
    return int(_env("PGPORT", "5432"))


def db_user():
    return _env("SC_DB_USER", "odoo")


def db_password():
    return _env("SC_DB_PASSWORD", "odoo")


def demo_db():
    return _env("SC_DEMO_DB", "superset_demo")


def superset_admin():
    return _env("SUPERSET_ADMIN_USER", "admin"), _env("SUPERSET_ADMIN_PASSWORD", "admin")


def python():
    return _env("PYTHON", "python3")
