import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { getJob, insertJob, sweepInterruptedJobs, setJobStatus } from '../../../src/main/catalog/jobs';
import { tempDir } from '../support/tmp';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'count-worker.ts');
const STUCK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'stuck-worker.ts');

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

function open(dir = tempDir()): Service {
  service = createService({ dataDir: dir, door: 'direct' });
  return service;
}

describe('job runner', () => {
  it('runs a worker to completion, recording progress and the result in the catalog', async () => {
    const s = open();
    const ticks: number[] = [];
    const events: string[] = [];
    s.events.onAny((e, p) => events.push(`${e}:${(p as { status?: string }).status}`));
    const job = s.ctx.jobs.start({
      kind: 'count',
      projectId: null,
      params: { total: 5 },
      worker: WORKER,
      workerData: { total: 5, delayMs: 5 },
      onMessage: (m) => {
        if (m.type === 'tick') ticks.push(m.i as number);
      },
    });
    const outcome = await job.done;
    expect(outcome).toEqual({ status: 'done', result: { counted: 5 } });
    expect(ticks).toEqual([1, 2, 3, 4, 5]);
    const row = getJob(s.ctx.db, job.id)!;
    expect(row).toMatchObject({ status: 'done', progress: { done: 5, total: 5 }, result: { counted: 5 } });
    expect(events).toContain('job.progress:done');
    expect(await s.call('jobs.list', {})).toMatchObject([{ id: job.id, status: 'done', done: 5, total: 5 }]);
  });

  it('pauses, resumes and cancels at safe points', async () => {
    const s = open();
    let ticks = 0;
    const job = s.ctx.jobs.start({
      kind: 'count',
      projectId: null,
      params: {},
      worker: WORKER,
      workerData: { total: 10_000, delayMs: 2 },
      onMessage: (m) => {
        if (m.type === 'tick') ticks++;
      },
    });
    while (ticks < 3) await new Promise((r) => setTimeout(r, 5));
    await s.call('jobs.control', { id: job.id, action: 'pause' });
    await expect.poll(() => getJob(s.ctx.db, job.id)!.status).toBe('paused');
    const frozen = ticks;
    await new Promise((r) => setTimeout(r, 100));
    expect(ticks).toBeLessThanOrEqual(frozen + 1);
    await s.call('jobs.control', { id: job.id, action: 'resume' });
    await expect.poll(() => ticks).toBeGreaterThan(frozen + 2);
    await s.call('jobs.control', { id: job.id, action: 'cancel' });
    expect((await job.done).status).toBe('cancelled');
    expect(getJob(s.ctx.db, job.id)!.status).toBe('cancelled');
  });

  it('cancel always ends a job, even one stuck where control messages cannot reach it', async () => {
    const s = open();
    s.ctx.jobs.cancelGraceMs = 300;
    const job = s.ctx.jobs.start({ kind: 'stuck', projectId: null, params: {}, worker: STUCK, workerData: { blockMs: 600_000 } });
    await expect.poll(() => getJob(s.ctx.db, job.id)!.progress.message).toBe('stuck');
    await s.call('jobs.control', { id: job.id, action: 'cancel' });
    expect((await job.done).status).toBe('cancelled');
    expect(getJob(s.ctx.db, job.id)!.status).toBe('cancelled');
    expect(s.ctx.jobs.running()).toEqual([]);
  });

  it('reports a worker failure as a failed job without harming the engine', async () => {
    const s = open();
    const job = s.ctx.jobs.start({ kind: 'count', projectId: null, params: {}, worker: WORKER, workerData: { total: 10, delayMs: 1, failAt: 3 } });
    expect(await job.done).toMatchObject({ status: 'failed', error: { message: 'failed at 3' } });
    expect(await s.call('projects.list', {})).toEqual([]);
  });

  it('closing the engine stops jobs as interrupted (resumable)', async () => {
    const s = open();
    let saved = false;
    const job = s.ctx.jobs.start({
      kind: 'count',
      projectId: null,
      params: {},
      worker: WORKER,
      workerData: { total: 100_000, delayMs: 2 },
      onMessage: (m) => {
        if (m.type === 'saved') saved = true;
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    const db = s.ctx.db;
    await s.ctx.jobs.shutdown();
    expect((await job.done).status).toBe('interrupted');
    expect(saved).toBe(true);
    expect(getJob(db, job.id)!.status).toBe('interrupted');
  });

  it('at startup, jobs of dead processes become interrupted; live owners are left alone', () => {
    const dir = tempDir();
    const s = open(dir);
    const db = s.ctx.db;
    const now = Date.now();
    const dead = insertJob(db, { projectId: null, kind: 'train', params: {} });
    db.prepare('UPDATE job SET owner_pid = 999999999 WHERE id = ?').run(dead);
    const live = insertJob(db, { projectId: null, kind: 'train', params: {} });
    db.prepare('UPDATE job SET owner_pid = ? WHERE id = ?').run(process.ppid, live);
    const staleButAlive = insertJob(db, { projectId: null, kind: 'train', params: {} });
    db.prepare('UPDATE job SET owner_pid = ?, heartbeat_at = ? WHERE id = ?').run(process.ppid, now - 120_000, staleButAlive);
    const finished = insertJob(db, { projectId: null, kind: 'train', params: {} });
    setJobStatus(db, finished, 'done');

    const swept = sweepInterruptedJobs(db, now).map((j) => j.id).sort();
    expect(swept).toEqual([dead, staleButAlive].sort());
    expect(getJob(db, live)!.status).toBe('running');
    expect(getJob(db, finished)!.status).toBe('done');
  });
});
