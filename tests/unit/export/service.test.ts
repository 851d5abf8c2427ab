import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp';
import { makeFixture } from './fixtures';
import { createService } from '../../../src/main/service';
import { readPngText } from '../../../src/main/export/png-metadata';

async function serviceWithGenerations(door: 'web' | 'direct' | 'electron') {
  const dataDir = tempDir();
  const fx = await makeFixture(dataDir);
  fx.db.close();
  return { service: createService({ dataDir, door }), dataDir, fx };
}

describe('export service', () => {
  it('the web door exports into the data folder (downloadable media paths) and may not choose a folder', async () => {
    const { service, dataDir, fx } = await serviceWithGenerations('web');
    const denied = await service.dispatch('export.generations', { projectId: fx.projectId, ids: fx.generationIds, format: 'png', outDir: '/tmp' });
    expect(denied).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const r = await service.call('export.generations', { projectId: fx.projectId, ids: fx.generationIds.slice(0, 2), format: 'png', scale: 2 });
    expect(r.files).toHaveLength(2);
    for (const f of r.files) {
      expect(f.media).toMatch(/^exports\/[^/]+-png\/[^/]+\.png$/);
      expect(fs.existsSync(path.join(dataDir, f.media!))).toBe(true);
    }
    const list = await service.call('export.list', { projectId: fx.projectId });
    expect(list.map((e) => e.id)).toEqual([r.id]);
    const candidates = await service.call('export.candidates', { projectId: fx.projectId });
    expect(candidates.generations.map((g) => g.id)).toEqual([...fx.generationIds].reverse());
    expect(candidates.runs).toEqual([{ id: fx.runId, name: 'pets run', grids: 3, lastStep: 600 }]);
    expect(candidates.desktop).toBe(false);
    // Generations of another project, or unknown ids, are refused.
    expect(await service.dispatch('export.generations', { projectId: fx.projectId + 1, ids: fx.generationIds, format: 'png' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // Reveal / copy / drag need the desktop shell.
    expect(await service.dispatch('export.reveal', { exportId: r.id, name: r.files[0]!.name })).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    await service.close();
  });

  it('reveal, copy and drag go through the desktop bridge, for recorded export files only', async () => {
    const { service, fx } = await serviceWithGenerations('electron');
    const calls: string[] = [];
    // What the Electron shell passes to createService.
    service.ctx.desktop = {
      reveal: (f) => void calls.push(`reveal ${f}`),
      copyImage: (f) => void calls.push(`copy ${f}`),
      startDrag: (f) => void calls.push(`drag ${f}`),
    };
    const out = tempDir();
    const r = await service.call('export.generations', { projectId: fx.projectId, ids: [fx.generationIds[0]!], format: 'png', outDir: out });
    const f = r.files[0]!;
    expect(f.path.startsWith(out)).toBe(true);
    expect(f.media).toBeNull();
    await service.call('export.reveal', { exportId: r.id, name: f.name });
    await service.call('export.copy', { exportId: r.id, name: f.name });
    await service.call('export.drag', { exportId: r.id, name: f.name });
    expect(calls).toEqual([`reveal ${f.path}`, `copy ${f.path}`, `drag ${f.path}`]);
    expect(await service.dispatch('export.reveal', { exportId: r.id, name: '../../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await service.call('export.candidates', { projectId: fx.projectId })).desktop).toBe(true);
    await service.close();
  });
});

describe('atelier export (CLI)', () => {
  const built = path.resolve('out/main/cli.js');
  it.skipIf(!fs.existsSync(built))('prints {"files":[…]} as the last line and writes them', async () => {
    const dataDir = tempDir();
    const fx = await makeFixture(dataDir);
    fx.db.close();
    const out = path.join(tempDir(), 'cli-out');
    const r = spawnSync(process.execPath, ['bin/atelier.js', 'export', '--ids', fx.generationIds.join(','), '--format', 'png', '--out', out, '--scale', '2', '--json', '--data-dir', dataDir], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last.files).toHaveLength(fx.generationIds.length);
    for (const f of last.files) {
      expect(path.dirname(f)).toBe(out);
      expect(readPngText(fs.readFileSync(f)).some((t) => t.keyword === 'parameters')).toBe(true);
    }
    const bad = spawnSync(process.execPath, ['bin/atelier.js', 'export', '--ids', '999', '--format', 'png', '--out', out, '--json', '--data-dir', dataDir], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stderr.trim().split('\n').pop()!).error.code).toBe('not_found');
  });
});
