import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { methods, type MethodName } from '../../../src/shared/contract';
import { createService, type Service } from '../../../src/main/service';
import { closeAfterTest } from '../support/close';
import { startTestHost } from '../support/web-host';
import { tempDir } from '../support/tmp';
import { cookieName } from '../../../src/main/web/auth';
import { catalogDigest, hostilePayloads, hostileRequests, hostileUpgrades, type HostileRequest } from './fuzz-support';

/**
 * Short variant of the contract fuzzer (the long one runs 1,000 cases per method: scripts/long-tests.mjs).
 * Every method of the contract gets hostile payloads, directly and through the web host. Each answer
 * must be a typed error (or a valid result where the payload happens to be valid), the process stays
 * up, and the catalog is unchanged by every rejected call. The web host's doors are fuzzed too: Host and
 * Origin, cookies, credentials, the launch key, content types and body shapes, socket upgrades and
 * malformed HTTP. The counts go to $ATELIER_FUZZ_REPORT when set (the long variant prints them).
 */
const CASES_PER_METHOD = Number(process.env.ATELIER_FUZZ_CASES ?? 40);
const KNOWN_CODES = new Set(['bad_request', 'not_found', 'conflict', 'unknown_method', 'invalid_input', 'unavailable', 'too_large']);


function seeded(): Service {
  return closeAfterTest(createService({ dataDir: tempDir(), door: 'direct' }));
}

describe('contract fuzzing', () => {
  it('every method answers hostile payloads with typed errors and leaves the catalog unchanged', async () => {
    const s = seeded();
    await s.call('projects.create', { name: 'Keep me' });
    const before = catalogDigest(s.ctx.db);
    let rejected = 0;
    const names = Object.keys(methods) as MethodName[];
    expect(names.length).toBeGreaterThan(5);
    for (const [i, name] of names.entries()) {
      for (const payload of hostilePayloads(1000 + i, CASES_PER_METHOD)) {
        if (methods[name].input.safeParse(payload ?? {}).success) continue; // a valid call, not a fuzz case
        const r = await s.dispatch(name, payload);
        expect(r.ok, `${name} accepted ${JSON.stringify(payload)?.slice(0, 200)}`).toBe(false);
        if (!r.ok) {
          expect(KNOWN_CODES.has(r.error.code), `${name}: unexpected error code ${r.error.code}: ${r.error.message}`).toBe(true);
          expect(r.error.message.length).toBeLessThan(4000);
        }
        rejected++;
      }
    }
    for (const bogus of ['', 'projects.delete.x', '__proto__', 'constructor', 'toString', 'x'.repeat(10_000), 42, null, { method: 'projects.list' }]) {
      const r = await s.dispatch(bogus, {});
      expect(r).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    }
    expect(rejected).toBeGreaterThan(names.length * CASES_PER_METHOD * 0.5);
    expect(catalogDigest(s.ctx.db)).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await s.call('projects.list', {})).map((p) => p.name)).toEqual(['Keep me']);
  });

  it('the web host turns malformed requests into typed errors and stays up', async () => {
    const { service, host, base } = await startTestHost();
    await service.call('projects.create', { name: 'Keep me' });
    const auth = { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' };
    const before = catalogDigest(service.ctx.db);
    const bodies: Array<string | Buffer> = [
      '',
      'not json',
      '{"method":',
      'null',
      '[]',
      '"projects.list"',
      JSON.stringify({ method: 'projects.delete', input: { id: 'one' } }),
      JSON.stringify({ method: 'projects.rename', input: { id: 1, name: 'x'.repeat(100_000) } }),
      JSON.stringify({ method: 'nope', input: {} }),
      JSON.stringify({ method: 'projects.delete', input: { id: 1, confirmName: 'Keep me', extra: true } }),
      Buffer.from([0xff, 0xfe, 0x00, 0x01]),
      ...hostilePayloads(7, 30).map((p) => JSON.stringify({ method: 'projects.create', input: p }) ?? 'null'),
    ];
    for (const body of bodies) {
      const res = await fetch(`${base}/api/call`, { method: 'POST', headers: auth, body: typeof body === 'string' ? body : new Uint8Array(body) });
      expect(res.status, String(body).slice(0, 100)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const json = (await res.json()) as { ok: boolean; error?: { code: string } };
      expect(json.ok).toBe(false);
      expect(typeof json.error?.code).toBe('string');
    }
    // Larger than the host accepts: a typed 413, not a reset connection.
    const huge = await fetch(`${base}/api/call`, { method: 'POST', headers: auth, body: new Uint8Array(9 * 1024 * 1024).fill(0x20) }).catch((e: Error) => e);
    expect(huge instanceof Error ? huge.message : huge.status).toBe(413);
    if (!(huge instanceof Error)) expect(await huge.json()).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // Still up, still answering, nothing changed.
    const ok = await fetch(`${base}/api/call`, { method: 'POST', headers: auth, body: JSON.stringify({ method: 'projects.list', input: {} }) });
    expect(((await ok.json()) as { value: Array<{ name: string }> }).value.map((p) => p.name)).toEqual(['Keep me']);
    expect(catalogDigest(service.ctx.db)).toBe(before);
  });

  it('the web host refuses forged, malformed and hostile requests at every door and stays up', async () => {
    const { service, host } = await startTestHost({ html: '<!doctype html><html><head><title>Atelier</title></head></html>' });
    await service.call('projects.create', { name: 'Keep me' });
    const target = { port: host.port, token: host.token, launchKey: host.launchKey, cookieName: cookieName(host.port) };
    const before = catalogDigest(service.ctx.db);
    const counts: Record<string, number> = { requests: 0, admitted: 0, forgeriesRefused: 0, upgrades: 0, upgradesRefused: 0, malformedHttp: 0 };

    for (const r of hostileRequests(4242, CASES_PER_METHOD * 4, target)) {
      const res = await send(host.port, r);
      const what = `${r.method} ${r.path} ${JSON.stringify(r.headers).slice(0, 300)}`;
      expect('status' in res, `${what}: ${'error' in res ? res.error : ''}`).toBe(true);
      if (!('status' in res)) continue;
      counts.requests++;
      for (const v of r.varied) counts[v] = (counts[v] ?? 0) + 1;
      expect(res.status, what).toBeLessThan(500);
      expect(res.headers['content-security-policy'], what).toBeTruthy();
      expect(res.headers['access-control-allow-origin'], what).toBeUndefined();
      if (r.stateChanging && !r.admitted) {
        expect(res.status, what).toBeGreaterThanOrEqual(400);
        counts.forgeriesRefused++;
      }
      if (r.admitted) counts.admitted++;
      if (r.path.startsWith('/api/') && res.status >= 400) {
        const json = JSON.parse(res.body) as { ok: boolean; error?: { code: string } };
        expect(json.ok, what).toBe(false);
        expect(typeof json.error?.code, what).toBe('string');
      }
    }

    for (const u of hostileUpgrades(4343, CASES_PER_METHOD, target)) {
      const status = await upgrade(`ws://127.0.0.1:${host.port}/ws${u.query}`, u.headers, u.protocols);
      counts.upgrades++;
      const what = JSON.stringify(u);
      if (u.admitted) expect(status, what).toBe(101);
      else {
        expect(status, what).not.toBe(101);
        counts.upgradesRefused++;
      }
    }

    const malformed = [
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nCookie: a=\u0001b\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nX-Flood: ${'a'.repeat(20_000)}\r\n\r\n`,
      'NOT HTTP AT ALL\r\n\r\n',
      `POST /api/call HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nContent-Length: 100\r\n\r\n{}`,
      `POST /api/call HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: x=%E0%A4%A\r\n\r\n`,
    ];
    for (const text of malformed) {
      await rawSocket(host.port, text);
      counts.malformedHttp++;
    }

    // Still up, still answering, nothing changed, no prototype polluted.
    const ok = await fetch(`http://127.0.0.1:${host.port}/api/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'projects.list', input: {} }),
    });
    expect(((await ok.json()) as { value: Array<{ name: string }> }).value.map((p) => p.name)).toEqual(['Keep me']);
    expect(catalogDigest(service.ctx.db)).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(counts.forgeriesRefused).toBeGreaterThan(0);
    expect(counts.admitted).toBeGreaterThan(0);
    if (process.env.ATELIER_FUZZ_REPORT) fs.writeFileSync(process.env.ATELIER_FUZZ_REPORT, JSON.stringify(counts));
  });
});

function send(port: number, r: HostileRequest): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    if (r.body !== null) req.write(r.body);
    req.end();
  });
}

function upgrade(url: string, headers: Record<string, string>, protocols: string[]): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

/** Bytes no HTTP client would send; whatever comes back, the connection ends. */
function rawSocket(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
    socket.setTimeout(5_000, () => socket.destroy());
  });
}
