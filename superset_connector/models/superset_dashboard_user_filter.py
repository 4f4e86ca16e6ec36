"""The filters a user last chose on a dashboard, and what the filters routes answer: the
initial native filter values a dashboard opens with (the remembered ones, and a record's),
saving them, forgetting them."""

import logging

from odoo import api, fields, models

from ..services import native_filters, refusals
from ..services.native_filters import NativeFilterError
from ..services.refusals import Refused
from .user_messages import user_text

_logger = logging.getLogger(__name__)


class SupersetDashboardUserFilter(models.Model):
    _name = "superset.dashboard.user.filter"
    _description = "Remembered Dashboard Filters"
    _order = "dashboard_id, id"

    # --- fields ---------------------------------------------------------------------
    user_id = fields.Many2one(
        "res.users", required=True, default=lambda self: self.env.user, ondelete="cascade", index=True
    )
    dashboard_id = fields.Many2one("superset.dashboard", required=True, ondelete="cascade")
    data_mask = fields.Json(help="{native filter id: data mask entry}, as rebuilt by Odoo from what the user chose.")

    # --- constraints ----------------------------------------------------------------
    _sql_constraints = [
        (
            "user_dashboard_unique",
            "unique(user_id, dashboard_id)",
            "A user's filters are remembered once per dashboard.",
        ),
    ]

    # --- the routes -------------------------------------------------------------------

    @api.model
    def _filters_response(self, dashboard_id, record, client):
        """The filters route: {"native_filters": rison of the initial data mask or "",
        "remembered": bool}, or {"error": {code, message, retryable}}."""

        def answer():
            dashboard, companies = self._dashboard(dashboard_id, client)
            mask, remembered = self.env["superset.dashboard.filter"]._initial_data_mask(
                dashboard, record=record, companies=companies
            )
            return {"native_filters": native_filters.to_rison(mask) if mask else "", "remembered": remembered}

        return self._answer(answer, dashboard_id)

    @api.model
    def _save_response(self, dashboard_id, data_mask, client):
        """The filters/save route: {"saved": bool} (False: nothing worth remembering, and
        what was remembered is forgotten), or {"error": ...}."""
        return self._answer(
            lambda: {"saved": self._remember(self._dashboard(dashboard_id, client)[0], data_mask)}, dashboard_id
        )

    @api.model
    def _reset_response(self, dashboard_id, client):
        """The filters/reset route: {"reset": True}, or {"error": ...}."""

        def answer():
            self._forget(self._dashboard(dashboard_id, client)[0])
            return {"reset": True}

        return self._answer(answer, dashboard_id)

    @api.model
    def _answer(self, compute, dashboard_id):
        """compute()'s answer, or its refusal; never a traceback."""
        try:
            with self.env.cr.savepoint(flush=False):
                return compute()
        except Refused as exc:
            return exc.answer(for_manager=self.env["superset.connector"]._is_manager())
        except Exception:  # a refusal, never a traceback
            _logger.exception("Superset dashboard %s: filters route failed", dashboard_id)
            return Refused(
                refusals.INTERNAL_ERROR,
                self.env._("An unexpected error occurred; it was recorded in the server log."),
            ).answer()

    @api.model
    def _dashboard(self, dashboard_id, client):
        """(the dashboard as this user may read it, the token's companies), as for a token."""
        return self.env["superset.guest.token"]._dashboard_and_companies(dashboard_id, client)

    # --- remembering ----------------------------------------------------------------

    @api.model
    def _specs(self, dashboard):
        return [
            line._spec()
            for line in self.env["superset.dashboard.filter"].sudo().search([("dashboard_id", "=", dashboard.id)])
        ]

    @api.model
    def _row(self, dashboard):
        return self.search([("user_id", "=", self.env.uid), ("dashboard_id", "=", dashboard.id)], limit=1)

    @api.model
    def _remember(self, dashboard, mask):
        """Remember the filters of mask (what the browser reports) the user chose on the
        dashboard, checked and rebuilt (services/native_filters.py); True if some are.
        Refused (FILTERS_INVALID) when mask does not fit the dashboard's filters."""
        try:
            cleaned = native_filters.clean_data_mask(mask, self._specs(dashboard))
        except NativeFilterError as exc:
            raise Refused(refusals.FILTERS_INVALID, user_text(self.env, exc)) from exc
        row = self._row(dashboard)
        if not cleaned:
            row.unlink()
            return False
        if row:
            if row.data_mask != cleaned:
                row.data_mask = cleaned
        else:
            self.create({"user_id": self.env.uid, "dashboard_id": dashboard.id, "data_mask": cleaned})
        return True

    @api.model
    def _forget(self, dashboard):
        self._row(dashboard).unlink()

    @api.model
    def _remembered(self, dashboard):
        """{filter id: entry} the user last chose on the dashboard, checked again against
        its filters as they are now (a filter that changed since is forgotten)."""
        row = self._row(dashboard)
        if not row or not row.data_mask:
            return {}
        specs = self._specs(dashboard)
        mask = {}
        for filter_id, entry in row.data_mask.items():
            try:
                mask.update(native_filters.clean_data_mask({filter_id: entry}, specs))
            except NativeFilterError as exc:
                _logger.info("Remembered filter %s of dashboard %s not applied: %s", filter_id, dashboard.id, exc)
        return mask
