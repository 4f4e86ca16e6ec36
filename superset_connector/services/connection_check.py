"""The "Test connection" round trip, step by step, each failure with its fix.

Reach the server, log in, fetch a CSRF token, call an authenticated endpoint (the
service account's permissions), then check what embedding needs: the feature flag,
framing allowed for the Odoo origin, and in local mode a locally signed guest token.
"""

import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import SupersetAuthError, SupersetError, SupersetUnavailable
from .guest_token import sign_guest_token

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _, joined

# What the service account needs, per token mode.
NEEDED_PERMISSIONS = {
    ("can_read", "Dashboard"): _("list dashboards"),
    ("can_set_embedded", "Dashboard"): _("enable embedding on dashboards"),
    ("can_read", "Dataset"): _("find the datasets a dashboard uses"),
    ("can_write", "Dataset"): _("create the analytics datasets, and have charts recomputed after a refresh"),
}
NEEDED_IN_API_MODE = {("can_grant_guest_token", "SecurityRestApi"): _("issue guest tokens")}


@dataclass
class Problem:
    message: str
    fix: str

    @classmethod
    def of(cls, error, fix=""):
        """The problem a SupersetError says (its own fix, else this one)."""
        return cls(error.message, error.fix or fix)


@dataclass
class CheckReport:
    problems: list = field(default_factory=list)
    facts: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def check_connection(client, *, odoo_origin, token_mode, guest_token_secret="", guest_token_audience=""):
    report = CheckReport()
    url = client.base_url
    try:
        if not client.health():
            report.problems.append(
                Problem(
                    _("%(url)s answers, but not like Superset (GET /health did not return OK).", url=url),
                    _("Check that the URL points at the root of the Superset server."),
                )
            )
            return report
    except SupersetUnavailable as exc:
        report.problems.append(
            Problem(
                _("Odoo cannot reach Superset at %(url)s: %(reason)s.", url=url, reason=exc.reason or exc.message),
                _(
                    "Check the Superset URL (or the internal URL, when the Odoo server reaches Superset by "
                    "another address) and that Superset runs; from the Odoo server, `curl %(url)s/health` "
                    "must print OK.",
                    url=url,
                ),
            )
        )
        return report
    report.facts.append(_("reached %(url)s", url=url))

    try:
        client.login()
        client.csrf_token()
        permissions = client.my_permissions()
    except SupersetAuthError as exc:
        report.problems.append(Problem.of(exc))
        return report
    except SupersetError as exc:
        report.problems.append(Problem.of(exc, _("Check the Superset server's log.")))
        return report
    report.facts.append(_("logged in as %(username)s", username=client.username))

    needed = dict(NEEDED_PERMISSIONS)
    if token_mode == "api":
        needed.update(NEEDED_IN_API_MODE)
    missing = [
        _("%(permission)s on %(view)s (to %(purpose)s)", permission=perm, view=view, purpose=why)
        for (perm, view), why in needed.items()
        if (perm, view) not in permissions
    ]
    if missing:
        report.problems.append(
            Problem(
                _(
                    "The Superset service account %(username)r lacks: %(missing)s.",
                    username=client.username,
                    missing=joined("; ", missing),
                ),
                _(
                    "Give it the Admin role, or add these permissions to one of its roles (Superset: Settings ‣ "
                    "List Roles)."
                ),
            )
        )

    for check in (_check_embedding_flag, _check_framing):
        problem = check(client, odoo_origin)
        if problem:
            report.problems.append(problem)

    if token_mode == "local":
        problem = _check_local_token(client, guest_token_secret, guest_token_audience)
        if problem:
            report.problems.append(problem)
        else:
            report.facts.append(_("Superset accepts tokens signed by Odoo"))
    return report


def _check_embedding_flag(client, odoo_origin):
    flags, problem = _asked(client.feature_flags)
    if problem:
        return problem
    if not flags.get("EMBEDDED_SUPERSET"):
        return Problem(
            _("Embedding is disabled in Superset: dashboards cannot be shown inside Odoo."),
            _('In superset_config.py set FEATURE_FLAGS = {"EMBEDDED_SUPERSET": True, ...} and restart Superset.'),
        )
    return None


def _check_framing(client, odoo_origin):
    headers, problem = _asked(client.page_headers)
    return problem or framing_problem(headers, odoo_origin, client.base_url)


def _asked(call):
    """(Superset's answer, None), or (None, the Problem its error says)."""
    try:
        return call(), None
    except SupersetError as exc:
        return None, Problem.of(exc)


def framing_problem(headers, odoo_origin, superset_url):
    """A Problem when these response headers stop browsers from framing Superset in Odoo."""
    same_origin = _origin(superset_url) == _origin(odoo_origin)
    x_frame = headers.get("X-Frame-Options", "").strip().upper()
    if x_frame == "DENY" or (x_frame == "SAMEORIGIN" and not same_origin):
        return Problem(
            _(
                "Superset sends X-Frame-Options: %(value)s, so browsers refuse to show it inside Odoo (%(origin)s).",
                value=x_frame,
                origin=odoo_origin,
            ),
            _(
                "In superset_config.py set TALISMAN_CONFIG['frame_options'] = None (and list Odoo in "
                "frame-ancestors), then restart Superset."
            ),
        )
    ancestors = _csp_directive(headers.get("Content-Security-Policy", ""), "frame-ancestors")
    if ancestors is not None and not _source_allows(ancestors, odoo_origin, same_origin):
        sources = " ".join(ancestors) or _("nobody")
        return Problem(
            _(
                "Superset's Content-Security-Policy allows framing only by %(sources)s, not by Odoo (%(origin)s).",
                sources=sources,
                origin=odoo_origin,
            ),
            _(
                "In superset_config.py add '%(origin)s' to TALISMAN_CONFIG['content_security_policy']"
                "['frame-ancestors'], then restart Superset.",
                origin=odoo_origin,
            ),
        )
    return None


def _check_local_token(client, secret, audience):
    if not secret:
        return Problem(
            _("Token mode is 'Signed by Odoo' but no guest-token secret is set."),
            _(
                "Enter Superset's GUEST_TOKEN_JWT_SECRET in Settings ‣ Superset (or set "
                "SUPERSET_CONNECTOR_GUEST_TOKEN_SECRET in the server environment)."
            ),
        )
    # A probe token for a dashboard that does not exist and no rule: it opens nothing.
    token, _expires = sign_guest_token(
        secret,
        audience,
        {"username": "odoo-connection-check"},
        [{"type": "dashboard", "id": str(uuid.uuid4())}],
        [],
        ttl=60,
    )
    try:
        response = client.request("GET", "/api/v1/me/", auth=False, check=False, headers={"X-GuestToken": token})
    except SupersetError as exc:
        return Problem.of(exc)
    if response.status_code != 200:
        return Problem(
            _(
                "Superset refused a guest token signed by Odoo: the guest-token secret or audience does not match "
                "Superset's."
            ),
            _("Make them equal to GUEST_TOKEN_JWT_SECRET and GUEST_TOKEN_JWT_AUDIENCE in superset_config.py."),
        )
    return None


def _origin(url):
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def _csp_directive(policy, name):
    for directive in policy.split(";"):
        tokens = directive.split()
        if tokens and tokens[0].lower() == name:
            return tokens[1:]
    return None


def _source_allows(sources, origin, same_origin):
    target = urlsplit(origin)
    for source in sources:
        if source == "*" or (source == "'self'" and same_origin):
            return True
        if source.rstrip(":") == target.scheme and source.endswith(":"):
            return True
        if "://" in source and _origin(source.replace("*.", "wildcard.")) == _origin(origin):
            return True
        if source.startswith(f"{target.scheme}://*.") and (target.hostname or "").endswith(source.split("*", 1)[1]):
            return True
    return False


def diagnose_embedding(client, embedded_uuid, odoo_origin):
    """Why a dashboard's embedded page does not answer in the browser: the first problem
    found on the way (Superset down, embedding off, origin not allowed, framing refused),
    or a last-resort Problem about the browser's side."""
    url = client.base_url
    try:
        if not client.health():
            return Problem(
                _("%(url)s does not answer like Superset.", url=url),
                _("Check the Superset URL in Settings ‣ Superset."),
            )
    except SupersetUnavailable as exc:
        return Problem.of(exc)
    problem = _check_embedding_flag(client, odoo_origin)
    if problem:
        return problem
    try:
        response = client.request(
            "GET",
            f"/embedded/{embedded_uuid}",
            auth=False,
            check=False,
            json_response=False,
            headers={"Referer": f"{odoo_origin}/"},
        )
    except SupersetError as exc:
        return Problem.of(exc)
    if response.status_code == 403:
        return Problem(
            _(
                "Superset refuses to show this dashboard inside %(origin)s: that address is not among the "
                "dashboard's allowed domains (Superset compares them with the page's Referer).",
                origin=odoo_origin,
            ),
            _(
                "Sync the dashboards again (BI Dashboards ‣ Superset ‣ Dashboards ‣ Sync from Superset), which "
                "allows this Odoo's address; when users open Odoo by another address, add it in Settings ‣ "
                "Superset ‣ Other Odoo addresses first."
            ),
        )
    if response.status_code == 404:
        return Problem(
            _("Superset has no embedded configuration for this dashboard any more."),
            _("Sync the dashboards again (BI Dashboards ‣ Superset ‣ Dashboards ‣ Sync from Superset)."),
        )
    problem = framing_problem(response.headers, odoo_origin, url)
    if problem:
        return problem
    return Problem(
        _("Superset serves the dashboard's embedded page, but the page did not answer inside Odoo."),
        _(
            "Check that your browser reaches Superset at its URL, and that no proxy or browser extension removes "
            "the Referer header of the page."
        ),
    )
