/**
 * The gallery's queries over generations: a filtered, searched, sorted page (or every id, for select
 * all) and the values the filters can take. Only finished generations (their file exists) are shown.
 */
import type { Db } from './db';
import type { GalleryFacets, GalleryFilter, GalleryItem, GalleryPage } from '../../shared/contract';
import { ftsQuery } from './search';

function where(f: GalleryFilter): { sql: string; args: unknown[] } {
  const conds = ['g.project_id = ?', 'g.file IS NOT NULL', f.trashed ? 'g.trashed_at IS NOT NULL' : 'g.trashed_at IS NULL'];
  const args: unknown[] = [f.projectId];
  const q = ftsQuery(f.query);
  if (f.query.trim() && q === null) conds.push('0'); // only punctuation: nothing can match
  if (q !== null) {
    conds.push("g.id IN (SELECT ref_id FROM search_fts WHERE search_fts MATCH ? AND kind = 'generation' AND project_id = ?)");
    args.push(q, f.projectId);
  }
  if (f.modelId !== undefined) {
    conds.push('g.model_id = ?');
    args.push(f.modelId);
  }
  if (f.runId !== undefined) {
    conds.push('g.run_id = ?');
    args.push(f.runId);
  }
  if (f.stepMin !== undefined) {
    conds.push('g.step >= ?');
    args.push(f.stepMin);
  }
  if (f.stepMax !== undefined) {
    conds.push('g.step <= ?');
    args.push(f.stepMax);
  }
  if (f.label !== undefined) {
    conds.push('g.label = ? COLLATE NOCASE');
    args.push(f.label);
  }
  if (f.seed !== undefined) {
    conds.push('g.seed = ?');
    args.push(f.seed);
  }
  if (f.from !== undefined) {
    conds.push('g.created_at >= ?');
    args.push(f.from);
  }
  if (f.to !== undefined) {
    conds.push('g.created_at <= ?');
    args.push(f.to);
  }
  if (f.starred !== undefined) conds.push(f.starred ? 'g.starred = 1' : 'g.starred = 0');
  if (f.memorised !== undefined) conds.push(f.memorised ? 'g.memorised = 1' : 'g.memorised = 0');
  if (f.boardId !== undefined) {
    conds.push('g.id IN (SELECT generation_id FROM board_item WHERE board_id = ?)');
    args.push(f.boardId);
  }
  if (f.tag !== undefined) {
    conds.push('g.id IN (SELECT gt.generation_id FROM generation_tag gt JOIN tag t ON t.id = gt.tag_id WHERE t.name = ? COLLATE NOCASE)');
    args.push(f.tag);
  }
  return { sql: conds.join(' AND '), args };
}

const order = (f: GalleryFilter) => (f.sort === 'oldest' ? 'g.id ASC' : 'g.id DESC');

interface ItemRaw {
  id: number;
  kind: 'image' | 'text';
  text: string | null;
  file: string | null;
  width: number | null;
  height: number | null;
  seed: number;
  step: number;
  starred: number;
  memorised: number;
  trashed_at: number | null;
  created_at: number;
}

const toItem = (r: ItemRaw): GalleryItem => ({
  id: r.id,
  file: r.file,
  width: r.width,
  height: r.height,
  seed: r.seed,
  step: r.step,
  starred: r.starred === 1,
  memorised: r.memorised === 1,
  trashed: r.trashed_at !== null,
  createdAt: r.created_at,
  kind: r.kind,
  text: r.text,
});

/** Characters of a text generation's text a grid cell gets (a card shows a few lines). */
export const TEXT_PREVIEW = 280;

export function listGallery(db: Db, f: GalleryFilter, offset: number, limit: number): GalleryPage {
  const w = where(f);
  const total = (db.prepare(`SELECT count(*) AS n FROM generation g WHERE ${w.sql}`).get(...w.args) as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT g.id, g.kind, substr(g.text, 1, ${TEXT_PREVIEW}) AS text, g.file, g.width, g.height, g.seed, g.step, g.starred, g.memorised, g.trashed_at, g.created_at
       FROM generation g WHERE ${w.sql} ORDER BY ${order(f)} LIMIT ? OFFSET ?`,
    )
    .all(...w.args, limit, offset) as ItemRaw[];
  return { total, offset, items: rows.map(toItem) };
}

export function galleryIds(db: Db, f: GalleryFilter): number[] {
  const w = where(f);
  return (db.prepare(`SELECT g.id FROM generation g WHERE ${w.sql} ORDER BY ${order(f)}`).pluck().all(...w.args) as number[]);
}

export function galleryFacets(db: Db, projectId: number): GalleryFacets {
  const live = 'g.project_id = ? AND g.file IS NOT NULL AND g.trashed_at IS NULL';
  return {
    models: db
      .prepare(`SELECT m.id, m.name, count(*) AS count FROM generation g JOIN model m ON m.id = g.model_id WHERE ${live} GROUP BY m.id ORDER BY m.id DESC`)
      .all(projectId) as GalleryFacets['models'],
    runs: db
      .prepare(`SELECT r.id, r.name, count(*) AS count FROM generation g JOIN run r ON r.id = g.run_id WHERE ${live} GROUP BY r.id ORDER BY r.id DESC`)
      .all(projectId) as GalleryFacets['runs'],
    labels: db.prepare(`SELECT DISTINCT g.label FROM generation g WHERE ${live} AND g.label IS NOT NULL ORDER BY g.label`).pluck().all(projectId) as string[],
    tags: db
      .prepare(`SELECT DISTINCT t.name FROM generation g JOIN generation_tag gt ON gt.generation_id = g.id JOIN tag t ON t.id = gt.tag_id WHERE ${live} ORDER BY t.name COLLATE NOCASE`)
      .pluck()
      .all(projectId) as string[],
    steps: db.prepare(`SELECT DISTINCT g.step FROM generation g WHERE ${live} ORDER BY g.step`).pluck().all(projectId) as number[],
    trashed: (db.prepare('SELECT count(*) FROM generation g WHERE g.project_id = ? AND g.file IS NOT NULL AND g.trashed_at IS NOT NULL').pluck().get(projectId) as number) ?? 0,
  };
}
