from odoo.tests import HttpCase, tagged


def _hoot_hash(text):
    """The id Odoo's test runner (hoot) gives a suite, to run only ours."""
    value = 0
    for char in text:
        value = ((value << 5) - value + ord(char)) & 0xFFFFFFFF
    return f"{value:08x}"


@tagged("post_install", "-at_install")
class TestJavascript(HttpCase):
    def test_hoot_unit_tests(self):
        """The client action's JavaScript unit tests (token schedule, embedded protocol), in Chromium."""
        suite = _hoot_hash("@superset_connector")
        self.browser_js(
            f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&suite={suite}",
            "",
            "",
            login="admin",
            timeout=900,
            success_signal="[HOOT] test suite succeeded",
            error_checker=lambda message: "[HOOT]" not in message,
        )
