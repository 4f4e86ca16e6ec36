"""A Redis restart, as an operator or a crashed server causes one, under the production
profile's Superset (its Redis in the tests is one of ours; the shared one on 6379 is never
restarted): its Celery worker reconnects by itself and async charts work again, with
nobody to restart it (kombu 5.6's worker can die in its "mingle" step on reconnecting,
celery/kombu#2582; the profile starts it without mingle and gossip)."""

import time
import uuid

import pytest
import superset_fixtures

from odoo.addons.superset_connector.services.guest_token import sign_guest_token
from odoo.addons.superset_connector.services.rls import company_rule
from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import settings
from devstack import superset as superset_stack

BACK_WITHIN = 90  # seconds: Celery's reconnection backoff stays well under this
FATAL = "Unrecoverable error"  # what Celery's worker logs when it gives up
RESTARTS = 3


@pytest.fixture(scope="module")
def restartable(production_superset, production_redis, production_content):
    """The production Superset, its Redis and the RLS content, the Sales dashboard embedded."""
    user, password = settings.superset_admin()
    client = SupersetClient(production_superset.url, user, password, retries=0)
    embedded = client.ensure_embedded(production_content["dashboards"]["sales"], ["http://127.0.0.1"])
    return production_superset, production_redis, production_content, embedded


def guest_token(instance, embedded):
    return sign_guest_token(
        instance.guest_token_secret,
        superset_stack.GUEST_AUDIENCE,
        {"username": f"redis-restart-{uuid.uuid4().hex[:6]}"},
        [{"type": "dashboard", "id": embedded}],
        [company_rule([1])],
        300,
    )[0]


def async_rows(instance, content, embedded, timeout):
    return superset_fixtures.async_chart_rows(
        instance.url,
        guest_token(instance, embedded),
        content["dashboards"]["sales"],
        content["charts"]["by_company"],
        content["datasets"]["sales"],
        timeout=timeout,
    )[1]


def test_celery_worker_serves_async_charts_again_after_a_redis_restart(restartable):
    instance, redis, content, embedded = restartable
    assert sorted({row["company_id"] for row in async_rows(instance, content, embedded, 60)}) == [1]
    worker = instance.celery_worker
    log_before = worker.log.stat().st_size
    viewer = superset_fixtures.requests.Session()  # the embedded page's: it holds the async-query cookie
    viewer.headers.update({"X-GuestToken": guest_token(instance, embedded), "Accept": "application/json"})
    body = superset_fixtures.chart_data_body(
        content["dashboards"]["sales"],
        content["charts"]["by_company"],
        content["datasets"]["sales"],
        ("company_id",),
        [superset_fixtures.SUM_AMOUNT],
    )
    viewer.post(f"{instance.url}/api/v1/chart/data", json=body, timeout=30)  # the cookie comes with any answer
    assert "async-token" in viewer.cookies
    with redis.down():  # everything Redis held is gone, the worker's connections broken
        response = viewer.post(f"{instance.url}/api/v1/chart/data", json=body, timeout=30)
        time.sleep(3)
    # Meanwhile a viewer reads that the cache is down, in their terms, not Redis' address.
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.json()["message"].startswith("The dashboard server's cache is not answering")
    assert f":{redis.port}" not in response.text

    rows = back_after(instance, content, embedded)
    for _again in range(RESTARTS - 1):  # the worker's failure was intermittent: restart again
        assert rows is not None
        redis.restart(down_seconds=2)
        rows = back_after(instance, content, embedded)
    with open(worker.log, "rb") as handle:
        handle.seek(log_before)
        since = handle.read().decode(errors="replace")
    assert FATAL not in since, since[since.index(FATAL) - 200 : since.index(FATAL) + 800]
    assert rows is not None, f"async charts not back {BACK_WITHIN} s after a Redis restart"
    assert sorted({row["company_id"] for row in rows}) == [1]
    assert worker.running()
    assert since.count("Connected to redis://") >= RESTARTS  # it did reconnect, each time


def back_after(instance, content, embedded):
    """The guest's rows once async charts work again, or None after BACK_WITHIN seconds."""
    deadline = time.monotonic() + BACK_WITHIN
    while time.monotonic() < deadline:
        try:
            return async_rows(instance, content, embedded, 15)
        except (AssertionError, OSError):  # not back yet: a job never done, a refused call
            time.sleep(2)
    return None
