"""Dashboards embedded in the Odoo web client, in a real Chromium, against the real Odoo
server and the real Superset: figures per company, the company switcher, token renewal,
and the panels shown when Superset is down or refuses to be framed."""

import time

import pytest
import superset_fixtures
from browser_helpers import big_number, click_menu, dashboard_status, log_in, open_from_menu, responses, wait
from odoo_rpc import OdooRpc
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "browser-test-pw"


@pytest.fixture(scope="module")
def site(odoo_server, superset, rls_content):
    """The e2e Odoo set up as an integrator would: settings, companies, users, the RLS
    dashboard synced and offered to every Superset user."""
    admin = OdooRpc(odoo_server.url, odoo_server.db)
    admin.use_superset(superset, token_mode="local", token_ttl=300)
    first = 1
    second, third = (admin.call("res.company", "create", {"name": f"Browser company {n}"}) for n in (2, 3))
    user_group = admin.ref("superset_connector.group_superset_user")
    manager_group = admin.ref("superset_connector.group_superset_manager")

    def make_user(login, companies, group):
        return admin.call(
            "res.users",
            "create",
            {
                "name": login.title(),
                "login": login,
                "password": PASSWORD,
                "company_id": companies[0],
                "company_ids": [[6, 0, companies]],
                "groups_id": [[4, group]],
            },
        )

    alice = make_user("alice", [first], user_group)
    make_user("max", [first, second, third], manager_group)
    admin.call("superset.dashboard", "action_sync_from_superset")
    dashboards = admin.call(
        "superset.dashboard", "search_read", [["superset_dashboard_id", "!=", False]], ["superset_dashboard_id"]
    )
    by_superset_id = {d["superset_dashboard_id"]: d["id"] for d in dashboards}
    sales = by_superset_id[rls_content["dashboards"]["sales"]]
    mixed = by_superset_id[rls_content["dashboards"]["mixed"]]
    others = [d["id"] for d in dashboards if d["id"] not in (sales, mixed)]
    admin.call("superset.dashboard", "write", others, {"active": False})  # a tidy menu
    admin.call("superset.dashboard", "write", [sales], {"group_ids": [[5, 0, 0]], "sequence": 1})
    admin.call("superset.dashboard", "write", [mixed], {"group_ids": [[5, 0, 0]], "sequence": 2})
    admin.warm_assets("/web/login", "/odoo")
    return {
        "admin": admin,
        "url": odoo_server.url,
        "companies": (first, second, third),
        "alice": alice,
        "dashboard": sales,
        "mixed": mixed,
    }


def total(*companies):
    return sum(superset_fixtures.company_total(c) for c in companies)


def login(browser, site, name):
    log_in(browser, site["url"], name, PASSWORD)


def tokens_since(site, dashboard, since):
    """Guest tokens issued for a dashboard since `since` (epoch s), from the audit trail."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(since))
    return site["admin"].call(
        "superset.guest.token.log",
        "search_count",
        [["dashboard_id", "=", dashboard], ["outcome", "=", "issued"], ["create_date", ">=", stamp]],
    )


def dismiss_notifications(browser):
    """Close Odoo's toasts (e.g. the bus' "page is out of date") that could cover the switcher."""
    for close in browser.find_elements(By.CSS_SELECTOR, ".o_notification .o_notification_close"):
        try:
            close.click()
        except (StaleElementReferenceException, ElementClickInterceptedException):
            continue


def toggle_companies(browser, *companies):
    """In the company switcher, tick or untick these companies, then Confirm (the page reloads)."""
    dismiss_notifications(browser)
    wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".o_switch_company_menu button"))).click()
    for company in companies:
        checkbox = f'.o_switch_company_item[data-company-id="{company}"] [role=menuitemcheckbox]'
        wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, checkbox))).click()
    confirm = (By.CSS_SELECTOR, ".o_switch_company_menu_buttons .btn-primary")
    # A mark on this page: gone once the new page is there, so what is read next is
    # the reloaded dashboard, never the one of the page being left.
    browser.execute_script("window.scBeforeSwitch = true;")
    wait(browser).until(EC.element_to_be_clickable(confirm)).click()
    wait(browser).until(lambda b: b.execute_script("return window.scBeforeSwitch === undefined;"))


def chart_data_statuses(browser, since):
    """HTTP statuses of the chart-data requests the browser made after `since` (epoch s)."""
    return [status for _url, status in responses(browser, since, "/api/v1/chart/data")]


def test_user_sees_their_company_figure(browser, site, artifacts_dir):
    """User A (company 1 only) opens the dashboard from its menu: the figure is company 1's total."""
    login(browser, site, "alice")
    open_from_menu(browser, site)
    assert big_number(browser, total(site["companies"][0])) == total(site["companies"][0])
    assert browser.find_element(By.CSS_SELECTOR, ".o_breadcrumb").text.strip().endswith("RLS sales")
    iframe = browser.find_element(By.CSS_SELECTOR, "iframe.o_superset_iframe")
    assert "/embedded/" in iframe.get_attribute("src") and "uiConfig=16" in iframe.get_attribute("src")
    assert iframe.get_attribute("referrerpolicy") == "strict-origin-when-cross-origin"
    browser.save_screenshot(str(artifacts_dir / "dashboard-in-odoo.png"))


def language_packs(browser, since):
    """(locale, HTTP status) of the Superset language packs the browser fetched after `since`."""
    found = responses(browser, since, "/superset/language_pack/")
    return [(url.rstrip("/").rsplit("/", 1)[-1], status) for url, status in found]


def test_superset_speaks_the_users_language(browser, site, artifacts_dir):
    """A French user's embedded dashboard asks Superset for French, and Superset's page
    loads its French translations; an English user's stays in English (no pack asked)."""
    admin = site["admin"]
    wizard = admin.call("base.language.install", "create", {"lang_ids": [[6, 0, [admin.ref("base.lang_fr")]]]})
    admin.call("base.language.install", "lang_install", [wizard])
    admin.call(
        "res.users",
        "create",
        {
            "name": "Amélie",
            "login": "amelie",
            "password": PASSWORD,
            "lang": "fr_FR",
            "company_id": site["companies"][0],
            "company_ids": [[6, 0, [site["companies"][0]]]],
            "groups_id": [[4, admin.ref("superset_connector.group_superset_user")]],
        },
    )
    cases = (("amelie", "fr", {("fr", 200)}, "version préliminaire"), ("alice", "en", set(), "draft"))
    for user, locale, packs, draft_badge in cases:
        login(browser, site, user)
        browser.get_log("performance")  # what came before is not this page's
        opened = time.time()
        open_from_menu(browser, site)
        big_number(browser, total(site["companies"][0]))
        src = browser.find_element(By.CSS_SELECTOR, "iframe.o_superset_iframe").get_attribute("src")
        assert f"_l_={locale}" in src, src
        # A set: the app opens its first dashboard before the menu click opens this one.
        assert set(language_packs(browser, opened)) == packs
        browser.save_screenshot(str(artifacts_dir / f"dashboard-in-{locale}.png"))
        # Superset's own words on the page: the unpublished dashboard's badge.
        browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.o_superset_iframe"))
        try:
            wait(browser).until(
                lambda b, badge=draft_badge: badge in b.execute_script("return document.body.innerText").lower()
            )
        finally:
            browser.switch_to.default_content()


def test_company_switcher_changes_the_figure(browser, site):
    """The manager adds company 2 in the switcher: the sum of 1 and 2; then leaves only 2: its total."""
    first, second, _third = site["companies"]
    login(browser, site, "max")
    open_from_menu(browser, site)
    big_number(browser, total(first))
    toggle_companies(browser, second)
    assert big_number(browser, total(first, second)) == total(first, second)
    toggle_companies(browser, first)
    assert big_number(browser, total(second)) == total(second)


def test_dashboard_keeps_working_across_token_renewals(browser, site):
    """Tokens live 20 s: after 60 s (at least two renewals) a dashboard refresh still gets data."""
    admin = site["admin"]
    admin.set_params(token_ttl=20)
    try:
        login(browser, site, "alice")
        opened = time.time()
        open_from_menu(browser, site)
        first = site["companies"][0]
        big_number(browser, total(first))
        time.sleep(62)
        issued = tokens_since(site, site["dashboard"], opened)
        assert issued >= 3, f"expected the first token and at least two renewals, got {issued}"
        assert dashboard_status(browser) == "ready"
        clicked = time.time()
        browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.o_superset_iframe"))
        browser.find_element(By.CSS_SELECTOR, '[data-test="refresh-button"]').click()
        browser.switch_to.default_content()
        time.sleep(3)
        assert big_number(browser, total(first)) == total(first)
        statuses = chart_data_statuses(browser, clicked)
        assert statuses, "the refresh made no chart-data request"
        assert set(statuses) == {200}, statuses
    finally:
        admin.set_params(token_ttl=300)


def test_dashboards_one_after_another_and_back(browser, site):
    """Two dashboards opened one after the other: the one left stops renewing its token
    (no timer left behind) while the open one renews; browser back brings the first back."""
    admin = site["admin"]
    admin.set_params(token_ttl=20)
    first = site["companies"][0]
    try:
        login(browser, site, "alice")
        open_from_menu(browser, site, "RLS sales")
        big_number(browser, total(first))
        click_menu(browser, "RLS mixed")
        wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, ".o_breadcrumb").text.strip() == "RLS mixed")
        big_number(browser, total(first))
        left = time.time()
        time.sleep(24)  # more than one renewal period (16 s) of a 20 s token
        assert tokens_since(site, site["dashboard"], left) == 0
        assert tokens_since(site, site["mixed"], left) >= 1
        assert len(browser.find_elements(By.CSS_SELECTOR, "iframe.o_superset_iframe")) == 1
        browser.back()
        wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, ".o_breadcrumb").text.strip() == "RLS sales")
        assert big_number(browser, total(first)) == total(first)
    finally:
        admin.set_params(token_ttl=300)


def test_superset_down_then_back(browser, site, superset, stack):
    """Superset stopped: the "Superset is unavailable" panel within 3 s; Retry works once it is back."""
    login(browser, site, "alice")
    superset.stop()
    try:
        open_from_menu(browser, site)
        panel = WebDriverWait(browser, 3).until(
            EC.visibility_of_element_located((By.CSS_SELECTOR, ".o_superset_error_message"))
        )
        assert "Superset is unavailable" in panel.text
    finally:
        superset.start(stack.superset_venv)
    browser.find_element(By.CSS_SELECTOR, ".o_superset_retry").click()
    first = site["companies"][0]
    assert big_number(browser, total(first)) == total(first)


def test_framing_refused_names_the_setting(browser, site, superset, stack, artifacts_dir):
    """Superset restarted with its default framing policy: the panel a Superset Manager sees
    names the setting to change (a plain user reads only that the administrator must act:
    superset_connector/tests/test_token_faults.py)."""
    superset.stop()
    superset.start(stack.superset_venv, allow_framing=False)
    try:
        login(browser, site, "max")
        open_from_menu(browser, site)
        panel = wait(browser, 45).until(
            EC.visibility_of_element_located((By.CSS_SELECTOR, ".o_superset_error_message"))
        )
        browser.save_screenshot(str(artifacts_dir / "framing-refused.png"))
        assert "X-Frame-Options" in panel.text
        assert "TALISMAN_CONFIG['frame_options'] = None" in panel.text
    finally:
        superset.stop()
        superset.start(stack.superset_venv)
