import json
import logging
import os
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, tagged

from ..services.superset_client import SupersetClient
from .common import SupersetCommonMixin

PASSWORD = "s3cret-password-123"
GUEST_SECRET = "guest-secret-456"


@tagged("post_install", "-at_install")
class TestSecrets(SupersetCommonMixin, TransactionCase):
    """Secrets are readable by system administrators' server code only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.configure_superset(url="http://127.0.0.1:9", password=PASSWORD, guest_token_secret=GUEST_SECRET)

    def test_non_system_users_cannot_read_secrets(self):
        """Denied path: a Superset Manager (not a system admin) reads no setting through the ORM."""
        for user in (self.manager, self.user_a):
            params = self.env["ir.config_parameter"].with_user(user)
            with self.assertRaises(AccessError):
                params.get_param("superset_connector.password")
            with self.assertRaises(AccessError):
                params.search_read([("key", "like", "superset_connector.")], ["value"])
            with self.assertRaises(AccessError):
                self.env["res.config.settings"].with_user(user).create({})

    def test_settings_form_never_carries_secrets(self):
        """Even for an administrator the form's secret fields come back empty; a stored
        secret stays when the field is left empty, and is replaced when typed."""
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.superset_password)
        self.assertFalse(settings.superset_guest_token_secret)
        self.assertEqual(settings.superset_password_state, "Stored. Type a new value to replace it.")
        settings.execute()
        self.assertEqual(self.env["superset.connector"]._get_settings().password, PASSWORD)
        settings = self.env["res.config.settings"].create({"superset_password": "new-one"})
        settings.execute()
        self.assertEqual(self.env["superset.connector"]._get_settings().password, "new-one")
        self.assertFalse(settings.superset_password)  # not kept in the transient record

    def test_environment_wins_over_the_database(self):
        with patch.dict(os.environ, {"SUPERSET_CONNECTOR_PASSWORD": "from-env"}):
            self.env.registry.clear_cache()  # settings are cached; the environment is read when they are built
            self.assertEqual(self.env["superset.connector"]._get_settings().password, "from-env")
            settings = self.env["res.config.settings"].create({})
            self.assertIn("server environment", settings.superset_password_state)
        self.env.registry.clear_cache()
        self.assertEqual(self.env["superset.connector"]._get_settings().password, PASSWORD)

    def test_secrets_are_not_in_reprs_or_logs(self):
        """Settings print without secrets; a failing login logs nothing that contains them."""
        settings = self.env["superset.connector"]._get_settings()
        self.assertNotIn(PASSWORD, repr(settings))
        self.assertNotIn(GUEST_SECRET, repr(settings))
        client = SupersetClient("http://127.0.0.1:9", "admin", PASSWORD, retries=1, sleep=lambda _s: None)
        with self.assertLogs(level=logging.DEBUG) as logs:
            logging.getLogger("odoo.addons.superset_connector").debug("capture start")
            try:
                client.login()
            except Exception as exc:
                self.assertNotIn(PASSWORD, str(exc))
        self.assertFalse([line for line in logs.output if PASSWORD in line])


@tagged("post_install", "-at_install")
class TestSecretsOverRpc(SupersetCommonMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.configure_superset(password=PASSWORD)

    def _call_kw(self, model, method, args, kwargs=None):
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {"jsonrpc": "2.0", "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}}
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def test_json_rpc_denies_secrets_to_non_system_users(self):
        """Denied path over JSON-RPC: get_param, search_read, export and the settings model."""
        self.authenticate("sc_manager", "sc_manager")
        for model, method, args in (
            ("ir.config_parameter", "get_param", ["superset_connector.password"]),
            ("ir.config_parameter", "search_read", [[["key", "=", "superset_connector.password"]], ["value"]]),
            ("ir.config_parameter", "export_data", [[1], ["value"]]),
        ):
            reply = self._call_kw(model, method, args)
            self.assertIn("error", reply, (model, method))
            self.assertIn(reply["error"]["data"]["name"], ("odoo.exceptions.AccessError", "odoo.exceptions.UserError"))
            self.assertNotIn(PASSWORD, json.dumps(reply))
        # Odoo lets anyone call default_get on the settings; the secret fields stay empty.
        reply = self._call_kw(
            "res.config.settings", "default_get", [["superset_password", "superset_guest_token_secret"]]
        )
        self.assertNotIn(PASSWORD, json.dumps(reply))
