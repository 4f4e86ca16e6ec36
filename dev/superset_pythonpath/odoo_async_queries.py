"""Superset 6.1's async queries for embedded (guest) users.

Superset signs the async-query cookie with `"sub": None` for a user without an id, which
a guest is, and PyJWT >= 2.10 refuses such a token when Superset reads it back: every
chart of an embedded dashboard then answers 401 (apache/superset#34611, fixed upstream
by #37862, after 6.1.0). This manager reads the cookie without the `sub` check, the only
change; the channel id it carries stays signed and checked. Set by the stack's
superset_config.py: GLOBAL_ASYNC_QUERY_MANAGER_CLASS = "odoo_async_queries.GuestAsyncQueryManager".
"""

import jwt
from superset.async_events.async_query_manager import AsyncQueryManager, AsyncQueryTokenException


class GuestAsyncQueryManager(AsyncQueryManager):
    def parse_channel_id_from_request(self, req):
        token = req.cookies.get(self._jwt_cookie_name)
        if not token:
            raise AsyncQueryTokenException("Token not preset")
        try:
            claims = jwt.decode(token, self._jwt_secret, algorithms=["HS256"], options={"verify_sub": False})
            return claims["channel"]
        except Exception as ex:
            raise AsyncQueryTokenException("Failed to parse token") from ex
