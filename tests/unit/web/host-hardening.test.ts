/**
 * Issue 16, web host: each reproduction of the security probe, kept as a regression test. A malformed
 * cookie is ignored (never fatal), state-changing routes need the exact studio origin, a non-simple
 * content type and the per-launch header, bodies are bounded before parsing, only media folders are
 * served, every refusal is typed and carries the security headers, and nothing escapes the server.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Service } from '../../../src/main/service';
import { LAUNCH_HEADER, type WebHost } from '../../../src/main/web/host';
import { cookieName } from '../../../src/main/web/auth';
import { startTestHost } from '../support/web-host';
import { tempDir } from '../support/tmp';

let service: Service | undefined;

async function start(opts: { readRoots?: string[] } = {}): Promise<{ host: WebHost; base: string; cookie: string; s: Service }> {
  const { service: s, host, base } = await startTestHost({ html: '<!doctype html><html><head><title>Atelier</title></head><body></body></html>', readRoots: opts.readRoots });
  service = s;
  return { host, base, cookie: `${cookieName(host.port)}=${host.token}`, s };
}

/** A raw request (fetch cannot send every header shape a hostile client can). */
function raw(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

function openSocket(url: string, headers: Record<string, string>, protocols: string[] = []): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('error', () => resolve({ status: 0 }));
  });
}

async function projectNames(s: Service): Promise<string[]> {
  return (await s.call('projects.list', {})).map((p) => p.name).sort();
}

const JUNK = 'junk=%E0%A4%A';

describe('web host hardening', () => {
  it('a malformed cookie on a socket upgrade is ignored, never fatal', async () => {
    const { host, base, cookie } = await start();
    const wsUrl = `ws://127.0.0.1:${host.port}/ws`;
    const origin = base;
    // Without the token: refused, and the process is still here to refuse it.
    expect((await openSocket(wsUrl, { cookie: 'x=%E0%A4%A' })).status).toBe(401);
    expect((await openSocket(wsUrl, { cookie: JUNK, origin })).status).toBe(401);
    // With the studio's cookie beside the junk one: the studio connects as usual.
    const good = await openSocket(wsUrl, { cookie: `${JUNK}; ${cookie}`, origin }, ['atelier', `atelier-launch.${host.launchKey}`]);
    expect(good.status).toBe(101);
    good.ws!.close();
    const alive = await raw(host.port, { path: '/', headers: { cookie } });
    expect(alive).toMatchObject({ status: 200 });
  });

  it('a malformed cookie beside the studio cookie does not break HTTP', async () => {
    const { host, base, cookie, s } = await start();
    const page = await raw(host.port, { path: '/', headers: { cookie: `${JUNK}; ${cookie}` } });
    expect(page).toMatchObject({ status: 200 });
    const call = await raw(host.port, {
      method: 'POST',
      path: '/api/call',
      headers: { cookie: `${cookie}; ${JUNK}`, origin: base, 'content-type': 'application/json', [LAUNCH_HEADER]: host.launchKey },
      body: JSON.stringify({ method: 'projects.create', input: { name: 'Fine' } }),
    });
    expect(call).toMatchObject({ status: 200 });
    expect(await projectNames(s)).toEqual(['Fine']);
  });

  it('state-changing routes need the exact studio origin, a JSON body and the per-launch header', async () => {
    const { host, base, cookie, s } = await start();
    const other = `http://127.0.0.1:${host.port + 1}`;
    const body = JSON.stringify({ method: 'projects.create', input: { name: 'Forged' } });
    const json = 'application/json';
    const key = host.launchKey;
    const attempts: Array<[string, Record<string, string>, number]> = [
      ['another port of 127.0.0.1', { cookie, origin: other, 'content-type': json, [LAUNCH_HEADER]: key }, 403],
      ['localhost for a 127.0.0.1 host', { cookie, origin: `http://localhost:${host.port}`, 'content-type': json, [LAUNCH_HEADER]: key }, 403],
      ['https on the same port', { cookie, origin: `https://127.0.0.1:${host.port}`, 'content-type': json, [LAUNCH_HEADER]: key }, 403],
      ['an opaque origin', { cookie, origin: 'null', 'content-type': json, [LAUNCH_HEADER]: key }, 403],
      ['no origin with only the cookie', { cookie, 'content-type': json, [LAUNCH_HEADER]: key }, 403],
      ['text/plain (a simple request)', { cookie, origin: base, 'content-type': 'text/plain', [LAUNCH_HEADER]: key }, 415],
      ['a form post', { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded', [LAUNCH_HEADER]: key }, 415],
      ['no content type', { cookie, origin: base, [LAUNCH_HEADER]: key }, 415],
      ['no launch header', { cookie, origin: base, 'content-type': json }, 403],
      ['a wrong launch header', { cookie, origin: base, 'content-type': json, [LAUNCH_HEADER]: 'guess' }, 403],
      ['the token as the launch header', { cookie, origin: base, 'content-type': json, [LAUNCH_HEADER]: host.token }, 403],
    ];
    for (const [what, headers, status] of attempts) {
      const r = await raw(host.port, { method: 'POST', path: '/api/call', headers, body });
      expect(r, what).toMatchObject({ status });
      if ('body' in r) {
        expect(JSON.parse(r.body), what).toMatchObject({ ok: false, error: { code: status === 415 ? 'bad_request' : 'forbidden' } });
        expect(r.headers['content-security-policy'], what).toBeTruthy();
        expect(r.headers['access-control-allow-origin'], what).toBeUndefined();
      }
    }
    // A preflight is refused outright: no CORS grant, ever.
    const preflight = await raw(host.port, {
      method: 'OPTIONS',
      path: '/api/call',
      headers: { origin: other, 'access-control-request-method': 'POST', 'access-control-request-headers': `content-type,${LAUNCH_HEADER}` },
    });
    expect(preflight).toMatchObject({ status: 403 });
    if ('headers' in preflight) expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(await projectNames(s)).toEqual([]);

    // The studio's own page sends all three.
    const ok = await raw(host.port, { method: 'POST', path: '/api/call', headers: { cookie, origin: base, 'content-type': 'application/json; charset=utf-8', [LAUNCH_HEADER]: key }, body });
    expect(ok).toMatchObject({ status: 200 });
    // A script holding the token in a header is not a browser riding a cookie, but still sends JSON.
    const bearer = { authorization: `Bearer ${host.token}` };
    expect(await raw(host.port, { method: 'POST', path: '/api/call', headers: { ...bearer, 'content-type': 'text/plain' }, body })).toMatchObject({ status: 415 });
    expect(await raw(host.port, { method: 'POST', path: '/api/call', headers: { ...bearer, origin: other, 'content-type': json }, body })).toMatchObject({ status: 403 });
    const script = await raw(host.port, { method: 'POST', path: '/api/call', headers: { ...bearer, 'content-type': json }, body: JSON.stringify({ method: 'projects.create', input: { name: 'Scripted' } }) });
    expect(script).toMatchObject({ status: 200 });
    expect(await projectNames(s)).toEqual(['Forged', 'Scripted']);
  });

  it('uploads need the same three: exact origin, their content type and the launch header', async () => {
    const { host, base, cookie } = await start();
    const url = '/api/upload?id=upload-test-0001&path=a.png';
    const stream = 'application/octet-stream';
    const key = host.launchKey;
    const attempts: Array<[string, Record<string, string>, number]> = [
      ['another port', { cookie, origin: `http://127.0.0.1:${host.port + 1}`, 'content-type': stream, [LAUNCH_HEADER]: key }, 403],
      ['no origin with the cookie', { cookie, 'content-type': stream, [LAUNCH_HEADER]: key }, 403],
      ['text/plain', { cookie, origin: base, 'content-type': 'text/plain', [LAUNCH_HEADER]: key }, 415],
      ['no launch header', { cookie, origin: base, 'content-type': stream }, 403],
    ];
    for (const [what, headers, status] of attempts) expect(await raw(host.port, { method: 'POST', path: url, headers, body: 'x' }), what).toMatchObject({ status });
    const staging = path.join(service!.ctx.dataDir, 'staging', 'uploads', 'upload-test-0001');
    expect(fs.existsSync(path.join(staging, 'a.png'))).toBe(false);
    const ok = await raw(host.port, { method: 'POST', path: url, headers: { cookie, origin: base, 'content-type': stream, [LAUNCH_HEADER]: key }, body: 'x' });
    expect(ok).toMatchObject({ status: 200 });
    expect(fs.existsSync(path.join(staging, 'a.png'))).toBe(true);
  });

  it('the socket needs the exact origin and, when the cookie is the credential, the launch key', async () => {
    const { host, base, cookie } = await start();
    const wsUrl = `ws://127.0.0.1:${host.port}/ws`;
    const launch = ['atelier', `atelier-launch.${host.launchKey}`];
    expect((await openSocket(wsUrl, { cookie, origin: `http://127.0.0.1:${host.port + 1}` }, launch)).status).toBe(403);
    expect((await openSocket(wsUrl, { cookie }, launch)).status).toBe(403);
    expect((await openSocket(wsUrl, { cookie, origin: base })).status).toBe(403);
    expect((await openSocket(wsUrl, { cookie, origin: base }, ['atelier', 'atelier-launch.guess'])).status).toBe(403);
    const good = await openSocket(wsUrl, { cookie, origin: base }, launch);
    expect(good.status).toBe(101);
    expect(good.ws!.protocol).toBe('atelier');
    good.ws!.close();
  });

  it('hands the launch key only to the studio page, which no other origin can read', async () => {
    const { host, cookie } = await start();
    const page = await raw(host.port, { path: '/', headers: { cookie } });
    expect(page).toMatchObject({ status: 200 });
    if (!('body' in page)) return;
    expect(page.body).toContain(`<meta name="atelier-launch" content="${host.launchKey}">`);
    expect(page.body).not.toContain(host.token);
    expect(page.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    // A client-side route gets the same page.
    const view = await raw(host.port, { path: '/p/1/datasets', headers: { cookie } });
    expect('body' in view && view.body.includes(host.launchKey)).toBe(true);
    // Without the token there is no page and no key.
    const anon = await raw(host.port, { path: '/' });
    expect(anon).toMatchObject({ status: 401 });
    expect('body' in anon && anon.body.includes(host.launchKey)).toBe(false);
  });

  it('bounds bodies before parsing: 413 with a typed error, a limit per method, a nesting depth', async () => {
    const { host } = await start();
    const headers = { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' };
    // Over the largest limit: a typed 413, not a reset connection.
    const huge = await raw(host.port, { method: 'POST', path: '/api/call', headers, body: Buffer.alloc(9 * 1024 * 1024, 0x20) });
    expect(huge).toMatchObject({ status: 413 });
    if ('body' in huge) expect(JSON.parse(huge.body)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // Per method: a name needs no 300 KB…
    const padded = JSON.stringify({ method: 'projects.create', input: { name: 'x' }, pad: 'y'.repeat(300_000) });
    const tooBig = await raw(host.port, { method: 'POST', path: '/api/call', headers, body: padded });
    expect(tooBig).toMatchObject({ status: 413 });
    if ('body' in tooBig) expect(JSON.parse(tooBig.body)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // …while a bulk method may carry 100,000 ids (it then answers not_found: none exist).
    const bulk = JSON.stringify({ method: 'gallery.trash', input: { ids: Array.from({ length: 100_000 }, (_, i) => 1_000_000 + i) } });
    expect(await raw(host.port, { method: 'POST', path: '/api/call', headers, body: bulk })).toMatchObject({ status: 404 });
    // Deep nesting is refused before JSON.parse sees it, over HTTP and over the socket.
    const deep = `{"method":"projects.create","input":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const nested = await raw(host.port, { method: 'POST', path: '/api/call', headers, body: deep });
    expect(nested).toMatchObject({ status: 400 });
    if ('body' in nested) expect(JSON.parse(nested.body)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const { ws } = await openSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, {});
    const reply = new Promise<unknown>((resolve) => ws!.once('message', (d) => resolve(JSON.parse(String(d)))));
    ws!.send(deep.replace('{', '{"id":7,'));
    expect(await reply).toMatchObject({ id: 7, ok: false, error: { code: 'bad_request' } });
    ws!.close();
  });

  it('serves only the media folders, never the catalog or its journal', async () => {
    const { host } = await start();
    const headers = { authorization: `Bearer ${host.token}` };
    const dataDir = service!.ctx.dataDir;
    fs.mkdirSync(path.join(dataDir, 'projects', '1'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'projects', '1', 'ok.png'), 'png');
    fs.mkdirSync(path.join(dataDir, 'staging', 'uploads', 'abcdefgh'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'staging', 'uploads', 'abcdefgh', 'a.png'), 'png');
    expect(fs.existsSync(path.join(dataDir, 'catalog.db'))).toBe(true);
    for (const p of ['catalog.db', 'catalog.db-wal', 'catalog.db-shm', 'staging/uploads/abcdefgh/a.png', '']) {
      const r = await raw(host.port, { path: `/media/${p}`, headers });
      expect(r, p).toMatchObject({ status: 404 });
      if ('body' in r) expect(r.body).not.toContain('SQLite');
    }
    const ok = await raw(host.port, { path: '/media/projects/1/ok.png', headers });
    expect(ok).toMatchObject({ status: 200, body: 'png' });
    if ('headers' in ok) expect(ok.headers['content-security-policy']).toBeTruthy();
  });

  it('403, 404 and 500 replies carry the security headers, and no handler error escapes the server', async () => {
    const { host, base, s } = await start();
    const headers = { authorization: `Bearer ${host.token}` };
    const forbidden = await raw(host.port, { path: '/media/..%2Fcatalog.db', headers });
    const missing = await raw(host.port, { path: '/nope.js', headers });
    const hostile = await raw(host.port, { path: '/', headers: { ...headers, host: 'attacker.example' } });
    for (const r of [forbidden, missing, hostile]) {
      expect('headers' in r).toBe(true);
      if ('headers' in r) {
        expect(r.headers['content-security-policy']).toBeTruthy();
        expect(r.headers['x-content-type-options']).toBe('nosniff');
        expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
      }
    }
    // An engine failure inside a call: a typed 500 with the headers, and the host keeps serving.
    const original = s.dispatch;
    s.dispatch = () => {
      throw new Error('boom');
    };
    const failed = await raw(host.port, { method: 'POST', path: '/api/call', headers: { ...headers, 'content-type': 'application/json' }, body: '{"method":"projects.list"}' });
    expect(failed).toMatchObject({ status: 500 });
    if ('body' in failed) {
      expect(JSON.parse(failed.body)).toMatchObject({ ok: false, error: { code: 'internal' } });
      expect(failed.headers['content-security-policy']).toBeTruthy();
    }
    s.dispatch = original;
    // A throwing upgrade path (here: the event bus) closes that socket only.
    const onAny = s.events.onAny;
    s.events.onAny = () => {
      throw new Error('bus down');
    };
    const broken = await openSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { origin: base });
    broken.ws?.terminate();
    s.events.onAny = onAny;
    expect(await raw(host.port, { path: '/', headers })).toMatchObject({ status: 200 });
  });

  it('the browser door reads only uploads, samples and folders named at launch', async () => {
    const allowed = tempDir('allowed-');
    const elsewhere = tempDir('elsewhere-');
    fs.writeFileSync(path.join(elsewhere, 'secret.txt'), 'not for the browser');
    fs.writeFileSync(path.join(allowed, 'notes.txt'), 'fine');
    fs.symlinkSync(path.join(elsewhere, 'secret.txt'), path.join(allowed, 'link.txt'));
    const { host } = await start({ readRoots: [allowed] });
    const headers = { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' };
    const call = async (method: string, input: unknown) => {
      const r = await raw(host.port, { method: 'POST', path: '/api/call', headers, body: JSON.stringify({ method, input }) });
      return 'body' in r ? (JSON.parse(r.body) as { ok: boolean; value?: { jobId?: number }; error?: { code: string } }) : { ok: false, error: { code: r.error } };
    };
    const project = await call('projects.create', { name: 'Door' });
    expect(project.ok).toBe(true);
    for (const p of [path.join(elsewhere, 'secret.txt'), elsewhere, '/etc/hostname', path.join(allowed, 'link.txt'), `${allowed}/../${path.basename(elsewhere)}/secret.txt`]) {
      expect(await call('datasets.import', { projectId: 1, kind: 'text', paths: [p] }), p).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await call('models.import', { file: path.join(elsewhere, 'secret.txt') })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const inside = await call('datasets.import', { projectId: 1, kind: 'text', paths: [path.join(allowed, 'notes.txt')] });
    expect(inside.ok).toBe(true);
    await service!.ctx.jobs.get(inside.value!.jobId!)?.done;
  });
});
