"""Guest tokens signed locally, in the layout Superset's own API issues and checks; and
what Odoo reads of a token Superset issued."""

import hashlib
import time
import uuid

import jwt

from .errors import SupersetBadResponse

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _

CLOCK_SKEW = 5  # seconds `iat` is set in the past, so a server a little behind accepts the token


def sign_guest_token(secret, audience, user, resources, rls_rules, ttl, now=None, jti=None):
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
        "jti": jti or uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256"), expires_at


def issued_token_claims(token, max_ttl, now=None):
    """The claims of a token Superset issued (its signature is Superset's to check),
    refused when they are not a guest token's or when it lives longer than max_ttl."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        expires_at = int(claims["exp"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise SupersetBadResponse(_("Superset's answer to a guest-token request is not a guest token.")) from exc
    now = time.time() if now is None else now
    lifetime = expires_at - now
    if lifetime > max_ttl + CLOCK_SKEW:
        raise SupersetBadResponse(
            _(
                "Superset issues guest tokens valid for %(seconds)s s; Odoo accepts at most %(max)s s.",
                seconds=round(lifetime),
                max=max_ttl,
            ),
            _("Set GUEST_TOKEN_JWT_EXP_SECONDS to 300 (at most %(max)s) in superset_config.py.", max=max_ttl),
        )
    return claims


def token_id(token, claims):
    """What the audit log keeps of a token: its jti (Odoo's tokens carry one), else a
    fingerprint (Superset's carry none); never the token itself."""
    return str(claims.get("jti") or "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:32])
