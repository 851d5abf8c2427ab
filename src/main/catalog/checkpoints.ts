import type { Db } from './db';
import { AtelierError } from '../../shared/errors';

export interface CheckpointRow {
  id: number;
  modelId: number;
  runId: number | null;
  step: number;
  file: string;
  sha256: string;
  bytes: number;
  metric: number | null;
  metrics: Record<string, number>;
  createdAt: number;
}

interface Raw {
  id: number;
  model_id: number;
  run_id: number | null;
  step: number;
  file: string;
  sha256: string;
  bytes: number;
  metric: number | null;
  metrics_json: string;
  created_at: number;
}

const toCheckpoint = (r: Raw): CheckpointRow => ({
  id: r.id,
  modelId: r.model_id,
  runId: r.run_id,
  step: r.step,
  file: r.file,
  sha256: r.sha256,
  bytes: r.bytes,
  metric: r.metric,
  metrics: JSON.parse(r.metrics_json),
  createdAt: r.created_at,
});

export function insertCheckpoint(db: Db, c: Omit<CheckpointRow, 'id' | 'createdAt' | 'metric' | 'metrics'>, now = Date.now()): number {
  const info = db
    .prepare('INSERT INTO checkpoint (model_id, run_id, step, file, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(c.modelId, c.runId, c.step, c.file, c.sha256, c.bytes, now);
  return Number(info.lastInsertRowid);
}

export function setCheckpointMetrics(db: Db, id: number, metric: number | null, metrics: Record<string, number>): void {
  db.prepare('UPDATE checkpoint SET metric = ?, metrics_json = ? WHERE id = ?').run(metric, JSON.stringify(metrics), id);
}

export function getCheckpoint(db: Db, id: number): CheckpointRow {
  const r = db.prepare('SELECT * FROM checkpoint WHERE id = ?').get(id) as Raw | undefined;
  if (!r) throw new AtelierError('not_found', `There is no checkpoint with id ${id}.`);
  return toCheckpoint(r);
}

export function findCheckpointBySha(db: Db, sha256: string): CheckpointRow | undefined {
  const r = db.prepare('SELECT * FROM checkpoint WHERE sha256 = ? ORDER BY id DESC LIMIT 1').get(sha256) as Raw | undefined;
  return r && toCheckpoint(r);
}

export function listRunCheckpoints(db: Db, runId: number): CheckpointRow[] {
  return (db.prepare('SELECT * FROM checkpoint WHERE run_id = ? ORDER BY step').all(runId) as Raw[]).map(toCheckpoint);
}

export function listModelCheckpoints(db: Db, modelId: number): CheckpointRow[] {
  return (db.prepare('SELECT * FROM checkpoint WHERE model_id = ? ORDER BY step').all(modelId) as Raw[]).map(toCheckpoint);
}

export function deleteCheckpointRow(db: Db, id: number): void {
  db.prepare('DELETE FROM checkpoint WHERE id = ?').run(id);
}

/**
 * Which of a run's checkpoints to keep: the last `keepLast` plus the best by metric (lower is better),
 * plus any a generation or a fine-tuned run points at (provenance must keep resolving).
 */
export function checkpointsToPrune(db: Db, runId: number, keepLast: number): CheckpointRow[] {
  const all = listRunCheckpoints(db, runId);
  const keep = new Set(all.slice(-keepLast).map((c) => c.id));
  const scored = all.filter((c) => c.metric !== null);
  if (scored.length > 0) keep.add(scored.reduce((a, b) => (b.metric! < a.metric! ? b : a)).id);
  const referenced = new Set(
    (db
      .prepare(
        `SELECT checkpoint_id AS id FROM generation WHERE checkpoint_id IS NOT NULL
         UNION SELECT parent_checkpoint_id FROM run WHERE parent_checkpoint_id IS NOT NULL`,
      )
      .all() as Array<{ id: number }>).map((r) => r.id),
  );
  return all.filter((c) => !keep.has(c.id) && !referenced.has(c.id));
}
