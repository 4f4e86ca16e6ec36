import json

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import SupersetCommonMixin


@tagged("post_install", "-at_install")
class TestMenusHttp(SupersetCommonMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()

    def _menus(self, login):
        """The menus the web client loads for this user, through the real HTTP route."""
        self.authenticate(login, login)
        response = self.url_open("/web/webclient/load_menus/test")
        self.assertEqual(response.status_code, 200)
        return {key: menu for key, menu in json.loads(response.content).items() if isinstance(menu, dict)}

    def _dashboard_menu_names(self, login):
        menu_ids = {int(key) for key in self._menus(login) if key.isdigit()}
        dashboards = self.env["superset.dashboard"].with_context(active_test=False).search([])
        return {d.name for d in dashboards if d.menu_id.id in menu_ids}

    def test_manager_sees_configuration_menu(self):
        """A Superset Manager logs in and gets the BI Dashboards app with its Superset menu."""
        xmlids = {menu.get("xmlid") for menu in self._menus("sc_manager").values()}
        self.assertIn("superset_connector.superset_connector_menu_root", xmlids)
        self.assertIn("superset_connector.superset_dashboard_menu", xmlids)

    def test_outsider_sees_nothing(self):
        """A user outside the Superset groups gets none of the addon's menus."""
        menus = self._menus("sc_outsider")
        self.assertFalse({m for m in menus.values() if (m.get("xmlid") or "").startswith("superset_connector.")})
        self.assertFalse(self._dashboard_menu_names("sc_outsider"))

    def test_groups_decide_dashboard_menus(self):
        """Users in different groups see different dashboard menus; managers' menu is theirs."""
        self.assertEqual(self._dashboard_menu_names("sc_user_a"), {"Everyone", "Sales only"})
        self.assertEqual(self._dashboard_menu_names("sc_user_b"), {"Everyone", "Company B only", "Finance only"})
        self.assertNotIn(
            "superset_connector.superset_connector_menu_config",
            {m.get("xmlid") for m in self._menus("sc_user_a").values()},
        )

    def test_companies_decide_dashboard_menus(self):
        """A dashboard offered in company B is not in the menus of a user without company B."""
        self.assertNotIn("Company B only", self._dashboard_menu_names("sc_user_a"))
        self.dash_company_b.company_ids = [Command.set(self.company_a.ids)]
        self.assertIn("Company B only", self._dashboard_menu_names("sc_user_a"))
        self.assertNotIn("Company B only", self._dashboard_menu_names("sc_user_b"))

    def test_menu_follows_the_dashboard(self):
        """Renamed, moved to a category, archived, deleted: the menu follows."""
        dashboard = self.dash_everyone
        dashboard.name = "Renamed"
        self.assertEqual(dashboard.menu_id.name, "Renamed")
        category = self.env["superset.dashboard.category"].create({"name": "Finance"})
        dashboard.category_id = category
        self.assertEqual(dashboard.menu_id.parent_id, category.menu_id)
        self.assertIn("Renamed", self._dashboard_menu_names("sc_user_a"))
        dashboard.active = False
        self.assertFalse(dashboard.menu_id.active)
        self.assertNotIn("Renamed", self._dashboard_menu_names("sc_user_a"))
        menu, action = dashboard.menu_id, dashboard.action_id
        dashboard.unlink()
        self.assertFalse(menu.exists() or action.exists())
        category_menu = category.menu_id
        category.unlink()
        self.assertFalse(category_menu.exists())

    def test_menu_opens_the_client_action(self):
        """Each dashboard menu opens the superset_connector.dashboard client action with its id."""
        action = self.dash_sales.action_id
        self.assertEqual(self.dash_sales.menu_id.action, action)
        self.assertEqual(action.tag, "superset_connector.dashboard")
        self.assertEqual(action.params, {"dashboard_id": self.dash_sales.id})
        self.assertEqual(self.dash_sales.menu_id.groups_id, self.sales_group)
