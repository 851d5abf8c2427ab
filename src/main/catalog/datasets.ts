import type { Db } from './db';
import { AtelierError } from '../../shared/errors';
import {
  AugmentSettings,
  DEFAULT_AUGMENT,
  DEFAULT_PREPARE,
  PrepareSettings,
  type Dataset,
  type DatasetItem,
} from '../../shared/contract/datasets';

/** What training needs to know about one item: where its bytes are and what it is labelled. */
export interface TrainingItem {
  id: number;
  /** Media path (relative to the data folder). */
  file: string;
  mime: string;
  hasAlpha: boolean;
  label: string | null;
  tags: string[];
  caption: string | null;
}

interface DatasetRowDb {
  id: number;
  project_id: number;
  name: string;
  kind: 'image' | 'text';
  source: string;
  attribution: string | null;
  prepare_json: string;
  augment_json: string;
  created_at: number;
  updated_at: number;
  item_count: number;
  alpha_count: number;
  tag_count: number;
}

const SELECT = `
  SELECT d.*,
    (SELECT count(*) FROM item i WHERE i.dataset_id = d.id) AS item_count,
    (SELECT count(*) FROM item i WHERE i.dataset_id = d.id AND i.has_alpha = 1) AS alpha_count,
    (SELECT count(*) FROM (SELECT t.tag_id FROM item_tag t JOIN item i ON i.id = t.item_id
       WHERE i.dataset_id = d.id GROUP BY t.tag_id HAVING count(*) >= 2)) AS tag_count
  FROM dataset d`;

/** Settings stored as JSON are re-validated on read, so an old or hand-edited row falls back to defaults field by field. */
function parseSettings<T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, json: string, fallback: T): T {
  try {
    const r = schema.safeParse({ ...(fallback as object), ...(JSON.parse(json) as object) });
    return r.success ? (r.data as T) : fallback;
  } catch {
    return fallback;
  }
}

function toDataset(db: Db, r: DatasetRowDb): Dataset {
  const labels = db
    .prepare(`SELECT label AS name, count(*) AS count FROM item WHERE dataset_id = ? AND label IS NOT NULL GROUP BY label ORDER BY label`)
    .all(r.id) as Array<{ name: string; count: number }>;
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    kind: r.kind,
    source: r.source,
    attribution: r.attribution,
    itemCount: r.item_count,
    labels,
    hasAlpha: r.alpha_count > 0,
    tagCount: r.tag_count,
    prepare: parseSettings(PrepareSettings, r.prepare_json, DEFAULT_PREPARE),
    augment: parseSettings(AugmentSettings, r.augment_json, DEFAULT_AUGMENT),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function getDataset(db: Db, id: number): Dataset {
  const row = db.prepare(`${SELECT} WHERE d.id = ?`).get(id) as DatasetRowDb | undefined;
  if (!row) throw new AtelierError('not_found', `There is no dataset with id ${id}.`);
  return toDataset(db, row);
}

export function listDatasets(db: Db, projectId: number): Dataset[] {
  const rows = db.prepare(`${SELECT} WHERE d.project_id = ? ORDER BY d.id`).all(projectId) as DatasetRowDb[];
  return rows.map((r) => toDataset(db, r));
}

export function getDatasetSettings(db: Db, id: number): { prepare: PrepareSettings; augment: AugmentSettings } {
  const d = getDataset(db, id);
  return { prepare: d.prepare, augment: d.augment };
}

export function setDatasetSettings(db: Db, id: number, patch: { prepare?: Partial<PrepareSettings>; augment?: Partial<AugmentSettings> }): Dataset {
  const d = getDataset(db, id);
  const prepare = PrepareSettings.parse({ ...d.prepare, ...patch.prepare });
  const augment = AugmentSettings.parse({ ...d.augment, ...patch.augment });
  db.prepare('UPDATE dataset SET prepare_json = ?, augment_json = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(prepare), JSON.stringify(augment), Date.now(), id);
  return getDataset(db, id);
}

export function insertDataset(
  db: Db,
  input: { projectId: number; name: string; kind: 'image' | 'text'; source?: string; attribution?: string | null },
): number {
  const clash = db.prepare('SELECT id FROM dataset WHERE project_id = ? AND name = ? COLLATE NOCASE').get(input.projectId, input.name);
  if (clash) throw new AtelierError('conflict', `This project already has a dataset called "${input.name}".`);
  const now = Date.now();
  const r = db
    .prepare('INSERT INTO dataset (project_id, name, kind, source, attribution, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(input.projectId, input.name, input.kind, input.source ?? 'user', input.attribution ?? null, now, now);
  return Number(r.lastInsertRowid);
}

/** Every item with its tags, in a stable order (by id) so a seed means the same batches on every run. */
export function listTrainingItems(db: Db, datasetId: number): TrainingItem[] {
  const rows = db
    .prepare(
      `SELECT i.id, i.file, i.mime, i.has_alpha, i.label, i.caption,
         (SELECT json_group_array(t.name) FROM item_tag it JOIN tag t ON t.id = it.tag_id WHERE it.item_id = i.id) AS tags
       FROM item i WHERE i.dataset_id = ? ORDER BY i.id`,
    )
    .all(datasetId) as Array<{ id: number; file: string; mime: string; has_alpha: number; label: string | null; caption: string | null; tags: string }>;
  return rows.map((r) => ({
    id: r.id,
    file: r.file,
    mime: r.mime,
    hasAlpha: r.has_alpha === 1,
    label: r.label,
    caption: r.caption,
    tags: (JSON.parse(r.tags) as string[]).sort(),
  }));
}

// ---------------------------------------------------------------------------------------------
// Items: import commits, the grid, label and tag editing, deletion.


/** An item as the import engine hands it over (its files already exist). */
export interface ItemInsert {
  hash: string;
  file: string;
  thumb: string | null;
  originalName: string;
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
  hasAlpha: boolean;
  phash: string | null;
  label: string | null;
  caption: string | null;
  tags: string[];
}

/** Find a dataset of a project by id or (case-insensitive) name, as the CLI's `--dataset` accepts either. */
export function findDataset(db: Db, projectId: number, idOrName: string): Dataset | null {
  const list = listDatasets(db, projectId);
  return list.find((d) => String(d.id) === idOrName) ?? list.find((d) => d.name.toLowerCase() === idOrName.toLowerCase()) ?? null;
}

export function renameDataset(db: Db, id: number, name: string): Dataset {
  return db.transaction(() => {
    const d = getDataset(db, id);
    const clash = db.prepare('SELECT id FROM dataset WHERE project_id = ? AND name = ? COLLATE NOCASE AND id <> ?').get(d.projectId, name, id);
    if (clash) throw new AtelierError('conflict', `This project already has a dataset called "${name}".`);
    db.prepare('UPDATE dataset SET name = ?, updated_at = ? WHERE id = ?').run(name, Date.now(), id);
    return getDataset(db, id);
  })();
}

/** A free name: "pets", then "pets 2", "pets 3"… */
export function freeDatasetName(db: Db, projectId: number, wanted: string): string {
  const base = wanted.trim().slice(0, 110) || 'Dataset';
  const taken = new Set(listDatasets(db, projectId).map((d) => d.name.toLowerCase()));
  if (!taken.has(base.toLowerCase())) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base} ${i}`.toLowerCase())) return `${base} ${i}`;
}

function tagId(db: Db, name: string): number {
  const row = db.prepare('SELECT id FROM tag WHERE name = ? COLLATE NOCASE').get(name) as { id: number } | undefined;
  if (row) return row.id;
  return Number(db.prepare('INSERT INTO tag (name) VALUES (?)').run(name).lastInsertRowid);
}

function refreshItemSearch(db: Db, projectId: number, itemId: number): void {
  const r = db
    .prepare(
      `SELECT i.original_name, i.label, i.caption,
         (SELECT group_concat(t.name, ' ') FROM item_tag it JOIN tag t ON t.id = it.tag_id WHERE it.item_id = i.id) AS tags
       FROM item i WHERE i.id = ?`,
    )
    .get(itemId) as { original_name: string; label: string | null; caption: string | null; tags: string | null } | undefined;
  db.prepare("DELETE FROM search_fts WHERE kind = 'item' AND ref_id = ?").run(itemId);
  if (!r) return;
  const body = [r.label, r.tags, r.caption, r.original_name].filter(Boolean).join(' ');
  db.prepare("INSERT INTO search_fts (body, kind, ref_id, project_id) VALUES (?, 'item', ?, ?)").run(body, itemId, projectId);
}

/**
 * One chunk of an import, in one transaction: all its items appear together or not at all. An item
 * whose bytes the dataset already holds is skipped (UNIQUE (dataset_id, hash)). Returns how many were new.
 */
export function insertItems(db: Db, datasetId: number, items: ItemInsert[], now = Date.now()): number {
  const d = getDataset(db, datasetId);
  const insert = db.prepare(
    `INSERT INTO item (dataset_id, hash, file, thumb, original_name, mime, bytes, width, height, has_alpha, phash, label, caption, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id, hash) DO NOTHING`,
  );
  const link = db.prepare('INSERT OR IGNORE INTO item_tag (item_id, tag_id) VALUES (?, ?)');
  return db.transaction(() => {
    let added = 0;
    for (const it of items) {
      const r = insert.run(datasetId, it.hash, it.file, it.thumb, it.originalName, it.mime, it.bytes, it.width, it.height, it.hasAlpha ? 1 : 0, it.phash, it.label, it.caption, now);
      if (r.changes === 0) continue;
      added++;
      const id = Number(r.lastInsertRowid);
      for (const t of it.tags) link.run(id, tagId(db, t));
      refreshItemSearch(db, d.projectId, id);
    }
    if (added) db.prepare('UPDATE dataset SET updated_at = ? WHERE id = ?').run(now, datasetId);
    return added;
  })();
}

/** What an import needs to know to skip what is already there. */
export function itemFingerprints(db: Db, datasetId: number): Array<{ hash: string; phash: string | null; name: string }> {
  return db.prepare('SELECT hash, phash, original_name AS name FROM item WHERE dataset_id = ? ORDER BY id').all(datasetId) as Array<{ hash: string; phash: string | null; name: string }>;
}

interface ItemRowDb {
  id: number;
  dataset_id: number;
  file: string;
  thumb: string | null;
  original_name: string;
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
  has_alpha: number;
  label: string | null;
  caption: string | null;
  created_at: number;
  tags: string;
}

export function listItems(db: Db, datasetId: number, opts: { offset: number; limit: number; label?: string | null }): { total: number; items: DatasetItem[] } {
  getDataset(db, datasetId);
  const where = opts.label === undefined ? '' : opts.label === null ? ' AND label IS NULL' : ' AND label = ?';
  const args: unknown[] = opts.label === undefined || opts.label === null ? [datasetId] : [datasetId, opts.label];
  const total = (db.prepare(`SELECT count(*) AS n FROM item WHERE dataset_id = ?${where}`).get(...args) as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT i.*,
         (SELECT json_group_array(t.name) FROM item_tag it JOIN tag t ON t.id = it.tag_id WHERE it.item_id = i.id) AS tags
       FROM item i WHERE dataset_id = ?${where} ORDER BY id LIMIT ? OFFSET ?`,
    )
    .all(...args, opts.limit, opts.offset) as ItemRowDb[];
  return {
    total,
    items: rows.map((r) => ({
      id: r.id,
      datasetId: r.dataset_id,
      file: r.file,
      thumb: r.thumb,
      originalName: r.original_name,
      mime: r.mime,
      bytes: r.bytes,
      width: r.width,
      height: r.height,
      hasAlpha: r.has_alpha === 1,
      label: r.label,
      caption: r.caption,
      tags: (JSON.parse(r.tags) as string[]).sort((a, b) => a.localeCompare(b)),
      createdAt: r.created_at,
    })),
  };
}

/**
 * The distinct ids of a call, every one of which must be an item of the dataset: a call naming an item
 * that does not exist (any more) is refused whole, as gallery calls are, rather than half applied.
 */
function assertItems(db: Db, datasetId: number, itemIds: number[]): number[] {
  const unique = [...new Set(itemIds)];
  const missing: number[] = [];
  for (let i = 0; i < unique.length; i += 500) {
    const part = unique.slice(i, i + 500);
    const found = new Set(
      (db.prepare(`SELECT id FROM item WHERE dataset_id = ? AND id IN (${part.map(() => '?').join(',')})`).all(datasetId, ...part) as Array<{ id: number }>).map((r) => r.id),
    );
    for (const id of part) if (!found.has(id)) missing.push(id);
  }
  if (missing.length) {
    throw new AtelierError('not_found', `Item${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? '…' : ''} ${missing.length > 1 ? 'are' : 'is'} not in this dataset (any more); nothing was changed.`, {
      missing: missing.slice(0, 100),
    });
  }
  return unique;
}

export function updateItems(
  db: Db,
  datasetId: number,
  itemIds: number[],
  patch: { label?: string | null; caption?: string | null; addTags?: string[]; removeTags?: string[] },
): number {
  const d = getDataset(db, datasetId);
  return db.transaction(() => {
    const ids = assertItems(db, datasetId, itemIds);
    for (const id of ids) {
      if (patch.label !== undefined) db.prepare('UPDATE item SET label = ? WHERE id = ?').run(patch.label, id);
      if (patch.caption !== undefined) db.prepare('UPDATE item SET caption = ? WHERE id = ?').run(patch.caption, id);
      for (const t of patch.addTags ?? []) db.prepare('INSERT OR IGNORE INTO item_tag (item_id, tag_id) VALUES (?, ?)').run(id, tagId(db, t));
      for (const t of patch.removeTags ?? []) {
        db.prepare('DELETE FROM item_tag WHERE item_id = ? AND tag_id IN (SELECT id FROM tag WHERE name = ? COLLATE NOCASE)').run(id, t);
      }
      refreshItemSearch(db, d.projectId, id);
    }
    db.prepare('UPDATE dataset SET updated_at = ? WHERE id = ?').run(Date.now(), datasetId);
    return ids.length;
  })();
}

/**
 * Remove items (or the whole dataset) from the catalog; returns the media paths that no remaining item
 * of the project uses, which the caller deletes after the transaction.
 */
export function deleteItemRows(db: Db, datasetId: number, itemIds: number[] | 'all'): { deleted: number; orphanFiles: string[] } {
  const d = getDataset(db, datasetId);
  return db.transaction(() => {
    const rows = (
      itemIds === 'all'
        ? db.prepare('SELECT id, file, thumb FROM item WHERE dataset_id = ?').all(datasetId)
        : assertItems(db, datasetId, itemIds).map((id) => db.prepare('SELECT id, file, thumb FROM item WHERE id = ? AND dataset_id = ?').get(id, datasetId))
    ) as Array<{ id: number; file: string; thumb: string | null }>;
    for (const r of rows) {
      db.prepare("DELETE FROM search_fts WHERE kind = 'item' AND ref_id = ?").run(r.id);
      db.prepare('DELETE FROM item WHERE id = ?').run(r.id);
    }
    if (itemIds === 'all') db.prepare('DELETE FROM dataset WHERE id = ?').run(datasetId);
    else db.prepare('UPDATE dataset SET updated_at = ? WHERE id = ?').run(Date.now(), datasetId);
    const stillUsed = db.prepare(
      'SELECT 1 FROM item i JOIN dataset d ON d.id = i.dataset_id WHERE d.project_id = ? AND (i.file = ? OR i.thumb = ?) LIMIT 1',
    );
    const orphanFiles: string[] = [];
    for (const r of rows) {
      for (const f of [r.file, r.thumb]) if (f && !stillUsed.get(d.projectId, f, f) && !orphanFiles.includes(f)) orphanFiles.push(f);
    }
    return { deleted: rows.length, orphanFiles };
  })();
}

/** The newest import job of a dataset (its params carry the dataset id). */
export function latestImportJobId(db: Db, datasetId: number): number | null {
  const r = db
    .prepare("SELECT id FROM job WHERE kind = 'import' AND json_extract(params_json, '$.datasetId') = ? ORDER BY id DESC LIMIT 1")
    .get(datasetId) as { id: number } | undefined;
  return r?.id ?? null;
}
