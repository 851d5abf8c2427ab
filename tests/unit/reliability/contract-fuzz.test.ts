import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { methods, type MethodName } from '../../../src/shared/contract';
import { createService, type Service } from '../../../src/main/service';
import { startWebHost, type WebHost } from '../../../src/main/web/host';
import { tempDir } from '../support/tmp';
import { catalogDigest, hostilePayloads } from './fuzz-support';

/**
 * Short variant of the contract fuzzer (the long one runs 1,000 cases per method: scripts/long-tests.mjs).
 * Every method of the contract gets hostile payloads, directly and through the web host. Each answer
 * must be a typed error (or a valid result where the payload happens to be valid), the process stays
 * up, and the catalog is unchanged by every rejected call.
 */
const CASES_PER_METHOD = Number(process.env.ATELIER_FUZZ_CASES ?? 40);
const KNOWN_CODES = new Set(['bad_request', 'not_found', 'conflict', 'unknown_method', 'invalid_input', 'unavailable', 'too_large']);

let service: Service | undefined;
let host: WebHost | undefined;
afterEach(async () => {
  await host?.close();
  await service?.close();
  host = service = undefined;
});

function seeded(): Service {
  service = createService({ dataDir: tempDir(), door: 'direct' });
  return service;
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
    const dir = tempDir();
    const rendererDir = tempDir('renderer-');
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Atelier</title>');
    service = createService({ dataDir: dir, door: 'web' });
    await service.call('projects.create', { name: 'Keep me' });
    host = await startWebHost({ service, rendererDir, port: 0 });
    const base = `http://127.0.0.1:${host.port}`;
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
    // Larger than the host accepts: refused without reading it all.
    const huge = await fetch(`${base}/api/call`, { method: 'POST', headers: auth, body: new Uint8Array(9 * 1024 * 1024).fill(0x20) }).catch((e: Error) => e);
    if (!(huge instanceof Error)) expect(huge.status).toBe(413);
    // Still up, still answering, nothing changed.
    const ok = await fetch(`${base}/api/call`, { method: 'POST', headers: auth, body: JSON.stringify({ method: 'projects.list', input: {} }) });
    expect(((await ok.json()) as { value: Array<{ name: string }> }).value.map((p) => p.name)).toEqual(['Keep me']);
    expect(catalogDigest(service.ctx.db)).toBe(before);
  });
});
