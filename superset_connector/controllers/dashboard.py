from odoo import http
from odoo.http import request

# What the web client's dashboard screen calls: JSON-RPC, logged-in users.
DASHBOARD_ROUTE = {"type": "json", "auth": "user", "methods": ["POST"]}


class SupersetGuestTokenController(http.Controller):
    @http.route("/superset_connector/dashboards/<int:dashboard_id>/guest_token", **DASHBOARD_ROUTE)
    def guest_token(self, dashboard_id, **_kwargs):
        """{token, expires_at, server_time, superset_url, embedded_uuid, ui_config}, or
        {error: {code, message, retryable}} (services/refusals.py)."""
        return request.env["superset.guest.token"]._response(dashboard_id, _client_info())

    @http.route("/superset_connector/dashboards/<int:dashboard_id>/diagnose", **DASHBOARD_ROUTE)
    def diagnose(self, dashboard_id, **_kwargs):
        """{code, message, retryable}: why the dashboard's embedded page does not answer in the browser."""
        return request.env["superset.guest.token"]._diagnosis(dashboard_id, _client_info())

    @http.route("/superset_connector/dashboards/<int:dashboard_id>/filters", **DASHBOARD_ROUTE)
    def filters(self, dashboard_id, record=None, **_kwargs):
        """{native_filters: rison of the initial data mask or "", remembered}: the user's
        remembered filters and, when record ({model, id}) is given, its filter; or {error}."""
        return request.env["superset.dashboard.user.filter"]._filters_response(dashboard_id, record, _client_info())

    @http.route("/superset_connector/dashboards/<int:dashboard_id>/filters/save", **DASHBOARD_ROUTE)
    def save_filters(self, dashboard_id, data_mask=None, **_kwargs):
        """{saved}: the native filters of data_mask remembered for the user (checked); or {error}."""
        return request.env["superset.dashboard.user.filter"]._save_response(dashboard_id, data_mask, _client_info())

    @http.route("/superset_connector/dashboards/<int:dashboard_id>/filters/reset", **DASHBOARD_ROUTE)
    def reset_filters(self, dashboard_id, **_kwargs):
        """{reset: true}: the user's remembered filters forgotten; or {error}."""
        return request.env["superset.dashboard.user.filter"]._reset_response(dashboard_id, _client_info())


def _client_info():
    httprequest = request.httprequest
    return {
        "ip": httprequest.remote_addr,
        "user_agent": httprequest.user_agent.string,
        "cids": request.cookies.get("cids"),
    }
