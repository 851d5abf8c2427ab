import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { tempDir } from '../support/tmp';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

function open(): Service {
  service = createService({ dataDir: tempDir(), door: 'direct' });
  return service;
}

describe('service dispatch', () => {
  it('runs the project lifecycle', async () => {
    const s = open();
    const created = await s.dispatch('projects.create', { name: '  Pixel pets  ' });
    expect(created).toMatchObject({ ok: true, value: { name: 'Pixel pets' } });
    const id = (created as { value: { id: number } }).value.id;
    expect(await s.dispatch('projects.rename', { id, name: 'Pixel pals' })).toMatchObject({ ok: true, value: { id, name: 'Pixel pals' } });
    const list = await s.dispatch('projects.list', {});
    expect(list).toMatchObject({ ok: true, value: [{ id, name: 'Pixel pals' }] });
    fs.mkdirSync(path.join(s.ctx.dataDir, 'projects', String(id), 'items'), { recursive: true });
    expect(await s.dispatch('projects.delete', { id, confirmName: 'Pixel pals' })).toEqual({ ok: true, value: { ok: true } });
    expect(fs.existsSync(path.join(s.ctx.dataDir, 'projects', String(id)))).toBe(false);
    expect(await s.dispatch('projects.list', {})).toEqual({ ok: true, value: [] });
  });

  it('deleting needs the exact name', async () => {
    const s = open();
    const { id } = await s.call('projects.create', { name: 'Keep me' });
    const r = await s.dispatch('projects.delete', { id, confirmName: 'Keep' });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await s.call('projects.list', {})).toHaveLength(1);
  });

  it('names are unique regardless of case', async () => {
    const s = open();
    await s.call('projects.create', { name: 'Icons' });
    expect(await s.dispatch('projects.create', { name: 'ICONS' })).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringContaining('Icons') } });
  });

  it.each([
    ['unknown method', 'projects.explode', {}, 'unknown_method'],
    ['prototype key as method', '__proto__', {}, 'unknown_method'],
    ['non-string method', 42, {}, 'unknown_method'],
    ['missing field', 'projects.create', {}, 'bad_request'],
    ['wrong type', 'projects.create', { name: 7 }, 'bad_request'],
    ['extra key', 'projects.create', { name: 'a', admin: true }, 'bad_request'],
    ['empty name', 'projects.create', { name: '   ' }, 'bad_request'],
    ['huge name', 'projects.create', { name: 'x'.repeat(1_000_000) }, 'bad_request'],
    ['control characters', 'projects.create', { name: 'a\u0000b' }, 'bad_request'],
    ['array as input', 'projects.list', [1, 2, 3], 'bad_request'],
    ['negative id', 'projects.get', { id: -1 }, 'bad_request'],
    ['float id', 'projects.get', { id: 1.5 }, 'bad_request'],
    ['missing row', 'projects.get', { id: 12345 }, 'not_found'],
  ])('rejects %s with a typed error and changes nothing', async (_label, method, input, code) => {
    const s = open();
    await s.call('projects.create', { name: 'Existing' });
    const before = JSON.stringify(await s.call('projects.list', {}));
    const r = await s.dispatch(method, input);
    expect(r).toMatchObject({ ok: false, error: { code } });
    expect(JSON.stringify(await s.call('projects.list', {}))).toBe(before);
  });
});
