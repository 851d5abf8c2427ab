import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { isMediaPath } from '../files/media';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Service } from '../service';
import type { ErrorPayload } from '../../shared/errors';
import { LAUNCH_META, SOCKET_PROTOCOL } from '../../shared/web-door';
import { CSP } from '../../shared/csp';
import { checkRequest, checkSocket, checkStateChange, cookieName, hostAllowed, newToken } from './auth';
import { bodyLimitOf, MAX_CALL_BYTES, MAX_DEPTH, scanJson } from './limits';
import { serveFile } from './static';
import { handleUpload } from './upload';

export { LAUNCH_HEADER } from '../../shared/web-door';

/**
 * The headless door: the same service as the desktop app, over HTTP + WebSocket on loopback only.
 *
 *   GET  /?token=T      hands the token to the browser as an HttpOnly cookie, then redirects to /
 *   GET  /…             the built renderer (index.html, with this launch's key, for unknown paths)
 *   GET  /media/<path>  a file from the data folder's media folders (projects/, exports/; contained)
 *   POST /api/upload    ?id=&path= one file streamed to staging (see upload.ts)
 *   POST /api/call      {"method","input"} → {"ok":true,"value"} | {"ok":false,"error"}
 *   WS   /ws            {"id","method","input"} → {"id","ok","value"|"error"}; pushes {"event","payload"}
 *
 * The two POST routes and the socket change data, so beyond the token they need proof that the studio's
 * own page sent them (auth.ts). Bodies are bounded per method before parsing (limits.ts). Every answer,
 * refusals and failures included, carries the security headers, and nothing a request does can throw
 * out of the server.
 */
export interface WebHostOptions {
  service: Service;
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  /** The studio page's per-launch key (src/shared/web-door.ts). */
  launchKey: string;
  close(): Promise<void>;
}

/** What a refused body may still send before its connection is cut. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const CODE_OF_STATUS: Record<number, ErrorPayload['code']> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'bad_request',
  415: 'bad_request',
};

const STATUS_OF_CODE: Record<string, number> = {
  bad_request: 400,
  unknown_method: 404,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  unsupported: 501,
  invalid_input: 422,
  disk_full: 507,
  cancelled: 409,
  diverged: 409,
  internal: 500,
};

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const { service } = options;
  const token = options.token ?? newToken();
  // A second secret, for the studio's page only (see src/shared/web-door.ts); never the token itself.
  const launchKey = newToken();
  let port = 0;

  const server = http.createServer((req, res) => {
    // No request may throw out of the server: whatever goes wrong becomes a typed 500 for that request.
    handle(req, res).catch((err: unknown) => failRequest(res, err));
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  // Malformed HTTP from a client: answer 400 and close that connection, nothing else.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = parseUrl(req);
    // The API answers in typed JSON, every refusal included; pages and media answer in plain text.
    const api = url?.pathname.startsWith('/api/') ?? false;
    const refuse = (status: number, message: string, extra: Record<string, string> = {}) =>
      api ? sendError(res, status, CODE_OF_STATUS[status] ?? 'bad_request', message, extra) : sendText(res, status, message, extra);
    if (!url) return refuse(400, 'That address is not valid.');
    if (!hostAllowed(req, port)) return refuse(403, 'This host only answers requests addressed to 127.0.0.1.');
    // CORS preflights are refused outright: no other origin is ever granted anything.
    if (req.method === 'OPTIONS') return refuse(403, 'Cross-origin requests are not accepted.');
    const verdict = checkRequest(req, token, port, url);
    if (!verdict.ok) return refuse(verdict.status, verdict.reason);
    // First visit with ?token=: move the token into a cookie and out of the address bar and history.
    if (verdict.via === 'query' && req.method === 'GET' && !api) {
      url.searchParams.delete('token');
      res.writeHead(302, {
        location: url.pathname + url.search,
        'set-cookie': `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        ...SECURITY_HEADERS,
      });
      res.end();
      return;
    }
    if (url.pathname === '/api/upload' || url.pathname === '/api/call') {
      if (req.method !== 'POST') return refuse(405, 'Only POST is accepted here.', { allow: 'POST' });
      const upload = url.pathname === '/api/upload';
      const refused = checkStateChange(req, verdict.via, launchKey, upload ? 'application/octet-stream' : 'application/json');
      if (refused) {
        refuseBody(req, res, refused.status, refused.code, refused.reason);
        return;
      }
      if (upload) await handleUpload(req, res, url, service.ctx.dataDir, SECURITY_HEADERS);
      else await handleCall(req, res);
      return;
    }
    if (api) return refuse(404, 'There is no such API route.');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
      return;
    }
    if (url.pathname.startsWith('/media/')) {
      const rel = url.pathname.slice('/media/'.length);
      // Only the folders that hold media: never the catalog, its journal, staging or anything else.
      // (A path that leaves the data folder is still a 403, from serveFile's containment check.)
      const decoded = safeDecode(rel);
      const headers = { ...SECURITY_HEADERS, 'cache-control': 'private, max-age=3600' };
      if (decoded === null || decoded.startsWith('/') || path.posix.normalize(decoded.replace(/\\/g, '/')).startsWith('..')) return sendText(res, 403, 'Forbidden');
      if (!isMediaPath(decoded) || !serveFile(res, service.ctx.dataDir, rel, headers)) sendText(res, 404, 'Not found');
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    if (rel === 'index.html') return servePage(res);
    if (serveFile(res, options.rendererDir, rel, SECURITY_HEADERS)) return;
    // Unknown paths that look like views get the app; unknown files get a 404.
    if (path.extname(rel) === '') return servePage(res);
    sendText(res, 404, 'Not found');
  }

  /** The studio's page, with this launch's key in it (no other origin can read this response). */
  function servePage(res: http.ServerResponse): void {
    let html: string;
    try {
      html = fs.readFileSync(path.join(options.rendererDir, 'index.html'), 'utf8');
    } catch {
      return sendText(res, 404, 'Not found');
    }
    const meta = `<meta name="${LAUNCH_META}" content="${launchKey}">`;
    const head = /<head\b[^>]*>/i.exec(html);
    const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
    const at = head ? head.index + head[0].length : doctype ? doctype.index + doctype[0].length : 0;
    const page = Buffer.from(html.slice(0, at) + meta + html.slice(at), 'utf8');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(page.length), ...SECURITY_HEADERS });
    res.end(page);
  }

  async function handleCall(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_CALL_BYTES) return tooLarge(req, res, MAX_CALL_BYTES);
    const raw = await readBody(req, MAX_CALL_BYTES);
    if (raw === null) return tooLarge(req, res, MAX_CALL_BYTES);
    const parsed = parseCall(raw);
    if (!parsed.ok) {
      sendJson(res, parsed.status, { ok: false, error: parsed.error });
      return;
    }
    const { method, input } = parsed.value;
    const result = await service.dispatch(method, input);
    sendJson(res, result.ok ? 200 : statusOf(result.error), result);
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CALL_BYTES,
    // The studio offers [atelier, atelier-launch.<key>]; the key is never echoed back.
    handleProtocols: (protocols) => (protocols.has(SOCKET_PROTOCOL) ? SOCKET_PROTOCOL : false),
  });
  server.on('upgrade', (req, socket, head) => {
    // A socket reset mid-handshake is that client's problem, not the host's.
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, reason: string) => {
      const headers = Object.entries({ 'content-type': 'text/plain; charset=utf-8', connection: 'close', ...SECURITY_HEADERS })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${headers}\r\n${reason}`);
    };
    try {
      const url = parseUrl(req);
      if (!url) return refuse(400, 'That address is not valid.');
      const verdict = checkRequest(req, token, port, url);
      if (!verdict.ok) return refuse(verdict.status, verdict.reason);
      const refused = checkSocket(req, verdict.via, launchKey);
      if (refused) return refuse(refused.status, refused.reason);
      if (url.pathname !== '/ws') return refuse(404, 'Not found');
      wss.handleUpgrade(req, socket, head, (ws) => attachSocket(ws));
    } catch {
      // Nothing thrown while judging an upgrade may reach the process: drop that socket only.
      if (socket.writable) refuse(500, 'Internal error');
      else socket.destroy();
    }
  });

  function attachSocket(ws: WebSocket): void {
    const send = (msg: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    let unsubscribe: () => void = () => {};
    try {
      unsubscribe = service.events.onAny((event, payload) => send({ event, payload }));
    } catch {
      ws.close(1011, 'Internal error');
      return;
    }
    ws.on('close', unsubscribe);
    ws.on('error', unsubscribe);
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let id: number | string | null = null;
        try {
          const raw = isBinary ? Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data as ArrayBuffer)]) : Buffer.from(data as Buffer);
          const parsed = parseCall(raw);
          if (!parsed.ok) return send({ id: parsed.id ?? null, ok: false, error: parsed.error });
          id = parsed.id ?? null;
          const result = await service.dispatch(parsed.value.method, parsed.value.input);
          send({ id, ...result });
        } catch (err) {
          send({ id, ok: false, error: { code: 'internal', message: `Something went wrong inside Atelier: ${(err as Error)?.message ?? String(err)}`.slice(0, 600) } });
        }
      })();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only, always: remote use goes through an SSH tunnel (see README).
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    launchKey,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type ParsedCall =
  | { ok: true; id?: number | string | null; value: { method: unknown; input: unknown } }
  | { ok: false; id?: number | string | null; status: number; error: ErrorPayload };

/**
 * One call's body ({"method","input"} over HTTP; with "id" over the socket), bounded before parsing: its
 * size by the method's limit, its nesting by MAX_DEPTH.
 */
function parseCall(raw: Buffer): ParsedCall {
  if (raw.length > MAX_CALL_BYTES) return { ok: false, status: 413, error: tooLargeError(MAX_CALL_BYTES) };
  const text = raw.toString('utf8');
  const scan = scanJson(text);
  if (raw.length > bodyLimitOf(scan.method)) return { ok: false, id: scan.id, status: 413, error: tooLargeError(bodyLimitOf(scan.method), scan.method) };
  if (scan.depth > MAX_DEPTH) {
    return { ok: false, id: scan.id, status: 400, error: { code: 'bad_request', message: `The request is nested more than ${MAX_DEPTH} levels deep.` } };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { ok: false, status: 400, error: { code: 'bad_request', message: `The request body is not valid JSON: ${(err as Error).message.slice(0, 200)}` } };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, status: 400, error: { code: 'bad_request', message: 'The request must be a JSON object with "method" and "input".' } };
  }
  const { id: rawId, method, input } = body as { id?: unknown; method?: unknown; input?: unknown };
  const id = typeof rawId === 'number' || typeof rawId === 'string' ? rawId : null;
  const limit = bodyLimitOf(typeof method === 'string' ? method : null);
  if (raw.length > limit) return { ok: false, id, status: 413, error: tooLargeError(limit, typeof method === 'string' ? method : null) };
  return { ok: true, id, value: { method, input } };
}

function tooLargeError(limit: number, method: string | null = null): ErrorPayload {
  const size = limit >= 1024 * 1024 ? `${Math.round(limit / 1024 / 1024)} MB` : `${Math.round(limit / 1024)} KB`;
  return { code: 'invalid_input', message: `The request is larger than ${method ? `${method.slice(0, 80)} accepts` : 'any call accepts'} (${size}).`, details: { limit } };
}

function parseUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function sendText(res: http.ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS, ...extra }).end(text);
}

function sendError(res: http.ServerResponse, status: number, code: ErrorPayload['code'], message: string, extra: Record<string, string> = {}): void {
  sendJson(res, status, { ok: false, error: { code, message } }, extra);
}

function failRequest(res: http.ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const message = `Something went wrong inside Atelier: ${(err as Error)?.message ?? String(err)}`.slice(0, 600);
  sendError(res, 500, 'internal', message);
}

/** Refuse a request with a body: answer at once, then discard what the client still sends (bounded). */
function refuseBody(req: http.IncomingMessage, res: http.ServerResponse, status: number, code: ErrorPayload['code'], message: string): void {
  sendError(res, status, code, message, { connection: 'close' });
  drain(req);
}

function tooLarge(req: http.IncomingMessage, res: http.ServerResponse, limit: number): void {
  sendJson(res, 413, { ok: false, error: tooLargeError(limit) }, { connection: 'close' });
  drain(req);
}

/** Read and drop the rest of a refused body, so the client reads our answer; give up past a bound. */
function drain(req: http.IncomingMessage): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT) req.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

function statusOf(error: ErrorPayload): number {
  return STATUS_OF_CODE[error.code] ?? 500;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS, ...extra });
  res.end(text);
}

/** The whole body, or null once it passes `limit` (the rest is then drained by the caller's answer). */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        req.off('data', onData);
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!over) reject(err);
    });
  });
}
