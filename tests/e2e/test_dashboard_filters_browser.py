"""Dashboards that speak Odoo, in a real Chromium against the real Odoo and Superset:
opened from a product filtered to that product (and still to the user's companies), the
filters a user leaves remembered for the next opening, and forgotten by Reset filters."""

import pytest
from browser_helpers import dashboard_status, log_in, open_from_menu, wait
from odoo_rpc import OdooRpc
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from odoo.addons.superset_connector.services.superset_client import SupersetClient
from odoo.addons.superset_connector.services.superset_content import Cell, chart, dashboard

from devstack import postgres, settings

PASSWORD = "filters-test-pw"
TITLE = "Product sales"
PRODUCTS = ("Filter widget", "Filter gadget")


def _native_filter(dataset_id):
    return {
        "id": "NATIVE_FILTER-product",
        "name": "Product",
        "filterType": "filter_select",
        "type": "NATIVE_FILTER",
        "targets": [{"datasetId": dataset_id, "column": {"name": "product"}}],
        "controlValues": {"enableEmptyFilter": False, "multiSelect": True, "inverseSelection": False},
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
        "description": "",
        "chartsInScope": [],
    }


@pytest.fixture(scope="module")
def shop(odoo_server, superset, rls_content):
    """In Superset, a dashboard of sales per company and product with a Product filter;
    in Odoo, the two products, the dashboard synced and its filter opened from products
    (by their name), and a user of two companies, one of them active."""
    admin = OdooRpc(odoo_server.url, odoo_server.db)
    admin.use_superset(superset, token_mode="local", token_ttl=300)
    other = admin.call("res.company", "create", {"name": "Filters company 2"})
    rows = ", ".join(
        f"({int(company)}, '{product}', {10 * int(company) + n})"
        for company in (1, other)
        for n, product in enumerate(PRODUCTS)
    )
    # The test's own integers and names: nothing from outside.
    insert = f"INSERT INTO product_lines VALUES {rows};"  # noqa: S608
    postgres.psql(
        "DROP TABLE IF EXISTS product_lines;"
        "CREATE TABLE product_lines (company_id integer NOT NULL, product text NOT NULL, amount numeric NOT NULL);"
        + insert,
        db=rls_content["source_db"],
    )
    user, password = settings.superset_admin()
    client = SupersetClient(superset.url, user, password, retries=0)
    dataset = client.post_json(
        "/api/v1/dataset/",
        {"database": rls_content["database_id"], "schema": "public", "table_name": "product_lines"},
    )["id"]
    params = {
        "viz_type": "table",
        "query_mode": "aggregate",
        "groupby": ["company_id", "product"],
        "metrics": [{"expressionType": "SQL", "sqlExpression": "SUM(amount)", "label": "Total"}],
        "row_limit": 100,
    }
    table = chart(client, "Sales per product", dataset, params)
    board = dashboard(client, TITLE, [[Cell(table, "Sales per product", 12)]], [_native_filter(dataset)])
    products = {name: admin.call("product.product", "create", {"name": name}) for name in PRODUCTS}
    admin.call("superset.dashboard", "action_sync_from_superset")
    (found,) = admin.call("superset.dashboard", "search_read", [["superset_dashboard_id", "=", board]], ["id"])
    admin.call("superset.dashboard", "write", [found["id"]], {"group_ids": [[5, 0, 0]], "sequence": 5})
    (line,) = admin.call(
        "superset.dashboard.filter",
        "search_read",
        [["dashboard_id", "=", found["id"]], ["filter_id", "=", "NATIVE_FILTER-product"]],
        ["id"],
    )
    model = admin.call("ir.model", "search", [["model", "=", "product.product"]])[0]
    admin.call("superset.dashboard.filter", "write", [line["id"]], {"model_id": model, "value_field": "name"})
    admin.call(
        "res.users",
        "create",
        {
            "name": "Fiona",
            "login": "fiona",
            "password": PASSWORD,
            "company_id": 1,
            "company_ids": [[6, 0, [1, other]]],
            "groups_id": [[4, admin.ref("superset_connector.group_superset_user")], [4, admin.ref("base.group_user")]],
        },
    )
    admin.warm_assets("/web/login", "/odoo")
    yield {"url": odoo_server.url, "products": products, "other": other}
    admin.call("superset.dashboard", "write", [found["id"]], {"active": False})
    for resource, object_id in (("dashboard", board), ("chart", table), ("dataset", dataset)):
        client.request("DELETE", f"/api/v1/{resource}/{object_id}", check=False)


def table_rows(browser, expected, timeout=60):
    """The (company id, product) rows of the dashboard's table once they are `expected` (a set)."""
    wait(browser, timeout).until(lambda b: dashboard_status(b) in ("ready", "error"))
    assert dashboard_status(browser) == "ready", browser.find_element(By.CSS_SELECTOR, ".o_superset_dashboard").text
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.o_superset_iframe"))
    read = (
        "return [...document.querySelectorAll('table tbody tr')]"
        ".map(row => [...row.querySelectorAll('td')].map(cell => cell.textContent.trim()));"
    )
    try:
        try:
            return wait(browser, timeout).until(
                lambda b: (rows := {tuple(r[:2]) for r in b.execute_script(read) if len(r) >= 2}) == expected and rows
            )
        except TimeoutException:
            raise AssertionError(f"rows {browser.execute_script(read)}, expected {expected}") from None
    finally:
        browser.switch_to.default_content()


def test_opened_from_a_product_then_remembered_then_reset(browser, shop):
    """From the product's Action menu, the dashboard shows that product's rows only, of
    the user's active company only; left and opened again from its menu, it still does
    (the filter was remembered); Reset filters shows every product again."""
    log_in(browser, shop["url"], "fiona", PASSWORD)
    widget = shop["products"][PRODUCTS[0]]
    browser.get(f"{shop['url']}/odoo/product.product/{widget}")
    wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".o_cp_action_menus button"))).click()
    entry = (By.XPATH, f"//*[contains(@class,'dropdown-item')][contains(normalize-space(), '{TITLE}')]")
    wait(browser).until(EC.element_to_be_clickable(entry)).click()
    assert table_rows(browser, {("1", PRODUCTS[0])})
    # Remembered once the page has told Odoo its filters: the button says so.
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".o_superset_reset_filters")))

    browser.get(f"{shop['url']}/odoo/product.product/{widget}")  # the dashboard left
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".o_form_view")))
    open_from_menu(browser, {"url": shop["url"]}, TITLE)
    assert table_rows(browser, {("1", PRODUCTS[0])})

    shown = browser.find_element(By.CSS_SELECTOR, "iframe.o_superset_iframe")
    wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".o_superset_reset_filters"))).click()
    wait(browser).until(EC.staleness_of(shown))
    assert table_rows(browser, {("1", PRODUCTS[0]), ("1", PRODUCTS[1])})
    assert not browser.find_elements(By.CSS_SELECTOR, ".o_superset_reset_filters")
