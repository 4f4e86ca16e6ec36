"""What the Chromium tests do the same way: wait for the page, log in to Odoo, open a
dashboard from its menu, read its figure and the browser's network log."""

import json

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def wait(browser, timeout=30):
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,))


def log_in(browser, odoo_url, login, password):
    """Odoo's login form, then the web client's navbar (the first page may build assets)."""
    browser.delete_all_cookies()
    browser.get(f"{odoo_url}/web/login")
    wait(browser, 120).until(EC.element_to_be_clickable((By.ID, "login"))).send_keys(login)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, 120).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".o_main_navbar")))


def open_from_menu(browser, site, name="RLS sales"):
    """Home menu ‣ BI Dashboards ‣ the dashboard, as a user would."""
    browser.get(f"{site['url']}/odoo")
    wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".o_navbar_apps_menu button"))).click()
    app = '.o_app[data-menu-xmlid="superset_connector.superset_connector_menu_root"]'
    wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, app))).click()
    # The app opens its first menu's dashboard, which the menu click then replaces.
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".o_superset_dashboard")))
    click_menu(browser, name)


def click_menu(browser, name):
    """Click a menu item; return once the dashboard shown before (if any) is replaced, so
    what is read next is the new one."""
    shown = browser.find_elements(By.CSS_SELECTOR, ".o_superset_dashboard")
    item = (By.XPATH, f"//*[contains(@class,'o_menu_sections')]//*[normalize-space()='{name}']")
    wait(browser).until(EC.element_to_be_clickable(item)).click()
    if shown:
        wait(browser).until(EC.staleness_of(shown[0]))


def dashboard_status(browser):
    # Read in the page in one go: the component re-renders while it loads, and a node
    # found by the driver may be gone by the time its attribute is asked for.
    return browser.execute_script(
        "const el = document.querySelector('.o_superset_dashboard'); return el && el.dataset.status;"
    )


def big_number(browser, expected=None, timeout=60):
    """The "Sales total" figure inside the embedded dashboard (waits for expected)."""
    wait(browser, timeout).until(lambda b: dashboard_status(b) in ("ready", "error"))
    assert dashboard_status(browser) == "ready", browser.find_element(By.CSS_SELECTOR, ".o_superset_dashboard").text
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.o_superset_iframe")
    browser.switch_to.frame(frame)
    try:

        def figure(b):
            elements = b.find_elements(By.CSS_SELECTOR, ".superset-legacy-chart-big-number .header-line")
            text = elements[0].text.replace(",", "").strip() if elements else ""
            if not text.isdigit():
                return False
            return int(text) if expected is None or int(text) == expected else False

        try:
            return wait(browser, timeout).until(figure)
        except TimeoutException:
            shown = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".header-line")]
            raise AssertionError(f"big number {shown}, expected {expected}") from None
    finally:
        browser.switch_to.default_content()


def responses(browser, since, path):
    """(URL, HTTP status) of the responses to requests for path that the browser got
    after `since` (epoch s), iframes included."""
    found = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") != "Network.responseReceived" or entry["timestamp"] / 1000 < since:
            continue
        response = message["params"]["response"]
        if path in response["url"]:
            found.append((response["url"], response["status"]))
    return found
