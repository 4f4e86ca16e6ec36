"""The Superset REST client (services/superset_client.py) against the real Superset the
harness starts: paging, embedding, token refresh and re-login, typed errors, and the
circuit breaker against a Superset that stops and comes back."""

import uuid

import pytest

from odoo.addons.superset_connector.services.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from odoo.addons.superset_connector.services.errors import (
    SupersetAuthError,
    SupersetNotFound,
    SupersetUnavailable,
)
from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import settings
from devstack import superset as superset_stack
from devstack.procs import free_port


def make_client(url, **kwargs):
    user, password = settings.superset_admin()
    kwargs.setdefault("connect_timeout", 2)
    kwargs.setdefault("read_timeout", 10)
    return SupersetClient(url, user, password, **kwargs)


def create_dashboards(client, count, prefix):
    ids = []
    for index in range(count):
        body = client.post_json("/api/v1/dashboard/", {"dashboard_title": f"{prefix} {index}"})
        ids.append(body["id"])
    return ids


def test_list_dashboards_pages_through_everything(superset):
    """More dashboards than one page: every one comes back, none twice."""
    client = make_client(superset.url)
    prefix = f"paging-{uuid.uuid4().hex[:6]}"
    created = create_dashboards(client, 5, prefix)
    listed = client.list_dashboards(page_size=2)
    ids = [d["id"] for d in listed]
    assert set(created) <= set(ids)
    assert len(ids) == len(set(ids))


def test_ensure_embedded_is_stable_and_keeps_other_origins(superset):
    """Embedding: the uuid stays the same across calls; origins set by others are kept."""
    client = make_client(superset.url)
    (dashboard_id,) = create_dashboards(client, 1, "embedded")
    first = client.ensure_embedded(dashboard_id, ["http://127.0.0.1:8069"])
    client.post_json(
        f"/api/v1/dashboard/{dashboard_id}/embedded",
        {"allowed_domains": ["http://127.0.0.1:8069", "https://other.example.com"]},
    )
    second = client.ensure_embedded(dashboard_id, ["http://erp.example.com"])
    assert first == second
    assert client.embedded(dashboard_id)["allowed_domains"] == [
        "http://127.0.0.1:8069",
        "https://other.example.com",
        "http://erp.example.com",
    ]
    dashboard_uuid = client.dashboard(dashboard_id).get("uuid")
    assert first != dashboard_uuid  # the embedded uuid, not the dashboard's own


def test_expired_access_token_is_refreshed_then_login_repeated(superset):
    """A 401 on a call: the refresh token gets a new access token; if that fails, one re-login."""
    client = make_client(superset.url)
    client.login()
    client._access_token = "expired"
    assert client.me()["username"] == settings.superset_admin()[0]
    client._access_token = "expired"
    client._refresh_token = "also-expired"
    assert client.me()["username"] == settings.superset_admin()[0]
    # and writes still carry a CSRF token of the new session
    (dashboard_id,) = create_dashboards(client, 1, "after-relogin")
    assert dashboard_id


def test_wrong_password_is_an_auth_error(superset):
    client = SupersetClient(superset.url, "admin", "wrong-password", retries=0)
    with pytest.raises(SupersetAuthError) as caught:
        client.me()
    assert "wrong username or password" in str(caught.value)
    assert "wrong-password" not in str(caught.value)
    assert client.breaker.state == CLOSED  # Superset answered: it is not down


def test_not_found_is_typed(superset):
    client = make_client(superset.url)
    with pytest.raises(SupersetNotFound):
        client.dashboard(987654)


def test_breaker_against_a_stopped_superset(stack, test_dir, odoo_port):
    """Superset stops: calls fail, the breaker opens after 5, the next call fails without
    touching the network; Superset comes back and after the half-open delay calls work."""
    instance = superset_stack.Instance(test_dir / "superset-breaker", free_port(), odoo_port)
    instance.start(stack.superset_venv)
    try:
        client = make_client(instance.url, retries=1, backoff=0.05, breaker=CircuitBreaker(5, reset_timeout=2))
        assert client.health()
        instance.stop()
        for _ in range(5):
            with pytest.raises(SupersetUnavailable) as caught:
                client.health()
            assert "connection refused" in str(caught.value)
        assert client.breaker.state == OPEN
        attempts = client.attempts
        with pytest.raises(SupersetUnavailable) as caught:
            client.health()
        assert str(caught.value).startswith("Superset is unavailable (5 failed calls in a row")
        assert client.attempts == attempts  # failed fast: nothing was sent
        instance.start(stack.superset_venv)  # takes longer than the 2 s half-open delay
        assert client.breaker.state == HALF_OPEN
        assert client.me()["username"] == settings.superset_admin()[0]
        assert client.breaker.state == CLOSED
    finally:
        instance.stop()
