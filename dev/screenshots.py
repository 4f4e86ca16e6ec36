"""Pictures of the starter dashboards for the Apps page and the README, taken from a
running `make demo` in headless Chromium, as the demo's manager sees them (their
default company, Northwind Europe, active).

Run (with the demo up): ~/.cache/superset_connector/venvs/odoo-*/bin/python
dev/screenshots.py [odoo url]. Writes superset_connector/static/description/starter_<key>.png.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser_helpers import click_menu, log_in, wait
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

OUT = Path(__file__).resolve().parent.parent / "superset_connector" / "static" / "description"
DASHBOARDS = {  # menu name: file key
    "Financial": "financial",
    "Sales & CRM": "sales",
    "Procurement": "procurement",
    "Inventory": "inventory",
    "Manufacturing": "manufacturing",
    "Human resources": "hr",
}
SETTLE = 8  # seconds for the charts to draw once the embedded page answers


def main(odoo_url="http://127.0.0.1:8069"):
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1100")
    options.binary_location = "/usr/bin/chromium"
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        log_in(browser, odoo_url, "manager", "superset")
        browser.get(f"{odoo_url}/odoo")
        wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".o_navbar_apps_menu button"))).click()
        app = '.o_app[data-menu-xmlid="superset_connector.superset_connector_menu_root"]'
        wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, app))).click()
        wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".o_superset_dashboard")))
        for name, key in DASHBOARDS.items():
            click_menu(browser, name)
            ready = '.o_superset_dashboard[data-status="ready"]'
            wait(browser, 120).until(EC.presence_of_element_located((By.CSS_SELECTOR, ready)))
            time.sleep(SETTLE)
            path = OUT / f"starter_{key}.png"
            browser.save_screenshot(str(path))
            print(f"{name}: {path}")
    finally:
        browser.quit()


if __name__ == "__main__":
    main(*sys.argv[1:])
