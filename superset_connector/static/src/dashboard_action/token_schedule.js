/**
 * When to ask for a fresh guest token, from the server's own clock.
 *
 * The server says when the token expires (`expires_at`) and what time it was when it
 * answered (`server_time`), both in its clock. Their difference is the lifetime left,
 * whatever the browser's clock says; the browser clock only measures time elapsed
 * since the answer arrived.
 */

export const MIN_LEAD_SECONDS = 3;
export const MAX_LEAD_SECONDS = 60;
export const MAX_RETRY_MS = 30000;

/**
 * Milliseconds to wait before asking for the next token.
 *
 * @param {{expires_at: number, server_time: number}} payload the guest_token route's answer
 * @param {number} receivedAt browser time (ms) when that answer arrived
 * @param {number} now browser time (ms) now
 */
export function refreshDelay(payload, receivedAt, now = Date.now()) {
    const lifetime = payload.expires_at - payload.server_time;
    // Renew a fifth of the lifetime early (3 s to 60 s): room for a slow request or a retry.
    const lead = Math.min(MAX_LEAD_SECONDS, Math.max(MIN_LEAD_SECONDS, lifetime * 0.2));
    const elapsed = (now - receivedAt) / 1000;
    return Math.max(0, Math.round((lifetime - lead - elapsed) * 1000));
}

/**
 * Milliseconds the token stays valid, seen from the browser (for giving up retries).
 */
export function remainingLifetime(payload, receivedAt, now = Date.now()) {
    return Math.max(0, Math.round((payload.expires_at - payload.server_time) * 1000 - (now - receivedAt)));
}

/**
 * Backoff between failed attempts: 1 s, 2 s, 4 s, ... capped at 30 s.
 */
export function retryDelay(attempt) {
    return Math.min(MAX_RETRY_MS, 1000 * 2 ** attempt);
}
