import { describe, expect, test } from "@odoo/hoot";
import { advanceTime, tick } from "@odoo/hoot-mock";
import { EmbeddedChannel, embeddedUrl } from "@superset_connector/dashboard_action/embedded_channel";
import { refreshDelay, remainingLifetime, retryDelay } from "@superset_connector/dashboard_action/token_schedule";

describe.current.tags("desktop");

describe("token schedule", () => {
    test("refresh comes a fifth of the lifetime early, from the server's clock", () => {
        const payload = { expires_at: 1300, server_time: 1000 }; // 300 s left, server side
        const received = 5_000_000;
        expect(refreshDelay(payload, received, received)).toBe(240_000);
        // Ten seconds later in the browser: ten seconds less to wait.
        expect(refreshDelay(payload, received, received + 10_000)).toBe(230_000);
    });

    test("the browser's wrong clock does not matter", () => {
        // The server's expires_at is far in the browser's past: still 300 s left.
        const payload = { expires_at: 1300, server_time: 1000 };
        const browserNow = Date.UTC(2040, 0, 1);
        expect(refreshDelay(payload, browserNow, browserNow)).toBe(240_000);
    });

    test("short lifetimes keep at least 3 s of lead, long ones at most 60 s", () => {
        expect(refreshDelay({ expires_at: 20, server_time: 0 }, 0, 0)).toBe(16_000);
        expect(refreshDelay({ expires_at: 10, server_time: 0 }, 0, 0)).toBe(7_000);
        expect(refreshDelay({ expires_at: 3600, server_time: 0 }, 0, 0)).toBe(3_540_000);
    });

    test("an overdue refresh happens at once", () => {
        expect(refreshDelay({ expires_at: 20, server_time: 0 }, 0, 60_000)).toBe(0);
        expect(remainingLifetime({ expires_at: 20, server_time: 0 }, 0, 60_000)).toBe(0);
        expect(remainingLifetime({ expires_at: 20, server_time: 0 }, 0, 5_000)).toBe(15_000);
    });

    test("retries back off exponentially, capped", () => {
        expect([0, 1, 2, 3, 10].map(retryDelay)).toEqual([1000, 2000, 4000, 8000, 30000]);
    });
});

/** Let queued port messages through (each hop of hoot's MessageChannel takes a tick). */
async function flush() {
    for (let i = 0; i < 6; i++) {
        await tick();
    }
}

describe("embedded channel", () => {
    /**
     * Stands in for the iframe's window: keeps the port the host hands over, and plays
     * Superset's embedded page on it (hoot's MessageChannel carries the messages).
     */
    function embeddedPage({ answers = {} } = {}) {
        const page = { received: [], handshake: null, origin: null, port: null };
        page.window = {
            postMessage(data, origin, ports) {
                Object.assign(page, { handshake: data, origin, port: ports[0] });
                page.port.addEventListener("message", ({ data: message }) => {
                    page.received.push(message);
                    const answer = answers[message.method];
                    if (message.switchboardAction === "get" && answer) {
                        page.port.postMessage(answer(message));
                    }
                });
                page.port.start();
            },
        };
        return page;
    }

    test("hands a port to Superset's origin, then the guest token, fresh tokens on the same port", async () => {
        const page = embeddedPage();
        const channel = new EmbeddedChannel(page.window, "https://bi.example.com");
        channel.open();
        expect(page.handshake).toEqual({ type: "__embedded_comms__", handshake: "port transfer" });
        expect(page.origin).toBe("https://bi.example.com");
        channel.emitGuestToken("first");
        channel.emitGuestToken("second");
        await flush();
        expect(page.received).toEqual([
            { switchboardAction: "emit", method: "guestToken", args: { guestToken: "first" } },
            { switchboardAction: "emit", method: "guestToken", args: { guestToken: "second" } },
        ]);
        channel.close();
    });

    test("get resolves with the reply carrying its messageId, not another one", async () => {
        const page = embeddedPage({
            answers: {
                getScrollSize: ({ messageId }) => ({
                    switchboardAction: "reply",
                    messageId,
                    result: { width: 800, height: 1200 },
                }),
            },
        });
        const channel = new EmbeddedChannel(page.window, "https://bi.example.com");
        channel.open();
        const size = channel.get("getScrollSize", undefined, 2000);
        page.port.postMessage({ switchboardAction: "reply", messageId: "someone-else", result: null });
        await flush();
        await expect(size).resolves.toEqual({ width: 800, height: 1200 });
        channel.close();
    });

    test("get rejects on an error reply, on timeout, and when the channel closes", async () => {
        const page = embeddedPage({
            answers: { broken: ({ messageId }) => ({ switchboardAction: "error", messageId, error: "boom" }) },
        });
        const channel = new EmbeddedChannel(page.window, "https://bi.example.com");
        channel.open();
        const broken = expect(channel.get("broken", undefined, 2000)).rejects.toThrow("boom");
        await flush();
        await broken;
        const silent = channel.get("silent", undefined, 50);
        const checked = expect(silent).rejects.toThrow("no answer to silent within 50 ms");
        await advanceTime(60);
        await checked;
        const pending = expect(channel.get("silent", undefined, 5000)).rejects.toThrow("channel closed");
        channel.close();
        await pending;
    });

    test("answers the page's get requests: known methods reply, unknown ones get an error", async () => {
        const page = embeddedPage();
        const channel = new EmbeddedChannel(page.window, "https://bi.example.com", {
            methods: { hostInfo: (args) => ({ echo: args.value }) },
        });
        channel.open();
        page.port.postMessage({ switchboardAction: "get", method: "hostInfo", messageId: "m1", args: { value: 7 } });
        page.port.postMessage({ switchboardAction: "get", method: "nothing", messageId: "m2", args: {} });
        await flush();
        expect(page.received[0]).toEqual({ switchboardAction: "reply", messageId: "m1", result: { echo: 7 } });
        expect(page.received[1].switchboardAction).toBe("error");
        expect(page.received[1].messageId).toBe("m2");
        channel.close();
    });

    test("the embedded URL carries Superset's display options", () => {
        const url = embeddedUrl("https://bi.example.com/", "abc-123", {
            ui_config: 9,
            show_filters: false,
            expand_filters: true,
        });
        expect(url).toBe("https://bi.example.com/embedded/abc-123?uiConfig=9&show_filters=false&expand_filters=true");
    });

    test("the embedded URL asks Superset for the user's language", () => {
        const url = embeddedUrl("https://bi.example.com", "abc-123", {
            ui_config: 0,
            show_filters: true,
            expand_filters: false,
            locale: "pt_BR",
        });
        expect(new URL(url).searchParams.get("_l_")).toBe("pt_BR");
    });

    test("the embedded URL carries the native filters the server wrote, as they are", () => {
        const rison = "(NATIVE_FILTER-x:(filterState:(value:!('a&b c'))))";
        const options = { ui_config: 16, show_filters: true, expand_filters: false };
        const url = new URL(embeddedUrl("https://bi.example.com", "abc-123", options, rison));
        expect(url.searchParams.get("native_filters")).toBe(rison);
        expect(url.searchParams.get("uiConfig")).toBe("16");
        const plain = new URL(embeddedUrl("https://bi.example.com", "abc-123", options));
        expect(plain.searchParams.has("native_filters")).toBe(false);
    });
});
