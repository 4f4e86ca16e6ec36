import jwt

from odoo.tests import TransactionCase, tagged

from ..services.guest_token import sign_guest_token
from .common import SupersetCommonMixin


@tagged("post_install", "-at_install", "-standard", "superset_live")
class TestConnectionCheck(SupersetCommonMixin, TransactionCase):
    """Settings ‣ Superset ‣ Test connection, against real (and misconfigured) Superset servers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_live_superset()

    def _test(self, **form):
        values = {
            "superset_url": self.live.url,
            "superset_username": self.live.user,
            "superset_password": self.live.password,
            "superset_token_mode": "api",
            **form,
        }
        settings = self.env["res.config.settings"].create(values)
        notification = settings.action_superset_test_connection()["params"]
        return notification["type"], notification["message"]

    def test_correct_settings(self):
        kind, message = self._test()
        self.assertEqual(kind, "success", message)
        self.assertIn(f"logged in as {self.live.user}", message)

    def test_wrong_password(self):
        kind, message = self._test(superset_password="not-the-password")
        self.assertEqual(kind, "danger")
        self.assertIn(f"Superset rejected the service account '{self.live.user}': wrong username or password", message)
        self.assertNotIn("not-the-password", message)

    def test_wrong_url(self):
        kind, message = self._test(superset_url="http://127.0.0.1:9")
        self.assertEqual(kind, "danger")
        self.assertIn("Odoo cannot reach Superset at http://127.0.0.1:9: connection refused", message)

    def test_not_superset(self):
        """A URL that answers, but is not the root of a Superset server."""
        kind, message = self._test(superset_url=self.live.url + "/static")
        self.assertEqual(kind, "danger")
        self.assertIn("answers, but not like Superset", message)

    def test_embedding_off_and_framing_forbidden(self):
        """The second Superset has EMBEDDED_SUPERSET off and Talisman's default framing policy."""
        kind, message = self._test(superset_url=self.live.misconfigured_url)
        self.assertEqual(kind, "danger")
        self.assertIn("Embedding is disabled in Superset", message)
        self.assertIn('FEATURE_FLAGS = {"EMBEDDED_SUPERSET": True', message)
        self.assertIn("X-Frame-Options: SAMEORIGIN", message)
        self.assertIn("TALISMAN_CONFIG['frame_options'] = None", message)

    def test_local_mode_right_and_wrong_secret(self):
        kind, message = self._test(superset_token_mode="local", superset_guest_token_secret=self.live.guest_secret)
        self.assertEqual(kind, "success", message)
        self.assertIn("Superset accepts tokens signed by Odoo", message)
        kind, message = self._test(superset_token_mode="local", superset_guest_token_secret="wrong-secret")
        self.assertEqual(kind, "danger")
        self.assertIn("Superset refused a guest token signed by Odoo", message)
        kind, message = self._test(
            superset_token_mode="local",
            superset_guest_token_secret=self.live.guest_secret,
            superset_guest_token_audience="another-audience",
        )
        self.assertEqual(kind, "danger")
        self.assertIn("secret or audience does not match", message)

    def test_framing_not_allowed_for_this_odoo(self):
        """Superset allows framing, but by other origins than this Odoo's."""
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://erp.example.com")
        kind, message = self._test()
        self.assertEqual(kind, "danger")
        self.assertIn("not by Odoo (https://erp.example.com)", message)
        self.assertIn("add 'https://erp.example.com' to TALISMAN_CONFIG", message)

    def test_signed_token_layout(self):
        """Locally signed tokens carry Superset's claims and expire after the lifetime."""
        token, expires_at = sign_guest_token("s", "aud", {"username": "u"}, [], [], ttl=300, now=1000)
        claims = jwt.decode(token, "s", algorithms=["HS256"], audience="aud", options={"verify_exp": False})
        self.assertEqual(claims["type"], "guest")
        self.assertEqual((claims["iat"], claims["exp"], expires_at), (995, 1300, 1300))
        self.assertTrue(claims["jti"])
