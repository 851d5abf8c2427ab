import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { backupCatalog, restoreCatalog, verifyCatalogFile } from '../../../src/main/catalog/backup';
import { diskFullError } from '../../../src/main/files/disk-full';
import { tempDir } from '../support/tmp';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

describe('catalog backup and restore', () => {
  it('backs up a live catalog, and restoring it brings the data back while keeping the replaced catalog', async () => {
    const dir = tempDir();
    service = createService({ dataDir: dir, door: 'direct' });
    await service.call('projects.create', { name: 'Alpha' });
    await service.call('projects.create', { name: 'Beta' });
    const out = path.join(tempDir(), 'nested', 'backup.db');
    const report = await backupCatalog(service.ctx.db, out);
    expect(report).toMatchObject({ file: out, integrity: 'ok', schemaVersion: 1, tables: { project: 2 } });
    expect(fs.readdirSync(path.dirname(out))).toEqual(['backup.db']); // no temp file left

    // Lose a project after the backup, then restore.
    const [alpha] = (await service.call('projects.list', {})).filter((p) => p.name === 'Alpha');
    await service.call('projects.delete', { id: alpha!.id, confirmName: 'Alpha' });
    await service.close();
    service = undefined;
    const restored = restoreCatalog(dir, out);
    expect(restored.previous).toBeTruthy();
    expect(verifyCatalogFile(restored.previous!).tables.project).toBe(1);
    service = createService({ dataDir: dir, door: 'direct' });
    expect((await service.call('projects.list', {})).map((p) => p.name).sort()).toEqual(['Alpha', 'Beta']);
  });

  it('refuses to restore a file that is not a good catalog, leaving the current one alone', async () => {
    const dir = tempDir();
    service = createService({ dataDir: dir, door: 'direct' });
    await service.call('projects.create', { name: 'Keep' });
    await service.close();
    service = undefined;
    const junk = path.join(tempDir(), 'junk.db');
    fs.writeFileSync(junk, 'SQLite format 3\u0000 but not really');
    expect(() => restoreCatalog(dir, junk)).toThrow(/not (a readable Atelier catalog|an SQLite database)/);
    expect(fs.readdirSync(dir).filter((f) => f.includes('tmp'))).toEqual([]);
    service = createService({ dataDir: dir, door: 'direct' });
    expect((await service.call('projects.list', {})).map((p) => p.name)).toEqual(['Keep']);
  });

  it('a full disk becomes a plain disk_full error', () => {
    const err = Object.assign(new Error('no space'), { code: 'ENOSPC' });
    expect(diskFullError(err)?.toPayload()).toMatchObject({ code: 'disk_full' });
    expect(diskFullError(Object.assign(new Error('x'), { code: 'SQLITE_FULL' }))?.code).toBe('disk_full');
    expect(diskFullError(new Error('other'))).toBeNull();
  });
});
