"""The guest token log in a real Chromium against the real Odoo server: its "Today" filter
means the manager's today, not UTC's, for a manager far from UTC (Auckland: UTC+12/13)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from browser_helpers import log_in, wait
from odoo_rpc import OdooRpc
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from devstack import postgres

ZONE = "Pacific/Auckland"
PASSWORD = "log-reader-pw"
MARK = "tz probe"


@pytest.fixture(scope="module")
def probe_rows(odoo_server):
    """A manager living in Auckland, and log rows of a user of their own around Auckland's
    last midnight: one a minute before it, one a minute after it, one now."""
    admin = OdooRpc(odoo_server.url, odoo_server.db)
    admin.call(
        "res.users",
        "create",
        {
            "name": "Kiri",
            "login": "kiri",
            "password": PASSWORD,
            "tz": ZONE,
            "groups_id": [[4, admin.ref("superset_connector.group_superset_manager")]],
        },
    )
    subject = admin.call("res.users", "create", {"name": "Tzprobe", "login": "tzprobe"})
    now = datetime.now(ZoneInfo(ZONE))
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = {
        "before midnight": midnight - timedelta(minutes=1),
        "after midnight": midnight + timedelta(minutes=1),
        "just now": now,
    }
    # Written in SQL: the log is read-only through the ORM, for every user.
    values = ", ".join(
        f"({subject:d}, 'refused', '{MARK}: {label}', "
        f"'{moment.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M:%S}'::timestamp)"
        for label, moment in rows.items()
    )
    postgres.psql(
        f"INSERT INTO superset_guest_token_log (user_id, outcome, reason, create_date) VALUES {values}",  # noqa: S608 - our constants
        db=odoo_server.db,
    )
    return rows


def shown_reasons(browser):
    return sorted(cell.text for cell in browser.find_elements(By.CSS_SELECTOR, ".o_data_row td[name=reason]"))


def test_today_filter_is_the_managers_today(browser, odoo_server, probe_rows):
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ZONE})
    log_in(browser, odoo_server.url, "kiri", PASSWORD)
    browser.get(f"{odoo_server.url}/odoo/action-superset_connector.superset_guest_token_log_action")

    search = wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".o_searchview_input")))
    search.send_keys("Tzprobe")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".o_searchview_autocomplete li")))
    search.send_keys(Keys.ENTER)  # the first proposal: User
    all_rows = [f"{MARK}: {label}" for label in probe_rows]
    try:
        wait(browser).until(lambda b: shown_reasons(b) == sorted(all_rows))
    except TimeoutException:
        pytest.fail(f"the user's rows should all be listed before filtering; shown: {shown_reasons(browser)}")

    browser.find_element(By.CSS_SELECTOR, ".o_searchview_dropdown_toggler").click()
    today = wait(browser).until(
        EC.element_to_be_clickable((By.XPATH, "//*[contains(@class,'o_filter_menu')]//*[normalize-space()='Today']"))
    )
    today.click()
    expected = sorted(f"{MARK}: {label}" for label in ("after midnight", "just now"))
    try:
        wait(browser, 15).until(lambda b: shown_reasons(b) == expected)
    except TimeoutException:
        pytest.fail(f"Today in {ZONE} should list {expected}; it lists {shown_reasons(browser)}")
