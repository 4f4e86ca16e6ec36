"""The local stack itself: real Superset and Odoo servers answer, the addon is installed."""

import requests

from devstack import settings

TIMEOUT = 30


def superset_session(superset):
    """Log in over the REST API; the CSRF token comes from the same requests.Session."""
    user, password = settings.superset_admin()
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    response = session.post(
        f"{superset.url}/api/v1/security/login",
        json={"username": user, "password": password, "provider": "db", "refresh": True},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    csrf = session.get(f"{superset.url}/api/v1/security/csrf_token/", timeout=TIMEOUT)
    csrf.raise_for_status()
    session.headers["X-CSRFToken"] = csrf.json()["result"]
    session.headers["Referer"] = superset.url
    return session


def test_superset_login_csrf_and_dashboard_list(superset):
    """Admin logs into the real Superset, gets a CSRF token, creates and lists dashboards."""
    session = superset_session(superset)
    created = session.post(
        f"{superset.url}/api/v1/dashboard/", json={"dashboard_title": "E2E harness check"}, timeout=TIMEOUT
    )
    assert created.status_code == 201, created.text  # a POST needs the CSRF token of this session
    listed = session.get(f"{superset.url}/api/v1/dashboard/", timeout=TIMEOUT)
    assert listed.status_code == 200
    titles = [d["dashboard_title"] for d in listed.json()["result"]]
    assert "E2E harness check" in titles


def test_superset_rejects_post_without_csrf(superset):
    """Without the CSRF token a write is refused: the token above is what makes it work."""
    session = superset_session(superset)
    del session.headers["X-CSRFToken"]
    response = session.post(f"{superset.url}/api/v1/dashboard/", json={"dashboard_title": "no csrf"}, timeout=TIMEOUT)
    assert response.status_code in (400, 401, 403), response.text


def test_superset_allows_framing_by_odoo(superset, odoo_port):
    """The generated config lets the Odoo origin frame Superset and nobody else."""
    response = requests.get(f"{superset.url}/login/", timeout=TIMEOUT)
    assert "X-Frame-Options" not in response.headers
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' http://127.0.0.1:{odoo_port}" in csp


def test_odoo_server_serves_the_addon(odoo_server):
    """The real Odoo server answers and has superset_connector installed."""
    assert requests.get(f"{odoo_server.url}/web/login", timeout=TIMEOUT).status_code == 200
    session = requests.Session()
    auth = session.post(
        f"{odoo_server.url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": odoo_server.db, "login": "admin", "password": "admin"}},
        timeout=TIMEOUT,
    )
    assert auth.json()["result"]["uid"], auth.text
    modules = session.post(
        f"{odoo_server.url}/web/dataset/call_kw",
        json={
            "jsonrpc": "2.0",
            "params": {
                "model": "ir.module.module",
                "method": "search_read",
                "args": [[["name", "=", "superset_connector"]], ["state"]],
                "kwargs": {},
            },
        },
        timeout=TIMEOUT,
    ).json()["result"]
    assert modules == [{"id": modules[0]["id"], "state": "installed"}]
