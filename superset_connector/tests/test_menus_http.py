import json

from odoo.tests import HttpCase, tagged

from .common import SupersetCommonMixin


@tagged("post_install", "-at_install")
class TestMenusHttp(SupersetCommonMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()

    def _menu_xmlids(self, login):
        """The menus the web client loads for this user, through the real HTTP route."""
        self.authenticate(login, login)
        response = self.url_open("/web/webclient/load_menus/test")
        self.assertEqual(response.status_code, 200)
        menus = json.loads(response.content)
        return {menu["xmlid"] for menu in menus.values() if isinstance(menu, dict) and menu.get("xmlid")}

    def test_manager_sees_configuration_menu(self):
        """A Superset Manager logs in and gets the BI Dashboards app with its Superset menu."""
        menus = self._menu_xmlids("sc_manager")
        self.assertIn("superset_connector.superset_connector_menu_root", menus)
        self.assertIn("superset_connector.superset_dashboard_menu", menus)

    def test_outsider_sees_nothing(self):
        """A user outside the Superset groups gets none of the addon's menus."""
        menus = self._menu_xmlids("sc_outsider")
        self.assertFalse({m for m in menus if m.startswith("superset_connector.")})
