import type { Db } from './db';
import { insertModel, type ModelRow } from './models';
import { AtelierError } from '../../shared/errors';

export type RunStatus = 'queued' | 'running' | 'paused' | 'interrupted' | 'diverged' | 'done' | 'failed' | 'cancelled';

export interface RunRow {
  id: number;
  projectId: number;
  modelId: number;
  datasetId: number | null;
  jobId: number | null;
  name: string;
  status: RunStatus;
  params: Record<string, unknown>;
  backend: string | null;
  backendReport: Record<string, unknown> | null;
  step: number;
  imagesSeen: number;
  trainMs: number;
  bestMetric: number | null;
  parentCheckpointId: number | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
}

interface Raw {
  id: number;
  project_id: number;
  model_id: number;
  dataset_id: number | null;
  job_id: number | null;
  name: string;
  status: RunStatus;
  params_json: string;
  backend: string | null;
  backend_json: string | null;
  step: number;
  images_seen: number;
  train_ms: number;
  best_metric: number | null;
  parent_checkpoint_id: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
}

const toRun = (r: Raw): RunRow => ({
  id: r.id,
  projectId: r.project_id,
  modelId: r.model_id,
  datasetId: r.dataset_id,
  jobId: r.job_id,
  name: r.name,
  status: r.status,
  params: JSON.parse(r.params_json),
  backend: r.backend,
  backendReport: r.backend_json === null ? null : JSON.parse(r.backend_json),
  step: r.step,
  imagesSeen: r.images_seen,
  trainMs: r.train_ms,
  bestMetric: r.best_metric,
  parentCheckpointId: r.parent_checkpoint_id,
  error: r.error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  endedAt: r.ended_at,
});

export function insertRun(
  db: Db,
  r: { projectId: number; modelId: number; datasetId: number | null; name: string; params: unknown; parentCheckpointId: number | null },
  now = Date.now(),
): number {
  const info = db
    .prepare(
      `INSERT INTO run (project_id, model_id, dataset_id, name, status, params_json, parent_checkpoint_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
    )
    .run(r.projectId, r.modelId, r.datasetId, r.name, JSON.stringify(r.params), r.parentCheckpointId, now, now);
  return Number(info.lastInsertRowid);
}

/** A new run and the model it trains, in one transaction (the run row points at the model row). */
export function insertRunWithModel(db: Db, model: Omit<ModelRow, 'id' | 'createdAt'>, run: Omit<Parameters<typeof insertRun>[1], 'modelId'>): number {
  return db.transaction(() => insertRun(db, { ...run, modelId: insertModel(db, model) }))();
}

export function getRun(db: Db, id: number): RunRow {
  const r = db.prepare('SELECT * FROM run WHERE id = ?').get(id) as Raw | undefined;
  if (!r) throw new AtelierError('not_found', `There is no run with id ${id}.`);
  return toRun(r);
}

/** The newest run that trained a model (null for base and imported models). */
export function latestRunOfModel(db: Db, modelId: number): { id: number; datasetId: number | null } | null {
  const r = db.prepare('SELECT id, dataset_id FROM run WHERE model_id = ? ORDER BY id DESC LIMIT 1').get(modelId) as { id: number; dataset_id: number | null } | undefined;
  return r ? { id: r.id, datasetId: r.dataset_id } : null;
}

/** A project's run by name (case-insensitive), the newest of that name; null when none has it. */
export function findRunByName(db: Db, projectId: number, name: string): RunRow | null {
  const r = db.prepare('SELECT * FROM run WHERE project_id = ? AND name = ? COLLATE NOCASE ORDER BY id DESC LIMIT 1').get(projectId, name) as Raw | undefined;
  return r ? toRun(r) : null;
}

export function listRuns(db: Db, projectId?: number): RunRow[] {
  const rows = (projectId === undefined
    ? db.prepare('SELECT * FROM run ORDER BY id DESC').all()
    : db.prepare('SELECT * FROM run WHERE project_id = ? ORDER BY id DESC').all(projectId)) as Raw[];
  return rows.map(toRun);
}

export function setRunStatus(db: Db, id: number, status: RunStatus, extra: { error?: string | null; jobId?: number } = {}, now = Date.now()): void {
  const ended = ['done', 'failed', 'cancelled', 'diverged', 'interrupted'].includes(status) ? now : null;
  db.prepare(
    `UPDATE run SET status = ?, error = CASE WHEN ? THEN ? ELSE error END, job_id = coalesce(?, job_id), updated_at = ?, ended_at = ? WHERE id = ?`,
  ).run(status, extra.error !== undefined ? 1 : 0, extra.error ?? null, extra.jobId ?? null, now, ended, id);
}

export function setRunBackend(db: Db, id: number, backend: string, report: unknown): void {
  db.prepare('UPDATE run SET backend = ?, backend_json = ?, updated_at = ? WHERE id = ?').run(backend, JSON.stringify(report), Date.now(), id);
}

export function setRunParams(db: Db, id: number, params: unknown): void {
  db.prepare('UPDATE run SET params_json = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(params), Date.now(), id);
}

/**
 * Points on a run's curves at one step (diversity, the probe's measures, a warning's mark). A resumed
 * run records its steps again, so a point replaces the one before; values that are not finite are left out.
 */
export function recordScalars(db: Db, runId: number, step: number, scalars: Record<string, number>): void {
  const insert = db.prepare('INSERT OR REPLACE INTO run_scalar (run_id, name, step, value) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (const [name, value] of Object.entries(scalars)) if (Number.isFinite(value)) insert.run(runId, name, step, value);
  })();
}

/** One training step's numbers: the run's counters and its curves, in one transaction. */
export function recordStep(db: Db, runId: number, step: number, scalars: Record<string, number>, counters: { imagesSeen: number; trainMs: number }): void {
  db.transaction(() => {
    recordScalars(db, runId, step, scalars);
    db.prepare('UPDATE run SET step = ?, images_seen = ?, train_ms = ?, updated_at = ? WHERE id = ?').run(step, counters.imagesSeen, counters.trainMs, Date.now(), runId);
  })();
}

export function runScalars(db: Db, runId: number): Record<string, Array<[number, number]>> {
  const rows = db.prepare('SELECT name, step, value FROM run_scalar WHERE run_id = ? ORDER BY name, step').all(runId) as Array<{ name: string; step: number; value: number }>;
  const out: Record<string, Array<[number, number]>> = {};
  for (const r of rows) (out[r.name] ??= []).push([r.step, r.value]);
  return out;
}

/** Resuming from a checkpoint at `step`: what was recorded after it never happened. */
export function truncateRunAfter(db: Db, runId: number, step: number): void {
  db.transaction(() => {
    db.prepare('DELETE FROM run_scalar WHERE run_id = ? AND step > ?').run(runId, step);
    db.prepare('DELETE FROM sample_grid WHERE run_id = ? AND step > ?').run(runId, step);
    db.prepare('UPDATE run SET step = ?, updated_at = ? WHERE id = ?').run(step, Date.now(), runId);
  })();
}

export function setBestMetric(db: Db, runId: number, value: number): void {
  db.prepare('UPDATE run SET best_metric = CASE WHEN best_metric IS NULL OR ? < best_metric THEN ? ELSE best_metric END WHERE id = ?').run(value, value, runId);
}

/** At startup: runs whose job was swept as interrupted are interrupted too. */
export function sweepInterruptedRuns(db: Db): number {
  return db
    .prepare(
      `UPDATE run SET status = 'interrupted', ended_at = coalesce(ended_at, ?)
       WHERE status IN ('queued','running','paused')
         AND (job_id IS NULL OR job_id IN (SELECT id FROM job WHERE status NOT IN ('queued','running','paused')))`,
    )
    .run(Date.now()).changes;
}

export interface GridRow {
  id: number;
  runId: number;
  step: number;
  file: string;
}

export function insertGrid(db: Db, runId: number, step: number, file: string): void {
  db.prepare('INSERT OR REPLACE INTO sample_grid (run_id, step, file, created_at) VALUES (?, ?, ?, ?)').run(runId, step, file, Date.now());
}

export function listGrids(db: Db, runId: number): GridRow[] {
  return (db.prepare('SELECT id, run_id, step, file FROM sample_grid WHERE run_id = ? ORDER BY step').all(runId) as Array<{ id: number; run_id: number; step: number; file: string }>).map((r) => ({
    id: r.id,
    runId: r.run_id,
    step: r.step,
    file: r.file,
  }));
}

/** The newest sample grid of a run (the run card's picture), or null before the first one. */
export function latestGridFile(db: Db, runId: number): string | null {
  const r = db.prepare('SELECT file FROM sample_grid WHERE run_id = ? ORDER BY step DESC LIMIT 1').get(runId) as { file: string } | undefined;
  return r?.file ?? null;
}

/** Runs of a project that have sample grids (training timelines to export), newest first. */
export function runsWithGrids(db: Db, projectId: number): Array<{ id: number; name: string; grids: number; lastStep: number }> {
  return db
    .prepare(
      `SELECT r.id, r.name, count(s.id) AS grids, coalesce(max(s.step), 0) AS lastStep
       FROM run r JOIN sample_grid s ON s.run_id = r.id WHERE r.project_id = ? GROUP BY r.id ORDER BY r.id DESC`,
    )
    .all(projectId) as Array<{ id: number; name: string; grids: number; lastStep: number }>;
}
