/**
 * What exports read from the catalog: generations with their model, checkpoint, run and dataset, and a
 * run's sample grids, shaped into the provenance every exported file carries. The rows come from
 * catalog/provenance.ts and catalog/runs.ts; no SQL here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../catalog/db';
import { ancestorReader, exportableGenerationRows, generationProvenanceRows, type GenerationProvenanceRow } from '../catalog/provenance';
import { getRun, listGrids } from '../catalog/runs';
import { AtelierError } from '../../shared/errors';
import { containedPath } from '../files/contain';
import type { LineageEntry, Provenance } from './png-metadata';

export interface GenerationSource {
  id: number;
  projectId: number;
  kind: 'image' | 'text';
  /** Media path (relative to the data folder): the PNG, or a text generation's .txt (null only in old catalogs). */
  file: string | null;
  text: string | null;
  width: number | null;
  height: number | null;
  prompt: string;
  seed: number;
  createdAt: number;
  trashed: boolean;
  provenance: Provenance;
}

function parseJson(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function modelAttribution(meta: Record<string, unknown>): string[] {
  const a = meta.attribution;
  if (typeof a === 'string' && a.trim()) return [a];
  if (Array.isArray(a)) return a.filter((x): x is string => typeof x === 'string' && x.trim() !== '');
  return [];
}

/**
 * The chain of checkpoints a model was fine-tuned from: run → parent checkpoint → its run → … (bounded,
 * cycle-safe), followed by any lineage an imported model brought in its metadata.
 */
export function lineageOf(db: Db, parentCheckpointId: number | null, meta: Record<string, unknown> = {}): LineageEntry[] {
  const out: LineageEntry[] = [];
  const seen = new Set<number>();
  let next = parentCheckpointId;
  const read = ancestorReader(db);
  while (next !== null && !seen.has(next) && out.length < 32) {
    seen.add(next);
    const r = read(next);
    if (!r) break;
    const parentMeta = parseJson(r.meta_json);
    out.push({
      checkpointSha256: r.sha256,
      step: r.step,
      modelName: r.model_name,
      family: r.family,
      runId: r.run_id,
      datasetName: r.dataset_name,
      attribution: r.attribution ?? (modelAttribution(parentMeta).join('; ') || null),
    });
    if (r.parent_checkpoint_id === null && Array.isArray(parentMeta.lineage)) out.push(...importedLineage(parentMeta.lineage));
    next = r.parent_checkpoint_id;
  }
  if (parentCheckpointId === null && Array.isArray(meta.lineage)) out.push(...importedLineage(meta.lineage));
  return out;
}

function importedLineage(list: unknown[]): LineageEntry[] {
  return list
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({
      checkpointSha256: typeof e.checkpointSha256 === 'string' ? e.checkpointSha256 : '',
      step: typeof e.step === 'number' ? e.step : 0,
      modelName: typeof e.modelName === 'string' ? e.modelName : null,
      family: typeof e.family === 'string' ? e.family : null,
      runId: null,
      datasetName: typeof e.datasetName === 'string' ? e.datasetName : null,
      attribution: typeof e.attribution === 'string' ? e.attribution : null,
    }))
    .filter((e) => e.checkpointSha256 !== '');
}

function toSource(db: Db, r: GenerationProvenanceRow): GenerationSource {
  const meta = parseJson(r.model_meta);
  const provenance: Provenance = {
    app: 'Atelier',
    appVersion: r.app_version,
    generationId: r.id,
    projectId: r.project_id,
    kind: r.kind,
    prompt: r.prompt,
    seed: r.seed,
    width: r.width,
    height: r.height,
    label: r.label,
    params: parseJson(r.params_json),
    backend: r.backend,
    createdAt: new Date(r.created_at).toISOString(),
    model: { id: r.model_id, name: r.model_name ?? 'unknown model', family: r.model_family ?? 'unknown', source: r.model_source },
    checkpoint: { id: r.checkpoint_id, sha256: r.checkpoint_sha256, step: r.step },
    run: { id: r.run_id, name: r.run_name },
    dataset: { id: r.dataset_id, name: r.dataset_name, source: r.dataset_source, attribution: r.dataset_attribution },
    attribution: modelAttribution(meta),
    lineage: lineageOf(db, r.parent_checkpoint_id, meta),
  };
  return {
    id: r.id,
    projectId: r.project_id,
    kind: r.kind,
    file: r.file,
    text: r.text,
    width: r.width,
    height: r.height,
    prompt: r.prompt,
    seed: r.seed,
    createdAt: r.created_at,
    trashed: r.trashed_at !== null,
    provenance,
  };
}

/** The generations with these ids, in the order given. Unknown ids are a not_found error. */
export function loadGenerations(db: Db, ids: readonly number[], projectId?: number): GenerationSource[] {
  if (ids.length === 0) throw new AtelierError('bad_request', 'Choose at least one generation to export.');
  const unique = [...new Set(ids)];
  const rows = generationProvenanceRows(db, unique);
  const missing = unique.filter((id) => !rows.has(id) || (projectId !== undefined && rows.get(id)!.project_id !== projectId));
  if (missing.length) {
    throw new AtelierError('not_found', `No generation${missing.length > 1 ? 's' : ''} with id ${missing.slice(0, 10).join(', ')}${projectId !== undefined ? ' in this project' : ''}.`, { missing });
  }
  return unique.map((id) => toSource(db, rows.get(id)!));
}

/** Recent image generations of a project (what the Export view offers), newest first. */
export function listExportableGenerations(db: Db, projectId: number, limit = 500): GenerationSource[] {
  return exportableGenerationRows(db, projectId, limit).map((r) => toSource(db, r));
}

/** Read a generation's image bytes from the data folder (contained). */
export function readGenerationImage(dataDir: string, g: GenerationSource): Buffer {
  if (g.kind !== 'image' || !g.file) throw new AtelierError('invalid_input', `Generation ${g.id} is text, not an image.`);
  return readMedia(dataDir, g.file, `generation ${g.id}`);
}

export function readMedia(dataDir: string, media: string, what: string): Buffer {
  const file = containedPath(dataDir, media);
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AtelierError('not_found', `The image of ${what} is missing (${path.basename(file)}).`);
    throw err;
  }
}

export interface GridSource {
  runId: number;
  step: number;
  file: string;
}

/** A run's sample grids in step order: the frames of a training timeline. */
export function loadRunGrids(db: Db, runId: number): { projectId: number; runName: string; grids: GridSource[] } {
  const run = getRun(db, runId);
  const grids = listGrids(db, runId).map((g): GridSource => ({ runId: g.runId, step: g.step, file: g.file }));
  return { projectId: run.projectId, runName: run.name, grids };
}

/** Where a checkpoint's file lives: a media path, or "resources:<path>" for bundled base models. */
export function checkpointFilePath(dataDir: string, resourcesDir: string, file: string): string {
  if (file.startsWith('resources:')) return containedPath(resourcesDir, file.slice('resources:'.length));
  return containedPath(dataDir, file);
}
