import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Service } from '../service';
import type { ErrorPayload } from '../../shared/errors';
import { checkOrigin, checkRequest, cookieName, newToken } from './auth';
import { serveFile } from './static';
import { handleUpload } from './upload';

/**
 * The headless door: the same service as the desktop app, over HTTP + WebSocket on loopback only.
 *
 *   GET  /?token=T      hands the token to the browser as an HttpOnly cookie, then redirects to /
 *   GET  /…             the built renderer (index.html for unknown paths: client-side views)
 *   GET  /media/<path>  a file from the data folder (contained)
 *   POST /api/upload    ?id=&path= one file streamed to staging (see upload.ts)
 *   POST /api/call      {"method","input"} → {"ok":true,"value"} | {"ok":false,"error"}
 *   WS   /ws            {"id","method","input"} → {"id","ok","value"|"error"}; pushes {"event","payload"}
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
  close(): Promise<void>;
}

const MAX_BODY = 8 * 1024 * 1024;

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte writes style attributes for layout (virtual grids, sliders); no inline scripts are allowed.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
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
  let port = 0;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Internal error: ${(err as Error).message}`);
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const verdict = checkRequest(req, token, port, url);
    if (!verdict.ok) {
      res.writeHead(verdict.status, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end(verdict.reason);
      return;
    }
    // First visit with ?token=: move the token into a cookie and out of the address bar and history.
    if (verdict.via === 'query' && req.method === 'GET' && !url.pathname.startsWith('/api/')) {
      url.searchParams.delete('token');
      res.writeHead(302, {
        location: url.pathname + url.search,
        'set-cookie': `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        ...SECURITY_HEADERS,
      });
      res.end();
      return;
    }
    if (url.pathname === '/api/upload') {
      await handleUpload(req, res, url, service.ctx.dataDir, SECURITY_HEADERS, checkOrigin(req, port));
      return;
    }
    if (url.pathname === '/api/call') {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST', ...SECURITY_HEADERS }).end();
        return;
      }
      await handleCall(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
      return;
    }
    if (url.pathname.startsWith('/media/')) {
      if (!serveFile(res, service.ctx.dataDir, url.pathname.slice('/media/'.length), { 'cache-control': 'private, max-age=3600' })) {
        res.writeHead(404, SECURITY_HEADERS).end('Not found');
      }
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    if (serveFile(res, options.rendererDir, rel, SECURITY_HEADERS)) return;
    // Unknown paths that look like views get the app; unknown files get a 404.
    if (path.extname(rel) === '' && serveFile(res, options.rendererDir, 'index.html', SECURITY_HEADERS)) return;
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('Not found');
  }

  async function handleCall(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      sendJson(res, 400, { ok: false, error: { code: 'bad_request', message: `The request body is not valid JSON: ${(err as Error).message}` } });
      return;
    }
    const { method, input } = (typeof body === 'object' && body !== null ? body : {}) as { method?: unknown; input?: unknown };
    const result = await service.dispatch(method, input);
    sendJson(res, result.ok ? 200 : statusOf(result.error), result);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const verdict = checkRequest(req, token, port, url);
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${reason}`);
    };
    if (!verdict.ok) return refuse(verdict.status, verdict.reason);
    if (!checkOrigin(req, port)) return refuse(403, 'Sockets are only accepted from the studio itself.');
    if (url.pathname !== '/ws') return refuse(404, 'Not found');
    wss.handleUpgrade(req, socket, head, (ws) => attachSocket(ws));
  });

  function attachSocket(ws: WebSocket): void {
    const unsubscribe = service.events.onAny((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
    });
    ws.on('close', unsubscribe);
    ws.on('error', unsubscribe);
    ws.on('message', (data) => {
      void (async () => {
        let msg: { id?: unknown; method?: unknown; input?: unknown };
        try {
          msg = JSON.parse(String(data)) as typeof msg;
          if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
        } catch {
          ws.send(JSON.stringify({ id: null, ok: false, error: { code: 'bad_request', message: 'Messages must be JSON objects.' } }));
          return;
        }
        const id = typeof msg.id === 'number' || typeof msg.id === 'string' ? msg.id : null;
        const result = await service.dispatch(msg.method, msg.input);
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, ...result }));
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
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function statusOf(error: ErrorPayload): number {
  return STATUS_OF_CODE[error.code] ?? 500;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error(`body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
