"""What the guest-token tests share: calling the route as a user, reading a token."""

import jwt

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
