import type { Db } from './db';
import { insertCheckpoint, type CheckpointRow } from './checkpoints';
import { AtelierError } from '../../shared/errors';

export type ModelSource = 'trained' | 'imported' | 'base';

export interface ModelRow {
  id: number;
  projectId: number | null;
  name: string;
  family: string;
  config: Record<string, unknown>;
  source: ModelSource;
  meta: Record<string, unknown>;
  createdAt: number;
}

interface Raw {
  id: number;
  project_id: number | null;
  name: string;
  family: string;
  config_json: string;
  source: ModelSource;
  meta_json: string;
  created_at: number;
}

const toModel = (r: Raw): ModelRow => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  family: r.family,
  config: JSON.parse(r.config_json),
  source: r.source,
  meta: JSON.parse(r.meta_json),
  createdAt: r.created_at,
});

export function insertModel(db: Db, m: Omit<ModelRow, 'id' | 'createdAt'>, now = Date.now()): number {
  const info = db
    .prepare('INSERT INTO model (project_id, name, family, config_json, source, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(m.projectId, m.name, m.family, JSON.stringify(m.config), m.source, JSON.stringify(m.meta), now);
  return Number(info.lastInsertRowid);
}

/** A model that arrives with its checkpoint (a bundled base model), in one transaction. The file must exist. */
export function insertModelWithCheckpoint(db: Db, m: Omit<ModelRow, 'id' | 'createdAt'>, c: Omit<CheckpointRow, 'id' | 'createdAt' | 'metric' | 'metrics' | 'modelId'>): number {
  return db.transaction(() => {
    const modelId = insertModel(db, m);
    insertCheckpoint(db, { ...c, modelId });
    return modelId;
  })();
}

export function updateModelConfig(db: Db, id: number, config: Record<string, unknown>, meta?: Record<string, unknown>): void {
  if (meta === undefined) db.prepare('UPDATE model SET config_json = ? WHERE id = ?').run(JSON.stringify(config), id);
  else db.prepare('UPDATE model SET config_json = ?, meta_json = ? WHERE id = ?').run(JSON.stringify(config), JSON.stringify(meta), id);
}

export function getModel(db: Db, id: number): ModelRow {
  const r = db.prepare('SELECT * FROM model WHERE id = ?').get(id) as Raw | undefined;
  if (!r) throw new AtelierError('not_found', `There is no model with id ${id}.`);
  return toModel(r);
}

/**
 * Models usable in a project: its own, plus base and imported models (no project) available to all.
 * Base models come first, in the order they were registered (resources/models/index.json's order: the
 * 32 px base, then the 64 px one), so a new project's Create view starts from the first; the rest
 * newest first.
 */
export function listModels(db: Db, projectId: number | null): ModelRow[] {
  const rows = db
    .prepare("SELECT * FROM model WHERE project_id IS ? OR project_id IS NULL ORDER BY (source = 'base') DESC, CASE WHEN source = 'base' THEN id ELSE -id END")
    .all(projectId) as Raw[];
  return rows.map(toModel);
}

export function findModelByName(db: Db, name: string, projectId: number | null): ModelRow | undefined {
  const r = db
    .prepare('SELECT * FROM model WHERE name = ? COLLATE NOCASE AND (project_id IS ? OR project_id IS NULL) ORDER BY id DESC LIMIT 1')
    .get(name, projectId) as Raw | undefined;
  return r && toModel(r);
}

/**
 * The newest checkpoint (by step) of a model called `name` (case-insensitive) or of the base model with
 * that id ("default-emoji"): what fine-tuning from a model name starts from. Looks among the project's
 * models and the base and imported ones, like every model list of the studio.
 */
export function newestCheckpointOfModelNamed(db: Db, name: string, projectId: number | null): number | null {
  const r = db
    .prepare(
      `SELECT c.id FROM model m JOIN checkpoint c ON c.model_id = m.id
       WHERE (m.name = ? COLLATE NOCASE OR json_extract(m.meta_json, '$.baseId') = ?) AND (m.project_id IS ? OR m.project_id IS NULL)
       ORDER BY c.step DESC LIMIT 1`,
    )
    .get(name, name, projectId) as { id: number } | undefined;
  return r?.id ?? null;
}

/** A project's newest model of these families that has a checkpoint, or null (text.suggest: its text model). */
export function newestModelWithCheckpoint(db: Db, projectId: number, families: readonly string[]): number | null {
  if (families.length === 0) return null;
  const r = db
    .prepare(
      `SELECT m.id FROM model m WHERE m.project_id = ? AND m.family IN (${families.map(() => '?').join(', ')})
         AND EXISTS (SELECT 1 FROM checkpoint c WHERE c.model_id = m.id) ORDER BY m.id DESC LIMIT 1`,
    )
    .get(projectId, ...families) as { id: number } | undefined;
  return r?.id ?? null;
}
