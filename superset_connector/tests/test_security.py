from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged

from .common import SupersetCommonMixin


@tagged("post_install", "-at_install")
class TestSupersetSecurity(SupersetCommonMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()

    def _visible(self, user, company_ids=None):
        env = self.env(user=user)
        if company_ids:
            env = env(context=dict(env.context, allowed_company_ids=company_ids))
        return env["superset.dashboard"].search([("id", "in", self.all_dashboards.ids)])

    @property
    def all_dashboards(self):
        return self.dash_everyone | self.dash_sales | self.dash_company_b | self.dash_finance

    def test_manager_implies_user(self):
        """A Superset Manager is also a Superset User."""
        self.assertTrue(self.manager.has_group("superset_connector.group_superset_user"))
        self.assertFalse(self.user_a.has_group("superset_connector.group_superset_manager"))

    def test_groups_restrict_dashboards(self):
        """A dashboard with groups is seen by members of those groups only."""
        self.assertEqual(self._visible(self.user_a), self.dash_everyone | self.dash_sales)
        self.assertEqual(self._visible(self.user_b), self.dash_everyone | self.dash_company_b | self.dash_finance)

    def test_companies_restrict_dashboards(self):
        """A dashboard offered in company B is seen only while B is active."""
        self.assertIn(self.dash_company_b, self._visible(self.user_b))
        self.assertNotIn(self.dash_company_b, self._visible(self.user_a))
        self.assertNotIn(self.dash_company_b, self._visible(self.manager, [self.company_a.id]))
        self.assertIn(self.dash_company_b, self._visible(self.manager, [self.company_a.id, self.company_b.id]))

    def test_users_cannot_edit_and_outsiders_cannot_read(self):
        """Only managers write dashboards; users outside the Superset groups read none."""
        with self.assertRaises(AccessError):
            self.dash_everyone.with_user(self.user_a).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            self.env["superset.dashboard"].with_user(self.outsider).search([])
        self.dash_everyone.with_user(self.manager).write({"name": "Renamed by manager"})
        self.assertEqual(self.dash_everyone.name, "Renamed by manager")
