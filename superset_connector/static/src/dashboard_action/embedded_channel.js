/**
 * Superset's embedded-dashboard protocol, spoken from the host page.
 *
 * On the iframe's load the host posts `{type: "__embedded_comms__", handshake: "port
 * transfer"}` with one end of a MessageChannel; then both sides exchange "switchboard"
 * messages on it: `emit` (fire and forget, e.g. the guest token), `get` (a call that
 * expects a `reply` or an `error` with the same messageId).
 */

export const COMMS_MESSAGE_TYPE = "__embedded_comms__";

export class EmbeddedChannel {
    /**
     * @param {Window} targetWindow the iframe's contentWindow
     * @param {string} targetOrigin Superset's origin: the port is only handed to it
     * @param {Object} [options]
     * @param {Object<string, Function>} [options.methods] answers to the iframe's `get` requests
     */
    constructor(targetWindow, targetOrigin, { methods = {} } = {}) {
        this.targetWindow = targetWindow;
        this.targetOrigin = targetOrigin;
        this.methods = methods;
        this.pending = new Map();
        this.nextId = 1;
        this.port = null;
    }

    /** Hand one end of a fresh MessageChannel to the embedded page. */
    open() {
        const channel = new MessageChannel();
        this.port = channel.port1;
        this.onPortMessage = (event) => this._onMessage(event.data);
        this.port.addEventListener("message", this.onPortMessage);
        this.port.start(); // needed with addEventListener (onmessage would start it implicitly)
        this.targetWindow.postMessage({ type: COMMS_MESSAGE_TYPE, handshake: "port transfer" }, this.targetOrigin, [
            channel.port2,
        ]);
    }

    /** Give the embedded page a guest token (the first one, or a fresh one). */
    emitGuestToken(guestToken) {
        this.emit("guestToken", { guestToken });
    }

    emit(method, args) {
        this.port?.postMessage({ switchboardAction: "emit", method, args });
    }

    /**
     * Call a method of the embedded page; rejects on an error reply, on timeout, or
     * when the channel closes first.
     */
    get(method, args = undefined, timeout = 10000) {
        if (!this.port) {
            return Promise.reject(new Error("channel not open"));
        }
        const messageId = `m_odoo_${this.nextId++}`;
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending.delete(messageId);
                reject(new Error(`no answer to ${method} within ${timeout} ms`));
            }, timeout);
            this.pending.set(messageId, { resolve, reject, timer });
            this.port.postMessage({ switchboardAction: "get", method, messageId, args });
        });
    }

    close() {
        for (const { reject, timer } of this.pending.values()) {
            clearTimeout(timer);
            reject(new Error("channel closed"));
        }
        this.pending.clear();
        if (this.port) {
            this.port.removeEventListener("message", this.onPortMessage);
            this.port.close();
            this.port = null;
        }
    }

    async _onMessage(message) {
        if (!message || typeof message !== "object") {
            return;
        }
        const { switchboardAction: action, messageId } = message;
        if (action === "get") {
            this.port?.postMessage(await this._answer(message));
        } else if (action === "emit") {
            this.methods[message.method]?.(message.args);
        } else if ((action === "reply" || action === "error") && this.pending.has(messageId)) {
            const { resolve, reject, timer } = this.pending.get(messageId);
            clearTimeout(timer);
            this.pending.delete(messageId);
            if (action === "reply") {
                resolve(message.result);
            } else {
                reject(new Error(message.error));
            }
        }
    }

    async _answer({ method, messageId, args }) {
        const handler = this.methods[method];
        if (!handler) {
            return { switchboardAction: "error", messageId, error: `[odoo] Method "${method}" is not defined` };
        }
        try {
            return { switchboardAction: "reply", messageId, result: await handler(args) };
        } catch {
            return { switchboardAction: "error", messageId, error: `[odoo] Method "${method}" threw an error` };
        }
    }
}

/**
 * The embedded page's address, with Superset's display options, language and the native
 * filters it opens with.
 *
 * @param {string} supersetUrl
 * @param {string} embeddedUuid
 * @param {{ui_config: number, show_filters: boolean, expand_filters: boolean, locale?: string}} uiConfig
 * @param {string} [nativeFilters] the page's initial native filters, as the server wrote them (rison)
 */
export function embeddedUrl(supersetUrl, embeddedUuid, uiConfig, nativeFilters = "") {
    const params = new URLSearchParams({
        uiConfig: String(uiConfig.ui_config || 0),
        show_filters: String(Boolean(uiConfig.show_filters)),
        expand_filters: String(Boolean(uiConfig.expand_filters)),
    });
    if (uiConfig.locale) {
        params.set("_l_", uiConfig.locale); // Superset's locale argument for one page
    }
    if (nativeFilters) {
        params.set("native_filters", nativeFilters);
    }
    return `${supersetUrl.replace(/\/+$/, "")}/embedded/${encodeURIComponent(embeddedUuid)}?${params}`;
}
