from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSettingsValidation(TransactionCase):
    def _save(self, **values):
        self.env["res.config.settings"].create(values).execute()

    def _param(self, key):
        return self.env["ir.config_parameter"].sudo().get_param(f"superset_connector.{key}")

    def test_sensible_numbers_are_stored(self):
        self._save(
            superset_token_ttl=600,
            superset_connect_timeout=2.5,
            superset_read_timeout=10,
            superset_token_log_days=30,
        )
        self.assertEqual(self._param("token_ttl"), "600")
        self.assertEqual(self._param("connect_timeout"), "2.5")
        self.assertEqual(self._param("read_timeout"), "10.0")
        self.assertEqual(self._param("token_log_days"), "30")

    def test_the_log_retention_reaches_the_purge(self):
        """The days saved in Settings are the ones the retention cron keeps."""
        self._save(superset_token_log_days=7)
        Log = self.env["superset.guest.token.log"]
        now = self.env.cr.now()
        eight_days, six_days = (
            Log.create({"outcome": "issued", "create_date": now - timedelta(days=days)}) for days in (8, 6)
        )
        Log._cron_purge()
        self.assertFalse(eight_days.exists())
        self.assertTrue(six_days.exists())

    def test_nonsense_is_refused_with_the_reason_and_nothing_is_stored(self):
        """Denied path: each value that would break dashboards later is refused on save."""
        cases = [
            ({"superset_token_ttl": 0}, "token lifetime must be at least 30 seconds (it is 0)"),
            ({"superset_token_ttl": -300}, "token lifetime must be at least 30 seconds (it is -300)"),
            ({"superset_token_ttl": 31536000}, "token lifetime may be at most 3600 seconds (it is 31536000)"),
            ({"superset_token_deadline": 0}, "guest token deadline must be between 0.2 and 30.0 seconds (it is 0.0)"),
            ({"superset_token_deadline": 120}, "deadline must be between 0.2 and 30.0 seconds (it is 120.0)"),
            ({"superset_connect_timeout": 0}, "timeouts of the calls to Superset must be more than 0"),
            ({"superset_read_timeout": -1}, "timeouts of the calls to Superset must be more than 0"),
            ({"superset_token_log_days": 0}, "kept at least 1 day (it is 0)"),
        ]
        keys = ("token_ttl", "token_deadline", "connect_timeout", "read_timeout", "token_log_days")
        before = {key: self._param(key) for key in keys}
        for values, message in cases:
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                self._save(**values)
            self.assertIn(message, str(caught.exception))
        after = {key: self._param(key) for key in before}
        self.assertEqual(after, before)

    def test_numbers_written_past_the_form_are_kept_within_bounds(self):
        """Denied path around the form: parameters set directly (a script, a data file,
        the technical menu) are read within their bounds, so a year-long token lifetime
        gives tokens of an hour, and a negative timeout never reaches an outgoing call."""
        params = self.env["ir.config_parameter"].sudo()
        for key, value in {
            "token_ttl": "31536000",
            "token_deadline": "-3",
            "connect_timeout": "-1",
            "read_timeout": "0",
            "retries": "1000",
            "breaker_threshold": "0",
        }.items():
            params.set_param(f"superset_connector.{key}", value)
        settings = self.env["superset.connector"]._get_settings()
        self.assertEqual(
            (
                settings.token_ttl,
                settings.token_deadline,
                settings.connect_timeout,
                settings.read_timeout,
                settings.retries,
                settings.breaker_threshold,
            ),
            (3600, 0.2, 0.1, 0.1, 10, 1),
        )
