/**
 * Issue 16, deleting a project while its import runs: the call answered `internal` ENOTEMPTY yet deleted
 * the project, the import kept running, and its files stayed on disk for good (the promised startup
 * sweep did not exist). Now the delete cancels and awaits the project's jobs, then removes its files,
 * and a startup sweep removes files no row points to, including after kill -9.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { deleteProjectRow } from '../../../src/main/catalog/projects';
import { insertJob } from '../../../src/main/catalog/jobs';
import { tempDir } from '../support/tmp';
import { cliArgs, itemCount, ROOT, runCli, writeNoiseImages } from '../datasets/support';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

function backdate(dir: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  for (const f of filesUnder(dir)) fs.utimesSync(path.join(dir, f), then, then);
}

/** Every row's file exists, and every item file or thumbnail on disk is some row's. */
function audit(dataDir: string): { missing: string[]; unreferenced: string[] } {
  const db = new Database(path.join(dataDir, 'catalog.db'), { readonly: true });
  try {
    const named = new Set<string>();
    for (const r of db.prepare('SELECT file, thumb FROM item').all() as Array<{ file: string; thumb: string | null }>) {
      named.add(r.file);
      if (r.thumb) named.add(r.thumb);
    }
    for (const r of db.prepare('SELECT file FROM generation WHERE file IS NOT NULL').all() as Array<{ file: string }>) named.add(r.file);
    const missing = [...named].filter((f) => !fs.existsSync(path.join(dataDir, f)));
    const unreferenced = filesUnder(path.join(dataDir, 'projects'))
      .map((f) => `projects/${f.split(path.sep).join('/')}`)
      .filter((f) => !named.has(f));
    return { missing, unreferenced };
  } finally {
    db.close();
  }
}

describe('deleting a project and the startup sweep', () => {
  it('deleting a project while its import runs cancels the import, then removes every file', async () => {
    const dir = tempDir('delete-');
    const src = path.join(dir, 'src');
    await writeNoiseImages(src, 300, 48);
    const dataDir = path.join(dir, 'data');
    service = createService({ dataDir, door: 'direct' });
    const s = service;
    const p = await s.call('projects.create', { name: 'Doomed' });
    const { jobId, datasetId } = await s.call('datasets.import', { projectId: p.id, paths: [src] });
    const job = s.ctx.jobs.get(jobId)!;
    // Wait until the import has committed some items and is still going.
    await expect.poll(async () => (await s.call('datasets.get', { id: datasetId })).itemCount, { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
    expect(s.ctx.jobs.running().map((j) => j.id)).toContain(jobId);

    await expect(s.call('projects.delete', { id: p.id, confirmName: 'Doomed' })).resolves.toEqual({ ok: true });
    expect((await job.done).status).toBe('cancelled');
    expect(s.ctx.jobs.running()).toEqual([]);
    expect(await s.call('projects.list', {})).toEqual([]);
    expect(filesUnder(path.join(dataDir, 'projects'))).toEqual([]);

    // Nothing comes back after a restart either.
    await s.close();
    service = createService({ dataDir, door: 'direct' });
    expect(filesUnder(path.join(dataDir, 'projects'))).toEqual([]);
  });

  it('work another live Atelier process runs in the project blocks the delete (it cannot be cancelled from here)', async () => {
    service = createService({ dataDir: tempDir(), door: 'direct' });
    const s = service;
    const p = await s.call('projects.create', { name: 'Shared' });
    const job = insertJob(s.ctx.db, { projectId: p.id, kind: 'import', params: {} });
    s.ctx.db.prepare('UPDATE job SET owner_pid = ? WHERE id = ?').run(process.ppid, job);
    await expect(s.call('projects.delete', { id: p.id, confirmName: 'Shared' })).rejects.toMatchObject({ code: 'conflict' });
    expect((await s.call('projects.list', {})).map((x) => x.name)).toEqual(['Shared']);
  });

  it('after kill -9 in the middle of an import, a later start removes exactly the files no row points to', async () => {
    const dir = tempDir('sweep-');
    const src = path.join(dir, 'src');
    await writeNoiseImages(src, 400, 64);
    const dataDir = path.join(dir, 'data');
    expect((await runCli(['projects', 'create', 'Kept', '--json'], dataDir)).code).toBe(0);
    expect((await runCli(['projects', 'create', 'Doomed', '--json'], dataDir)).code).toBe(0);
    const dbFile = path.join(dataDir, 'catalog.db');

    // kill -9 the importer once some chunks are committed (files of the chunk in flight have no rows).
    const child = spawn(process.execPath, cliArgs(['import', src, '--project', 'Kept', '--dataset', 'pics', '--json'], dataDir), { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    await expect.poll(() => itemCount(dbFile), { timeout: 90_000, interval: 20 }).toBeGreaterThanOrEqual(64);
    child.kill('SIGKILL');
    await exited;

    // What other deaths leave behind: a delete killed after its transaction (a project folder without its
    // row), a run and a generation whose rows went, temp files of a dead process.
    const doomed = createService({ dataDir, door: 'direct' });
    const doomedId = (await doomed.call('projects.list', {})).find((x) => x.name === 'Doomed')!.id;
    await doomed.close();
    const put = (rel: string) => {
      fs.mkdirSync(path.dirname(path.join(dataDir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dataDir, rel), 'orphan');
    };
    put(`projects/${doomedId}/items/ab/abcdef.png`);
    put(`projects/${doomedId}/generations/0/7.png`);
    const db = new Database(dbFile);
    deleteProjectRow(db, doomedId);
    db.close();
    put('projects/1/runs/42/checkpoints/step-00000010.ckpt');
    put('projects/1/generations/0/5.png');
    put('projects/1/items/00/0000.png.atelier-tmp-999999999-abcd');
    put('projects/1/runs/.keep-me-not-a-run');
    const before = audit(dataDir);
    expect(before.missing).toEqual([]);
    expect(before.unreferenced.length).toBeGreaterThan(4);

    // A start right away keeps young unreferenced item files (another process may be about to commit
    // them) but removes everything that can only be garbage.
    service = createService({ dataDir, door: 'direct' });
    await service.close();
    const early = audit(dataDir);
    expect(early.missing).toEqual([]);
    const young = early.unreferenced.filter((f) => f !== 'projects/1/runs/.keep-me-not-a-run');
    expect(young.every((f) => /^projects\/1\/(items|thumbs)\//.test(f) && !f.includes('atelier-tmp')), young.join('\n')).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'projects', String(doomedId)))).toBe(false);

    // A start later on (the files are older than the grace period) removes the rest, and only that.
    backdate(path.join(dataDir, 'projects'), 60 * 60_000);
    service = createService({ dataDir, door: 'direct' });
    const after = audit(dataDir);
    expect(after).toEqual({ missing: [], unreferenced: ['projects/1/runs/.keep-me-not-a-run'] });
    // And the import, run again, completes: nothing it committed was lost.
    await service.close();
    service = undefined;
    const again = await runCli(['import', src, '--project', 'Kept', '--dataset', 'pics', '--json'], dataDir);
    expect(again.code, again.stderr).toBe(0);
    const final = new Database(dbFile, { readonly: true });
    expect((final.prepare('SELECT count(*) AS n FROM item').get() as { n: number }).n).toBe(400);
    final.close();
    expect(audit(dataDir)).toEqual({ missing: [], unreferenced: ['projects/1/runs/.keep-me-not-a-run'] });
  });

  it('the sweep leaves alone a project another live process is working in', async () => {
    const dataDir = tempDir();
    service = createService({ dataDir, door: 'direct' });
    const p = await service.call('projects.create', { name: 'Busy' });
    const job = insertJob(service.ctx.db, { projectId: p.id, kind: 'import', params: {} });
    service.ctx.db.prepare('UPDATE job SET owner_pid = ? WHERE id = ?').run(process.ppid, job);
    await service.close();
    const orphan = path.join(dataDir, 'projects', String(p.id), 'items', 'ab', 'abcdef.png');
    fs.mkdirSync(path.dirname(orphan), { recursive: true });
    fs.writeFileSync(orphan, 'not yet committed by the other process');
    backdate(path.join(dataDir, 'projects'), 60 * 60_000);
    service = createService({ dataDir, door: 'direct' });
    expect(fs.existsSync(orphan)).toBe(true);
  });
});
