import { OutdatedPageWatcherService } from "@bus/outdated_page_watcher_service";
import { patch } from "@web/core/utils/patch";

/**
 * No false "The page is out of date" warning after a full page load (a typed URL, a
 * refresh, a link), on the Odoo 18.0 sources of early May 2025.
 *
 * The bus websocket lives in a SharedWorker. On a full page load Chromium closes that
 * websocket (1001, Going Away) but keeps the worker, so the next page receives the
 * worker's "reconnect" without ever having seen the "disconnect". Those sources' watcher
 * then asks /bus/has_missed_notifications about the id the page noted at a disconnect:
 * null here, and the server answers "missed" for an id it cannot find, so every page
 * showed the warning. Odoo fixed it upstream (odoo/odoo#208625, #209609) by noting, at
 * the disconnect, the last id any tab received (the bus service keeps it in
 * localStorage). This patch does the same, and when the page saw no disconnect it reads
 * that id when checking: nothing arrives while the socket is down, so it is still the
 * last one received before. With no id known at all it asks nothing: an unknown id
 * proves nothing was missed. On sources that carry Odoo's fix this changes nothing.
 */
patch(OutdatedPageWatcherService.prototype, {
    setup(env, services) {
        super.setup(env, services);
        this.disconnectSeen = false;
        // Registered after the watcher's own listener, so this value is the one kept.
        services.bus_service.addEventListener("disconnect", () => {
            this.lastNotificationId = this.sharedLastNotificationId();
            this.disconnectSeen = true;
        });
    },

    sharedLastNotificationId() {
        return this.multi_tab.getSharedValue("last_notification_id", null) || this.lastNotificationId;
    },

    async checkHasMissedNotifications() {
        if (!this.disconnectSeen) {
            this.lastNotificationId = this.sharedLastNotificationId();
        }
        this.disconnectSeen = false;
        if (!this.lastNotificationId) {
            return;
        }
        return super.checkHasMissedNotifications(...arguments);
    },
});
