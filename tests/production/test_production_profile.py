"""The addon where production runs it: guest tokens, row-level security and the dashboard
action through Odoo's prefork workers, Superset's async queries run by Celery as the
guest, caches in Redis, data read from the standby."""

import re
import threading
from collections import Counter

import psycopg2
import superset_fixtures

from devstack import redis as redis_stack
from devstack import settings

TOKEN_ROUTE = "/superset_connector/dashboards/{}/guest_token"
REQUEST_LINE = re.compile(r"^\S+ \S+ (?P<pid>\d+) INFO \S+ werkzeug: .*\"POST (?P<path>\S+) HTTP")


def token(rpc, dashboard, companies):
    """The guest token the client action gets: the route, with the companies active in
    the user's switcher (the web client's `cids` cookie), for this request only."""
    reply = rpc.session.post(
        f"{rpc.url}{TOKEN_ROUTE.format(dashboard)}",
        json={"jsonrpc": "2.0", "params": {}},
        cookies={"cids": "-".join(map(str, companies))},
        timeout=30,
    ).json()
    result = reply.get("result") or {}
    assert result.get("token"), reply
    return result["token"]


def chart(site, name="by_company"):
    content = site["content"]
    return content["dashboards"]["sales"], content["charts"][name], content["datasets"]["sales"]


def companies_seen(rows):
    return sorted({row["company_id"] for row in rows})


def guest_rows(site, guest_token):
    """The by-company chart's rows as the guest gets them (async: queued, run by Celery)."""
    dashboard, chart_id, dataset = chart(site)
    _job, rows, _url = superset_fixtures.async_chart_rows(
        site["superset"].url, guest_token, dashboard, chart_id, dataset
    )
    return rows


def worker_pids(log, path):
    """pids of the Odoo processes that served POSTs to path, from the server's log."""
    pids = Counter()
    for line in log.read_text(errors="replace").splitlines():
        match = REQUEST_LINE.match(line)
        if match and match["path"] == path:
            pids[int(match["pid"])] += 1
    return pids


def test_token_requests_land_on_several_workers_and_each_token_is_scoped(production_site):
    """Sixteen token requests, four at a time, through nginx: at least two Odoo worker
    processes answered, and every token, whichever worker signed it, shows its user's
    companies only (user of company 1: its total; user of 1 and 2: both, nothing else)."""
    site = production_site
    first, second = site["companies"]
    results, errors = [], []

    def ask(rpc, companies):
        try:
            results.append((companies, token(rpc, site["dashboard"], companies)))
        except Exception as exc:  # every failure is reported below
            errors.append(exc)

    for _round in range(4):
        threads = [
            threading.Thread(target=ask, args=(rpc, companies))
            for rpc, companies in ((site["one"], [first]), (site["both"], [first, second])) * 2
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors, errors
    pids = worker_pids(site["odoo"].server.log, TOKEN_ROUTE.format(site["dashboard"]))
    assert sum(pids.values()) >= 16 and len(pids) >= 2, pids
    for companies, guest_token in results[:4] + results[-4:]:
        assert companies_seen(guest_rows(site, guest_token)) == sorted(companies)


def test_a_user_cannot_widen_companies_through_any_worker(production_site):
    """Denied path: the user of company 1 asks, on every worker, for companies 1 and 2:
    the token still shows company 1 only."""
    site = production_site
    first, second = site["companies"]
    for _ in range(4):
        guest_token = token(site["one"], site["dashboard"], [first, second])
        assert companies_seen(guest_rows(site, guest_token)) == [first]


def test_async_query_runs_on_celery_as_the_guest(production_site):
    """With GLOBAL_ASYNC_QUERIES on, the chart data request is queued (202), the Celery
    worker computes it, and the result holds the guest's companies only."""
    site = production_site
    first, second = site["companies"]
    dashboard, chart_id, dataset = chart(site)
    one = token(site["one"], site["dashboard"], [first])
    job, rows, _url = superset_fixtures.async_chart_rows(site["superset"].url, one, dashboard, chart_id, dataset)
    assert job["status"] == "pending" and job["job_id"]
    assert companies_seen(rows) == [first]
    assert rows[0]["Total"] == superset_fixtures.company_total(first)
    both = token(site["both"], site["dashboard"], [first, second])
    _job, rows, _url = superset_fixtures.async_chart_rows(site["superset"].url, both, dashboard, chart_id, dataset)
    assert companies_seen(rows) == [first, second]


def test_another_guests_async_result_is_not_readable(production_site):
    """Attacker's test: a guest of company 1 who learns the result URL of a guest of
    companies 1 and 2 reads it with their own token: Superset recomputes it under the
    reader's rules (company 1 only), never hands over the other guest's rows."""
    site = production_site
    first, second = site["companies"]
    dashboard, chart_id, dataset = chart(site)
    both = token(site["both"], site["dashboard"], [first, second])
    _job, rows, result_url = superset_fixtures.async_chart_rows(
        site["superset"].url, both, dashboard, chart_id, dataset
    )
    assert companies_seen(rows) == [first, second]
    one = token(site["one"], site["dashboard"], [first])
    response = superset_fixtures.requests.get(
        f"{site['superset'].url}{result_url}", headers={"X-GuestToken": one, "Accept": "application/json"}, timeout=30
    )
    if response.status_code == 200:
        assert companies_seen(response.json()["result"][0]["data"]) == [first]
    else:
        assert response.status_code in (401, 403, 404, 422), response.text[:200]


def test_superset_keeps_its_caches_in_redis_and_metadata_in_postgresql(production_site):
    """The chart data just computed is in Redis under this instance's prefix; the guest
    role lives in the PostgreSQL metadata database."""
    site = production_site
    superset = site["superset"]
    first = site["companies"][0]
    dashboard, chart_id, dataset = chart(site)
    superset_fixtures.async_chart_rows(
        superset.url, token(site["one"], site["dashboard"], [first]), dashboard, chart_id, dataset
    )
    redis = superset.redis
    keys = redis_stack.command(redis.host, redis.port, "SCAN", "0", "MATCH", f"{superset.prefix}data_*", "COUNT", 10000)
    cursor, found = keys
    while not found and cursor != "0":
        cursor, found = redis_stack.command(
            redis.host, redis.port, "SCAN", cursor, "MATCH", f"{superset.prefix}data_*", "COUNT", 10000
        )
    assert found, "no chart data cached in Redis"
    with (
        psycopg2.connect(
            host=settings.pg_host(), port=settings.pg_port(), dbname=superset.metadata_db, user=settings.db_user()
        ) as conn,
        conn.cursor() as cr,
    ):
        cr.execute("SELECT count(*) FROM ab_role WHERE name = %s", ["Odoo Embedded Guest"])
        assert cr.fetchone()[0] == 1


def test_api_mode_tokens_through_workers(production_site):
    """Superset-issued tokens (api mode): each worker logs in to Superset on its own (its
    API-token cache is per process); every token works and is scoped."""
    site = production_site
    first, second = site["companies"]
    site["admin"].set_params(token_mode="api")
    try:
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(token(site["both"], site["dashboard"], [first, second])))
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 6
        for guest_token in results[:2]:
            assert companies_seen(guest_rows(site, guest_token)) == [first, second]
    finally:
        site["admin"].set_params(token_mode="local")


def test_the_dashboard_action_loads_through_workers(production_site):
    """The menu's client action, loaded as the web client loads it (/web/action/load) by a
    user through nginx: the dashboard's tag and id, for the component to open."""
    site = production_site
    action = site["admin"].call("superset.dashboard", "read", [site["dashboard"]], ["action_id"])[0]["action_id"]
    loaded, _ms = site["one"].route("/web/action/load", action_id=action[0])
    assert loaded["tag"] == "superset_connector.dashboard", loaded
    assert loaded["params"]["dashboard_id"] == site["dashboard"]
