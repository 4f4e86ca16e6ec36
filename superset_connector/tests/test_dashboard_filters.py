"""A dashboard's native filters in Odoo: the lines a sync records, "Open from records"
(its path checked, its binding in the records' Action menu seen by the dashboard's
groups), the initial filters of a dashboard opened from a record (read as the user, in
each company's language), and the filters a user's choice leaves remembered, over the
routes the web client calls (a tampered data mask answered with a refusal)."""

import json

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from ..services import native_filters as nf
from ..services.refusals import Refused
from ..services.superset_content import StarterReport, load_starters
from .common import SupersetCommonMixin

PRODUCT_ID, PERIOD_ID = "NATIVE_FILTER-product", "NATIVE_FILTER-period"


def metadata(*extra, product_column="product_name"):
    return json.dumps(
        {
            "native_filter_configuration": [
                {
                    "id": PERIOD_ID,
                    "name": "Period",
                    "type": "NATIVE_FILTER",
                    "filterType": "filter_time",
                    "targets": [{}],
                },
                {"id": "NATIVE_FILTER_DIVIDER-1", "type": "DIVIDER", "title": "Products"},
                {
                    "id": PRODUCT_ID,
                    "name": "Product",
                    "type": "NATIVE_FILTER",
                    "filterType": "filter_select",
                    "targets": [{"datasetId": 7, "column": {"name": product_column}}],
                    "controlValues": {"inverseSelection": False},
                },
                *extra,
            ]
        }
    )


@tagged("post_install", "-at_install")
class TestDashboardFilters(SupersetCommonMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_superset_fixtures()
        env = cls.env
        env["res.lang"]._activate_lang("fr_FR")
        cls.company_b.partner_id.lang = "fr_FR"
        cls.company_a.partner_id.lang = "en_US"
        cls.user_ab = new_test_user(
            env,
            "sc_user_ab",
            groups="base.group_user,superset_connector.group_superset_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )
        cls.dashboard = cls.dash_everyone
        cls.dashboard.embedded_uuid = "00000000-0000-4000-8000-000000000020"
        Filter = env["superset.dashboard.filter"]
        Filter._apply_configuration(cls.dashboard, metadata())
        cls.product_line = Filter.search([("dashboard_id", "=", cls.dashboard.id), ("filter_id", "=", PRODUCT_ID)])
        cls.period_line = Filter.search([("dashboard_id", "=", cls.dashboard.id), ("filter_id", "=", PERIOD_ID)])
        cls.product_model = env["ir.model"]._get("product.product")
        cls.chair = env["product.product"].create({"name": "Task chair", "company_id": False})
        cls.chair.product_tmpl_id.with_context(lang="fr_FR").name = "Chaise de bureau"
        cls.b_only = env["product.product"].create({"name": "Secret B thing", "company_id": cls.company_b.id})

    def open_from_products(self, field="name"):
        self.product_line.write({"model_id": self.product_model.id, "value_field": field})
        return self.product_line.action_id

    def as_user(self, user, companies=None):
        env = self.env(user=user)
        if companies:
            env = env(context=dict(env.context, allowed_company_ids=companies.ids))
        return env

    # --- sync -----------------------------------------------------------------------

    def test_sync_records_the_filters(self):
        """The native filters become lines (dividers left out); a second sync changes
        nothing; a filter that vanishes goes with its binding; one that remains keeps its
        mapping."""
        lines = self.dashboard.filter_ids
        self.assertEqual(lines.mapped("filter_id"), [PERIOD_ID, PRODUCT_ID])
        self.assertEqual(
            (self.product_line.name, self.product_line.filter_type, self.product_line.column),
            ("Product", "filter_select", "product_name"),
        )
        self.assertEqual(self.product_line.superset_dataset_id, 7)
        self.assertEqual(self.period_line.filter_type, "filter_time")
        Filter = self.env["superset.dashboard.filter"]
        self.assertFalse(Filter._apply_configuration(self.dashboard, metadata()))
        action = self.open_from_products()
        self.assertTrue(Filter._apply_configuration(self.dashboard, metadata(product_column="product")))
        self.assertEqual(self.product_line.column, "product")
        self.assertEqual(self.product_line.model_id, self.product_model)
        self.assertEqual(self.product_line.action_id, action)
        self.assertTrue(Filter._apply_configuration(self.dashboard, json.dumps({"native_filter_configuration": []})))
        self.assertFalse(self.dashboard.filter_ids)
        self.assertFalse(action.exists())

    def test_sync_for_reads_the_metadata_from_superset(self):
        class Client:
            def dashboard(self, dashboard_id):
                return {"id": dashboard_id, "json_metadata": metadata(product_column="other")}

        self.assertTrue(self.env["superset.dashboard.filter"]._sync_for(self.dashboard, Client()))
        self.assertEqual(self.product_line.column, "other")

    # --- open from records ------------------------------------------------------------

    def test_value_paths_are_checked(self):
        for field, words in (
            ("nope", "has no field nope"),
            ("name.foo", "not a many-to-one"),
            ("product_tmpl_id.attribute_line_ids", "cannot take its value"),
            ("", "Say which field"),
        ):
            with self.subTest(field=field), self.assertRaisesRegex(ValidationError, words):
                self.product_line.write({"model_id": self.product_model.id, "value_field": field})
        with self.assertRaisesRegex(ValidationError, "not a list of values"):
            self.period_line.write({"model_id": self.product_model.id, "value_field": "name"})
        for field in ("name", "categ_id.name", "categ_id", "product_tmpl_id.list_price", "type"):
            self.product_line.write({"model_id": self.product_model.id, "value_field": field})

    def test_the_binding_follows_the_line_and_the_dashboard(self):
        """A mapped filter binds a client action to the model's Action menu, seen by the
        dashboard's groups only; gone when the mapping is cleared or the line deleted."""
        action = self.open_from_products()
        self.assertEqual(action.binding_model_id, self.product_model)
        self.assertEqual(action.tag, "superset_connector.dashboard")
        self.assertEqual(action.params, {"dashboard_id": self.dashboard.id})
        self.assertEqual(action.groups_id, self.env.ref("superset_connector.group_superset_user"))

        def bound(user):
            actions = self.env(user=user)["ir.actions.actions"].get_bindings("product.product").get("action", [])
            return action.id in [item["id"] for item in actions]

        self.assertTrue(bound(self.user_a))
        self.assertFalse(bound(self.outsider))
        self.dashboard.group_ids = [Command.set(self.finance_group.ids)]
        self.assertEqual(action.groups_id, self.finance_group)
        self.assertFalse(bound(self.user_a))
        self.assertTrue(bound(self.user_b))
        self.dashboard.name = "Renamed"
        self.assertIn("Renamed", action.name)
        self.product_line.model_id = False
        self.assertFalse(action.exists())
        self.assertFalse(self.product_line.action_id)
        action = self.open_from_products()
        self.product_line.unlink()
        self.assertFalse(action.exists())

    def test_deleting_the_dashboard_removes_the_binding(self):
        action = self.open_from_products()
        self.dashboard.unlink()
        self.assertFalse(action.exists())

    # --- initial filters ---------------------------------------------------------------

    def initial(self, user, record, companies=None):
        env = self.as_user(user, companies)
        dashboard, token_companies = env["superset.guest.token"]._dashboard_and_companies(self.dashboard.id, {})
        return env["superset.dashboard.filter"]._initial_data_mask(dashboard, record, token_companies)

    def test_a_record_sets_its_filter_in_each_company_s_language(self):
        self.open_from_products()
        record = {"model": "product.product", "id": self.chair.id}
        mask, remembered = self.initial(self.user_ab, record, self.company_a | self.company_b)
        spec = self.product_line._spec()
        self.assertEqual(mask, {PRODUCT_ID: nf.select_entry(spec, ["Chaise de bureau", "Task chair"])})
        self.assertFalse(remembered)
        mask, _remembered = self.initial(self.user_ab, record, self.company_a)
        self.assertEqual(mask, {PRODUCT_ID: nf.select_entry(spec, ["Task chair"])})
        # Through a many-to-one: its display name.
        self.product_line.value_field = "categ_id"
        mask, _remembered = self.initial(self.user_ab, record, self.company_a)
        self.assertEqual(mask[PRODUCT_ID]["filterState"]["value"], [self.chair.categ_id.display_name])

    def test_a_record_that_cannot_open_the_dashboard_is_refused(self):
        self.open_from_products()
        for record, code in (
            ({"model": "res.partner", "id": self.user_a.partner_id.id}, "record_not_linked"),
            ({"model": "no.such.model", "id": 1}, "record_not_linked"),
            ({"model": "product.product", "id": "1"}, "record_not_linked"),
            ({"model": "product.product", "id": self.b_only.id}, "record_not_allowed"),
            ({"model": "product.product", "id": 10**9}, "record_not_allowed"),
        ):
            with self.subTest(record=record), self.assertRaises(Refused) as caught:
                self.initial(self.user_a, record)
            self.assertEqual(caught.exception.code, code)
        self.assertIn("not allowed to read this record", caught.exception.message)

    # --- remembered filters -----------------------------------------------------------

    def test_remembered_filters_round_trip(self):
        UserFilter = self.as_user(self.user_a)["superset.dashboard.user.filter"]
        dashboard = self.dashboard.with_env(UserFilter.env)
        spec = self.product_line._spec()
        sent = {
            PRODUCT_ID: {
                "id": PRODUCT_ID,
                "extraFormData": {"filters": [{"col": "product_name", "op": "IN", "val": ["Desk"]}]},
                "filterState": {"value": ["Desk"], "label": "Desk", "excludeFilterValues": True},
                "ownState": {"clientView": {"rows": [1, 2]}},
            },
            "12": {"id": "12", "extraFormData": {"filters": [{"col": "company", "op": "IN", "val": ["A"]}]}},
            "nativeFiltersChanged": True,
        }
        self.assertTrue(UserFilter._remember(dashboard, sent))
        row = UserFilter.search([("dashboard_id", "=", self.dashboard.id)])
        self.assertEqual(row.data_mask, {PRODUCT_ID: nf.select_entry(spec, ["Desk"])})
        self.assertEqual(UserFilter._remembered(dashboard), row.data_mask)
        # Another user's row is invisible.
        other = self.as_user(self.user_b)["superset.dashboard.user.filter"]
        self.assertFalse(other.search([("dashboard_id", "=", self.dashboard.id)]))
        self.assertEqual(other._remembered(self.dashboard.with_env(other.env)), {})
        # A record's filter overrides the remembered one.
        self.open_from_products()
        mask, remembered = self.initial(self.user_a, {"model": "product.product", "id": self.chair.id})
        self.assertTrue(remembered)
        self.assertEqual(mask[PRODUCT_ID]["filterState"]["value"], ["Task chair"])
        # Clearing the filter, or a reset, forgets.
        cleared = {PRODUCT_ID: {"id": PRODUCT_ID, "extraFormData": {}, "filterState": {"value": None}}}
        self.assertFalse(UserFilter._remember(dashboard, cleared))
        self.assertFalse(row.exists())
        UserFilter._remember(dashboard, sent)
        UserFilter._forget(dashboard)
        self.assertFalse(UserFilter.search([("dashboard_id", "=", self.dashboard.id)]))

    # --- the routes -------------------------------------------------------------------

    def rpc(self, user, path, params=None, dashboard=None):
        self.authenticate(user.login, user.login)
        url = f"/superset_connector/dashboards/{(dashboard or self.dashboard).id}/{path}"
        response = self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params or {}}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertNotIn("error", body, "a JSON-RPC error, not a refusal")
        return body["result"]

    def test_routes(self):
        self.open_from_products()
        self.assertEqual(self.rpc(self.user_a, "filters"), {"native_filters": "", "remembered": False})
        spec = self.product_line._spec()
        entry = nf.select_entry(spec, ["Desk"])
        self.assertEqual(self.rpc(self.user_a, "filters/save", {"data_mask": {PRODUCT_ID: entry}}), {"saved": True})
        self.assertEqual(
            self.rpc(self.user_a, "filters"),
            {"native_filters": nf.to_rison({PRODUCT_ID: entry}), "remembered": True},
        )
        reply = self.rpc(self.user_a, "filters", {"record": {"model": "product.product", "id": self.chair.id}})
        self.assertEqual(reply["native_filters"], nf.to_rison({PRODUCT_ID: nf.select_entry(spec, ["Task chair"])}))
        self.assertEqual(self.rpc(self.user_a, "filters/reset"), {"reset": True})
        self.assertEqual(self.rpc(self.user_a, "filters"), {"native_filters": "", "remembered": False})

    def test_routes_refuse_tampering_and_strangers(self):
        self.open_from_products()
        tampered = {PRODUCT_ID: {"extraFormData": {"filters": [{"col": "secret", "op": "IN", "val": ["x"]}]}}}
        reply = self.rpc(self.user_a, "filters/save", {"data_mask": tampered})
        self.assertEqual(reply["error"]["code"], "filters_invalid")
        self.assertIn("Product", reply["error"]["message"])
        self.assertFalse(reply["error"]["retryable"])
        reply = self.rpc(self.user_a, "filters/save", {"data_mask": "not a mask"})
        self.assertEqual(reply["error"]["code"], "filters_invalid")
        reply = self.rpc(self.user_a, "filters", {"record": {"model": "product.product", "id": self.b_only.id}})
        self.assertEqual(reply["error"]["code"], "record_not_allowed")
        for path in ("filters", "filters/save", "filters/reset"):
            with self.subTest(path=path):
                reply = self.rpc(self.user_a, path, {"data_mask": {}}, dashboard=self.dash_finance)
                self.assertEqual(reply["error"]["code"], "access_denied")
                reply = self.rpc(self.outsider, path, {"data_mask": {}})
                self.assertEqual(reply["error"]["code"], "access_denied")

    # --- starter dashboards -------------------------------------------------------------

    def test_starter_filters_open_from_records(self):
        """A starter file's "open_from" sets the synced line's mapping, once: a line
        mapped already keeps its own."""
        sales = next(starter for starter in load_starters() if starter.key == "sales")
        report = StarterReport(existing={sales.title: self.dashboard.superset_dashboard_id})
        Starter = self.env["superset.dashboard.starter"]
        Starter._open_from_records(report, [sales])
        self.assertEqual((self.product_line.model_id, self.product_line.value_field), (self.product_model, "name"))
        self.assertTrue(self.product_line.action_id)
        self.product_line.value_field = "default_code"
        Starter._open_from_records(report, [sales])
        self.assertEqual(self.product_line.value_field, "default_code")
