from odoo import http
from odoo.http import request


class SupersetGuestTokenController(http.Controller):
    @http.route(
        "/superset_connector/dashboards/<int:dashboard_id>/guest_token",
        type="json",
        auth="user",
        methods=["POST"],
    )
    def guest_token(self, dashboard_id, **_kwargs):
        """{token, expires_at, server_time, superset_url, embedded_uuid, ui_config}, or {error: {code, message}}."""
        httprequest = request.httprequest
        client = {
            "ip": httprequest.remote_addr,
            "user_agent": httprequest.user_agent.string,
            "cids": request.cookies.get("cids"),
        }
        return request.env["superset.dashboard"]._guest_token_response(dashboard_id, client)
