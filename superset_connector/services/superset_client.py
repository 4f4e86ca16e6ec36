"""Superset REST client: the one place where Odoo talks to Superset.

Every call has connect/read timeouts, is retried on connection errors and 5xx with
exponential backoff and jitter, and goes through a circuit breaker so a dead Superset
costs one fast failure instead of a timeout per request. One requests.Session per
login: Superset's CSRF token is bound to the session cookie, so both travel together.
Errors come out typed (see errors.py) with a message for the user.
"""

import contextlib
import html
import json
import logging
import random
import re
import socket
import threading
import time

import requests
from requests import exceptions as http_errors

from .circuit_breaker import CircuitBreaker, CircuitOpenError
from .errors import (
    SupersetAuthError,
    SupersetBadResponse,
    SupersetError,
    SupersetNotFound,
    SupersetPermissionError,
    SupersetUnavailable,
)

# Services have no env: `_` marks a message that the models translate (services/text.py).
# pylint: disable=prefer-env-translation
from .text import _

_logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


def rison(value):
    """Encode ints, strings, lists and dicts as Rison, the `q` format of Superset's list APIs."""
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if re.fullmatch(r"[A-Za-z_][\w.\-/~]*", value):
            return value
        return "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, (list, tuple)):
        return "!(" + ",".join(rison(v) for v in value) + ")"
    if isinstance(value, dict):
        return "(" + ",".join(f"{k}:{rison(v)}" for k, v in value.items()) + ")"
    raise TypeError(f"cannot encode {type(value).__name__} as rison")


class SupersetClient:
    def __init__(
        self,
        base_url,
        username,
        password,
        *,
        connect_timeout=5.0,
        read_timeout=30.0,
        retries=3,
        backoff=0.5,
        backoff_max=8.0,
        breaker=None,
        sleep=time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.breaker = breaker or CircuitBreaker()
        self._sleep = sleep
        self._auth_lock = threading.Lock()
        self._local = threading.local()  # the deadline of the calling thread, if any
        self._session = None
        self._anonymous_session = requests.Session()
        self._access_token = None
        self._refresh_token = None
        self._csrf_token = None
        self.attempts = 0  # requests actually sent, for diagnostics and tests

    def __repr__(self):
        return f"<SupersetClient {self.base_url} as {self.username}>"

    # --- public API: endpoints ------------------------------------------------------

    def health(self):
        """True when GET /health answers 200 OK (no login needed)."""
        response = self.request("GET", "/health", auth=False, check=False)
        return response.status_code == 200 and response.text.strip() == "OK"

    def feature_flags(self):
        """Superset's feature flags, as its front end gets them (login page bootstrap data)."""
        response = self.request("GET", "/login/", auth=False, json_response=False)
        match = re.search(r'data-bootstrap="([^"]*)"', response.text)
        if not match:
            raise SupersetBadResponse(
                _("%(url)s/login/ does not carry Superset's bootstrap data.", url=self.base_url),
                _("Check that the URL points at the root of a Superset 4+ server."),
            )
        try:
            bootstrap = json.loads(html.unescape(match.group(1)))
            return bootstrap["common"]["feature_flags"]
        except (ValueError, KeyError) as exc:
            raise SupersetBadResponse(
                _("Superset's bootstrap data at %(url)s/login/ is unreadable.", url=self.base_url)
            ) from exc

    def page_headers(self, path="/login/"):
        """Response headers of a Superset page (framing policy lives there)."""
        return self.request("GET", path, auth=False, json_response=False).headers

    def me(self):
        return self.get_json("/api/v1/me/")["result"]

    def my_permissions(self):
        """{(permission, view)} granted to the service account through its roles."""
        roles = self.get_json("/api/v1/me/roles/")["result"].get("roles", {})
        return {tuple(pv) for pvs in roles.values() for pv in pvs}

    def list_dashboards(self, page_size=100, attempts=3):
        """Every dashboard, page by page: [{id, dashboard_title, ...}], each once.

        The list API cannot order by id, so an edit during paging can shift a dashboard
        across pages; a listing is used only when it holds as many dashboards as the
        count Superset reports, otherwise it is taken again.
        """
        for _attempt in range(attempts):
            dashboards, total = self._list_dashboards_once(page_size)
            if len(dashboards) == total:
                return list(dashboards.values())
        raise SupersetBadResponse(
            _("Superset's dashboard list kept changing while Odoo read it."), _("Sync again in a moment.")
        )

    def _list_dashboards_once(self, page_size):
        columns = ["id", "dashboard_title", "published", "changed_on_utc"]
        query = {"columns": columns, "order_column": "changed_on", "order_direction": "asc"}
        items, total = self.list_all("dashboard", query, page_size)
        return {item["id"]: item for item in items}, total

    def list_all(self, resource, query, page_size=100):
        """(items, count): every page of /api/v1/<resource>/ for this query (filters,
        columns, order), and the count Superset reported."""
        items, page = [], 0
        while True:
            body = self.get_json(
                f"/api/v1/{resource}/", params={"q": rison({**query, "page": page, "page_size": page_size})}
            )
            batch = body.get("result", [])
            total = body.get("count", 0)
            items.extend(batch)
            if not batch or (page + 1) * page_size >= total:
                return items, total
            page += 1

    def find(self, resource, column, value, columns=("id",)):
        """The first item of /api/v1/<resource>/ whose column equals value exactly, or None."""
        query = {"filters": [{"col": column, "opr": "eq", "value": value}], "columns": [*columns, column]}
        result = self.get_json(f"/api/v1/{resource}/", params={"q": rison(query)}).get("result", [])
        return next((item for item in result if item.get(column) == value), None)

    def dashboard(self, dashboard_id):
        return self.get_json(f"/api/v1/dashboard/{int(dashboard_id)}")["result"]

    def dashboard_datasets(self, dashboard_id):
        return self.get_json(f"/api/v1/dashboard/{int(dashboard_id)}/datasets")["result"]

    def dataset(self, dataset_id):
        return self.get_json(f"/api/v1/dataset/{int(dataset_id)}")["result"]

    def embedded(self, dashboard_id):
        """The dashboard's embedded configuration, or None when embedding is not enabled on it."""
        try:
            return self.get_json(f"/api/v1/dashboard/{int(dashboard_id)}/embedded")["result"]
        except SupersetNotFound:
            return None

    def ensure_embedded(self, dashboard_id, allowed_domains):
        """Enable embedding with these origins allowed (keeping origins set by others);
        returns the embedded uuid, which stays stable across calls."""
        current = self.embedded(dashboard_id)
        wanted = list(dict.fromkeys([*(current or {}).get("allowed_domains", []), *allowed_domains]))
        if current and set(allowed_domains) <= set(current.get("allowed_domains") or []):
            return current["uuid"]
        result = self.post_json(f"/api/v1/dashboard/{int(dashboard_id)}/embedded", {"allowed_domains": wanted})
        return result["result"]["uuid"]

    def guest_token(self, payload):
        body = self.post_json("/api/v1/security/guest_token/", payload)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SupersetBadResponse(_("Superset's answer to a guest-token request holds no token."))
        return token

    def export(self, resource, ids):
        """Superset's export of these dashboards, charts, datasets or databases: ZIP bytes."""
        path = f"/api/v1/{resource}/export/"
        response = self.request(
            "GET", path, params={"q": rison([int(i) for i in ids])}, json_response=False, headers={"Accept": "*/*"}
        )
        if not response.content.startswith(b"PK"):
            raise SupersetBadResponse(_("Superset's answer to %(path)s is not a ZIP archive.", path=path))
        return response.content

    def import_zip(self, resource, data, overwrite=True):
        """Import an export ZIP (dashboards, charts...) through Superset's own importer."""
        self.request(
            "POST",
            f"/api/v1/{resource}/import/",
            files={"formData": ("bundle.zip", data, "application/zip")},
            data={"overwrite": "true" if overwrite else "false"},
        )

    # --- deadline ---------------------------------------------------------------------

    @contextlib.contextmanager
    def deadline(self, seconds):
        """Every call this thread makes in the block ends within `seconds` in all: each
        wait (connecting, the answer, the login lock, a retry's backoff) is cut to what is
        left, and once nothing is left the call fails as SupersetUnavailable. For a user
        waiting on a page: a hung Superset costs them `seconds`, not the read timeout."""
        previous = getattr(self._local, "deadline", None)  # (ends, seconds) of an outer block
        ends = time.monotonic() + seconds
        if previous is None or ends < previous[0]:
            self._local.deadline = (ends, seconds)
        try:
            yield
        finally:
            self._local.deadline = previous

    def _remaining(self):
        """Seconds left before this thread's deadline; None without one."""
        deadline = getattr(self._local, "deadline", None)
        return None if deadline is None else deadline[0] - time.monotonic()

    def _deadline_passed(self):
        seconds = f"{self._local.deadline[1]:g}"
        return SupersetUnavailable(
            _(
                "Superset is unavailable at %(url)s: no answer within %(seconds)s s.",
                url=self.base_url,
                seconds=seconds,
            ),
            _("Check that Superset is running and answering; Odoo does not keep users waiting longer."),
            reason=_("no answer within %(seconds)s s", seconds=seconds),
        )

    @contextlib.contextmanager
    def _locked(self):
        """The login lock, waited for no longer than the deadline (another thread may be
        logging in to a Superset that does not answer)."""
        remaining = self._remaining()
        if not self._auth_lock.acquire(timeout=-1 if remaining is None else max(0.0, remaining)):
            raise self._deadline_passed()
        try:
            yield
        finally:
            self._auth_lock.release()

    # --- public API: generic ---------------------------------------------------------

    def get_json(self, path, params=None):
        return self.request("GET", path, params=params).json()

    def post_json(self, path, payload):
        return self.request("POST", path, json=payload).json()

    def request(self, method, path, *, auth=True, check=True, json_response=True, headers=None, **kwargs):
        """One logical call: breaker, login, retries, 401/CSRF recovery, typed errors."""
        response = self._guarded(lambda: self._authed_call(method, path, auth, headers or {}, kwargs))
        if check:
            self._raise_for_status(response, method, path)
        if json_response and check:
            self._check_json(response, path)
        return response

    def login(self):
        """A fresh session and tokens (the CSRF token is fetched on first write)."""

        def login():
            with self._locked():
                self._login()

        self._guarded(login)

    def csrf_token(self):
        """Fetch a CSRF token in the current session (logging in first if needed)."""

        def fetch():
            with self._locked():
                if self._session is None:
                    self._login()
                self._fetch_csrf()
            return self._csrf_token

        return self._guarded(fetch)

    def _guarded(self, call):
        """Run call through the circuit breaker: only unavailability counts as a failure."""
        try:
            self.breaker.before_call()
        except CircuitOpenError as exc:
            raise SupersetUnavailable(
                _(
                    "Superset is unavailable (%(failures)s failed calls in a row to %(url)s); "
                    "Odoo tries again in %(seconds)s s.",
                    failures=exc.failures,
                    url=self.base_url,
                    seconds=round(exc.retry_in),
                ),
                _("Check that Superset is running and reachable from the Odoo server."),
            ) from exc
        try:
            result = call()
        except SupersetUnavailable:
            self.breaker.record_failure()
            raise
        except SupersetError:
            self.breaker.record_success()  # Superset answered, even if not as hoped
            raise
        except BaseException:
            # Neither an answer nor a failure of Superset (a bug, an interrupted worker):
            # a half-open trial must not stay "running" forever.
            self.breaker.release_trial()
            raise
        self.breaker.record_success()
        return result

    # --- authentication ---------------------------------------------------------------

    def _login(self):
        session = requests.Session()
        session.headers.update({"Accept": "application/json", "User-Agent": "odoo-superset-connector"})
        response = self._send_with_retries(
            session,
            "POST",
            "/api/v1/security/login",
            {"json": {"username": self.username, "password": self._password, "provider": "db", "refresh": True}},
        )
        if response.status_code in (400, 401, 403):
            raise SupersetAuthError(
                _(
                    "Superset rejected the service account %(username)r: wrong username or password.",
                    username=self.username,
                ),
                _("Correct them in Settings ‣ Superset (or in the server environment if set there)."),
                status=response.status_code,
            )
        self._raise_for_status(response, "POST", "/api/v1/security/login")
        body = self._check_json(response, "/api/v1/security/login")
        if "access_token" not in body:
            raise SupersetBadResponse(_("Superset's login answer has no access token (%(url)s).", url=self.base_url))
        self._session = session
        self._access_token = body["access_token"]
        self._refresh_token = body.get("refresh_token")
        self._csrf_token = None

    def _refresh(self):
        """New access token from the refresh token; False when that is not possible."""
        if not self._refresh_token:
            return False
        response = self._send_with_retries(
            self._session,
            "POST",
            "/api/v1/security/refresh",
            {"headers": {"Authorization": f"Bearer {self._refresh_token}"}},
        )
        if response.status_code != 200:
            return False
        try:
            self._access_token = response.json()["access_token"]
        except (ValueError, KeyError):
            return False
        return True

    def _fetch_csrf(self):
        response = self._send_with_retries(self._session, "GET", "/api/v1/security/csrf_token/", self._auth_kwargs({}))
        self._raise_for_status(response, "GET", "/api/v1/security/csrf_token/")
        self._csrf_token = self._check_json(response, "/api/v1/security/csrf_token/")["result"]

    def _auth_kwargs(self, kwargs, headers=None, write=False):
        merged = dict(headers or {})
        merged["Authorization"] = f"Bearer {self._access_token}"
        if write:
            merged["X-CSRFToken"] = self._csrf_token
            merged["Referer"] = self.base_url  # Flask-WTF checks it on HTTPS
        return {**kwargs, "headers": merged}

    def _authed_call(self, method, path, auth, headers, kwargs):
        if not auth:
            return self._send_with_retries(self._anonymous_session, method, path, {**kwargs, "headers": headers})
        write = method.upper() not in ("GET", "HEAD", "OPTIONS")
        with self._locked():
            if self._session is None:
                self._login()
            if write and not self._csrf_token:
                self._fetch_csrf()
        response = self._send_with_retries(self._session, method, path, self._auth_kwargs(kwargs, headers, write))
        if _is_token_rejected(response):
            # Expired access token: refresh it; if that fails, log in again once.
            with self._locked():
                if not self._refresh():
                    self._login()
                if write:
                    self._fetch_csrf()
            response = self._send_with_retries(self._session, method, path, self._auth_kwargs(kwargs, headers, write))
        elif write and response.status_code == 400 and "csrf" in response.text.lower():
            with self._locked():
                self._fetch_csrf()
            response = self._send_with_retries(self._session, method, path, self._auth_kwargs(kwargs, headers, write))
        return response

    # --- transport --------------------------------------------------------------------

    def _send_with_retries(self, session, method, path, kwargs):
        """Send; on connection errors and 5xx retry with exponential backoff and jitter."""
        url = f"{self.base_url}{path}"
        last_error, sent = None, 0
        for attempt in range(self.retries + 1):
            if attempt:
                delay = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
                delay *= random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not crypto)
                remaining = self._remaining()
                if remaining is not None and remaining <= delay:
                    break  # no time left for another attempt
                self._sleep(delay)
            timeout = self._timeout()
            self.attempts += 1
            sent += 1
            try:
                response = session.request(method, url, timeout=timeout, stream=True, **kwargs)
                self._read_body(response)
            except requests.RequestException as exc:
                last_error, retry = self._failure_reason(exc, timeout)
                if retry:
                    continue
                break
            if response.status_code in RETRYABLE_STATUS:
                last_error = f"HTTP {response.status_code}"
                continue
            return response
        _logger.warning("Superset call %s %s failed after %d attempt(s): %s", method, path, sent, last_error)
        raise SupersetUnavailable(
            _("Superset is unavailable at %(url)s: %(reason)s.", url=self.base_url, reason=last_error),
            _("Check that Superset is running and that this URL is reachable from the Odoo server."),
            reason=last_error,
        )

    def _failure_reason(self, exc, timeout):
        """(why the request failed, in a few words; whether the same again may work);
        raises at once when waiting again is pointless (no time left, an invalid URL)."""
        remaining = self._remaining()
        if remaining is not None and remaining <= 0.05:
            raise self._deadline_passed() from exc
        if isinstance(exc, requests.Timeout):
            connect, read = (f"{round(seconds, 1):g}" for seconds in timeout)
            if isinstance(exc, requests.ReadTimeout):
                return _("no answer within %(seconds)s s", seconds=read), True
            return _("no connection within %(seconds)s s", seconds=connect), True
        if isinstance(exc, http_errors.ChunkedEncodingError | http_errors.ContentDecodingError):
            return _("the answer was cut off or garbled"), True
        if isinstance(exc, requests.ConnectionError):
            return _connection_reason(exc), True
        if isinstance(exc, http_errors.TooManyRedirects):
            return _("too many redirects"), False  # the same again would loop the same way
        if isinstance(exc, http_errors.InvalidURL | http_errors.MissingSchema | http_errors.InvalidSchema):
            raise SupersetUnavailable(
                _("The Superset URL %(url)s is not a valid http(s) address.", url=self.base_url),
                _("Correct the Superset URL in Settings ‣ Superset."),
                reason=_("invalid URL"),
            ) from exc
        return _("the request failed (%(error)s)", error=type(exc).__name__), True

    def _timeout(self):
        """(connect, read) for one request: the configured ones, cut to the deadline."""
        remaining = self._remaining()
        if remaining is None:
            return self.timeout
        if remaining <= 0:
            raise self._deadline_passed()
        return tuple(min(seconds, remaining) for seconds in self.timeout)

    def _read_body(self, response):
        """Read the answer (the request was streamed). Under a deadline, a watchdog shuts
        the connection when it passes, so that a server sending its answer slowly cannot
        stretch the call: every read is bounded, but not their sum. A body shorter than
        its Content-Length is an answer cut off (urllib3 1.26 does not check)."""
        remaining = self._remaining()
        watchdog = None
        if remaining is not None:
            watchdog = threading.Timer(max(0.0, remaining), _shut_connection, args=(response,))
            watchdog.daemon = True
            watchdog.start()
        try:
            content = response.content
        finally:
            if watchdog:
                watchdog.cancel()
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            raise requests.ReadTimeout("the deadline passed while reading the answer")
        expected = response.headers.get("Content-Length", "")
        plain = not response.headers.get("Content-Encoding")
        if plain and expected.isdigit() and len(content) != int(expected):
            raise http_errors.ChunkedEncodingError("the answer is shorter than its Content-Length")

    def _raise_for_status(self, response, method, path):
        status = response.status_code
        if status < 400:
            return
        reason = _error_detail(response)
        where = f"{path} ({reason})" if reason else path  # Superset's words, untranslated
        call = f"{method} {where}"
        if status == 401:
            raise SupersetAuthError(
                _("Superset refused the service account %(username)r for %(call)s.", username=self.username, call=call),
                _("Check the username and password in Settings ‣ Superset."),
                status=status,
            )
        if status == 403:
            raise SupersetPermissionError(
                _("The Superset service account %(username)r may not %(call)s.", username=self.username, call=call),
                _("Give it the Admin role, or the missing permission, in Superset (Settings ‣ List Roles)."),
                status=status,
            )
        if status == 404:
            raise SupersetNotFound(_("Superset has no %(call)s.", call=where), status=status)
        raise SupersetBadResponse(
            _("Superset answered HTTP %(status)s to %(call)s.", status=status, call=call), status=status, detail=reason
        )

    def _check_json(self, response, path):
        try:
            return response.json()
        except ValueError as exc:
            raise SupersetBadResponse(
                _(
                    "Superset's answer to %(path)s is not JSON: is %(url)s really a Superset server?",
                    path=path,
                    url=self.base_url,
                ),
                _("Check the Superset URL in Settings ‣ Superset."),
            ) from exc


def _shut_connection(response):
    """Wake a read blocked on this response's socket (from the watchdog's thread). The
    socket is the pooled connection's, or, once http.client let go of it (a server that
    closes after answering), the one under the response's file."""
    raw = response.raw
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is None:
        file = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(file, "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _is_token_rejected(response):
    """Expired (401) or unreadable (422 from Flask-JWT-Extended) access token."""
    if response.status_code == 401:
        return True
    if response.status_code == 422:
        try:
            return "msg" in response.json()
        except ValueError:
            return False
    return False


def _connection_reason(exc):
    text = str(exc)
    if "Name or service not known" in text or "Failed to resolve" in text or "nodename nor servname" in text:
        return _("the host name does not resolve")
    if "Connection refused" in text:
        return _("connection refused (nothing listens there)")
    if "SSL" in text or "certificate" in text:
        return _("TLS/certificate error")
    return _("connection failed")


def _error_detail(response):
    """Superset's own message, shortened, when the body carries one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    message = body.get("message") or body.get("msg") or ""
    if not message and body.get("errors"):
        message = body["errors"][0].get("message", "")
    if isinstance(message, dict):
        message = json.dumps(message)
    return str(message)[:500]
