import type { Db } from './db';
import { AtelierError } from '../../shared/errors';

/** One finished export: what was written where. Written after every file exists. */
export interface ExportRow {
  id: number;
  projectId: number | null;
  kind: string;
  outDir: string;
  files: ExportFileRow[];
  manifest: Record<string, unknown>;
  createdAt: number;
}

export interface ExportFileRow {
  name: string;
  /** Absolute path. */
  path: string;
  bytes: number;
  /** Media path when the file lies inside the data folder (downloadable through the doors). */
  media: string | null;
}

interface Raw {
  id: number;
  project_id: number | null;
  kind: string;
  out_dir: string;
  files_json: string;
  manifest_json: string;
  created_at: number;
}

const toRow = (r: Raw): ExportRow => ({
  id: r.id,
  projectId: r.project_id,
  kind: r.kind,
  outDir: r.out_dir,
  files: JSON.parse(r.files_json) as ExportFileRow[],
  manifest: JSON.parse(r.manifest_json) as Record<string, unknown>,
  createdAt: r.created_at,
});

export function insertExport(db: Db, e: Omit<ExportRow, 'id' | 'createdAt'>, now = Date.now()): ExportRow {
  const info = db
    .prepare('INSERT INTO export (project_id, kind, out_dir, files_json, manifest_json, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(e.projectId, e.kind, e.outDir, JSON.stringify(e.files), JSON.stringify(e.manifest), now);
  return getExport(db, Number(info.lastInsertRowid));
}

export function getExport(db: Db, id: number): ExportRow {
  const r = db.prepare('SELECT * FROM export WHERE id = ?').get(id) as Raw | undefined;
  if (!r) throw new AtelierError('not_found', `There is no export with id ${id}.`);
  return toRow(r);
}

export function listExports(db: Db, projectId: number | null, limit = 50): ExportRow[] {
  const rows = db.prepare('SELECT * FROM export WHERE project_id IS ? ORDER BY id DESC LIMIT ?').all(projectId, limit) as Raw[];
  return rows.map(toRow);
}

/** A checkpoint with its model, run and dataset, as a model export needs it. */
export interface CheckpointForExport {
  checkpointId: number;
  file: string;
  sha256: string;
  step: number;
  metric: number | null;
  modelId: number;
  modelName: string;
  family: string;
  config: Record<string, unknown>;
  source: string;
  meta: Record<string, unknown>;
  parentCheckpointId: number | null;
  dataset: { name: string | null; source: string | null; attribution: string | null } | null;
}

const CKPT_SELECT = `
  SELECT c.id AS checkpoint_id, c.file, c.sha256, c.step, c.metric, m.id AS model_id, m.name AS model_name, m.family,
         m.config_json, m.source, m.meta_json, r.parent_checkpoint_id, d.id AS dataset_id, d.name AS dataset_name,
         d.source AS dataset_source, d.attribution
  FROM checkpoint c JOIN model m ON m.id = c.model_id
  LEFT JOIN run r ON r.id = c.run_id LEFT JOIN dataset d ON d.id = r.dataset_id`;

interface CkptRaw {
  checkpoint_id: number;
  file: string;
  sha256: string;
  step: number;
  metric: number | null;
  model_id: number;
  model_name: string;
  family: string;
  config_json: string;
  source: string;
  meta_json: string;
  parent_checkpoint_id: number | null;
  dataset_id: number | null;
  dataset_name: string | null;
  dataset_source: string | null;
  attribution: string | null;
}

const toCkpt = (r: CkptRaw): CheckpointForExport => ({
  checkpointId: r.checkpoint_id,
  file: r.file,
  sha256: r.sha256,
  step: r.step,
  metric: r.metric,
  modelId: r.model_id,
  modelName: r.model_name,
  family: r.family,
  config: JSON.parse(r.config_json) as Record<string, unknown>,
  source: r.source,
  meta: JSON.parse(r.meta_json) as Record<string, unknown>,
  parentCheckpointId: r.parent_checkpoint_id,
  dataset: r.dataset_id === null ? null : { name: r.dataset_name, source: r.dataset_source, attribution: r.attribution },
});

/** A model's latest checkpoint, or one checkpoint by id or sha256. */
export function checkpointForExport(db: Db, ref: { modelId?: number; checkpointId?: number; sha256?: string }): CheckpointForExport {
  let r: CkptRaw | undefined;
  if (ref.checkpointId !== undefined) r = db.prepare(`${CKPT_SELECT} WHERE c.id = ?`).get(ref.checkpointId) as CkptRaw | undefined;
  else if (ref.sha256 !== undefined) r = db.prepare(`${CKPT_SELECT} WHERE c.sha256 = ? ORDER BY c.id LIMIT 1`).get(ref.sha256) as CkptRaw | undefined;
  else if (ref.modelId !== undefined) {
    if (!db.prepare('SELECT 1 FROM model WHERE id = ?').get(ref.modelId)) throw new AtelierError('not_found', `There is no model with id ${ref.modelId}.`);
    r = db.prepare(`${CKPT_SELECT} WHERE c.model_id = ? ORDER BY c.step DESC, c.id DESC LIMIT 1`).get(ref.modelId) as CkptRaw | undefined;
    if (!r) throw new AtelierError('not_found', `Model ${ref.modelId} has no checkpoint yet: train it first.`);
  } else throw new AtelierError('bad_request', 'Say which model or checkpoint to export.');
  if (!r) throw new AtelierError('not_found', `There is no checkpoint ${ref.checkpointId ?? ref.sha256}.`);
  return toCkpt(r);
}

/** Models with at least one checkpoint, for the Export view's model list. */
export function listExportableModels(db: Db, projectId: number | null): Array<{ modelId: number; name: string; family: string; source: string; checkpointId: number; step: number; sha256: string }> {
  return db
    .prepare(
      `SELECT m.id AS modelId, m.name, m.family, m.source, c.id AS checkpointId, c.step, c.sha256
       FROM model m JOIN checkpoint c ON c.id = (SELECT id FROM checkpoint WHERE model_id = m.id ORDER BY step DESC, id DESC LIMIT 1)
       WHERE m.project_id IS ? OR (m.project_id IS NULL AND m.source = 'imported') ORDER BY m.id DESC`,
    )
    .all(projectId) as Array<{ modelId: number; name: string; family: string; source: string; checkpointId: number; step: number; sha256: string }>;
}

export function findImportedBySha(db: Db, sha256: string): { modelId: number; checkpointId: number; name: string; family: string } | undefined {
  return db
    .prepare('SELECT m.id AS modelId, c.id AS checkpointId, m.name, m.family FROM checkpoint c JOIN model m ON m.id = c.model_id WHERE c.sha256 = ? ORDER BY c.id LIMIT 1')
    .get(sha256) as { modelId: number; checkpointId: number; name: string; family: string } | undefined;
}

/** Model + checkpoint rows for an imported model, in one transaction. The file must already exist. */
export function insertImportedModel(
  db: Db,
  m: { projectId: number | null; name: string; family: string; config: Record<string, unknown>; meta: Record<string, unknown> },
  c: { file: string; sha256: string; bytes: number; step: number; metric: number | null },
  now = Date.now(),
): { modelId: number; checkpointId: number } {
  return db.transaction(() => {
    if (m.projectId !== null && !db.prepare('SELECT 1 FROM project WHERE id = ?').get(m.projectId)) {
      throw new AtelierError('not_found', `There is no project with id ${m.projectId}.`);
    }
    const model = db
      .prepare("INSERT INTO model (project_id, name, family, config_json, source, meta_json, created_at) VALUES (?, ?, ?, ?, 'imported', ?, ?)")
      .run(m.projectId, m.name, m.family, JSON.stringify(m.config), JSON.stringify(m.meta), now);
    const modelId = Number(model.lastInsertRowid);
    const ckpt = db
      .prepare('INSERT INTO checkpoint (model_id, run_id, step, file, sha256, bytes, metric, metrics_json, created_at) VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?)')
      .run(modelId, c.step, c.file, c.sha256, c.bytes, c.metric, '{}', now);
    return { modelId, checkpointId: Number(ckpt.lastInsertRowid) };
  })();
}

/** Stars and boards of generations, for the export picker's filters (ids that are not generations are absent). */
export function curationOf(db: Db, ids: number[]): Map<number, { starred: boolean; boardIds: number[] }> {
  const out = new Map<number, { starred: boolean; boardIds: number[] }>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const marks = chunk.map(() => '?').join(',');
    for (const r of db.prepare(`SELECT id, starred FROM generation WHERE id IN (${marks})`).all(...chunk) as Array<{ id: number; starred: number }>) {
      out.set(r.id, { starred: r.starred === 1, boardIds: [] });
    }
    const onBoards = db.prepare(`SELECT generation_id AS id, board_id AS boardId FROM board_item WHERE generation_id IN (${marks}) ORDER BY board_id`).all(...chunk) as Array<{ id: number; boardId: number }>;
    for (const r of onBoards) out.get(r.id)?.boardIds.push(r.boardId);
  }
  return out;
}
