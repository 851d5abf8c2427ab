import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createService, type Service } from '../../../src/main/service';
import { tempDir } from '../support/tmp';
import { ROOT, seedSampleProject } from '../support/sample-dataset';

/**
 * Training as the product runs it: a real worker thread, the real catalog, files on disk. Tiny runs
 * (32 px, batch 8, a few steps) so this stays a test, not a benchmark.
 */
let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function waitFor<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 300_000, everyMs = 200): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    let v: T | undefined | null | false;
    try {
      v = await probe();
    } catch {
      v = undefined;
    }
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('training runs', () => {
  it('trains the default model in a worker: curves, grids, checkpoints and a metric land in the catalog', async () => {
    const dir = tempDir();
    const { projectId, datasetId } = seedSampleProject(dir, { limit: 48 });
    service = createService({ dataDir: dir, door: 'direct' });
    const steps: number[] = [];
    service.events.onAny((event, payload) => {
      if (event === 'run.step') steps.push((payload as { step: number }).step);
    });
    const run = await service.call('runs.start', { projectId, datasetId, family: 'default', size: 32, batchSize: 8, length: { steps: 6 }, seed: 7, sampleEvery: 3, checkpointEvery: 3 });
    expect(run.status).toBe('running');
    const done = await waitFor(async () => {
      const r = (await service!.call('runs.get', { id: run.id })).run;
      return ['done', 'failed', 'diverged'].includes(r.status) ? r : null;
    });
    expect(done.error).toBeNull();
    expect(done.status).toBe('done');
    expect(done.step).toBe(6);
    expect(done.backend).toBeTruthy();
    expect(done.backendReport?.reason).toBeTruthy();

    const detail = await service.call('runs.get', { id: run.id });
    const d = detail.scalars['loss/d']!;
    const g = detail.scalars['loss/g']!;
    expect(d.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [, v] of [...d, ...g]) expect(Number.isFinite(v)).toBe(true);
    expect(new Set(g.map(([, v]) => v)).size).toBeGreaterThan(1);
    // Grids at step 0 (before training), 3 and 6; checkpoints at 0, 3, 6 are all kept (keepLast 3).
    expect(detail.grids.map((x) => x.step)).toEqual([0, 3, 6]);
    for (const x of detail.grids) expect(fs.statSync(path.join(dir, x.file)).size).toBeGreaterThan(100);
    expect(detail.checkpoints.map((c) => c.step)).toEqual([0, 3, 6]);
    expect(detail.checkpoints.at(-1)!.metric).not.toBeNull();
    expect(steps.length).toBeGreaterThan(0);
  });

  it('a run killed with SIGKILL resumes from its last checkpoint and continues the same step count', async () => {
    const dir = tempDir();
    const { projectId } = seedSampleProject(dir, { limit: 32 });
    const bin = path.join(ROOT, 'bin', 'atelier.js');
    const child = spawn(
      process.execPath,
      [bin, 'train', '--project', String(projectId), '--model', 'default', '--size', '32', '--batch', '8', '--steps', '500', '--seed', '3', '--checkpoint-every', '4', '--sample-every', '4', '--json', '--data-dir', dir],
      { stdio: 'ignore' },
    );
    const exited = new Promise((r) => child.once('exit', r));
    // Read the catalog as an outside observer until a checkpoint past step 4 is committed, then kill -9.
    const catalog = path.join(dir, 'catalog.db');
    const killedAfter = await waitFor(() => {
      if (!fs.existsSync(catalog)) return null;
      const db = new Database(catalog, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare('SELECT max(step) AS s FROM checkpoint').get() as { s: number | null };
        return row.s !== null && row.s >= 8 ? row.s : null;
      } finally {
        db.close();
      }
    });
    child.kill('SIGKILL');
    await exited;

    service = createService({ dataDir: dir, door: 'direct' });
    const [run] = await service.call('runs.list', { projectId });
    expect(run!.status).toBe('interrupted');
    const before = await service.call('runs.get', { id: run!.id });
    const lastCkpt = Math.max(...before.checkpoints.map((c) => c.step));
    expect(lastCkpt).toBeGreaterThanOrEqual(killedAfter);
    await service.close();
    service = undefined;

    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, [bin, 'train', '--resume', String(run!.id), '--steps', '4', '--json', '--data-dir', dir]);
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (x) => (stdout += x));
      c.stderr.on('data', (x) => (stderr += x));
      c.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`resume failed (${code}): ${stderr}`))));
    });
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { runId: number; status: string; steps: number; checkpoint: { step: number } };
    expect(result).toMatchObject({ runId: run!.id, status: 'done', steps: lastCkpt + 4 });
    expect(result.checkpoint.step).toBe(lastCkpt + 4);

    service = createService({ dataDir: dir, door: 'direct' });
    const after = await service.call('runs.get', { id: run!.id });
    // The loss curve continues without a gap or a duplicate: 1..lastCkpt+4, every step once.
    const stepsSeen = after.scalars['loss/g']!.map(([s]) => s);
    expect(stepsSeen).toEqual(Array.from({ length: lastCkpt + 4 }, (_, i) => i + 1));
    const integrity = service.ctx.db.pragma('integrity_check', { simple: true });
    expect(integrity).toBe('ok');
  });
});
