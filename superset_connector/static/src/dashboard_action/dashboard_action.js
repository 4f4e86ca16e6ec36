import { Component, onMounted, onWillUnmount, status, useRef, useState } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { ControlPanel } from "@web/search/control_panel/control_panel";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { EmbeddedChannel, embeddedUrl } from "./embedded_channel";
import { refreshDelay, remainingLifetime, retryDelay } from "./token_schedule";

// How long the embedded page may take to answer its first call before we look for why.
export const HANDSHAKE_TIMEOUT_MS = 15000;
// How long the browser may take to reach Superset before it is called slow.
export const PROBE_TIMEOUT_MS = 2500;
const SIZE_POLL_MS = 1500;
// How long the filters must stay put before they are remembered (one call per change).
export const FILTERS_SAVE_DELAY_MS = 800;
const NATIVE_FILTER_PREFIX = "NATIVE_FILTER-"; // Superset's ids of native filters in a data mask

/**
 * The record the dashboard is opened from (its Action menu), or null: the server decides
 * what it filters.
 */
function recordOf(action) {
    const { active_model: model, active_id: id } = action.context || {};
    return model && Number.isInteger(id) ? { model, id } : null;
}

/** The native filters of a data mask the embedded page emits (cross filters, chart states aside). */
function nativeFilters(dataMask) {
    const entries = Object.entries(dataMask || {}).filter(([key]) => key.startsWith(NATIVE_FILTER_PREFIX));
    return Object.fromEntries(
        entries.map(([key, entry]) => [key, { extraFormData: entry?.extraFormData, filterState: entry?.filterState }]),
    );
}

/**
 * A Superset dashboard inside the Odoo web client (client action
 * `superset_connector.dashboard`, params `{dashboard_id}`).
 *
 * The server decides everything (who may see what, which companies, which rules) and
 * hands a guest token over; this component only embeds Superset's page, speaks its
 * protocol, renews the token before it expires, hands the filters the user leaves to the
 * server (which remembers them, and says which ones the page opens with) and shows what
 * the server said when something is wrong.
 */
export class SupersetDashboardAction extends Component {
    static template = "superset_connector.DashboardAction";
    static components = { ControlPanel };
    static props = { ...standardActionServiceProps };

    setup() {
        this.dashboardId = this.props.action.params?.dashboard_id;
        this.frameRef = useRef("frame");
        this.iframeRef = useRef("iframe");
        this.record = recordOf(this.props.action);
        this.state = useState({
            status: "loading",
            src: null,
            error: null,
            height: null,
            slow: false,
            remembered: false,
        });
        this.timers = new Set();
        this.channel = null;
        this.payload = null;
        onMounted(() => this.load());
        onWillUnmount(() => this.teardown());
    }

    // --- life cycle --------------------------------------------------------------

    async load() {
        this.teardown();
        Object.assign(this.state, { status: "loading", src: null, error: null, height: null, slow: false });
        let payload, filters;
        try {
            [payload, filters] = await Promise.all([this.fetchToken(), this.fetchFilters()]);
        } catch {
            return this.fail("network", _t("Odoo could not be reached. Check your connection, then retry."));
        }
        if (this.destroyed) {
            return;
        }
        const refusal = payload.error || filters.error;
        if (refusal) {
            return this.fail(refusal.code, refusal.message);
        }
        this.state.remembered = Boolean(filters.remembered);
        this.lastFilters = null;
        const probe = await this.probeSuperset(payload.superset_url);
        if (this.destroyed) {
            return;
        }
        if (probe === "unreachable") {
            return this.fail(
                "superset_unavailable",
                _t("Superset is unavailable: your browser cannot reach %s. Retry in a moment.", payload.superset_url),
            );
        }
        // Slow is not down (a busy Superset answers late): embed anyway, and say so; the
        // handshake timeout finds out why if the page never answers.
        this.state.slow = probe === "slow";
        this.accept(payload);
        this.state.src = embeddedUrl(
            payload.superset_url,
            payload.embedded_uuid,
            payload.ui_config,
            filters.native_filters,
        );
        this.state.status = "embedding";
    }

    teardown() {
        for (const timer of this.timers) {
            browser.clearTimeout(timer);
        }
        this.timers.clear();
        this.channel?.close();
        this.channel = null;
    }

    // --- the embedded page ---------------------------------------------------------

    onIframeLoad() {
        const iframe = this.iframeRef.el;
        if (!iframe || !this.payload || this.state.status !== "embedding") {
            return;
        }
        this.channel?.close();
        const channel = new EmbeddedChannel(iframe.contentWindow, new URL(this.payload.superset_url).origin, {
            methods: { observeDataMask: (dataMask) => this.channel === channel && this.onDataMask(dataMask) },
        });
        this.channel = channel;
        channel.open();
        channel.emitGuestToken(this.payload.token);
        this.scheduleRefresh();
        // The first answer proves the embedded page is alive; none in time: find out why.
        // (Only for the current channel: a page loaded twice closes the first one.)
        channel
            .get("getScrollSize", undefined, HANDSHAKE_TIMEOUT_MS)
            .then((size) => {
                if (this.channel === channel) {
                    this.state.status = "ready";
                    this.applySize(size);
                    this.later(() => this.pollSize(), SIZE_POLL_MS);
                }
            })
            .catch(() => !this.destroyed && this.channel === channel && this.diagnose());
    }

    async pollSize() {
        try {
            this.applySize(await this.channel.get("getScrollSize", undefined, SIZE_POLL_MS * 2));
        } catch {
            return; // the channel closed: this dashboard is gone or reloading
        }
        this.later(() => this.pollSize(), SIZE_POLL_MS);
    }

    /** Fill the action area; grow with the dashboard when it is taller. */
    applySize(size) {
        const available = this.frameRef.el?.clientHeight || 0;
        const wanted = Math.ceil(size?.height || 0);
        this.state.height = wanted > available ? wanted : null;
    }

    // --- filters -------------------------------------------------------------------

    fetchFilters() {
        return rpc(`/superset_connector/dashboards/${this.dashboardId}/filters`, {
            record: this.record,
            context: user.context,
        });
    }

    /** The page's filters changed (or it says so again): remembered once they stay put. */
    onDataMask(dataMask) {
        const filters = nativeFilters(dataMask);
        const key = JSON.stringify(filters);
        if (key === this.lastFilters) {
            return; // the page emits on every chart's redraw, not only on a filter's change
        }
        this.lastFilters = key;
        browser.clearTimeout(this.saveTimer);
        this.timers.delete(this.saveTimer);
        this.saveTimer = this.later(() => this.saveFilters(filters), FILTERS_SAVE_DELAY_MS);
    }

    async saveFilters(filters) {
        let result;
        try {
            result = await rpc(`/superset_connector/dashboards/${this.dashboardId}/filters/save`, {
                data_mask: filters,
                context: user.context,
            });
        } catch {
            return; // remembered at the next change; the dashboard itself is unaffected
        }
        if (!this.destroyed && result && !result.error) {
            this.state.remembered = Boolean(result.saved);
        }
    }

    async onResetFilters() {
        try {
            await rpc(`/superset_connector/dashboards/${this.dashboardId}/filters/reset`, { context: user.context });
        } catch {
            return this.fail("network", _t("Odoo could not be reached. Check your connection, then retry."));
        }
        this.record = null; // the dashboard's own defaults, whatever it was opened from
        this.load();
    }

    // --- tokens --------------------------------------------------------------------

    fetchToken() {
        return rpc(`/superset_connector/dashboards/${this.dashboardId}/guest_token`, { context: user.context });
    }

    accept(payload) {
        this.payload = payload;
        this.receivedAt = Date.now();
    }

    scheduleRefresh() {
        // One renewal pending at a time, even if the page loads twice.
        browser.clearTimeout(this.refreshTimer);
        this.timers.delete(this.refreshTimer);
        this.refreshTimer = this.later(() => this.refreshToken(0), refreshDelay(this.payload, this.receivedAt));
    }

    async refreshToken(attempt) {
        let payload;
        try {
            payload = await this.fetchToken();
        } catch {
            payload = null;
        }
        if (this.destroyed || !this.channel) {
            return;
        }
        if (payload && !payload.error) {
            this.accept(payload);
            this.channel.emitGuestToken(payload.token);
            return this.scheduleRefresh();
        }
        if (payload?.error && !payload.error.retryable) {
            // The server refuses for good (access removed, dashboard archived...): say so.
            return this.fail(payload.error.code, payload.error.message);
        }
        if (attempt >= 3 && !remainingLifetime(this.payload, this.receivedAt)) {
            // The token has expired and renewing keeps failing: the dashboard stops answering.
            return this.fail(
                payload?.error?.code || "network",
                payload?.error?.message || _t("The dashboard's access could not be renewed. Retry."),
            );
        }
        this.refreshTimer = this.later(() => this.refreshToken(attempt + 1), retryDelay(attempt));
    }

    // --- errors --------------------------------------------------------------------

    /**
     * "reachable", "unreachable" (the browser got no answer at all: refused, no route, a
     * name that does not resolve) or "slow" (no answer within PROBE_TIMEOUT_MS).
     */
    async probeSuperset(supersetUrl) {
        const controller = new AbortController();
        let timer;
        const slow = new Promise((resolve) => {
            timer = browser.setTimeout(() => {
                resolve("slow"); // settled before the abort below rejects the fetch
                controller.abort();
            }, PROBE_TIMEOUT_MS);
        });
        // An opaque answer is enough: it proves a server answered at that address.
        const answer = browser
            .fetch(`${supersetUrl.replace(/\/+$/, "")}/health`, {
                mode: "no-cors",
                cache: "no-store",
                credentials: "omit",
                signal: controller.signal,
            })
            .then(
                () => "reachable",
                () => "unreachable",
            );
        try {
            return await Promise.race([answer, slow]);
        } finally {
            browser.clearTimeout(timer);
        }
    }

    /** The embedded page loaded but does not answer: ask the server why. */
    async diagnose() {
        let result;
        try {
            result = await rpc(`/superset_connector/dashboards/${this.dashboardId}/diagnose`, {
                context: user.context,
            });
        } catch {
            result = null;
        }
        if (!this.destroyed) {
            this.fail(
                result?.code || "embedding_failed",
                result?.message || _t("Superset's embedded page did not answer. Retry, or ask your administrator."),
            );
        }
    }

    fail(code, message) {
        this.teardown();
        Object.assign(this.state, { status: "error", src: null, error: { code, message } });
    }

    // --- buttons -------------------------------------------------------------------

    onReload() {
        this.load();
    }

    onFullScreen() {
        this.iframeRef.el?.requestFullscreen?.();
    }

    later(callback, delay) {
        const timer = browser.setTimeout(() => {
            this.timers.delete(timer);
            callback();
        }, delay);
        this.timers.add(timer);
        return timer;
    }

    get destroyed() {
        return status(this) === "destroyed";
    }
}

registry.category("actions").add("superset_connector.dashboard", SupersetDashboardAction);
