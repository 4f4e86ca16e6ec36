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


def _client_info():
    httprequest = request.httprequest
    return {
        "ip": httprequest.remote_addr,
        "user_agent": httprequest.user_agent.string,
        "cids": request.cookies.get("cids"),
    }
