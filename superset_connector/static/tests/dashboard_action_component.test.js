import { describe, expect, test } from "@odoo/hoot";
import { queryOne } from "@odoo/hoot-dom";
import { advanceTime, animationFrame } from "@odoo/hoot-mock";
import { Component, xml } from "@odoo/owl";
import { defineModels, getService, mountWithCleanup, onRpc, webModels } from "@web/../tests/web_test_helpers";
import { registry } from "@web/core/registry";
import { WebClient } from "@web/webclient/webclient";

const { ResCompany, ResPartner, ResUsers } = webModels;
defineModels([ResCompany, ResPartner, ResUsers]);

class ElsewhereAction extends Component {
    static template = xml`<div class="o_elsewhere">elsewhere</div>`;
    static props = ["*"];
}
registry.category("actions").add("superset_connector_test.elsewhere", ElsewhereAction);

describe.current.tags("desktop");

const ROUTE = "/superset_connector/dashboards/7/guest_token";
const FILTERS = "/superset_connector/dashboards/7/filters";

function tokenPayload(index) {
    const serverTime = 1_000_000 + index * 100; // the server's clock, not the browser's
    return {
        token: `token-${index}`,
        expires_at: serverTime + 20,
        server_time: serverTime,
        superset_url: "http://superset.invalid",
        embedded_uuid: "uuid-7",
        ui_config: { ui_config: 1, show_filters: true, expand_filters: false },
    };
}

/**
 * The browser's probe of Superset (GET <superset>/health): answered (true), a network
 * failure (false), or "never" (a busy Superset that has not answered yet).
 */
function supersetAnswers(reachable) {
    onRpc(
        "/health",
        () => {
            if (reachable === "never") {
                return new Promise(() => {});
            }
            if (!reachable) {
                throw new TypeError("Failed to fetch");
            }
            return new Response("OK");
        },
        { pure: true },
    );
}

/**
 * Superset's embedded page, played on hoot's MessageChannel (a real cross-origin window
 * cannot receive hoot's ports). Returns the guest tokens it is handed, in order.
 */
function playEmbeddedPage(iframe) {
    const tokens = [];
    // The page's own emits to the host (observeDataMask), once the port is handed over.
    tokens.emit = (method, args) => tokens.port.postMessage({ switchboardAction: "emit", method, args });
    Object.defineProperty(iframe, "contentWindow", {
        value: {
            postMessage(data, origin, [port]) {
                expect(origin).toBe("http://superset.invalid");
                port.addEventListener("message", ({ data: message }) => {
                    if (message.method === "guestToken") {
                        tokens.push(message.args.guestToken);
                    } else if (message.method === "getScrollSize") {
                        const size = { width: 800, height: 5000 };
                        port.postMessage({ switchboardAction: "reply", messageId: message.messageId, result: size });
                    }
                });
                port.start();
                tokens.port = port;
            },
        },
    });
    return tokens;
}

/** Open the dashboard; filters: what the server's filters route answers (false: the test routes it). */
async function openDashboard({ filters = { native_filters: "", remembered: false }, context = {} } = {}) {
    if (filters) {
        onRpc(FILTERS, () => filters);
    }
    await mountWithCleanup(WebClient);
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "superset_connector.dashboard",
        name: "Sales",
        params: { dashboard_id: 7 },
        context,
    });
    await animationFrame();
}

test("embeds the page, renews the token before it expires, and stops everything when left", async () => {
    const asked = [];
    onRpc(ROUTE, async (request) => {
        const { params } = await request.json();
        asked.push(params.context.allowed_company_ids);
        return tokenPayload(asked.length);
    });
    supersetAnswers(true);
    await openDashboard();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toEqual([1]); // the active companies travel with the request
    const iframe = queryOne("iframe.o_superset_iframe");
    expect(iframe).toHaveAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    expect(iframe.getAttribute("sandbox")).toInclude("allow-scripts");
    expect(iframe.getAttribute("allow")).toInclude("fullscreen");

    const tokens = playEmbeddedPage(iframe);
    iframe.dispatchEvent(new Event("load"));
    iframe.dispatchEvent(new Event("load")); // loading twice must not schedule twice
    await advanceTime(100);
    await animationFrame();
    expect(".o_superset_dashboard").toHaveAttribute("data-status", "ready");
    expect(iframe.style.height).toBe("5000px"); // taller than the action area: the dashboard's own height
    expect(tokens.at(-1)).toBe("token-1");
    await advanceTime(14_000); // 20 s token, renewed 4 s early: not yet at 14 s...
    expect(asked).toHaveLength(1);
    await advanceTime(2_500); // ...done by 16.5 s
    await animationFrame();
    await advanceTime(100);
    expect(asked).toHaveLength(2);
    expect(tokens.at(-1)).toBe("token-2"); // handed over on the same channel, no reload

    await getService("action").doAction({ type: "ir.actions.client", tag: "superset_connector_test.elsewhere" });
    await animationFrame();
    expect(".o_elsewhere").toHaveCount(1);
    await advanceTime(600_000);
    expect(asked).toHaveLength(2); // no timer survived the action
});

test("a renewal refused for a while is retried; one the server says is final stops the dashboard", async () => {
    const answers = [
        tokenPayload(1),
        { error: { code: "superset_unavailable", message: "Not answering.", retryable: true } },
        tokenPayload(3),
        { error: { code: "access_denied", message: "You are not allowed to see this dashboard.", retryable: false } },
    ];
    let asked = 0;
    onRpc(ROUTE, () => answers[asked++]);
    supersetAnswers(true);
    await openDashboard();
    const iframe = queryOne("iframe.o_superset_iframe");
    const tokens = playEmbeddedPage(iframe);
    iframe.dispatchEvent(new Event("load"));
    await advanceTime(100);
    await animationFrame();
    await advanceTime(16_500); // the first renewal: refused, but the server says it may pass
    await animationFrame();
    expect(asked).toBe(2);
    expect(".o_superset_dashboard").toHaveAttribute("data-status", "ready");
    await advanceTime(10_000); // retried with backoff: a token again
    await animationFrame();
    expect(asked).toBe(3);
    expect(tokens.at(-1)).toBe("token-3");
    await advanceTime(20_000); // the next renewal: refused for good
    await animationFrame();
    expect(asked).toBe(4);
    expect(".o_superset_error_message").toHaveText("You are not allowed to see this dashboard.");
});

test("a refusal shows the server's message and a Retry button", async () => {
    let refuse = true;
    onRpc(ROUTE, () =>
        refuse ? { error: { code: "no_company", message: "Select one of your companies." } } : tokenPayload(1),
    );
    supersetAnswers(true);
    await openDashboard();
    expect(".o_superset_error_message").toHaveText("Select one of your companies.");
    expect("iframe").toHaveCount(0);
    refuse = false;
    queryOne(".o_superset_retry").click();
    await animationFrame();
    await animationFrame();
    expect("iframe.o_superset_iframe").toHaveCount(1);
});

test("a Superset the browser cannot reach is said at once", async () => {
    onRpc(ROUTE, () => tokenPayload(1));
    supersetAnswers(false);
    await openDashboard();
    expect(".o_superset_error_message").toHaveText(/^Superset is unavailable/);
    expect("iframe").toHaveCount(0);
});

test("a Superset slow to answer the probe is not called unavailable: the page is embedded, the wait said", async () => {
    onRpc(ROUTE, () => tokenPayload(1));
    supersetAnswers("never");
    await openDashboard();
    expect("iframe").toHaveCount(0); // still probing
    await advanceTime(2_600); // past the probe's 2.5 s
    await animationFrame();
    expect(".o_superset_error").toHaveCount(0);
    expect(".o_superset_slow").toHaveText(/^Superset is slow to answer/);
    const iframe = queryOne("iframe.o_superset_iframe");
    playEmbeddedPage(iframe);
    iframe.dispatchEvent(new Event("load"));
    await advanceTime(100);
    await animationFrame();
    expect(".o_superset_dashboard").toHaveAttribute("data-status", "ready");
    expect(".o_superset_slow").toHaveCount(0);
});

test("opens with the filters the server gives; the page's filter changes go back to be remembered", async () => {
    onRpc(ROUTE, () => tokenPayload(1));
    const saved = [];
    onRpc("/superset_connector/dashboards/7/filters/save", async (request) => {
        const { params } = await request.json();
        saved.push(params.data_mask);
        return { saved: true };
    });
    supersetAnswers(true);
    // (hoot blanks an iframe's address: the URL itself is tested in dashboard_action.test.js)
    const initial = "(NATIVE_FILTER-product:(filterState:(value:!('Task chair'))))";
    await openDashboard({ filters: { native_filters: initial, remembered: false } });
    const iframe = queryOne("iframe.o_superset_iframe");
    expect(".o_superset_reset_filters").toHaveCount(0); // nothing remembered yet
    const page = playEmbeddedPage(iframe);
    iframe.dispatchEvent(new Event("load"));
    await advanceTime(100);
    await animationFrame();

    const product = {
        id: "NATIVE_FILTER-product",
        extraFormData: { filters: [{ col: "product_name", op: "IN", val: ["Desk"] }] },
        filterState: { value: ["Desk"] },
        ownState: { clientView: { rows: 3 } },
    };
    const chart = { extraFormData: {}, filterState: {}, ownState: { clientView: { rows: 9 } } };
    page.emit("observeDataMask", { "NATIVE_FILTER-product": product, 12: chart, nativeFiltersChanged: true });
    await advanceTime(300);
    // The same filters again (a chart redrawn): not a change.
    page.emit("observeDataMask", { "NATIVE_FILTER-product": product, 12: { ...chart, ownState: {} } });
    await advanceTime(1_000);
    await animationFrame();
    expect(saved).toEqual([
        { "NATIVE_FILTER-product": { extraFormData: product.extraFormData, filterState: product.filterState } },
    ]);
    expect(".o_superset_reset_filters").toHaveCount(1);

    page.emit("observeDataMask", { "NATIVE_FILTER-product": { ...product, filterState: { value: [] } } });
    await advanceTime(100);
    await animationFrame();
    await advanceTime(1_000);
    await animationFrame();
    await advanceTime(100);
    await animationFrame();
    expect(saved).toHaveLength(2); // a filter cleared is a change too (the server forgets it)
});

test("opened from a record, the server is told which; Reset filters forgets and reopens with the defaults", async () => {
    onRpc(ROUTE, () => tokenPayload(1));
    const asked = [];
    let resets = 0;
    onRpc(FILTERS, async (request) => {
        const { params } = await request.json();
        asked.push(params.record);
        return { native_filters: resets ? "" : "(NATIVE_FILTER-product:())", remembered: !resets };
    });
    onRpc("/superset_connector/dashboards/7/filters/reset", () => {
        resets++;
        return { reset: true };
    });
    supersetAnswers(true);
    await openDashboard({ filters: false, context: { active_model: "product.product", active_id: 5 } });
    expect(asked).toEqual([{ model: "product.product", id: 5 }]);
    queryOne(".o_superset_reset_filters").click();
    await animationFrame();
    await animationFrame();
    expect(resets).toBe(1);
    expect(asked).toEqual([{ model: "product.product", id: 5 }, null]);
    expect(".o_superset_reset_filters").toHaveCount(0);
});

test("filters the server refuses (a record the user may not read) show its message", async () => {
    onRpc(ROUTE, () => tokenPayload(1));
    supersetAnswers(true);
    const refusal = { code: "record_not_allowed", message: "You may not read this product.", retryable: false };
    await openDashboard({ filters: { error: refusal }, context: { active_model: "product.product", active_id: 9 } });
    expect(".o_superset_error_message").toHaveText("You may not read this product.");
    expect("iframe").toHaveCount(0);
});
