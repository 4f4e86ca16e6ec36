"""Guest tokens signed locally, in the layout Superset's own API issues and checks."""

import time
import uuid

import jwt

CLOCK_SKEW = 5  # seconds `iat` is set in the past, so a server a little behind accepts the token


def sign_guest_token(secret, audience, user, resources, rls_rules, ttl, now=None):
    """A HS256 guest token: Superset checks the signature (GUEST_TOKEN_JWT_SECRET),
    `aud` (GUEST_TOKEN_JWT_AUDIENCE), `exp` and `type`. Returns (token, expires_at)."""
    if not secret:
        raise ValueError("no guest-token secret configured")
    issued = int(now if now is not None else time.time())
    expires_at = issued + int(ttl)
    claims = {
        "user": user,
        "resources": resources,
        "rls_rules": rls_rules,
        "iat": issued - CLOCK_SKEW,
        "exp": expires_at,
        "aud": audience,
        "type": "guest",
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256"), expires_at
