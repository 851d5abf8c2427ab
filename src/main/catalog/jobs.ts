import type { Db } from './db';

export type JobStatus = 'queued' | 'running' | 'paused' | 'interrupted' | 'done' | 'failed' | 'cancelled' | 'diverged';
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running', 'paused'];

export interface JobRow {
  id: number;
  projectId: number | null;
  kind: string;
  status: JobStatus;
  params: unknown;
  progress: { done?: number; total?: number | null; message?: string } & Record<string, unknown>;
  result: unknown;
  error: string | null;
  ownerPid: number | null;
  createdAt: number;
  startedAt: number | null;
  heartbeatAt: number | null;
  endedAt: number | null;
}

interface RawJob {
  id: number;
  project_id: number | null;
  kind: string;
  status: JobStatus;
  params_json: string;
  progress_json: string;
  result_json: string | null;
  error: string | null;
  owner_pid: number | null;
  created_at: number;
  started_at: number | null;
  heartbeat_at: number | null;
  ended_at: number | null;
}

function toJob(r: RawJob): JobRow {
  return {
    id: r.id,
    projectId: r.project_id,
    kind: r.kind,
    status: r.status,
    params: JSON.parse(r.params_json),
    progress: JSON.parse(r.progress_json),
    result: r.result_json === null ? null : JSON.parse(r.result_json),
    error: r.error,
    ownerPid: r.owner_pid,
    createdAt: r.created_at,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    endedAt: r.ended_at,
  };
}

export function insertJob(db: Db, job: { projectId: number | null; kind: string; params: unknown }, now = Date.now()): number {
  const info = db
    .prepare(
      `INSERT INTO job (project_id, kind, status, params_json, progress_json, owner_pid, created_at, started_at, heartbeat_at)
       VALUES (?, ?, 'running', ?, '{}', ?, ?, ?, ?)`,
    )
    .run(job.projectId, job.kind, JSON.stringify(job.params ?? {}), process.pid, now, now, now);
  return Number(info.lastInsertRowid);
}

export function getJob(db: Db, id: number): JobRow | undefined {
  const r = db.prepare('SELECT * FROM job WHERE id = ?').get(id) as RawJob | undefined;
  return r && toJob(r);
}

export function listJobs(db: Db, filter: { projectId?: number; active?: boolean; kind?: string; limit?: number } = {}): JobRow[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (filter.projectId !== undefined) {
    where.push('project_id = ?');
    args.push(filter.projectId);
  }
  if (filter.kind !== undefined) {
    where.push('kind = ?');
    args.push(filter.kind);
  }
  if (filter.active) where.push(`status IN ('queued','running','paused')`);
  const sql = `SELECT * FROM job ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  return (db.prepare(sql).all(...args, filter.limit ?? 100) as RawJob[]).map(toJob);
}

export function updateJobProgress(db: Db, id: number, progress: object, now = Date.now()): void {
  db.prepare('UPDATE job SET progress_json = ?, heartbeat_at = ? WHERE id = ?').run(JSON.stringify(progress), now, id);
}

export function heartbeatJob(db: Db, id: number, now = Date.now()): void {
  db.prepare('UPDATE job SET heartbeat_at = ? WHERE id = ?').run(now, id);
}

export function setJobStatus(db: Db, id: number, status: JobStatus, extra: { error?: string | null; result?: unknown } = {}, now = Date.now()): void {
  const ended = ACTIVE_STATUSES.includes(status) ? null : now;
  db.prepare(
    `UPDATE job SET status = ?, error = coalesce(?, error), result_json = coalesce(?, result_json), ended_at = ?, heartbeat_at = ?,
       owner_pid = CASE WHEN ? IN ('queued','running','paused') THEN ? ELSE owner_pid END
     WHERE id = ?`,
  ).run(status, extra.error ?? null, extra.result === undefined ? null : JSON.stringify(extra.result), ended, now, status, process.pid, id);
}

/** A job is stale when its owner stopped beating: the process died (kill -9, crash, power loss). */
export const STALE_AFTER_MS = 30_000;

/**
 * At startup: jobs left 'running'/'paused'/'queued' by a process that is gone become 'interrupted', so
 * the UI can offer Resume. A job owned by another live Atelier process (the CLI beside the web host)
 * that is still beating is left alone.
 */
export function sweepInterruptedJobs(db: Db, now = Date.now(), isAlive: (pid: number) => boolean = pidAlive): JobRow[] {
  const active = (db.prepare(`SELECT * FROM job WHERE status IN ('queued','running','paused')`).all() as RawJob[]).map(toJob);
  const dead = active.filter((j) => {
    if (j.ownerPid === process.pid) return true; // a previous life of this very pid cannot still own it here
    const fresh = j.heartbeatAt !== null && now - j.heartbeatAt < STALE_AFTER_MS;
    return !(j.ownerPid !== null && isAlive(j.ownerPid) && fresh);
  });
  const mark = db.prepare(`UPDATE job SET status = 'interrupted', ended_at = ? WHERE id = ?`);
  db.transaction(() => dead.forEach((j) => mark.run(now, j.id)))();
  return dead.map((j) => ({ ...j, status: 'interrupted' as const, endedAt: now }));
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Active jobs owned by another Atelier process that is still alive and beating (the CLI beside the web
 * host): this process cannot cancel them, so it must not pull their files away either.
 */
export function liveForeignJobs(db: Db, filter: { projectId?: number } = {}, now = Date.now(), isAlive: (pid: number) => boolean = pidAlive): JobRow[] {
  const rows = (
    filter.projectId === undefined
      ? db.prepare(`SELECT * FROM job WHERE status IN ('queued','running','paused')`).all()
      : db.prepare(`SELECT * FROM job WHERE status IN ('queued','running','paused') AND project_id = ?`).all(filter.projectId)
  ) as RawJob[];
  return rows
    .map(toJob)
    .filter((j) => j.ownerPid !== null && j.ownerPid !== process.pid && isAlive(j.ownerPid) && j.heartbeatAt !== null && now - j.heartbeatAt < STALE_AFTER_MS);
}
