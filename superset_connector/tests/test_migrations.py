"""The upgrade scripts of the addon, run on this database as Odoo runs them on an older one."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def _script(version, name):
    spec = importlib.util.spec_from_file_location(f"migration_{name}", MIGRATIONS / version / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigrations(TransactionCase):
    def test_1_1_0_removes_the_per_dataset_copies_of_the_company_rule(self):
        """18.0.1.1.0: the rules the sync made on each dataset (is_default, the company
        clause) go; a rule a manager wrote, or a default one a manager edited, stays."""
        cr = self.env.cr
        cr.execute("ALTER TABLE superset_rls_rule ADD COLUMN is_default boolean")  # as 18.0.1.0.0 had it
        dashboard = self.env["superset.dashboard"].create({"name": "Old", "superset_dashboard_id": 515151})
        Rule = self.env["superset.rls.rule"]
        default, edited, own = Rule.create(
            [
                {"dashboard_id": dashboard.id, "clause": "company_id IN ({company_ids})"},
                {"dashboard_id": dashboard.id, "clause": "company_id IN ({company_ids}) AND amount > 0"},
                {"dashboard_id": dashboard.id, "clause": "company_id IN ({company_ids})"},
            ]
        )
        self.env.flush_all()
        cr.execute("UPDATE superset_rls_rule SET is_default = TRUE WHERE id IN %s", [(default.id, edited.id)])
        _script("18.0.1.1.0", "pre-migrate").migrate(cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(dashboard.rls_rule_ids, edited | own)
        _script("18.0.1.1.0", "pre-migrate").migrate(cr, None)  # a new install: nothing to do
        self.assertEqual(dashboard.rls_rule_ids, edited | own)
