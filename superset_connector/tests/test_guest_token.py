import hashlib
import json
import os
import time
import uuid

import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..services import superset_content
from ..services.errors import SupersetUnavailable
from ..services.guest_token import sign_guest_token
from ..services.superset_content import Cell
from .common import SupersetCommonMixin

CLIENT = {"ip": "127.0.0.1", "user_agent": "odoo-tests"}
RESPONSE_KEYS = {"token", "expires_at", "server_time", "superset_url", "embedded_uuid", "ui_config"}


class GuestTokenMixin(SupersetCommonMixin):
    def token(self, user, active=None, dashboard=None, cids=None):
        """What the route returns to this user, with these companies active."""
        context = {"allowed_company_ids": active} if active is not None else {}
        env = self.env(user=user, context=context)
        return env["superset.guest.token"]._response((dashboard or self.dashboard).id, {**CLIENT, "cids": cids})

    def claims(self, result):
        self.assertNotIn("error", result, result.get("error"))
        return jwt.decode(result["token"], options={"verify_signature": False})

    @staticmethod
    def clause_companies(claims):
        """Company ids of the company rule a token carries (global: no dataset)."""
        (rule,) = [r for r in claims["rls_rules"] if r["clause"].startswith("company_id IN (")]
        assert "dataset" not in rule, rule
        assert rule["clause"].endswith(") OR company_id = 0"), rule
        inside = rule["clause"].split("IN (", 1)[1].split(")", 1)[0]
        return {int(c) for c in inside.split(",")}


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


@tagged("post_install", "-at_install")
class TestGuestTokenRules(GuestTokenMixin, TransactionCase):
    """Rules, companies and the audit trail without Superset (local mode, datasets known)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        cls.configure_superset(url="http://127.0.0.1:9", token_mode="local", guest_token_secret="s" * 32)
        cls.companies = cls.company_a | cls.company_b
        cls.companies |= cls.env["res.company"].create([{"name": f"Superset Prop {i}"} for i in range(3)])
        cls.dashboard = cls.env["superset.dashboard"].create(
            {"name": "Offline", "superset_dashboard_id": 424242, "embedded_uuid": str(uuid.uuid4())}
        )
        cls.dataset = cls.env["superset.dashboard.dataset"].create(
            {"dashboard_id": cls.dashboard.id, "superset_dataset_id": 7, "name": "sales", "has_company_column": True}
        )
        cls.prop_user = new_test_user(
            cls.env, "sc_prop", groups="base.group_user,superset_connector.group_superset_user"
        )

    def test_company_rule_is_global_and_first(self):
        """Every token's first rule is the company rule without dataset, whatever the
        dashboard's own rules: no dataset Superset reads for a guest escapes it."""
        self.env["superset.rls.rule"].create(
            {"dashboard_id": self.dashboard.id, "dataset_id": self.dataset.id, "clause": "amount > 0"}
        )
        rules = self.claims(self.token(self.prop_user, [self.company_a.id]))["rls_rules"]
        self.assertEqual(
            rules,
            [
                {"clause": f"company_id IN ({self.company_a.id}) OR company_id = 0"},
                {"dataset": 7, "clause": "amount > 0"},
            ],
        )
        self.assertFalse(self.dashboard.rls_rule_ids.filtered(lambda r: "company_id" in r.clause))

    def test_a_dashboard_odoo_knows_no_dataset_of_still_gets_the_company_rule(self):
        """Fail closed without Odoo looking: no dataset known, no rule of its own: the
        token still carries the company rule (never an empty list)."""
        bare = self.env["superset.dashboard"].create(
            {"name": "Bare", "superset_dashboard_id": 424243, "embedded_uuid": str(uuid.uuid4())}
        )
        self.assertFalse(bare.dataset_ids or bare.rls_rule_ids)
        rules = self.claims(self.token(self.prop_user, [self.company_a.id], dashboard=bare))["rls_rules"]
        self.assertEqual(rules, [{"clause": f"company_id IN ({self.company_a.id}) OR company_id = 0"}])

    def test_clause_templates_are_validated_on_save(self):
        """Denied path: unknown placeholders, injections, comments, unbalanced quotes, and
        what would reach Superset's Jinja or hide the end of a string (doubled braces,
        braces in a string, E'' and U&'' strings, dollar quoting), or is not one
        condition, cannot be saved."""
        Rule = self.env["superset.rls.rule"]
        for clause in (
            "company_id IN ({company_id})",
            "company_id IN ({company_ids}); DROP TABLE res_users",
            "name = 'x'; DROP TABLE res_users; --",
            "name = 'x",
            "company_id IN ({company_ids}) -- hide the rest",
            "1=1) OR (1=1",
            "partner_id = {partner_id!r}",
            "user_id = {user_id.__class__}",
            "{{{{ url_param('company') }}}}",
            "company_id IN ({{ current_user_id() }})",
            "{{% if 1 %}}1=1{{% endif %}}",
            "name = '{{ 7 * 7 }}'",
            "name = '{company_ids}'",
            "name = E'\\'' OR 1=1 OR name = ''",
            "name = e'x'",
            "name = U&'\\0041'",
            "name = $$x$$ OR 1=1",
            "name = $tag$x$tag$",
            "amount > $1",
            "company_id IN ({company_ids}) /* note */",
            "a = 1 UNION SELECT password FROM res_users",
            "amount",
            "a = 1 ORDER BY a",
        ):
            with self.subTest(clause=clause), self.assertRaises(ValidationError):
                Rule.create({"dashboard_id": self.dashboard.id, "clause": clause})
        rule = Rule.create({"dashboard_id": self.dashboard.id, "clause": "owner_id IN ({user_id}, {partner_id})"})
        with self.assertRaises(ValidationError):
            rule.clause = "owner_id = {login}"
        for clause in (
            "region = 'it''s $5' AND team_id IN ({company_ids})",
            "NOT (amount BETWEEN 1 AND 2) OR label LIKE 'a%'",
            "team_id IN (SELECT id FROM superset_analytics.vw_company WHERE company_id IN ({company_ids}))",
        ):
            with self.subTest(clause=clause):
                Rule.create({"dashboard_id": self.dashboard.id, "clause": clause})

    def test_custom_rules_render_server_side_integers(self):
        self.env["superset.rls.rule"].create(
            {"dashboard_id": self.dashboard.id, "clause": "salesperson_partner_id = {commercial_partner_id}"}
        )
        claims = self.claims(self.token(self.prop_user, [self.company_a.id]))
        partner = self.prop_user.partner_id.commercial_partner_id.id
        self.assertIn({"clause": f"salesperson_partner_id = {partner}"}, claims["rls_rules"])

    def test_a_year_long_lifetime_set_directly_gives_tokens_of_an_hour(self):
        """Denied path around the settings form: token_ttl written as a parameter to a year
        (31536000 s): the token Odoo signs expires in at most 3600 s."""
        self.env["ir.config_parameter"].sudo().set_param("superset_connector.token_ttl", "31536000")
        claims = self.claims(self.token(self.prop_user, [self.company_a.id]))
        self.assertLessEqual(claims["exp"] - time.time(), 3600)
        self.assertGreater(claims["exp"] - time.time(), 3500)

    def test_token_layout(self):
        claims = jwt.decode(
            self.token(self.prop_user, [self.company_a.id])["token"],
            "s" * 32,
            algorithms=["HS256"],
            audience="superset_connector",
        )
        self.assertEqual(claims["type"], "guest")
        self.assertEqual(claims["resources"], [{"type": "dashboard", "id": self.dashboard.embedded_uuid}])
        self.assertLessEqual(claims["iat"], time.time() - 4)
        self.assertTrue(claims["jti"])

    def test_retention_cron_deletes_old_rows(self):
        Log = self.env["superset.guest.token.log"]
        self.env["ir.config_parameter"].sudo().set_param("superset_connector.token_log_days", 30)
        old = Log.create({"outcome": "issued", "create_date": fields.Datetime.subtract(fields.Datetime.now(), days=31)})
        recent = Log.create(
            {"outcome": "issued", "create_date": fields.Datetime.subtract(fields.Datetime.now(), days=29)}
        )
        self.env.ref("superset_connector.ir_cron_superset_guest_token_log_purge").method_direct_trigger()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_retention_cron_deletes_a_backlog_in_batches_with_progress(self):
        """Five old rows, batches of two: each call deletes the two oldest, tells Odoo's cron
        runner how many are left and triggers the cron again; the recent row stays."""
        Log = self.env["superset.guest.token.log"]
        self.env["ir.config_parameter"].sudo().set_param("superset_connector.token_log_days", 30)
        long_ago = fields.Datetime.subtract(fields.Datetime.now(), days=40)
        old = Log.create([{"outcome": "issued", "create_date": long_ago} for _ in range(5)])
        recent = Log.create({"outcome": "issued"})
        cron = self.env.ref("superset_connector.ir_cron_superset_guest_token_log_purge")
        Trigger = self.env["ir.cron.trigger"]
        progress_seen = []
        for _ in range(4):
            triggers_before = Trigger.search_count([("cron_id", "=", cron.id)])
            cron_run, progress = cron._add_progress()  # what Odoo's cron runner does before each call
            progress_id = cron_run.env.context["ir_cron_progress_id"]
            deleted = Log.with_context(ir_cron_progress_id=progress_id)._cron_purge(batch_size=2)
            progress_seen.append((deleted, progress.done, progress.remaining))
            triggered = Trigger.search_count([("cron_id", "=", cron.id)]) > triggers_before
            self.assertEqual(triggered, bool(progress.remaining))
        self.assertEqual(progress_seen, [(2, 2, 3), (2, 2, 1), (1, 1, 0), (0, 0, 0)])
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_retention_cron_deletes_the_oldest_rows_first(self):
        """By date, not by id: the row written second is the older one."""
        Log = self.env["superset.guest.token.log"]
        self.env["ir.config_parameter"].sudo().set_param("superset_connector.token_log_days", 30)
        old = Log.create(
            [
                {"outcome": "issued", "create_date": fields.Datetime.subtract(fields.Datetime.now(), days=days)}
                for days in (40, 50)
            ]
        )
        Log._cron_purge(batch_size=1)
        self.assertEqual(old.exists(), old[0])

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        allowed_index=st.sets(st.integers(0, 4), min_size=1),
        requested_index=st.lists(st.integers(0, 6), max_size=6),
        through_cookie=st.booleans(),
        policy=st.sampled_from(["active", "allowed"]),
    )
    def test_property_token_companies_are_a_nonempty_subset_of_allowed(
        self, allowed_index, requested_index, through_cookie, policy
    ):
        """For any allowed set and any requested set (pool indexes 5 and 6: a company that is
        not the user's, one that does not exist), an issued token covers a non-empty subset of
        the allowed companies; a request whose companies are all foreign is refused."""
        ordered = self.companies.sorted("id")
        allowed = ordered.browse([ordered[i].id for i in sorted(allowed_index)])
        self.prop_user.write({"company_ids": [Command.set(allowed.ids)], "company_id": allowed[0].id})
        outside = [c.id for c in self.companies if c not in allowed][:1] or [999998]
        pool = [*ordered.ids, outside[0], 999999]
        requested = [pool[i] for i in requested_index]
        self.dashboard.company_policy = policy
        if through_cookie:
            result = self.token(self.prop_user, None, cids="-".join(map(str, requested)))
        else:
            result = self.token(self.prop_user, requested)
        effective = set(requested) & set(allowed.ids) if requested else {allowed[0].id}
        if not effective:
            self.assertEqual(result["error"]["code"], "no_company")
            return
        companies = self.clause_companies(self.claims(result))
        self.assertTrue(companies)
        self.assertLessEqual(companies, set(allowed.ids))
        self.assertEqual(companies, set(allowed.ids) if policy == "allowed" else effective)
