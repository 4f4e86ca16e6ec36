"""Forced failures on the guest-token and diagnose routes, over HTTP as the web client
calls them: broken settings, a Superset answering garbage, a tampered request. Each one
gives a JSON refusal in the user's terms, never a traceback, and one audit row.

The faults are real: settings written as a careless script would, a small HTTP peer on
loopback answering what no Superset would, a table missing as after a failed upgrade."""

import http.server
import json
import threading
import time

import jwt

from odoo.tests import HttpCase, tagged

from .common import SupersetCommonMixin


class _Garbage(http.server.BaseHTTPRequestHandler):
    """What a broken proxy or another service in Superset's place might answer. `mode`
    chooses the fault; the login and CSRF calls succeed so that the guest-token call is
    the one answered badly (except for "html")."""

    mode = "html"

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self):
        mode = type(self).mode
        if mode == "html":
            return self._send(200, b"<html>Welcome to nginx!</html>", "text/html")
        if mode == "redirect_loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if self.path.startswith("/api/v1/security/login"):
            return self._json({"access_token": "not-checked-here", "refresh_token": "r"})
        if self.path.startswith("/api/v1/security/csrf_token"):
            return self._json({"result": "csrf"})
        if mode == "no_token":
            return self._json({"message": "ok"})
        if mode == "not_a_jwt":
            return self._json({"token": "definitely.not.a-jwt"})
        if mode == "year_long":
            claims = {"user": {}, "resources": [], "rls_rules": [], "iat": time.time(), "exp": time.time() + 31536000}
            return self._json({"token": jwt.encode(claims, "x", algorithm="HS256"), "type": "guest"})
        if mode == "cut_off":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "500")
            self.end_headers()
            self.wfile.write(b'{"token": "')  # and the connection closes: the answer stops half-way
            return None
        raise AssertionError(mode)

    def _json(self, body):
        self._send(200, json.dumps(body).encode(), "application/json")

    def _send(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestTokenRouteFaults(SupersetCommonMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.dashboard = cls.dash_everyone
        cls.dashboard.embedded_uuid = "00000000-0000-4000-8000-000000000002"
        cls.garbage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
        threading.Thread(target=cls.garbage.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.garbage.server_close)
        cls.addClassCleanup(cls.garbage.shutdown)
        cls.garbage_url = f"http://127.0.0.1:{cls.garbage.server_port}"

    def setUp(self):
        super().setUp()
        self.env["superset.connector"]._forget_connections()

    def route(self, user, path="guest_token", dashboard_id=None):
        """(JSON-RPC reply, the audit rows it left) for one call of the route as this user."""
        Log = self.env["superset.guest.token.log"]
        before = Log.search_count([])
        self.authenticate(user.login, user.login)
        reply = self.url_open(
            f"/superset_connector/dashboards/{dashboard_id or self.dashboard.id}/{path}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": {}}),
            headers={"Content-Type": "application/json"},
        ).json()
        logs = Log.search([], limit=max(Log.search_count([]) - before, 0))
        return reply, logs

    def assert_refused(self, reply, logs, code, user_words):
        """A JSON refusal (not a JSON-RPC error), in the user's words, and one audit row."""
        self.assertNotIn("error", reply, "a JSON-RPC error is Odoo's traceback reaching the browser")
        error = reply["result"].get("error", reply["result"])
        self.assertEqual(error["code"], code, error)
        self.assertIn(user_words, error["message"])
        for leak in ("Traceback", 'File "', self.garbage_url, "127.0.0.1"):
            self.assertNotIn(leak, json.dumps(reply))
        self.assertEqual(len(logs), 1)
        self.assertEqual((logs.outcome, logs.error_code), ("refused", code))
        return logs

    def test_broken_settings(self):
        """An unknown token mode, local mode without a secret, an unparsable URL, a
        negative timeout: each a refusal saying the dashboards are not set up (or the
        server does not answer), with what is wrong in the audit row."""
        cases = [
            ({"token_mode": "bogus"}, "not_configured", "not one Odoo knows"),
            ({"token_mode": "local", "guest_token_secret": ""}, "not_configured", "no guest-token secret"),
            ({"token_mode": "api", "url": "http://[::1"}, "superset_unavailable", "not a valid http(s) address"),
            ({"token_mode": "api", "url": "ftp://127.0.0.1:9"}, "superset_unavailable", "not a valid http(s) address"),
        ]
        for values, code, detail in cases:
            with self.subTest(values=values):
                self.configure_superset(**{"url": "http://127.0.0.1:9", "guest_token_secret": "s" * 32, **values})
                reply, logs = self.route(self.user_a)
                log = self.assert_refused(reply, logs, code, "administrator")
                self.assertIn(detail, log.reason)
        self.configure_superset(url="http://127.0.0.1:9", token_mode="api", read_timeout="-5", connect_timeout="-1")
        reply, logs = self.route(self.user_a)
        self.assert_refused(reply, logs, "superset_unavailable", "not answering")

    def test_garbage_from_superset(self):
        """A server in Superset's place answering HTML, no token, a token that is no JWT,
        a token valid for a year, a redirect loop, an answer cut off half-way."""
        cases = [
            ("html", "superset_error", "is not JSON"),
            ("no_token", "superset_error", "holds no token"),
            ("not_a_jwt", "superset_error", "is not a guest token"),
            ("year_long", "superset_error", "Odoo accepts at most 3600 s"),
            ("redirect_loop", "superset_unavailable", "too many redirects"),
            ("cut_off", "superset_unavailable", "cut off or garbled"),
        ]
        for mode, code, detail in cases:
            with self.subTest(mode=mode):
                _Garbage.mode = mode
                self.configure_superset(url=self.garbage_url, token_mode="api", retries=0)
                reply, logs = self.route(self.user_a)
                log = self.assert_refused(reply, logs, code, "The dashboard server (Superset)")
                self.assertIn(detail, log.reason)

    def test_a_manager_reads_superset_s_words(self):
        """The same garbage, asked by a Superset Manager: the refusal carries the details."""
        _Garbage.mode = "not_a_jwt"
        self.configure_superset(url=self.garbage_url, token_mode="api", retries=0)
        self.authenticate(self.manager.login, self.manager.login)
        reply = self.make_jsonrpc_request(f"/superset_connector/dashboards/{self.dashboard.id}/guest_token", {})
        self.assertIn("is not a guest token", reply["error"]["message"])

    def test_an_unexpected_error_inside(self):
        """A database error inside the route (the dashboards' table missing, as after a
        failed upgrade; renamed in this test's transaction only): a refusal saying an
        unexpected error was recorded, and the audit row is written all the same."""
        self.configure_superset(url="http://127.0.0.1:9", token_mode="local", guest_token_secret="s" * 32)
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE superset_dashboard RENAME TO superset_dashboard_gone")
        for path in ("guest_token", "diagnose"):
            with self.subTest(path=path):
                reply, logs = self.route(self.user_a, path)
                log = self.assert_refused(reply, logs, "internal_error", "unexpected error")
                self.assertIn("superset_dashboard", log.reason)
                self.assertEqual(log.request, "token" if path == "guest_token" else "diagnose")

    def test_diagnosis_in_the_users_terms(self):
        """The diagnosis of a Superset that is down: the plain user reads what to do,
        without Superset's address; the audit row holds what an administrator must change."""
        self.configure_superset(url="http://127.0.0.1:9", token_mode="local", guest_token_secret="s" * 32)
        reply, logs = self.route(self.user_a, "diagnose")
        log = self.assert_refused(reply, logs, "embedding_failed", "tell your administrator")
        self.assertIn("What to change", log.reason)
        self.assertIn("http://127.0.0.1:9", log.reason)
