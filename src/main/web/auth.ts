import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The web host's door policy. A random token is made at each launch and printed once; a request is let
 * in only with that token (header, cookie or query) AND a Host header naming this loopback address
 * (which defeats DNS-rebinding pages). Sockets must additionally come from our own origin, so another
 * site open in the same browser cannot drive the studio with the user's cookie.
 */
export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export type Verdict = { ok: true; via: 'header' | 'cookie' | 'query' } | { ok: false; status: 401 | 403; reason: string };

export function cookieName(port: number): string {
  // Cookies are not separated by port, so two hosts on one machine need different names.
  return `atelier_token_${port}`;
}

export function checkRequest(req: IncomingMessage, token: string, port: number, url: URL): Verdict {
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return { ok: false, status: 403, reason: 'This host only answers requests addressed to 127.0.0.1.' };
  }
  const presented = presentedToken(req, port, url);
  if (!presented) return { ok: false, status: 401, reason: 'A token is required. Open the address Atelier printed at launch.' };
  if (!safeEqual(presented.value, token)) return { ok: false, status: 403, reason: 'That token is not valid for this launch.' };
  return { ok: true, via: presented.via };
}

export function checkOrigin(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  // Non-browser clients (scripts holding the token) send no Origin; browsers always do on sockets.
  if (origin === undefined) return true;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

function presentedToken(req: IncomingMessage, port: number, url: URL): { value: string; via: 'header' | 'cookie' | 'query' } | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { value: auth.slice(7).trim(), via: 'header' };
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return { value: fromQuery, via: 'query' };
  const cookie = parseCookies(req.headers.cookie)[cookieName(port)];
  if (cookie) return { value: cookie, via: 'cookie' };
  return null;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
