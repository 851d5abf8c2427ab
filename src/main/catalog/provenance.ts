/**
 * The rows provenance is built from: a generation with the model, run and dataset that made it, and a
 * checkpoint with what it was fine-tuned from. Exports read these (export/source.ts shapes them into the
 * metadata every exported file carries); SQL stays here with the rest of the catalog.
 */
import type { Db } from './db';
import type { GenerationRow } from './generations';

/** The generation's own columns (minus the gallery's curation fields) and what the joins bring. */
export interface GenerationProvenanceRow extends Omit<GenerationRow, 'nearest_item_id' | 'nearest_distance' | 'memorised' | 'starred'> {
  model_name: string | null;
  model_family: string | null;
  model_source: string | null;
  model_meta: string | null;
  run_name: string | null;
  parent_checkpoint_id: number | null;
  dataset_id: number | null;
  dataset_name: string | null;
  dataset_source: string | null;
  dataset_attribution: string | null;
}

const SELECT = `
  SELECT g.id, g.project_id, g.kind, g.model_id, g.run_id, g.checkpoint_id, g.checkpoint_sha256, g.step, g.seed,
         g.prompt, g.params_json, g.backend, g.app_version, g.file, g.text, g.width, g.height, g.label,
         g.trashed_at, g.created_at,
         m.name AS model_name, m.family AS model_family, m.source AS model_source, m.meta_json AS model_meta,
         r.name AS run_name, r.parent_checkpoint_id,
         d.id AS dataset_id, d.name AS dataset_name, d.source AS dataset_source, d.attribution AS dataset_attribution
  FROM generation g
  LEFT JOIN model m ON m.id = g.model_id
  LEFT JOIN run r ON r.id = g.run_id
  LEFT JOIN dataset d ON d.id = r.dataset_id`;

/** The generations with these ids that exist, by id (in chunks: SQLite bounds a statement's parameters). */
export function generationProvenanceRows(db: Db, ids: readonly number[]): Map<number, GenerationProvenanceRow> {
  const rows = new Map<number, GenerationProvenanceRow>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    for (const r of db.prepare(`${SELECT} WHERE g.id IN (${part.map(() => '?').join(',')})`).all(...part) as GenerationProvenanceRow[]) rows.set(r.id, r);
  }
  return rows;
}

/** A project's recent image generations that have their file, newest first (what the Export view offers). */
export function exportableGenerationRows(db: Db, projectId: number, limit: number): GenerationProvenanceRow[] {
  return db
    .prepare(`${SELECT} WHERE g.project_id = ? AND g.kind = 'image' AND g.file IS NOT NULL AND g.trashed_at IS NULL ORDER BY g.id DESC LIMIT ?`)
    .all(projectId, limit) as GenerationProvenanceRow[];
}

/** One link of a fine-tuning chain: a checkpoint, its model, and the run and dataset that trained it. */
export interface AncestorRow {
  id: number;
  sha256: string;
  step: number;
  run_id: number | null;
  model_name: string;
  family: string;
  meta_json: string;
  parent_checkpoint_id: number | null;
  dataset_name: string | null;
  attribution: string | null;
}

/** A reader of ancestor rows by checkpoint id (one prepared statement for a whole chain). */
export function ancestorReader(db: Db): (checkpointId: number) => AncestorRow | undefined {
  const q = db.prepare(`
    SELECT c.id, c.sha256, c.step, c.run_id, m.name AS model_name, m.family, m.meta_json, r.parent_checkpoint_id,
           d.name AS dataset_name, d.attribution
    FROM checkpoint c JOIN model m ON m.id = c.model_id
    LEFT JOIN run r ON r.id = c.run_id LEFT JOIN dataset d ON d.id = r.dataset_id
    WHERE c.id = ?`);
  return (checkpointId) => q.get(checkpointId) as AncestorRow | undefined;
}
