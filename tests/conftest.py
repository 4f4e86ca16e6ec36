"""End-to-end fixtures: a real Odoo server next to the Superset servers of ../conftest.py.

The Odoo server binds to a free loopback port and is stopped (by pid) at the end; its
folder, logs included, stays in .run/test/e2e for a look after a failure.
"""

import os
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService

from devstack import odoo as odoo_stack
from devstack import settings

MODULE = "superset_connector"
CHROMIUM = os.environ.get("SC_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SC_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def e2e_dir():
    path = Path(os.environ.get("SC_TEST_DIR") or settings.RUN_DIR / "test") / "e2e"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


class OdooServer:
    def __init__(self, url, db):
        self.url = url
        self.db = db


@pytest.fixture(scope="session")
def odoo_db(stack, e2e_dir):
    """The database the end-to-end Odoo serves: given by `make test`, else built here."""
    given = os.environ.get("SC_TEST_E2E_DB")
    if given:
        yield given
        return
    db = f"sc_e2e_{os.getpid()}"
    odoo_stack.install(stack, stack.template("apps"), db, e2e_dir / "install.log")
    yield db
    odoo_stack.drop_db(db)


@pytest.fixture(scope="session")
def odoo_server(stack, e2e_dir, odoo_db, odoo_port):
    server = odoo_stack.start(stack.odoo_venv, stack.odoo_path, odoo_db, odoo_port, e2e_dir / "odoo")
    yield OdooServer(f"http://127.0.0.1:{odoo_port}", odoo_db)
    server.stop()


@pytest.fixture
def scratch_db(stack):
    """Names of throw-away databases, dropped after the test."""
    names = []

    def make(label):
        name = f"sc_scratch_{label}_{os.getpid()}"
        names.append(name)
        return name

    yield make
    for name in names:
        odoo_stack.drop_db(name)


@pytest.fixture(scope="session")
def artifacts_dir():
    """Screenshots and browser logs the tests leave for a look (.run/test/artifacts)."""
    path = Path(os.environ.get("SC_TEST_DIR") or settings.RUN_DIR / "test") / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser(artifacts_dir, request):
    """Headless Chromium from Debian, driven through its chromedriver (Selenium)."""
    options = webdriver.ChromeOptions()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=ChromeService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    if getattr(request.node, "rep_call", None) is None or request.node.rep_call.failed:
        driver.save_screenshot(str(artifacts_dir / f"failed-{request.node.name}.png"))
    driver.quit()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report  # lets fixtures see whether the test failed
    return report
