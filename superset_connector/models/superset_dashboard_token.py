import json
import logging
import threading
import time

import jwt

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..services.companies import token_companies
from ..services.connection_check import diagnose_embedding
from ..services.errors import SupersetError, SupersetUnavailable
from ..services.guest_token import sign_guest_token
from ..services.rls import ClauseTemplateError, render_clause, summarize
from .superset_dashboard_dataset import COMPANY_COLUMN
from .texts import user_text

_logger = logging.getLogger(__name__)

# API-mode tokens reused per (database, user, dashboard, companies, rules) until shortly
# before they expire; and when each dashboard's datasets were last checked in Superset.
_token_cache = {}
_datasets_checked = {}
_cache_lock = threading.Lock()
TOKEN_CACHE_MAX = 2000
# What the route reads of the dashboard, fetched with the access check in one query.
TOKEN_FIELDS = [
    "embedded_uuid",
    "company_policy",
    "show_title",
    "show_tabs",
    "show_chart_controls",
    "show_filters",
    "expand_filters",
    "unfiltered_dataset_count",
    "dataset_count",
    "has_company_data",
]


def _placeholder_values(user, companies, clauses):
    """Integers for the placeholders the clauses use (the partner is read only if needed)."""
    values = {"company_ids": companies, "user_id": user.id}
    if any("partner_id}" in clause for clause in clauses):
        values["partner_id"] = user.partner_id.id
        values["commercial_partner_id"] = user.partner_id.commercial_partner_id.id
    return values


class GuestTokenRefused(Exception):
    """A token cannot be issued. code: for the client; message: for the user."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class SupersetDashboard(models.Model):
    _inherit = "superset.dashboard"

    # --- fields ---------------------------------------------------------------------
    company_policy = fields.Selection(
        [("active", "Companies active in the switcher"), ("allowed", "All the user's allowed companies")],
        string="Companies shown",
        default="active",
        required=True,
        help="Which companies' rows the dashboard shows a user.",
    )
    dataset_ids = fields.One2many("superset.dashboard.dataset", "dashboard_id", string="Datasets")
    rls_rule_ids = fields.One2many("superset.rls.rule", "dashboard_id", string="Row-level security")
    unfiltered_dataset_ids = fields.One2many(
        "superset.dashboard.dataset", compute="_compute_unfiltered_dataset_ids", string="Unfiltered datasets"
    )
    # Stored so that issuing a token reads them with the dashboard, in the same query.
    unfiltered_dataset_count = fields.Integer(compute="_compute_rls_coverage", store=True)
    dataset_count = fields.Integer(compute="_compute_rls_coverage", store=True)
    has_company_data = fields.Boolean(compute="_compute_rls_coverage", store=True)

    @api.depends(
        "dataset_ids.no_company_data", "rls_rule_ids.active", "rls_rule_ids.dataset_id", "dataset_ids.rule_ids.active"
    )
    def _compute_rls_coverage(self):
        for dashboard in self:
            dashboard.unfiltered_dataset_count = len(dashboard.dataset_ids._unfiltered_by(dashboard.rls_rule_ids))
            dashboard.dataset_count = len(dashboard.dataset_ids)
            dashboard.has_company_data = any(not d.no_company_data for d in dashboard.dataset_ids)

    @api.depends(
        "dataset_ids.no_company_data", "rls_rule_ids.active", "rls_rule_ids.dataset_id", "dataset_ids.rule_ids.active"
    )
    def _compute_unfiltered_dataset_ids(self):
        for dashboard in self:
            dashboard.unfiltered_dataset_ids = dashboard.dataset_ids._unfiltered_by(dashboard.rls_rule_ids)

    # --- the route's method -----------------------------------------------------------

    def _guest_token_response(self, dashboard_id, client):
        """What the guest_token route returns: the token and how to show the dashboard,
        or {"error": {code, message}}. Either way one audit row is written."""
        started = time.perf_counter()
        audit = {
            "user_id": self.env.uid,
            "ip_address": (client.get("ip") or "")[:64],
            "user_agent": (client.get("user_agent") or "")[:256],
        }
        try:
            result = self._issue_guest_token(dashboard_id, client, audit)
        except GuestTokenRefused as exc:
            audit.update(outcome="refused", error_code=exc.code, reason=exc.message[:255])
            result = {"error": {"code": exc.code, "message": exc.message}}
        else:
            audit["outcome"] = "issued"
        audit["duration_ms"] = (time.perf_counter() - started) * 1000
        companies = audit.pop("company_ids", [])
        self.env["superset.guest.token.log"]._record(audit, companies)
        return result

    def _issue_guest_token(self, dashboard_id, client, audit):
        user = self.env.user
        allowed = user._get_company_ids()  # active companies only, cached per user
        requested = self.env.context.get("allowed_company_ids") or client.get("cids")
        default = None if requested else user.company_id.id  # read only when needed
        active = token_companies(requested, allowed, default)
        if not active:
            if not self.sudo().search_count([("id", "=", int(dashboard_id))]):
                raise GuestTokenRefused("not_found", self.env._("This dashboard does not exist or was archived."))
            raise GuestTokenRefused(
                "no_company",
                self.env._("None of the companies active in your company switcher is one you may see: select yours."),
            )
        dashboard = self._fetch_for_user(int(dashboard_id), active)
        audit["dashboard_id"] = dashboard.id
        companies = token_companies(requested, allowed, default, dashboard.company_policy)
        audit["company_ids"] = companies
        if not dashboard.embedded_uuid:
            raise GuestTokenRefused(
                "not_ready",
                self.env._(
                    "This dashboard is not ready for embedding yet: a Superset Manager must sync it from Superset."
                ),
            )
        settings = self.env["superset.connector"]._get_settings()
        dashboard = dashboard.sudo()
        dashboard._refresh_datasets_if_stale(settings)
        rules = dashboard._render_rls(user, companies)
        audit["rules"] = summarize(rules) or self.env._("none: the dashboard holds no company data")
        audit["token_mode"] = settings.token_mode
        token, expires_at, cached = dashboard._mint_token(settings, user, companies, rules)
        audit["cached"] = cached
        return {
            "token": token,
            "expires_at": expires_at,
            "server_time": time.time(),  # lets the browser refresh on time whatever its clock says
            "superset_url": settings.browser_url,
            "embedded_uuid": dashboard.embedded_uuid,
            "ui_config": dashboard._ui_config(),
        }

    # --- access ---------------------------------------------------------------------

    def _fetch_for_user(self, dashboard_id, active_companies):
        """The dashboard as this user may read it (access rights, groups and company
        record rules, with the narrowed active companies), in one query; on refusal, why."""
        as_user = self.with_user(self.env.uid).with_context(allowed_company_ids=active_companies)
        try:
            dashboard = as_user.search_fetch([("id", "=", dashboard_id)], TOKEN_FIELDS, limit=1)
        except AccessError:
            dashboard = None  # no read access to dashboards at all
        if dashboard:
            return dashboard
        found = self.sudo().search([("id", "=", dashboard_id)])  # active ones only
        if not found:
            raise GuestTokenRefused("not_found", self.env._("This dashboard does not exist or was archived."))
        user = self.env.user
        offered = found.company_ids & user.company_ids
        if offered and as_user.with_context(allowed_company_ids=user._get_company_ids()).search_count(
            [("id", "=", dashboard_id)]
        ):
            raise GuestTokenRefused(
                "company_not_active",
                self.env._(
                    "This dashboard is offered in %(companies)s: activate one of them in the company switcher.",
                    companies=", ".join(offered.mapped("name")),
                ),
            )
        raise GuestTokenRefused("access_denied", self.env._("You are not allowed to see this dashboard."))

    # --- row-level security -----------------------------------------------------------

    def _render_rls(self, user, companies):
        """The token's rules: every active clause rendered with server-side integers.

        Fails closed: a dataset no rule filters and nobody marked as holding no company
        data blocks the token, and a dashboard with company data never gets an empty list.
        """
        self.ensure_one()
        if not self.dataset_count:
            raise GuestTokenRefused(
                "not_ready",
                self.env._("Odoo does not know this dashboard's datasets yet: a Superset Manager must sync it."),
            )
        if self.unfiltered_dataset_count:
            raise GuestTokenRefused(
                "unfiltered_dataset",
                self.env._(
                    "Dataset(s) %(names)s of this dashboard are not filtered by company. A Superset Manager must add "
                    "a rule for them, or mark them as holding no company data.",
                    names=", ".join(self.unfiltered_dataset_ids.mapped("name")),
                ),
            )
        Rule = self.env["superset.rls.rule"].sudo()
        rules = Rule.search_fetch([("dashboard_id", "=", self.id)], ["dataset_id", "superset_dataset_id", "clause"])
        values = _placeholder_values(user, companies, rules.mapped("clause"))
        rendered = []
        for rule in rules:
            try:
                clause = render_clause(rule.clause, values)
            except ClauseTemplateError as exc:
                raise GuestTokenRefused(
                    "bad_rule", self.env._("A row-level security rule cannot be applied: %s", user_text(self.env, exc))
                ) from exc
            if rule.dataset_id:
                rendered.append({"dataset": rule.superset_dataset_id, "clause": clause})
            else:
                rendered.append({"clause": clause})
        if not rendered and self.has_company_data:
            raise GuestTokenRefused("unfiltered_dataset", self.env._("This dashboard has company data but no rule."))
        return rendered

    # --- datasets ---------------------------------------------------------------------

    def _refresh_datasets_if_stale(self, settings):
        """Charts may have been added in Superset since the last sync: look again when the
        last look is older than superset_connector.dataset_refresh_seconds (60)."""
        params = self.env["ir.config_parameter"].sudo()
        max_age = float(params.get_param("superset_connector.dataset_refresh_seconds", 60) or 60)
        key = (self.env.cr.dbname, self.id)
        checked = _datasets_checked.get(key)
        if checked is not None and time.monotonic() - checked < max_age:
            return
        try:
            self._sync_datasets(self.env["superset.connector"]._get_client(settings, interactive=True))
        except SupersetUnavailable as exc:
            raise GuestTokenRefused("superset_unavailable", user_text(self.env, exc)) from exc
        except SupersetError as exc:
            raise GuestTokenRefused("superset_error", user_text(self.env, exc)) from exc

    def _sync_datasets(self, client):
        """Record the datasets this dashboard reads (charts and native filters) and keep
        the default company rule on each one that has a company_id column. Writes only
        what changed; returns True if something did."""
        self.ensure_one()
        found = self._fetch_datasets(client)
        changed = False
        Dataset = self.env["superset.dashboard.dataset"].sudo()
        current = {d.superset_dataset_id: d for d in self.sudo().dataset_ids}
        for dataset_id, info in found.items():
            dataset = current.pop(dataset_id, None)
            values = {
                "name": info["name"],
                "has_company_column": info["has_company_column"],
                "used_by": info["used_by"],
            }
            if not dataset:
                dataset = Dataset.create({**values, "dashboard_id": self.id, "superset_dataset_id": dataset_id})
                changed = True
            else:
                updates = {k: v for k, v in values.items() if dataset[k] != v}
                if updates:
                    dataset.write(updates)
                    changed = True
            changed |= dataset._ensure_default_rule()
        if current:
            Dataset.browse([d.id for d in current.values()]).unlink()
            changed = True
        with _cache_lock:
            _datasets_checked[(self.env.cr.dbname, self.id)] = time.monotonic()
        return changed

    def _fetch_datasets(self, client):
        """{dataset id: {name, has_company_column, used_by}} from Superset."""
        found = {}
        for dataset in client.dashboard_datasets(self.superset_dashboard_id):
            columns = dataset.get("column_names") or [c["column_name"] for c in dataset.get("columns", [])]
            found[dataset["id"]] = {
                "name": dataset.get("name") or dataset.get("table_name") or str(dataset["id"]),
                "columns": columns,
                "used_by": "charts",
            }
        metadata = json.loads(client.dashboard(self.superset_dashboard_id).get("json_metadata") or "{}")
        for native_filter in metadata.get("native_filter_configuration", []):
            for target in native_filter.get("targets", []):
                dataset_id = target.get("datasetId")
                if dataset_id and dataset_id not in found:
                    found[dataset_id] = {"name": None, "columns": None, "used_by": "filters"}
        for dataset_id, info in found.items():
            if info["columns"] is None or COMPANY_COLUMN not in info["columns"]:
                # Not listed, or the dashboard endpoint trimmed the columns: ask the dataset itself.
                detail = client.dataset(dataset_id)
                info["columns"] = [c["column_name"] for c in detail.get("columns", [])]
                schema = detail.get("schema")
                info["name"] = info["name"] or (f"{schema}.{detail['table_name']}" if schema else detail["table_name"])
            info["has_company_column"] = COMPANY_COLUMN in info.pop("columns")
        return found

    # --- minting ----------------------------------------------------------------------

    def _guest_user(self, user):
        # An id, no personal data: Superset logs guest users (and reading the name would
        # load the whole partner on every token).
        return {"username": f"odoo_user_{user.id}", "first_name": "Odoo", "last_name": f"user {user.id}"}

    def _mint_token(self, settings, user, companies, rules):
        """(token, expires_at, reused) in the configured mode."""
        self.ensure_one()
        resources = [{"type": "dashboard", "id": self.embedded_uuid}]
        if settings.token_mode == "local":
            if not settings.guest_token_secret:
                raise GuestTokenRefused(
                    "not_configured",
                    self.env._("Guest tokens are set to be signed by Odoo, but no guest-token secret is configured."),
                )
            token, expires_at = sign_guest_token(
                settings.guest_token_secret,
                settings.guest_token_audience,
                self._guest_user(user),
                resources,
                rules,
                settings.token_ttl,
            )
            return token, expires_at, False
        key = (
            self.env.cr.dbname,
            settings.server_url,
            settings.username,
            user.id,
            self.id,
            self.embedded_uuid,
            tuple(companies),
            json.dumps(rules, sort_keys=True),
        )
        now = time.time()
        reuse = self.env["ir.config_parameter"].sudo().get_param("superset_connector.token_reuse", "1") != "0"
        with _cache_lock:
            hit = _token_cache.get(key) if reuse else None
        if hit and hit[1] - now > max(10.0, (hit[1] - hit[2]) * 0.2):
            return hit[0], hit[1], True
        client = self.env["superset.connector"]._get_client(settings, interactive=True)
        payload = {"user": self._guest_user(user), "resources": resources, "rls": rules}
        try:
            token = client.guest_token(payload)
        except SupersetUnavailable as exc:
            raise GuestTokenRefused("superset_unavailable", user_text(self.env, exc)) from exc
        except SupersetError as exc:
            raise GuestTokenRefused("superset_error", user_text(self.env, exc)) from exc
        claims = jwt.decode(token, options={"verify_signature": False})  # only to read exp
        expires_at = int(claims.get("exp") or now + 300)
        with _cache_lock:
            if len(_token_cache) >= TOKEN_CACHE_MAX:
                for stale in [k for k, v in _token_cache.items() if v[1] <= now] or list(_token_cache)[:100]:
                    _token_cache.pop(stale, None)
            _token_cache[key] = (token, expires_at, now)
        return token, expires_at, False

    # --- diagnosis ----------------------------------------------------------------------

    def _embedding_diagnosis(self, dashboard_id, client):
        """Why the embedded page does not answer in the browser: {code, message}, in the
        user's terms, with what an administrator must change."""
        requested = self.env.context.get("allowed_company_ids") or client.get("cids")
        user = self.env.user
        active = token_companies(requested, user._get_company_ids(), None if requested else user.company_id.id)
        try:
            dashboard = self._fetch_for_user(int(dashboard_id), active or user._get_company_ids())
        except GuestTokenRefused as exc:
            return {"code": exc.code, "message": exc.message}
        connector = self.env["superset.connector"]
        try:
            superset = connector._get_client(interactive=True)
        except UserError as exc:
            return {"code": "not_configured", "message": str(exc)}
        problem = diagnose_embedding(superset, dashboard.sudo().embedded_uuid, connector._odoo_origin())
        return {
            "code": "embedding_failed",
            "message": self.env._(
                "%(problem)s\nWhat to change (ask your administrator): %(fix)s",
                problem=user_text(self.env, problem.message),
                fix=user_text(self.env, problem.fix),
            ),
        }
