/**
 * Generations: what Create made, with everything that reproduces it, and their curation (stars, tags,
 * trash). The gallery's queries are in gallery.ts, the search index in search.ts.
 *
 * A generation row is inserted *pending* (file NULL, hidden from the gallery), the PNG (for a text
 * generation, a .txt of its text) is written atomically at its id's path, then the row is pointed at it;
 * so no row ever names a missing file and concurrent processes never fight over an id. Pending rows left by a crash are swept at start-up.
 */
import type { Db } from './db';
import type { Generation } from '../../shared/contract';
import { AtelierError } from '../../shared/errors';
import { chunked } from './chunked';
import { indexGeneration, refreshSearchMany } from './search';

export interface NewGeneration {
  projectId: number;
  kind: 'image' | 'text';
  modelId: number | null;
  runId: number | null;
  checkpointId: number | null;
  checkpointSha256: string;
  step: number;
  seed: number;
  prompt: string;
  params: Record<string, unknown>;
  backend: string;
  appVersion: string;
  label: string | null;
  text?: string | null;
}

/** A `generation` table row as SQLite returns it (provenance.ts reads the same columns). */
export interface GenerationRow {
  id: number;
  project_id: number;
  kind: 'image' | 'text';
  model_id: number | null;
  run_id: number | null;
  checkpoint_id: number | null;
  checkpoint_sha256: string;
  step: number;
  seed: number;
  prompt: string;
  params_json: string;
  backend: string;
  app_version: string;
  file: string | null;
  text: string | null;
  width: number | null;
  height: number | null;
  label: string | null;
  nearest_item_id: number | null;
  nearest_distance: number | null;
  memorised: number;
  starred: number;
  trashed_at: number | null;
  created_at: number;
}

export function insertPendingGeneration(db: Db, g: NewGeneration, now = Date.now()): number {
  const info = db
    .prepare(
      `INSERT INTO generation (project_id, kind, model_id, run_id, checkpoint_id, checkpoint_sha256, step, seed, prompt,
         params_json, backend, app_version, file, text, label, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
    )
    .run(
      g.projectId,
      g.kind,
      g.modelId,
      g.runId,
      g.checkpointId,
      g.checkpointSha256,
      g.step,
      g.seed,
      g.prompt,
      JSON.stringify(g.params),
      g.backend,
      g.appVersion,
      g.text ?? null,
      g.label,
      now,
    );
  return Number(info.lastInsertRowid);
}

/** The file now exists, complete: show the generation (and index it for search). Text generations have no size. */
export function completeGeneration(db: Db, id: number, file: string, width: number | null, height: number | null): void {
  db.transaction(() => {
    const n = db.prepare('UPDATE generation SET file = ?, width = ?, height = ? WHERE id = ? AND file IS NULL').run(file, width, height, id).changes;
    // A pending row has no search row yet, so this is a plain insert (no scan of the index).
    if (n === 1) indexGeneration(db, id);
  })();
}

/** The writing failed: the pending row goes (nothing points at a file). */
export function dropPendingGeneration(db: Db, id: number): void {
  db.prepare('DELETE FROM generation WHERE id = ? AND file IS NULL').run(id);
}

export function setNearest(db: Db, id: number, itemId: number | null, distance: number, memorised: boolean, guard?: { space: string; threshold: number }): void {
  db.prepare('UPDATE generation SET nearest_item_id = ?, nearest_distance = ?, memorised = ? WHERE id = ?').run(itemId, distance, memorised ? 1 : 0, id);
  // The copy check may arrive after the row was written (Create shows images first): record its rule too.
  if (guard) db.prepare(`UPDATE generation SET params_json = json_set(params_json, '$.guard', json(?)) WHERE id = ?`).run(JSON.stringify(guard), id);
}

/**
 * Pending rows older than `olderThanMs` belong to a process that died mid-write. Text generations go
 * through the same pending → complete steps (their text is written as a .txt file), so they are swept too.
 */
export function sweepPendingGenerations(db: Db, olderThanMs = 10 * 60_000, now = Date.now()): number {
  return db.prepare('DELETE FROM generation WHERE file IS NULL AND created_at < ?').run(now - olderThanMs).changes;
}

function getRaw(db: Db, id: number): GenerationRow {
  const r = db.prepare('SELECT * FROM generation WHERE id = ?').get(id) as GenerationRow | undefined;
  if (!r) throw new AtelierError('not_found', `There is no generation with id ${id}.`);
  return r;
}

export function generationProjectId(db: Db, id: number): number {
  return getRaw(db, id).project_id;
}

/** The raw stored record, for reproducing it (params carry the latent). */
export function getGenerationRecord(db: Db, id: number): { params: Record<string, unknown>; file: string | null; projectId: number; checkpointId: number | null; checkpointSha256: string; modelId: number | null; backend: string; seed: number; prompt: string } {
  const r = getRaw(db, id);
  return {
    params: JSON.parse(r.params_json) as Record<string, unknown>,
    file: r.file,
    projectId: r.project_id,
    checkpointId: r.checkpoint_id,
    checkpointSha256: r.checkpoint_sha256,
    modelId: r.model_id,
    backend: r.backend,
    seed: r.seed,
    prompt: r.prompt,
  };
}

export function getGeneration(db: Db, id: number): Generation {
  const r = getRaw(db, id);
  const model = r.model_id !== null ? (db.prepare('SELECT name, family FROM model WHERE id = ?').get(r.model_id) as { name: string; family: string } | undefined) : undefined;
  const nearestFile =
    r.nearest_item_id !== null ? ((db.prepare('SELECT coalesce(thumb, file) AS f FROM item WHERE id = ?').get(r.nearest_item_id) as { f: string } | undefined)?.f ?? null) : null;
  const params = JSON.parse(r.params_json) as Record<string, unknown>;
  const guard = (params.guard ?? null) as { threshold?: number } | null;
  return {
    id: r.id,
    projectId: r.project_id,
    kind: r.kind,
    modelId: r.model_id,
    modelName: model?.name ?? (typeof params.modelName === 'string' ? params.modelName : null),
    family: model?.family ?? (typeof params.family === 'string' ? params.family : null),
    runId: r.run_id,
    checkpointId: r.checkpoint_id,
    checkpointSha256: r.checkpoint_sha256,
    step: r.step,
    seed: r.seed,
    prompt: r.prompt,
    params,
    backend: r.backend,
    appVersion: r.app_version,
    file: r.file,
    text: r.text,
    width: r.width,
    height: r.height,
    label: r.label,
    nearest: r.nearest_distance !== null ? { itemId: r.nearest_item_id, distance: r.nearest_distance, file: nearestFile, threshold: guard?.threshold ?? null } : null,
    memorised: r.memorised === 1,
    starred: r.starred === 1,
    trashedAt: r.trashed_at,
    createdAt: r.created_at,
    tags: generationTags(db, id),
    boards: db
      .prepare('SELECT b.id, b.name FROM board_item bi JOIN board b ON b.id = bi.board_id WHERE bi.generation_id = ? ORDER BY b.name COLLATE NOCASE')
      .all(id) as Array<{ id: number; name: string }>,
  };
}

export function generationTags(db: Db, id: number): string[] {
  return (db.prepare('SELECT t.name FROM generation_tag gt JOIN tag t ON t.id = gt.tag_id WHERE gt.generation_id = ? ORDER BY t.name COLLATE NOCASE').all(id) as Array<{ name: string }>).map(
    (r) => r.name,
  );
}

/** Every id must exist; returns the projects they belong to (for change events). */
export function assertGenerations(db: Db, ids: number[]): number[] {
  const projects = new Set<number>();
  let found = 0;
  chunked(ids, (chunk, marks) => {
    const rows = db.prepare(`SELECT id, project_id FROM generation WHERE id IN (${marks})`).all(...chunk) as Array<{ id: number; project_id: number }>;
    found += rows.length;
    for (const r of rows) projects.add(r.project_id);
  });
  if (found !== new Set(ids).size) throw new AtelierError('not_found', 'Some of those generations do not exist (any more).');
  return [...projects];
}

export function setStarred(db: Db, ids: number[], starred: boolean): void {
  db.transaction(() => chunked(ids, (chunk, marks) => db.prepare(`UPDATE generation SET starred = ? WHERE id IN (${marks})`).run(starred ? 1 : 0, ...chunk)))();
}

export function setTrashed(db: Db, ids: number[], trashed: boolean, now = Date.now()): void {
  db.transaction(() =>
    chunked(ids, (chunk, marks) =>
      trashed
        ? db.prepare(`UPDATE generation SET trashed_at = ? WHERE trashed_at IS NULL AND id IN (${marks})`).run(now, ...chunk)
        : db.prepare(`UPDATE generation SET trashed_at = NULL WHERE id IN (${marks})`).run(...chunk),
    ),
  )();
}

export function tagGenerations(db: Db, ids: number[], add: string[], remove: string[]): void {
  db.transaction(() => {
    const tagId = (name: string): number => {
      const row = db.prepare('SELECT id FROM tag WHERE name = ? COLLATE NOCASE').get(name) as { id: number } | undefined;
      return row ? row.id : Number(db.prepare('INSERT INTO tag (name) VALUES (?)').run(name).lastInsertRowid);
    };
    const insert = db.prepare('INSERT OR IGNORE INTO generation_tag (generation_id, tag_id) VALUES (?, ?)');
    const del = db.prepare('DELETE FROM generation_tag WHERE generation_id = ? AND tag_id = (SELECT id FROM tag WHERE name = ? COLLATE NOCASE)');
    const addIds = add.map(tagId);
    for (const id of ids) {
      for (const t of addIds) insert.run(id, t);
      for (const name of remove) del.run(id, name);
    }
    refreshSearchMany(db, ids);
  })();
}

/** Trashed generations of a project: their rows go now, and the files they named are returned for removal. */
export function deleteTrashed(db: Db, projectId: number): string[] {
  return db.transaction(() => {
    const rows = db.prepare('SELECT id, file FROM generation WHERE project_id = ? AND trashed_at IS NOT NULL').all(projectId) as Array<{ id: number; file: string | null }>;
    chunked(
      rows.map((r) => r.id),
      (chunk, marks) => {
        db.prepare(`DELETE FROM search_fts WHERE kind = 'generation' AND ref_id IN (${marks})`).run(...chunk);
        db.prepare(`DELETE FROM generation WHERE id IN (${marks})`).run(...chunk);
      },
    );
    return rows.map((r) => r.file).filter((f): f is string => f !== null);
  })();
}
