"""Issuing guest tokens, what the guest_token and diagnose routes call: who may open which
dashboard, with which companies, under which row-level security, and the token itself
(signed by Odoo, or asked from Superset within a deadline). Every outcome is audited."""

import json
import logging
import time
import uuid

from odoo import api, models, tools
from odoo.exceptions import AccessError, UserError

from ..services import refusals
from ..services.companies import token_companies
from ..services.config import MAX_TOKEN_TTL, TOKEN_MODES
from ..services.connection_check import diagnose_embedding
from ..services.errors import SupersetError, SupersetUnavailable
from ..services.guest_token import issued_token_claims, sign_guest_token, token_id
from ..services.refusals import Refused
from ..services.rls import ClauseTemplateError, company_rule, render_clause, summarize
from .superset_connector import TOKENS
from .user_messages import user_text

_logger = logging.getLogger(__name__)

# What the route reads of the dashboard, fetched with the access check in one query.
TOKEN_FIELDS = [
    "embedded_uuid",
    "company_policy",
    "show_title",
    "show_tabs",
    "show_chart_controls",
    "show_filters",
    "expand_filters",
]
REASON_MAX = 2000  # what the audit row keeps of a refusal's detail


def _placeholder_values(user, companies, clauses):
    """Integers for the placeholders the clauses use (the partner is read only if needed)."""
    values = {"company_ids": companies, "user_id": user.id}
    if any("partner_id}" in clause for clause in clauses):
        values["partner_id"] = user.partner_id.id
        values["commercial_partner_id"] = user.partner_id.commercial_partner_id.id
    return values


class SupersetGuestToken(models.AbstractModel):
    _name = "superset.guest.token"
    _description = "Superset Guest Tokens"

    # --- the routes -------------------------------------------------------------------

    @api.model
    def _response(self, dashboard_id, client):
        """What the guest_token route returns: the token and how to show the dashboard,
        or {"error": {code, message, retryable}}. Whatever happens, one audit row is
        written and no traceback reaches the browser."""
        started = time.perf_counter()
        audit = self._audit_values(client, "token")
        try:
            # A failed SQL statement must not take the audit row down with it.
            with self.env.cr.savepoint(flush=False):
                result = self._issue(dashboard_id, client, audit)
        except Refused as exc:
            result = self._refusal(exc, audit)
        except Exception as exc:  # every outcome is a refusal, never a traceback
            result = self._unexpected(exc, audit, dashboard_id)
        else:
            audit["outcome"] = "issued"
        self._record(audit, started)
        return result

    @api.model
    def _diagnosis(self, dashboard_id, client):
        """Why the embedded page does not answer in the browser: {code, message,
        retryable}, in the user's terms (a manager also reads what an administrator must
        change). Audited."""
        started = time.perf_counter()
        audit = self._audit_values(client, "diagnose")
        try:
            with self.env.cr.savepoint(flush=False):
                result = self._refusal(self._diagnose(dashboard_id, client, audit), audit)
        except Refused as exc:  # the user may not see the dashboard at all, or nothing is set up
            result = self._refusal(exc, audit)
        except Exception as exc:  # likewise
            result = self._unexpected(exc, audit, dashboard_id)
        self._record(audit, started)
        return result["error"]

    # --- issuing ----------------------------------------------------------------------

    @api.model
    def _issue(self, dashboard_id, client, audit):
        user = self.env.user
        dashboard, companies = self._dashboard_and_companies(dashboard_id, client)
        audit["dashboard_id"] = dashboard.id
        audit["company_ids"] = companies
        if not dashboard.embedded_uuid:
            raise Refused(
                refusals.NOT_READY,
                self.env._(
                    "This dashboard is not ready for embedding yet: a Superset Manager must sync it from Superset."
                ),
            )
        settings = self.env["superset.connector"]._get_settings()
        dashboard = dashboard.sudo()
        rules = self._render_rls(dashboard, user, companies)
        audit["rules"] = summarize(rules)
        audit["token_mode"] = settings.token_mode if settings.token_mode in TOKEN_MODES else None
        token, expires_at, cached, jti = self._mint(dashboard, settings, user, companies, rules)
        audit["cached"] = cached
        audit["jti"] = jti
        return {
            "token": token,
            "expires_at": expires_at,
            "server_time": time.time(),  # lets the browser refresh on time whatever its clock says
            "superset_url": settings.browser_url,
            "embedded_uuid": dashboard.embedded_uuid,
            "ui_config": dashboard._ui_config(),
        }

    @api.model
    def _dashboard_and_companies(self, dashboard_id, client):
        """The dashboard as this user may read it, and the sorted companies of the token:
        the request's active ones narrowed to the user's (never widened)."""
        user = self.env.user
        allowed = user._get_company_ids()  # active companies only, cached per user
        requested = self.env.context.get("allowed_company_ids") or client.get("cids")
        default = None if requested else user.company_id.id  # read only when needed
        active = token_companies(requested, allowed, default)
        if not active:
            if not self.env["superset.dashboard"].sudo().search_count([("id", "=", int(dashboard_id))]):
                raise self._not_found()
            raise Refused(
                refusals.NO_COMPANY,
                self.env._("None of the companies active in your company switcher is one you may see: select yours."),
            )
        dashboard = self._fetch_dashboard(int(dashboard_id), active)
        return dashboard, token_companies(requested, allowed, default, dashboard.company_policy)

    # --- access ---------------------------------------------------------------------

    @api.model
    def _fetch_dashboard(self, dashboard_id, active_companies):
        """The dashboard as this user may read it (access rights, groups and company
        record rules, with the narrowed active companies), in one query; on refusal, why."""
        Dashboard = self.env["superset.dashboard"]
        as_user = Dashboard.with_user(self.env.uid).with_context(allowed_company_ids=active_companies)
        try:
            dashboard = as_user.search_fetch([("id", "=", dashboard_id)], TOKEN_FIELDS, limit=1)
        except AccessError:
            dashboard = None  # no read access to dashboards at all
        if dashboard:
            return dashboard
        found = Dashboard.sudo().search([("id", "=", dashboard_id)])  # active ones only
        if not found:
            raise self._not_found()
        user = self.env.user
        offered = found.company_ids & user.company_ids
        if offered and as_user.with_context(allowed_company_ids=user._get_company_ids()).search_count(
            [("id", "=", dashboard_id)]
        ):
            raise Refused(
                refusals.COMPANY_NOT_ACTIVE,
                self.env._(
                    "This dashboard is offered in %(companies)s: activate one of them in the company switcher.",
                    companies=", ".join(offered.mapped("name")),
                ),
            )
        raise Refused(refusals.ACCESS_DENIED, self.env._("You are not allowed to see this dashboard."))

    def _not_found(self):
        return Refused(refusals.NOT_FOUND, self.env._("This dashboard does not exist or was archived."))

    # --- row-level security -----------------------------------------------------------

    @api.model
    def _render_rls(self, dashboard, user, companies):
        """The token's rules: first the company rule, global, so that Superset applies it
        to every dataset a guest query reads (also one added to the dashboard after this
        token was minted, which Odoo has not seen); then the dashboard's own active rules,
        rendered with server-side integers. Rules are ANDed: they only ever narrow."""
        rules = self._dashboard_rules(dashboard.id)
        values = _placeholder_values(user, companies, [clause for _dataset, clause in rules])
        rendered = [company_rule(companies)]
        for superset_dataset_id, template in rules:
            try:
                clause = render_clause(template, values)
            except ClauseTemplateError as exc:
                raise Refused(
                    refusals.BAD_RULE,
                    self.env._("This dashboard's access rules cannot be applied: tell a Superset Manager."),
                    self.env._("A row-level security rule cannot be applied: %s", user_text(self.env, exc)),
                ) from exc
            if superset_dataset_id is not None:
                rendered.append({"dataset": superset_dataset_id, "clause": clause})
            else:
                rendered.append({"clause": clause})
        return rendered

    @api.model
    @tools.ormcache("dashboard_id")
    def _dashboard_rules(self, dashboard_id):
        """((Superset dataset id or None, clause template), ...) of the dashboard's active
        rules, in their order. Cached: every token needs them, and they change rarely; a
        change of a rule or a dataset clears the cache (superset.rls.rule,
        superset.dashboard.dataset)."""
        rules = (
            self.env["superset.rls.rule"]
            .sudo()
            .search_fetch([("dashboard_id", "=", dashboard_id)], ["dataset_id", "superset_dataset_id", "clause"])
        )
        return tuple((rule.superset_dataset_id if rule.dataset_id else None, rule.clause) for rule in rules)

    # --- minting ----------------------------------------------------------------------

    @api.model
    def _guest_user(self, user):
        # An id, no personal data: Superset logs guest users (and reading the name would
        # load the whole partner on every token).
        return {"username": f"odoo_user_{user.id}", "first_name": "Odoo", "last_name": f"user {user.id}"}

    @api.model
    def _mint(self, dashboard, settings, user, companies, rules):
        """(token, expires_at, reused, token id) in the configured mode. Signed by Odoo
        with no call to Superset; asked from Superset within settings.token_deadline."""
        resources = [{"type": "dashboard", "id": dashboard.embedded_uuid}]
        if settings.token_mode == "local":
            if not settings.guest_token_secret:
                raise self._not_configured(
                    self.env._("Guest tokens are set to be signed by Odoo, but no guest-token secret is configured.")
                )
            jti = uuid.uuid4().hex
            token, expires_at = sign_guest_token(
                settings.guest_token_secret,
                settings.guest_token_audience,
                self._guest_user(user),
                resources,
                rules,
                settings.token_ttl,
                jti=jti,
            )
            return token, expires_at, False, jti
        if settings.token_mode not in TOKEN_MODES:
            raise self._not_configured(
                self.env._(
                    "The guest-token mode %(mode)r is not one Odoo knows: choose one in Settings ‣ Superset.",
                    mode=settings.token_mode,
                )
            )
        if not settings.server_url:
            raise self._not_configured(
                self.env._("Superset is not configured yet: set its URL in Settings ‣ Superset.")
            )
        return self._ask_superset(dashboard, settings, user, companies, rules, resources)

    @api.model
    def _ask_superset(self, dashboard, settings, user, companies, rules, resources):
        """A token from Superset's guest-token API, reused per user, dashboard, companies
        and rules until shortly before it expires (services/token_cache.py)."""
        key = (
            self.env.cr.dbname,
            settings.server_url,
            settings.username,
            user.id,
            dashboard.id,
            dashboard.embedded_uuid,
            tuple(companies),
            json.dumps(rules, sort_keys=True),
        )
        now = time.time()
        hit = TOKENS.get(key, now) if settings.token_reuse else None
        if hit:
            return hit.token, hit.expires_at, True, hit.jti
        client = self.env["superset.connector"]._get_client(settings, interactive=True)
        payload = {"user": self._guest_user(user), "resources": resources, "rls": rules}
        try:
            with client.deadline(settings.token_deadline):
                token = client.guest_token(payload)
            claims = issued_token_claims(token, MAX_TOKEN_TTL, now)
        except SupersetError as exc:
            raise self._superset_refused(exc) from exc
        expires_at, jti = int(claims["exp"]), token_id(token, claims)
        TOKENS.put(key, token, expires_at, now, jti)
        return token, expires_at, False, jti

    def _superset_refused(self, exc):
        """Superset down or saying no, in the user's words; its own for managers and the log."""
        if isinstance(exc, SupersetUnavailable):
            code, message = (
                refusals.SUPERSET_UNAVAILABLE,
                self.env._(
                    "The dashboard server (Superset) is not answering right now. Try again in a few minutes; "
                    "if it goes on, tell your administrator."
                ),
            )
        else:
            code, message = (
                refusals.SUPERSET_ERROR,
                self.env._(
                    "The dashboard server (Superset) refused to open this dashboard: tell your administrator "
                    "(the guest token log says why)."
                ),
            )
        return Refused(code, message, user_text(self.env, exc))

    def _not_configured(self, detail):
        return Refused(
            refusals.NOT_CONFIGURED,
            self.env._("Dashboards are not fully set up yet: tell your administrator (Settings ‣ Superset)."),
            detail,
        )

    # --- diagnosis ----------------------------------------------------------------------

    @api.model
    def _diagnose(self, dashboard_id, client, audit):
        """What keeps Superset's page from showing: an EMBEDDING_FAILED Refused saying what
        to change (raised instead when the user may not see the dashboard at all)."""
        dashboard, companies = self._dashboard_and_companies(dashboard_id, client)
        audit.update(dashboard_id=dashboard.id, company_ids=companies)
        connector = self.env["superset.connector"]
        settings = connector._get_settings()
        try:
            superset = connector._get_client(settings, interactive=True)
        except UserError as exc:
            raise self._not_configured(str(exc)) from exc
        with superset.deadline(settings.token_deadline):
            problem = diagnose_embedding(superset, dashboard.sudo().embedded_uuid, connector._odoo_origin())
        return Refused(
            refusals.EMBEDDING_FAILED,
            self.env._(
                "Superset does not let Odoo show this dashboard here (a setting of Superset or of the network): "
                "tell your administrator. The guest token log says what to change."
            ),
            self.env._(
                "%(problem)s\nWhat to change (ask your administrator): %(fix)s",
                problem=user_text(self.env, problem.message),
                fix=user_text(self.env, problem.fix),
            ),
        )

    # --- the audit trail ----------------------------------------------------------------

    @api.model
    def _audit_values(self, client, request):
        return {
            "request": request,
            "user_id": self.env.uid,
            "ip_address": (client.get("ip") or "")[:64],
            "user_agent": (client.get("user_agent") or "")[:256],
        }

    @api.model
    def _record(self, audit, started):
        audit["duration_ms"] = (time.perf_counter() - started) * 1000
        companies = audit.pop("company_ids", [])
        self.env["superset.guest.token.log"]._record(audit, companies)

    @api.model
    def _refusal(self, exc, audit):
        """The route's answer for a refusal: Superset's words for managers, the user's
        own for everyone else; the detail in the audit row and, when it says more, in the log."""
        audit.update(outcome="refused", error_code=exc.code, reason=exc.detail[:REASON_MAX])
        if exc.detail != exc.message:
            _logger.warning("Guest token refused (%s) to user %s: %s", exc.code, self.env.uid, exc.detail)
        return exc.answer(for_manager=self.env["superset.connector"]._is_manager())

    @api.model
    def _unexpected(self, exc, audit, dashboard_id):
        _logger.exception("Guest token route: unexpected error for dashboard %s, user %s", dashboard_id, self.env.uid)
        try:
            message = self.env._(
                "Odoo could not open this dashboard because of an unexpected error, which was recorded. Try again; "
                "if it goes on, tell your administrator."
            )
        except Exception:  # a broken language must not turn the refusal into a traceback
            message = "Odoo could not open this dashboard because of an unexpected error, which was recorded."
        refused = Refused(refusals.INTERNAL_ERROR, message, f"{type(exc).__name__}: {exc}")
        audit.update(outcome="refused", error_code=refused.code, reason=refused.detail[:REASON_MAX])
        return refused.answer()  # Python's words are for the log, not the page
