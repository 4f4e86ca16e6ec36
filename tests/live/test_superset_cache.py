"""Superset's chart cache after a refresh (services/superset_cache.py), against the real
Superset caching chart data in files as production ones do."""

import json
import uuid

import pytest
import superset_fixtures

from odoo.addons.superset_connector.services.errors import SupersetNotFound, SupersetUnavailable
from odoo.addons.superset_connector.services.guest_token import sign_guest_token
from odoo.addons.superset_connector.services.superset_cache import (
    STAMP_KEY,
    datasets_to_expire,
    expire,
    expire_cached_charts,
)
from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import postgres, settings
from devstack import superset as superset_stack
from devstack.procs import free_port


@pytest.fixture
def rls(superset, rls_content):
    """The RLS content, its sales put back as they were after the test."""
    db = rls_content["source_db"]
    postgres.psql("DROP TABLE IF EXISTS sales_saved; CREATE TABLE sales_saved AS SELECT id, amount FROM sales", db=db)
    yield rls_content
    postgres.psql(
        "UPDATE sales SET amount = s.amount FROM sales_saved s WHERE s.id = sales.id; DROP TABLE sales_saved", db=db
    )
    user, password = settings.superset_admin()
    client = SupersetClient(superset.url, user, password, retries=0)
    expire_cached_charts(client, rls_content["database_id"], "public", ["sales"], "after-test")


def _token(superset, client, rls, companies):
    embedded = client.ensure_embedded(rls["dashboards"]["sales"], ["http://127.0.0.1"])
    clause = f"company_id IN ({', '.join(str(c) for c in companies)})"
    return sign_guest_token(
        superset.guest_token_secret,
        superset_stack.GUEST_AUDIENCE,
        {"username": f"cache-{uuid.uuid4().hex[:6]}"},
        [{"type": "dashboard", "id": embedded}],
        [{"dataset": rls["datasets"]["sales"], "clause": clause}],
        300,
    )[0]


def test_expired_datasets_show_the_new_figures_to_every_guest(superset, rls):
    user, password = settings.superset_admin()
    client = SupersetClient(superset.url, user, password, retries=0)
    rls_sql = client.post_json(
        "/api/v1/dataset/",
        {
            "database": rls["database_id"],
            "schema": "public",
            "table_name": f"sales_sql_{uuid.uuid4().hex[:6]}",
            "sql": "SELECT company_id, amount FROM public.sales",
        },
    )["id"]
    client.request("PUT", f"/api/v1/dataset/{rls['datasets']['sales']}", json={"extra": '{"warning_markdown": "BI"}'})
    company_1, company_2 = _token(superset, client, rls, [1]), _token(superset, client, rls, [2])

    def total(token):
        status, result = superset_fixtures.chart_result(
            superset.url, token, rls["dashboards"]["sales"], rls["charts"]["by_company"], rls["datasets"]["sales"],
            force=False,
        )  # fmt: skip
        assert status == 200, result
        return {row["company_id"]: row["Total"] for row in result["data"]}, bool(result["is_cached"])

    # Another test may have asked the same already: the first answer may come from the cache.
    assert total(company_1)[0] == {1: superset_fixtures.company_total(1)}
    assert total(company_1) == ({1: 21}, True)  # Superset caches chart data...
    assert total(company_2)[0] == {2: 41}  # ...per guest's rules

    postgres.psql("UPDATE sales SET amount = amount + 1000 WHERE company_id = 1", db=rls["source_db"])
    assert total(company_1) == ({1: 21}, True)  # the cache hides the change

    report = expire_cached_charts(client, rls["database_id"], "public", ["sales", "catalog"], "2026-12-01T10:00:00Z")
    assert report.failed == {}
    # Other tests may have made SQL datasets on sales too: those are expired as well.
    assert {rls["datasets"]["sales"], rls_sql} <= set(report.expired["sales"])
    assert not {rls["datasets"]["catalog"], rls["datasets"]["regions"]} & set(report.expired["sales"])
    assert report.expired["catalog"] == [rls["datasets"]["catalog"]]
    assert total(company_1) == ({1: 2021}, False)
    assert total(company_2) == ({2: 41}, False)
    assert json.loads(client.dataset(rls["datasets"]["sales"])["extra"]) == {
        "warning_markdown": "BI",
        STAMP_KEY: "2026-12-01T10:00:00Z",
    }

    # A dataset gone between the listing and the write: reported on its view, the
    # others written all the same.
    readers = datasets_to_expire(client, rls["database_id"], "public", ["sales"])
    client.request("DELETE", f"/api/v1/dataset/{rls_sql}")
    postgres.psql("UPDATE sales SET amount = amount + 1000 WHERE company_id = 1", db=rls["source_db"])
    report = expire(client, readers, "2026-12-01T11:00:00Z")
    assert isinstance(report.failed["sales"], SupersetNotFound), report
    assert total(company_1) == ({1: 4021}, False)  # two rows, 1000 more each


def test_a_superset_that_is_down_is_said_and_nothing_is_lost(superset, rls):
    user, password = settings.superset_admin()
    down = SupersetClient(f"http://127.0.0.1:{free_port()}", user, password, retries=0)
    with pytest.raises(SupersetUnavailable, match="Superset is unavailable"):
        expire_cached_charts(down, rls["database_id"], "public", ["sales"], "t")
