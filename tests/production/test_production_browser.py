"""The embedded dashboard in Chromium through the production profile: Odoo's workers behind
nginx, the websocket on the gevent process, Superset's charts computed by Celery (async
queries on), each user's companies only."""

import json
import time

import superset_fixtures
from browser_helpers import big_number, log_in, open_from_menu
from selenium.webdriver.common.by import By


def network_events(browser, since):
    """(method, params) of the page's network events after `since` (epoch s), iframes
    included; read once: the driver hands each entry over only once."""
    events = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if entry["timestamp"] / 1000 >= since and message.get("method", "").startswith("Network."):
            events.append((message["method"], message["params"]))
    return events


def statuses(events, path):
    return {
        params["response"]["status"]
        for method, params in events
        if method == "Network.responseReceived" and path in params["response"]["url"]
    }


def celery_chart_jobs(superset):
    """Chart-data jobs the Celery worker finished so far (its log)."""
    log = superset.celery_worker.log
    return sum("load_chart_data_into_cache" in line and "succeeded" in line for line in log.read_text().splitlines())


def websocket_upgrades(proxy):
    """Requests for /websocket that nginx answered 101 (switched to the gevent process).
    Read from nginx's access log: the web client opens its websocket in a shared worker,
    whose traffic the page's own network log does not show."""
    log = proxy.folder / "logs" / "access.log"
    return [
        line for line in log.read_text(errors="replace").splitlines() if '"GET /websocket' in line and '" 101 ' in line
    ]


def test_embedded_dashboard_with_async_queries(browser, production_site, artifacts_dir):
    """A user of company 1 sees company 1's total; the charts came through async queries
    (chart data answered 202, the Celery worker computed them), and Odoo's websocket
    reached the gevent process through nginx (101, switching protocols)."""
    site = production_site
    first, _second = site["companies"]
    opened = time.time()
    upgrades_before = len(websocket_upgrades(site["odoo"].proxy))
    jobs_before = celery_chart_jobs(site["superset"])
    log_in(browser, site["url"], "prod_one", site["password"])
    open_from_menu(browser, site)
    assert big_number(browser, superset_fixtures.company_total(first)) == superset_fixtures.company_total(first)
    browser.save_screenshot(str(artifacts_dir / "production-dashboard.png"))
    assert 202 in statuses(network_events(browser, opened), "/api/v1/chart/data")
    assert celery_chart_jobs(site["superset"]) > jobs_before
    assert len(websocket_upgrades(site["odoo"].proxy)) > upgrades_before


def test_two_company_user_sees_both_and_nothing_else(browser, production_site):
    """The user of companies 1 and 2, both active: the sum of their totals, through the
    same async path."""
    site = production_site
    first, second = site["companies"]
    expected = superset_fixtures.company_total(first) + superset_fixtures.company_total(second)
    log_in(browser, site["url"], "prod_both", site["password"])
    browser.get(f"{site['url']}/odoo")
    # Both companies active in the switcher: the web client's cookie, as after ticking them.
    browser.add_cookie({"name": "cids", "value": f"{first}-{second}", "path": "/"})
    open_from_menu(browser, site)
    assert big_number(browser, expected) == expected


def test_async_dashboard_refreshes_across_token_renewals(browser, production_site):
    """Tokens live 20 s: after 45 s (at least two renewals, each signed by whichever
    worker answered) Superset's refresh button recomputes the charts through Celery with
    the renewed token: chart data 202, jobs done by the worker, never a 401, the same figure."""
    site = production_site
    first, _second = site["companies"]
    site["admin"].set_params(token_ttl=20)
    try:
        log_in(browser, site["url"], "prod_one", site["password"])
        opened = time.time()
        open_from_menu(browser, site)
        big_number(browser, superset_fixtures.company_total(first))
        time.sleep(45)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(opened))
        issued = site["admin"].call(
            "superset.guest.token.log",
            "search_count",
            [["dashboard_id", "=", site["dashboard"]], ["outcome", "=", "issued"], ["create_date", ">=", stamp]],
        )
        assert issued >= 3, f"expected the first token and at least two renewals, got {issued}"
        network_events(browser, 0)  # what came before the click is not the refresh's
        clicked = time.time()
        jobs_before = celery_chart_jobs(site["superset"])
        browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.o_superset_iframe"))
        browser.find_element(By.CSS_SELECTOR, '[data-test="refresh-button"]').click()
        browser.switch_to.default_content()
        time.sleep(3)
        assert big_number(browser, superset_fixtures.company_total(first)) == superset_fixtures.company_total(first)
        events = network_events(browser, clicked)
        chart_data, polls = statuses(events, "/api/v1/chart/data"), statuses(events, "/api/v1/async_event/")
        assert 202 in chart_data and celery_chart_jobs(site["superset"]) > jobs_before, chart_data
        assert 401 not in chart_data | polls, (chart_data, polls)
    finally:
        site["admin"].set_params(token_ttl=300)
