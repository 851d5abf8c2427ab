/**
 * What the browser studio and the web host agree on to tell the studio's own page from any other page
 * on this machine (other ports of 127.0.0.1 are the same site, so the cookie alone proves nothing).
 *
 * The host writes a per-launch key into the page it serves (a meta tag: no other origin can read that
 * response), and the page returns it on every request that changes data: as a header on HTTP (which a
 * cross-origin page cannot send without a preflight, and the host refuses every preflight), and as a
 * WebSocket subprotocol on the socket (browsers let a page choose subprotocols but not headers).
 */
export const LAUNCH_META = 'atelier-launch';
export const LAUNCH_HEADER = 'x-atelier-launch';
/** The subprotocol the host answers with; the key travels as a second offered one. */
export const SOCKET_PROTOCOL = 'atelier';
export const LAUNCH_PROTOCOL_PREFIX = 'atelier-launch.';
