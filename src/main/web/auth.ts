import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LAUNCH_HEADER, LAUNCH_PROTOCOL_PREFIX } from '../../shared/web-door';

/**
 * The web host's door policy. A random token is made at each launch and printed once; a request is let
 * in only with that token (header, cookie or query) AND a Host header naming this loopback address
 * (which defeats DNS-rebinding pages).
 *
 * The cookie is an ambient credential: the browser attaches it to requests that other pages make, and
 * SameSite does not separate ports (every port of 127.0.0.1 is the same site). So whatever changes data
 * (POST /api/call, POST /api/upload, the socket) must also prove it comes from the studio's own page:
 *
 * - the exact studio origin (scheme, host and port), when the browser sends one; with the cookie as the
 *   credential an Origin is required, since browsers always send one on these requests;
 * - a non-simple content type (application/json for calls, application/octet-stream for uploads), which
 *   a cross-origin page cannot send without a preflight, and every preflight is refused;
 * - the per-launch key (see src/shared/web-door.ts), which only the studio's page can read.
 *
 * A script that presents the token itself (Authorization header or ?token=) is not riding a cookie: a
 * page that does not know the token cannot make such a request, so it needs no launch key.
 */
export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export type Credential = 'header' | 'cookie' | 'query';

export type Verdict = { ok: true; via: Credential } | { ok: false; status: 401 | 403; reason: string };

export type Refusal = { ok: false; status: 403 | 415; code: 'forbidden' | 'bad_request'; reason: string };

export function cookieName(port: number): string {
  // Cookies are not separated by port, so two hosts on one machine need different names.
  return `atelier_token_${port}`;
}

export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host ?? '';
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

export function checkRequest(req: IncomingMessage, token: string, port: number, url: URL): Verdict {
  if (!hostAllowed(req, port)) {
    return { ok: false, status: 403, reason: 'This host only answers requests addressed to 127.0.0.1.' };
  }
  const presented = presentedToken(req, port, url);
  if (!presented) return { ok: false, status: 401, reason: 'A token is required. Open the address Atelier printed at launch.' };
  // Another page can add a cookie of the same name (with a longer path, sent first); any match counts.
  if (!presented.values.some((v) => safeEqual(v, token))) return { ok: false, status: 403, reason: 'That token is not valid for this launch.' };
  return { ok: true, via: presented.via };
}

/** The one origin the studio's page has: the scheme and the Host it was loaded from (already checked). */
function studioOrigin(req: IncomingMessage): string {
  return `http://${req.headers.host ?? ''}`;
}

function checkOrigin(req: IncomingMessage, via: Credential): Refusal | null {
  const origin = req.headers.origin;
  if (origin === undefined) {
    if (via === 'cookie') return forbid('Requests that change data must come from the studio page (no Origin was sent).');
    return null;
  }
  if (origin !== studioOrigin(req)) return forbid('Requests that change data are only accepted from the studio itself.');
  return null;
}

function forbid(reason: string): Refusal {
  return { ok: false, status: 403, code: 'forbidden', reason };
}

/** The media type of the request body, lower-case, without parameters (charset…). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** POST routes: exact origin, the route's content type, and (when the cookie is the credential) the launch key. */
export function checkStateChange(req: IncomingMessage, via: Credential, launchKey: string, contentType: string): Refusal | null {
  const origin = checkOrigin(req, via);
  if (origin) return origin;
  if (mediaType(req) !== contentType) {
    return { ok: false, status: 415, code: 'bad_request', reason: `This route takes Content-Type ${contentType}.` };
  }
  if (via === 'cookie') {
    const presented = req.headers[LAUNCH_HEADER];
    if (typeof presented !== 'string' || !safeEqual(presented, launchKey)) {
      return forbid('Requests that change data must come from the studio page of this launch (the launch key is missing or wrong).');
    }
  }
  return null;
}

/** The socket: exact origin, and (when the cookie is the credential) the launch key as a subprotocol. */
export function checkSocket(req: IncomingMessage, via: Credential, launchKey: string): Refusal | null {
  const origin = checkOrigin(req, via);
  if (origin) return origin;
  if (via === 'cookie') {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith(LAUNCH_PROTOCOL_PREFIX));
    if (!offered || !safeEqual(offered.slice(LAUNCH_PROTOCOL_PREFIX.length), launchKey)) {
      return forbid('Sockets are only accepted from the studio page of this launch.');
    }
  }
  return null;
}

function presentedToken(req: IncomingMessage, port: number, url: URL): { values: string[]; via: Credential } | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { values: [auth.slice(7).trim()], via: 'header' };
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return { values: [fromQuery], via: 'query' };
  const cookies = parseCookies(req.headers.cookie).filter((c) => c.name === cookieName(port) && c.value !== '');
  if (cookies.length) return { values: cookies.slice(0, 8).map((c) => c.value), via: 'cookie' };
  return null;
}

/**
 * Cookies as the browser sends them. Any other program on this machine can leave a cookie for
 * 127.0.0.1, so a value that does not decode is ignored, never fatal.
 */
export function parseCookies(header: string | undefined): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    out.push({ name, value });
  }
  return out;
}

export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
