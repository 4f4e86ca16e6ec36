"""What the Chromium tests do the same way: wait for the page, log in to Odoo."""

from selenium.common.exceptions import StaleElementReferenceException
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
