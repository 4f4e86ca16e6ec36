"""Dashboard bundles in a real Chromium against the real Odoo server: a manager uploads a
dashboard export in the form and sees what it holds; a file that is not one is refused
on save with the reason; importing before Superset reads the analytics views says what
to do. (The import itself, end to end: tests/e2e/test_analytics_apps.py.)"""

import pytest
from browser_helpers import log_in, wait
from odoo_rpc import OdooRpc
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from odoo.addons.superset_connector.services.superset_client import SupersetClient

from devstack import settings

PASSWORD = "bundle-manager-pw"


@pytest.fixture(scope="module")
def manager(odoo_server, superset):
    admin = OdooRpc(odoo_server.url, odoo_server.db)
    user, password = settings.superset_admin()
    admin.set_params(url=superset.url, username=user, password=password, analytics_database_id="")
    admin.call(
        "res.users",
        "create",
        {
            "name": "Bundle Manager",
            "login": "bundle_manager",
            "password": PASSWORD,
            "groups_id": [[4, admin.ref("superset_connector.group_superset_manager")]],
        },
    )
    admin.warm_assets("/odoo")
    return "bundle_manager"


@pytest.fixture
def export_file(superset, rls_content, tmp_path):
    user, password = settings.superset_admin()
    client = SupersetClient(superset.url, user, password, retries=0)
    path = tmp_path / "rls_sales.zip"
    path.write_bytes(client.export("dashboard", [rls_content["dashboards"]["sales"]]))
    return path


def _field(browser, name):
    """What a form field shows: its text, or the value of its input (a file's name)."""
    widget = browser.find_element(By.CSS_SELECTOR, f".o_form_view .o_field_widget[name={name}]")
    values = [i.get_attribute("value") or "" for i in widget.find_elements(By.CSS_SELECTOR, "input:not([type=file])")]
    return " ".join(part for part in [widget.text, *values] if part)


def _dialog(browser):
    try:
        return (
            wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".modal-dialog .modal-body"))).text
        )
    except TimeoutException:
        pytest.fail("an error dialog should open")


def test_a_manager_uploads_a_bundle_and_is_told_what_is_missing(browser, odoo_server, manager, export_file, tmp_path):
    log_in(browser, odoo_server.url, manager, PASSWORD)
    browser.get(f"{odoo_server.url}/odoo/action-superset_connector.superset_dashboard_bundle_action/new")
    name = wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".o_field_widget[name=name] input")))
    name.send_keys("RLS sales from staging")

    garbage = tmp_path / "notes.zip"
    garbage.write_bytes(b"these are notes, not a dashboard export")
    browser.find_element(By.CSS_SELECTOR, ".o_field_widget[name=data] input[type=file]").send_keys(str(garbage))
    wait(browser).until(lambda b: "notes.zip" in _field(b, "data"))
    browser.find_element(By.CSS_SELECTOR, ".o_form_button_save").click()
    assert "The file is not a ZIP archive" in _dialog(browser)
    browser.find_element(By.CSS_SELECTOR, ".modal-footer .btn-primary").click()

    browser.find_element(By.CSS_SELECTOR, ".o_field_widget[name=data] input[type=file]").send_keys(str(export_file))
    wait(browser).until(lambda b: "rls_sales.zip" in _field(b, "data"))
    browser.find_element(By.CSS_SELECTOR, ".o_form_button_save").click()
    try:
        wait(browser).until(lambda b: _field(b, "dashboard_titles") == "RLS sales")
    except TimeoutException:
        pytest.fail("the saved bundle should show the dashboard it holds")
    assert _field(browser, "chart_count") == "2"
    assert _field(browser, "dataset_names") == "regions, sales"
    assert "Not imported" in browser.find_element(By.CSS_SELECTOR, ".o_statusbar_status").text

    browser.find_element(By.XPATH, "//button[normalize-space()='Import into Superset']").click()
    assert "an administrator clicks Connect Superset" in _dialog(browser)
