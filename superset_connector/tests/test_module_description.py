import lxml.html

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestModuleDescription(HttpCase):
    def test_apps_page_describes_the_module_with_its_pictures(self):
        """The Apps page of the module (its "Module Info") shows static/description/index.html,
        and every picture on it is served by Odoo."""
        module = self.env["ir.module.module"].search([("name", "=", "superset_connector")])
        page = lxml.html.fromstring(module.description_html)
        text = " ".join(page.text_content().split())
        self.assertIn("showing exactly the companies active in the company switcher", text)
        self.assertIn("Row-level security that fails closed", text)
        sources = [img.get("src") for img in page.iter("img")]
        self.assertEqual(len(sources), 8, sources)  # the embedded dashboard, the form, six starters
        for src in sources:
            # Odoo rewrites relative sources to the module's static/description folder.
            self.assertTrue(src.startswith("/superset_connector/static/description/"), src)
            response = self.url_open(src)
            self.assertEqual(response.status_code, 200, src)
            self.assertEqual(response.headers["Content-Type"], "image/png", src)
            self.assertTrue(response.content.startswith(b"\x89PNG"), src)
