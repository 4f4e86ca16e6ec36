"""Setup shared by `make demo` and `make test`: every step is idempotent and quick when done."""

from dataclasses import dataclass
from pathlib import Path

from . import odoo, postgres, superset, venvs


@dataclass
class Stack:
    odoo_path: Path
    odoo_venv: Path
    superset_venv: Path

    def template(self, kind):
        return odoo.ensure_template(self.odoo_venv, self.odoo_path, kind)

    def superset_metadata(self):
        return superset.metadata_template(self.superset_venv)


def setup():
    """PostgreSQL, Odoo source, both venvs. Templates are built on first use."""
    postgres.ensure()
    odoo_path = odoo.source()
    return Stack(odoo_path, venvs.odoo_venv(odoo_path), venvs.superset_venv())
