"""Guest tokens without Superset (local mode): rules, companies, lifetime, the audit trail."""

import time
import uuid

import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from .guest_token_common import GuestTokenMixin


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

    def test_rule_changes_reach_the_next_token_despite_the_cache(self):
        """The rules a token carries are cached per dashboard: a rule added, changed,
        archived or deleted, and a dataset renumbered in Superset, show in the very next
        token (a rule added to narrow access never waits for a cache to expire)."""
        company = [self.company_a.id]

        def dashboard_rules():
            return self.claims(self.token(self.prop_user, company))["rls_rules"][1:]

        self.assertEqual(dashboard_rules(), [])  # cached now: no rule of its own
        rule = self.env["superset.rls.rule"].create(
            {"dashboard_id": self.dashboard.id, "dataset_id": self.dataset.id, "clause": "amount > 0"}
        )
        self.assertEqual(dashboard_rules(), [{"dataset": 7, "clause": "amount > 0"}])
        rule.clause = "amount > 10"
        self.assertEqual(dashboard_rules(), [{"dataset": 7, "clause": "amount > 10"}])
        self.dataset.superset_dataset_id = 8
        self.assertEqual(dashboard_rules(), [{"dataset": 8, "clause": "amount > 10"}])
        rule.active = False
        self.assertEqual(dashboard_rules(), [])
        rule.active = True
        self.assertEqual(len(dashboard_rules()), 1)
        rule.unlink()
        self.assertEqual(dashboard_rules(), [])
        self.env["superset.rls.rule"].create({"dashboard_id": self.dashboard.id, "clause": "amount > 5"})
        self.assertEqual(dashboard_rules(), [{"clause": "amount > 5"}])
        self.env["superset.rls.rule"].create(
            {"dashboard_id": self.dashboard.id, "dataset_id": self.dataset.id, "clause": "amount < 99"}
        )
        self.assertEqual(len(dashboard_rules()), 2)
        self.dataset.unlink()  # its rules go with it, deleted by the database
        self.assertEqual(dashboard_rules(), [{"clause": "amount > 5"}])

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
