"""No false "The page is out of date" notification when moving between pages in Chromium,
and still the true one when notifications were really lost.

What the demo showed: after logging in, every full page load brought Odoo's sticky
"The page is out of date — Save your work and refresh" warning. The bus websocket lives in
a SharedWorker; on a full page load Chromium closes that websocket (close code 1001, Going
Away) while the worker itself survives, so the next page finds the worker DISCONNECTED and
receives its "reconnect". Odoo's outdated-page watcher (in the Odoo 18.0 nightly of
2025-05-06) then asks /bus/has_missed_notifications about the last notification id *this
page* noted at a disconnect it never saw: null, which the server always answers "missed".
Upstream fixed it (odoo/odoo#208625, #209609) by noting the id every tab shares; the
addon's static/src/bus/outdated_page_watcher_patch.js does the same on older sources.

The first test loads pages the way the user did (full page loads, as a URL typed or a
refresh), and on each waits until the websocket is open again and every missed-notification
check the watcher made has been answered, then asserts that none answered "missed", that
the worker never said "outdated", and that no such notification is shown. The second one
takes the websocket down while the notifications the page received are deleted (what the
bus garbage collection does during a long disconnection) and asserts the warning comes.
"""

import json

import pytest
from browser_helpers import log_in, wait
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from devstack import postgres

# Full page loads, each reusing the bus worker the previous page left.
PAGES = (
    "/odoo/discuss",
    "/odoo/settings",
    "/odoo/action-superset_connector.superset_dashboard_action",
    "/odoo/discuss",
    "/odoo",
)
OUTDATED_TITLE = "The page is out of date"

# Installed before any script of a page: records what the page hears from the bus worker
# and the watcher's /bus/has_missed_notifications answers. It observes, changes nothing.
RECORDER = r"""
(() => {
    const rec = (window.__scBus = {
        initialState: null, state: null, opened: false, events: [], received: 0, pending: 0, missed: [],
    });
    const NativeSharedWorker = window.SharedWorker;
    if (NativeSharedWorker) {
        window.SharedWorker = function (...args) {
            const worker = new NativeSharedWorker(...args);
            worker.port.addEventListener("message", ({ data }) => {
                const { type, data: detail } = data || {};
                if (type === "worker_state_updated") {
                    const first = rec.initialState === null;
                    rec.initialState ??= detail;
                    rec.state = detail;
                    // Open for this page: found open, or reopened (connect) since it closed.
                    rec.opened = detail === "CONNECTED" && (first || rec.opened);
                } else if (type === "notification") {
                    rec.received += data.data.length;
                } else if (type === "connect" || type === "reconnect" || type === "outdated") {
                    rec.events.push(type);
                    rec.opened = rec.opened || type !== "outdated";
                }
            });
            return worker;
        };
        window.SharedWorker.prototype = NativeSharedWorker.prototype;
    }
    const open = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (method, url, ...rest) {
        if (String(url).includes("/bus/has_missed_notifications")) {
            rec.pending++;
            this.addEventListener("loadend", () => {
                rec.pending--;
                let answer = null;
                try {
                    answer = JSON.parse(this.responseText).result;
                } catch {
                    answer = `unreadable: ${this.status}`;
                }
                rec.missed.push(answer);
            });
        }
        return open.call(this, method, url, ...rest);
    };
})();
"""


def bus_record(browser):
    return browser.execute_script("return window.__scBus || null;")


def settled(browser):
    """The websocket is open for this page and every missed-notification check is answered."""
    rec = bus_record(browser)
    if rec and rec["state"] == "CONNECTED" and rec["opened"] and rec["pending"] == 0:
        return rec
    return False


def outdated_notifications(browser):
    return [n.text for n in browser.find_elements(By.CSS_SELECTOR, ".o_notification") if OUTDATED_TITLE in n.text]


def test_pages_are_not_reported_out_of_date(browser, odoo_server):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    log_in(browser, odoo_server.url, "admin", "admin")
    visits = []
    for path in ("(after login)", *PAGES):
        if path != "(after login)":
            browser.get(odoo_server.url + path)
            wait(browser, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".o_main_navbar")))
        try:
            rec = wait(browser, 60).until(settled)
        except TimeoutException:
            pytest.fail(f"{path}: the bus websocket did not open again; the bus worker said {bus_record(browser)}")
        visits.append((path, rec))
        shown = outdated_notifications(browser)
        assert not shown, f"{path}: shows {shown} while the websocket is connected; bus: {json.dumps(rec)}"
        assert "outdated" not in rec["events"], f"{path}: the bus worker called this page outdated: {rec}"
        assert True not in rec["missed"], (
            f"{path}: /bus/has_missed_notifications answered 'missed' (the out-of-date warning follows); "
            f"bus: {json.dumps(rec)}"
        )
    # The case the demo hit: a page receiving the websocket's reopening from a worker an
    # earlier page left behind. Without it this test would prove nothing.
    reused = [path for path, rec in visits if rec["initialState"] not in (None, "IDLE") and rec["events"]]
    assert reused, f"no page reopened the websocket through an earlier page's worker: {visits}"
    assert not outdated_notifications(browser)


def set_offline(browser, offline):
    """Chromium's own network switch: the page gets its offline/online events, on which
    Odoo's bus service stops the websocket and, back online, opens it again."""
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def test_notifications_really_missed_still_say_out_of_date(browser, odoo_server):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
    browser.execute_cdp_cmd("Network.enable", {})
    log_in(browser, odoo_server.url, "admin", "admin")
    try:
        wait(browser, 60).until(lambda b: settled(b) and bus_record(b)["received"] > 0)
    except TimeoutException:
        pytest.fail(f"the page received no bus notification; the bus worker said {bus_record(browser)}")
    set_offline(browser, True)
    try:
        # Lost while the websocket is down: every notification the page had received.
        postgres.psql("DELETE FROM bus_bus", db=odoo_server.db)
    finally:
        set_offline(browser, False)
    try:
        rec = wait(browser, 60).until(lambda b: (rec := settled(b)) and rec["missed"] and rec)
    except TimeoutException:
        pytest.fail(
            f"the watcher asked nothing after the websocket came back; the bus worker said {bus_record(browser)}"
        )
    assert rec["missed"] == [True], f"the lost notifications went unnoticed: {rec}"
    try:
        wait(browser, 30).until(outdated_notifications)
    except TimeoutException:
        pytest.fail(f"no out-of-date warning although notifications were lost; bus: {json.dumps(rec)}")
