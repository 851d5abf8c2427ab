import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Service } from '../../../src/main/service';
import { startTestHost, type TestHost } from '../support/web-host';

let service: Service | undefined;

async function start(): Promise<TestHost> {
  const started = await startTestHost();
  service = started.service;
  return started;
}

function openSocket(url: string, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.on('error', () => resolve({ status: 0 }));
  });
}

describe('web host', () => {
  it('listens on loopback only', async () => {
    const { host } = await start();
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('answers 401 without a token and 403 with a wrong one', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(403);
    expect((await fetch(`${base}/api/call`, { method: 'POST', body: '{"method":"projects.list","input":{}}' })).status).toBe(401);
    expect((await fetch(`${base}/api/call`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' })).status).toBe(403);
  });

  it('hands the token to the browser as an HttpOnly cookie and redirects it out of the address', async () => {
    const { host, base } = await start();
    const first = await fetch(host.url, { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('location')).toBe('/');
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(`${base}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-eval');
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const { host } = await start();
    const http = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: host.port, path: `/?token=${host.token}`, headers: { host: 'attacker.example' } }, (res) => resolve(res.statusCode ?? 0));
    });
    expect(status).toBe(403);
  });

  it('serves calls over HTTP with typed errors', async () => {
    const { host, base } = await start();
    const headers = { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' };
    const ok = await fetch(`${base}/api/call`, { method: 'POST', headers, body: JSON.stringify({ method: 'projects.create', input: { name: 'Via HTTP' } }) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, value: { name: 'Via HTTP' } });
    const bad = await fetch(`${base}/api/call`, { method: 'POST', headers, body: '{not json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const unknown = await fetch(`${base}/api/call`, { method: 'POST', headers, body: JSON.stringify({ method: 'nope', input: {} }) });
    expect(unknown.status).toBe(404);
  });

  it('sockets need the token and our own origin', async () => {
    const { host } = await start();
    const wsUrl = `ws://127.0.0.1:${host.port}/ws`;
    expect((await openSocket(wsUrl, {})).status).toBe(401);
    expect((await openSocket(`${wsUrl}?token=bad`, {})).status).toBe(403);
    expect((await openSocket(`${wsUrl}?token=${host.token}`, { origin: 'https://evil.example' })).status).toBe(403);
    const good = await openSocket(`${wsUrl}?token=${host.token}`, { origin: `http://127.0.0.1:${host.port}` });
    expect(good.status).toBe(101);
    const ws = good.ws!;
    const reply = new Promise<unknown>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    ws.send(JSON.stringify({ id: 1, method: 'projects.list', input: {} }));
    expect(await reply).toEqual({ id: 1, ok: true, value: [] });
    // Events reach the socket.
    const event = new Promise<unknown>((resolve) => ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.event) resolve(m);
    }));
    ws.send(JSON.stringify({ id: 2, method: 'projects.create', input: { name: 'Evented' } }));
    expect(await event).toMatchObject({ event: 'catalog.changed', payload: { entity: 'project' } });
    ws.close();
  });

  it('keeps media and assets inside their folders', async () => {
    const { host, base } = await start();
    const headers = { authorization: `Bearer ${host.token}` };
    fs.mkdirSync(path.join(service!.ctx.dataDir, 'projects'), { recursive: true });
    fs.writeFileSync(path.join(service!.ctx.dataDir, 'projects', 'ok.txt'), 'inside');
    fs.symlinkSync('/etc/passwd', path.join(service!.ctx.dataDir, 'projects', 'link.txt'));
    expect(await (await fetch(`${base}/media/projects/ok.txt`, { headers })).text()).toBe('inside');
    for (const p of ['/media/..%2F..%2F..%2Fetc%2Fpasswd', '/media/%2Fetc%2Fpasswd', '/media/projects/link.txt', '/..%2F..%2Fetc%2Fpasswd']) {
      const r = await fetch(`${base}${p}`, { headers });
      expect(r.status, p).toBe(403);
      expect(await r.text()).not.toContain('root:');
    }
  });
});
