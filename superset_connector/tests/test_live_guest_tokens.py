"""Guest tokens against the real Superset the harness starts: the rows Superset returns to a
guest are exactly the companies', whatever was added to the dashboard since."""

import hashlib
import json
import os
import time
import uuid

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged

from ..services import superset_content
from ..services.errors import SupersetUnavailable
from ..services.guest_token import sign_guest_token
from ..services.superset_content import Cell
from .guest_token_common import RESPONSE_KEYS, GuestTokenMixin


@tagged("post_install", "-at_install", "-standard", "superset_live")
class TestGuestTokenAgainstSuperset(GuestTokenMixin, TransactionCase):
    """Guest tokens end to end: the rows Superset returns to a guest are exactly the companies'."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.setup_live_superset()
        cls.rls = json.loads(os.environ["SC_TEST_RLS"])
        cls.company_c = cls.env["res.company"].create({"name": "Superset Test C"})
        cls.manager.company_ids = [Command.link(cls.company_c.id)]
        cls.multi = new_test_user(
            cls.env,
            "sc_multi",
            groups="base.group_user,superset_connector.group_superset_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set([cls.company_a.id, cls.company_b.id])],
        )
        cls.env["superset.dashboard"]._sync_from_superset()
        Dashboard = cls.env["superset.dashboard"]
        cls.dashboard = Dashboard.search([("superset_dashboard_id", "=", cls.rls["dashboards"]["sales"])])
        cls.mixed = Dashboard.search([("superset_dashboard_id", "=", cls.rls["dashboards"]["mixed"])])
        (cls.dashboard | cls.mixed).group_ids = False  # published to every Superset user
        cls.A, cls.B, cls.C = cls.company_a.id, cls.company_b.id, cls.company_c.id

    def visible_companies(self, result, dashboard=None, chart="by_company"):
        """Companies in the rows Superset sends back to the guest for a sales chart, grouped by company."""
        self.assertNotIn("error", result, result.get("error"))
        status, rows = self.live.fixtures.chart_data(
            self.live.url,
            result["token"],
            (dashboard or self.dashboard).superset_dashboard_id,
            self.rls["charts"][chart],
            self.rls["datasets"]["sales"],
        )
        self.assertEqual(status, 200)
        for row in rows:
            self.assertEqual(row["Total"], self.live.fixtures.company_total(row["company_id"]))
        return {row["company_id"] for row in rows}

    def _check_company_scoping(self, mode):
        self.configure_superset(token_mode=mode)
        A, B, C = self.A, self.B, self.C
        self.assertEqual(self.visible_companies(self.token(self.user_a, [A])), {A})
        self.assertEqual(self.visible_companies(self.token(self.multi, [A, B])), {A, B})
        self.assertEqual(self.visible_companies(self.token(self.multi, [B])), {B})
        self.dashboard.company_policy = "allowed"
        self.assertEqual(self.visible_companies(self.token(self.manager, [A])), {A, B, C})
        self.assertEqual(self.visible_companies(self.token(self.multi, [B])), {A, B})

    def test_company_scoping_local_mode(self):
        """Local mode: 1 → 1; 1+2 active → 1 and 2; only 2 → 2; "all allowed" → every allowed company."""
        self._check_company_scoping("local")

    def test_company_scoping_api_mode(self):
        """The same, with tokens issued by Superset's guest-token API."""
        self._check_company_scoping("api")

    def _check_chart_added_after_the_token(self, mode, first_chart):
        """A dashboard holding first_chart; a token minted; then, in Superset, an editor
        adds a chart on a dataset the dashboard did not use (orders, with company_id) and
        one on a dataset without company_id (catalog); a second token is minted at once,
        with no sync in between. With either token, the orders chart shows only the
        token's companies, and the catalog chart fails or shows nothing."""
        self.configure_superset(token_mode=mode, token_reuse="0")
        client = self.live.client()
        title = f"Added later {mode} {uuid.uuid4().hex[:6]}"
        superset_id = superset_content.dashboard(client, title, [[Cell(self.rls["charts"][first_chart], "First")]])
        embedded = client.ensure_embedded(superset_id, [self.live.odoo_origin])
        dashboard = self.env["superset.dashboard"].create(
            {"name": title, "superset_dashboard_id": superset_id, "embedded_uuid": embedded}
        )
        self.env["superset.dashboard.dataset"]._sync_for(dashboard, client)  # Odoo knows first_chart's datasets
        known = set(dashboard.dataset_ids.mapped("superset_dataset_id"))
        self.assertNotIn(self.rls["datasets"]["orders"], known)
        old = self.token(self.multi, [self.A], dashboard=dashboard)
        for chart in ("orders_by_company", "catalog"):
            self.live.fixtures.add_chart_to_dashboard(client, self.rls["charts"][chart], superset_id)
        new = self.token(self.multi, [self.A], dashboard=dashboard)
        self.assertNotEqual(old["token"], new["token"])

        def rows(token, chart, dataset, columns=("company_id",)):
            return self.live.fixtures.chart_data(
                self.live.url, token, superset_id, self.rls["charts"][chart], self.rls["datasets"][dataset], columns
            )

        for result in (old, new):
            status, seen = rows(result["token"], "orders_by_company", "orders")
            self.assertEqual(status, 200)
            self.assertEqual(seen, [{"company_id": self.A, "Total": self.live.fixtures.company_total(self.A)}])
            status, seen = rows(result["token"], "catalog", "catalog", columns=("label",))
            self.assertTrue(status != 200 or not seen, (status, seen))
        # The same request without the company rule would see every company: the test can fail.
        unfiltered = sign_guest_token(
            self.live.guest_secret,
            self.live.guest_audience,
            {"username": "t"},
            [{"type": "dashboard", "id": embedded}],
            [],
            ttl=60,
        )[0]
        status, seen = rows(unfiltered, "orders_by_company", "orders")
        self.assertEqual((status, len(seen)), (200, 100))
        self.configure_superset(token_reuse="1")

    def test_chart_added_in_superset_after_the_token_local_mode(self):
        """Local mode: a chart added after the token is filtered by company all the same."""
        self._check_chart_added_after_the_token("local", "by_company")

    def test_chart_added_in_superset_after_the_token_api_mode(self):
        """API mode: the same, with tokens Superset issued."""
        self._check_chart_added_after_the_token("api", "by_company")

    def test_chart_added_to_a_dashboard_holding_no_company_data_local_mode(self):
        """A dashboard whose only dataset holds no company data (rows of company 0): a chart
        added later on a company dataset shows only the token's companies."""
        self._check_chart_added_after_the_token("local", "shared")

    def test_chart_added_to_a_dashboard_holding_no_company_data_api_mode(self):
        self._check_chart_added_after_the_token("api", "shared")

    def test_foreign_company_in_the_request_never_reaches_the_token(self):
        """Denied path: companies the user is not allowed on are dropped, from the context or the cookie."""
        self.configure_superset(token_mode="local")
        A, C = self.A, self.C
        result = self.token(self.user_a, [A, C, 999999])
        self.assertEqual(self.clause_companies(self.claims(result)), {A})
        self.assertEqual(self.visible_companies(result), {A})
        result = self.token(self.user_a, None, cids=f"{C}-{A}")
        self.assertEqual(self.clause_companies(self.claims(result)), {A})
        for request in ([C], [999999]):
            refused = self.token(self.user_a, request)
            self.assertEqual(refused["error"]["code"], "no_company")
            self.assertNotIn("token", refused)

    def test_response_carries_no_secret(self):
        self.configure_superset(token_mode="local")
        result = self.token(self.user_a, [self.A])
        self.assertEqual(set(result), RESPONSE_KEYS)
        dumped = json.dumps(result)
        self.assertNotIn(self.live.guest_secret, dumped)
        self.assertNotIn(self.live.password, dumped)
        self.assertEqual(result["superset_url"], self.live.url)
        self.assertEqual(result["embedded_uuid"], self.dashboard.embedded_uuid)

    def test_native_filter_dataset_is_found_and_filtered(self):
        """The regions dataset is read only by a native filter: found by the sync, and the
        token's one company rule, global, covers it as every other dataset."""
        regions = self.dashboard.dataset_ids.filtered(
            lambda d: d.superset_dataset_id == self.rls["datasets"]["regions"]
        )
        self.assertEqual(
            (regions.used_by, regions.has_company_column, regions.filter_state), ("filters", True, "filtered")
        )
        self.configure_superset(token_mode="local")
        rules = self.claims(self.token(self.user_a, [self.A]))["rls_rules"]
        self.assertEqual(rules, [{"clause": f"company_id IN ({self.A}) OR company_id = 0"}])

    def test_dataset_without_company_column_fails_its_charts_only(self):
        """Mixed dashboard: the token is issued; the sales total shows the user's company;
        Superset refuses the catalog chart (no company_id column for the company rule) and
        the dashboard form names the catalog among the datasets whose charts fail."""
        self.configure_superset(token_mode="local")
        catalog = self.mixed.dataset_ids.filtered(lambda d: not d.has_company_column)
        self.assertEqual(catalog.filter_state, "fails")
        self.assertEqual(self.mixed.failing_dataset_ids, catalog)
        result = self.token(self.user_a, [self.A], dashboard=self.mixed)
        self.assertEqual(self.visible_companies(result, self.mixed, chart="total"), {self.A})
        status, rows = self.live.fixtures.chart_data(
            self.live.url,
            result["token"],
            self.mixed.superset_dashboard_id,
            self.rls["charts"]["catalog"],
            self.rls["datasets"]["catalog"],
            columns=("label",),
        )
        self.assertTrue(status != 200 or not rows, (status, rows))

    def test_rows_every_company_shares_carry_company_0(self):
        """A dataset holding no company data marks its rows company 0: every user sees
        them, with the rows of their own companies, and never another company's."""
        self.configure_superset(token_mode="local")
        shared = self.env["superset.dashboard"].search(
            [("superset_dashboard_id", "=", self.rls["dashboards"]["shared"])]
        )
        shared.group_ids = False
        for user, active, expected in (
            (self.user_a, [self.A], {0, self.A}),
            (self.multi, [self.A, self.B], {0, self.A, self.B}),
            (self.user_b, [self.B], {0, self.B}),
        ):
            result = self.token(user, active, dashboard=shared)
            self.assertNotIn("error", result, result.get("error"))
            status, rows = self.live.fixtures.chart_data(
                self.live.url,
                result["token"],
                shared.superset_dashboard_id,
                self.rls["charts"]["shared"],
                self.rls["datasets"]["shared"],
                columns=("company_id", "label"),
            )
            self.assertEqual(status, 200)
            self.assertEqual({row["company_id"] for row in rows}, expected)
            self.assertEqual(sum(row["company_id"] == 0 for row in rows), 2)

    def test_expired_token_is_refused_by_superset(self):
        rules = [{"dataset": self.rls["datasets"]["sales"], "clause": f"company_id IN ({self.A})"}]
        resources = [{"type": "dashboard", "id": self.dashboard.embedded_uuid}]
        args = (self.live.guest_secret, self.live.guest_audience, {"username": "t"}, resources, rules)
        fresh, _ = sign_guest_token(*args, ttl=300)
        expired, _ = sign_guest_token(*args, ttl=60, now=time.time() - 3600)
        for token, expected in ((fresh, 200), (expired, 401)):
            status, _rows = self.live.fixtures.chart_data(
                self.live.url,
                token,
                self.dashboard.superset_dashboard_id,
                self.rls["charts"]["by_company"],
                self.rls["datasets"]["sales"],
            )
            self.assertEqual(status, expected)

    def test_api_mode_reuses_a_token_until_shortly_before_expiry(self):
        self.configure_superset(token_mode="api")
        first = self.token(self.multi, [self.A])
        second = self.token(self.multi, [self.A])
        other = self.token(self.multi, [self.B])
        self.assertEqual(first["token"], second["token"])
        self.assertNotEqual(first["token"], other["token"])
        logs = self.env["superset.guest.token.log"].search([("user_id", "=", self.multi.id)], order="id")
        self.assertEqual(logs.mapped("cached"), [False, True, False])

    def test_errors_in_the_users_terms(self):
        """Unknown or archived → not found; no group → access denied; inactive company → which to activate."""
        self.configure_superset(token_mode="local")
        self.assertEqual(
            self.token(self.user_a, [self.A], dashboard=self.dashboard.browse(987654))["error"]["code"], "not_found"
        )
        self.dashboard.group_ids = self.finance_group
        self.assertEqual(self.token(self.user_a, [self.A])["error"]["code"], "access_denied")
        self.dashboard.group_ids = False
        self.dashboard.company_ids = self.company_b
        refused = self.token(self.multi, [self.A])["error"]
        self.assertEqual(refused["code"], "company_not_active")
        self.assertIn(self.company_b.name, refused["message"])
        self.assertEqual(self.token(self.user_a, [self.A])["error"]["code"], "access_denied")
        self.dashboard.company_ids = False
        self.dashboard.active = False
        self.assertEqual(self.token(self.user_a, [self.A])["error"]["code"], "not_found")

    def test_superset_unavailable(self):
        """API mode with Superset down: the plain user reads that the dashboard server is not
        answering, without its address or the service account; a manager and the audit
        row get Superset's details; once the breaker opens, the refusal says so at once."""
        self.configure_superset(token_mode="api", url="http://127.0.0.1:9", breaker_threshold=1)
        self.env["superset.connector"]._forget_connections()
        first = self.token(self.user_a, [self.A])["error"]
        self.assertEqual(first["code"], "superset_unavailable")
        self.assertTrue(first["message"].startswith("The dashboard server (Superset) is not answering right now."))
        for leak in ("127.0.0.1", "http", f"{self.live.user!r}", "refused"):
            self.assertNotIn(leak, first["message"])
        log = self.env["superset.guest.token.log"].search([("user_id", "=", self.user_a.id)], limit=1)
        self.assertTrue(log.reason.startswith("Superset is unavailable at http://127.0.0.1:9: connection refused"))
        second = self.token(self.manager, [self.A])["error"]
        self.assertTrue(second["message"].startswith("Superset is unavailable (1 failed calls in a row"))
        self.assertNotIn("Traceback", json.dumps(second))

    def test_background_work_does_not_open_the_users_breaker(self):
        """The background client (sync, refreshes) gives up on a call Superset answers too
        slowly for it, and its breaker opens (threshold 1): the users' tokens, asked from
        the same Superset through their own breaker, are issued all the same."""
        self.configure_superset(token_mode="api", breaker_threshold=1, token_reuse="0")
        connector = self.env["superset.connector"]
        background = connector._get_client()
        with self.assertRaises(SupersetUnavailable), background.deadline(0.001):
            background.dashboard_datasets(self.dashboard.superset_dashboard_id)
        self.assertEqual(background.breaker.state, "open")
        self.assertNotIn("error", self.token(self.user_a, [self.A]))
        self.assertEqual(connector._get_client(interactive=True).breaker.state, "closed")
        self.configure_superset(breaker_threshold=5, token_reuse="1")

    def test_every_token_leaves_an_audit_row(self):
        self.configure_superset(token_mode="local")
        Log = self.env["superset.guest.token.log"]
        before = Log.search_count([])
        self.token(self.user_a, [self.A])
        self.token(self.user_a, [self.C])
        logs = Log.search([], limit=2, order="id desc")
        self.assertEqual(Log.search_count([]), before + 2)
        refused, issued = logs
        self.assertEqual((issued.outcome, refused.outcome), ("issued", "refused"))
        self.assertEqual(
            (issued.user_id, issued.dashboard_id, issued.company_ids), (self.user_a, self.dashboard, self.company_a)
        )
        self.assertIn(f"all datasets: company_id IN ({self.A}) OR company_id = 0", issued.rules)
        self.assertEqual(
            (issued.token_mode, issued.ip_address, issued.user_agent), ("local", "127.0.0.1", "odoo-tests")
        )
        self.assertEqual(refused.error_code, "no_company")
        self.assertGreater(issued.duration_ms, 0)
        self.assertEqual(issued.request, "token")

    def test_audit_row_carries_the_tokens_id(self):
        """Local mode: the jti the token carries; API mode (Superset's tokens carry none): a
        SHA-256 fingerprint of it. Never the token itself."""
        Log = self.env["superset.guest.token.log"]
        self.configure_superset(token_mode="local")
        result = self.token(self.user_a, [self.A])
        self.assertEqual(Log.search([], limit=1).jti, self.claims(result)["jti"])
        self.configure_superset(token_mode="api", token_reuse="0")
        result = self.token(self.user_a, [self.A])
        self.assertNotIn("jti", self.claims(result))
        row = Log.search([], limit=1)
        self.assertEqual(row.jti, "sha256:" + hashlib.sha256(result["token"].encode()).hexdigest()[:32])
        self.assertNotIn(result["token"], json.dumps(row.read()[0], default=str))
        self.configure_superset(token_reuse="1")
