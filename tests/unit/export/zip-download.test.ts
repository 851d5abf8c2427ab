/**
 * "Download all": export.zip puts an export's files in one zip that the doors serve as media (the web
 * host only with the launch's token); the picker's candidates carry stars and boards for its filters.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp';
import { closeAfterTest } from '../support/close';
import { makeFixture } from './fixtures';
import { createService } from '../../../src/main/service';
import { startWebHost } from '../../../src/main/web/host';
import { unzipEntries } from '../../../src/main/export/pack';
import { isMediaPath } from '../../../src/main/files/media';

const LIMITS = { maxEntries: 100, maxEntryBytes: 64 * 1024 * 1024, maxTotalBytes: 256 * 1024 * 1024 };

describe('export.zip', () => {
  it('zips every file of an export into the data folder, the same bytes each time', async () => {
    const dataDir = tempDir();
    const fx = await makeFixture(dataDir);
    fx.db.close();
    const service = closeAfterTest(createService({ dataDir, door: 'web' }));
    const r = await service.call('export.generations', { projectId: fx.projectId, ids: fx.generationIds.slice(0, 3), format: 'png' });
    const zip = await service.call('export.zip', { exportId: r.id });
    expect(zip.name).toMatch(/\.zip$/);
    expect(zip.media).toMatch(/^exports\/[^/]+\.zip$/);
    expect(isMediaPath(zip.media!)).toBe(true);
    const bytes = fs.readFileSync(path.join(dataDir, zip.media!));
    expect(bytes.length).toBe(zip.bytes);
    const entries = await unzipEntries(bytes, LIMITS);
    expect([...entries.keys()].sort()).toEqual(r.files.map((f) => f.name).sort());
    for (const f of r.files) expect(entries.get(f.name)!.equals(fs.readFileSync(f.path))).toBe(true);
    const again = await service.call('export.zip', { exportId: r.id });
    expect(again.media).toBe(zip.media);
    expect(fs.readFileSync(path.join(dataDir, again.media!)).equals(bytes)).toBe(true);

    // A file removed behind Atelier's back: said plainly, no half zip.
    fs.rmSync(r.files[1]!.path);
    expect(await service.dispatch('export.zip', { exportId: r.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await service.dispatch('export.zip', { exportId: 9999 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('the web host serves the zip only with the launch token', async () => {
    const dataDir = tempDir();
    const fx = await makeFixture(dataDir);
    fx.db.close();
    const service = closeAfterTest(createService({ dataDir, door: 'web' }));
    const rendererDir = tempDir('renderer-');
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Atelier</title>');
    const host = closeAfterTest(await startWebHost({ service, rendererDir, port: 0 }));
    const r = await service.call('export.generations', { projectId: fx.projectId, ids: fx.generationIds.slice(0, 2), format: 'png' });
    const zip = await service.call('export.zip', { exportId: r.id });
    const url = `http://127.0.0.1:${host.port}/media/${zip.media}`;
    expect((await fetch(url)).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${host.token}` } });
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).length).toBe(zip.bytes);
  });

  it('candidates carry stars and boards, and the project’s boards come along for the filter', async () => {
    const dataDir = tempDir();
    const fx = await makeFixture(dataDir);
    fx.db.close();
    const service = closeAfterTest(createService({ dataDir, door: 'direct' }));
    const [a, b] = fx.generationIds;
    await service.call('gallery.star', { ids: [a!], starred: true });
    const board = await service.call('boards.create', { projectId: fx.projectId, name: 'Keepers' });
    await service.call('boards.add', { boardId: board.id, ids: [b!] });
    const c = await service.call('export.candidates', { projectId: fx.projectId });
    expect(c.boards).toEqual([{ id: board.id, name: 'Keepers' }]);
    const byId = new Map(c.generations.map((g) => [g.id, g]));
    expect(byId.get(a!)).toMatchObject({ starred: true, boardIds: [] });
    expect(byId.get(b!)).toMatchObject({ starred: false, boardIds: [board.id] });
    expect(typeof byId.get(a!)!.step).toBe('number');
  });
});
