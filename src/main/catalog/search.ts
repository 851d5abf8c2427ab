/**
 * The search index: one search_fts row per visible generation (kind 'generation'), rebuilt from its
 * sources (prompt, text, tags, label, model) whenever they change, and the query language the gallery
 * searches it with.
 */
import type { Db } from './db';
import { chunked } from './chunked';

export function refreshSearch(db: Db, id: number): void {
  refreshSearchMany(db, [id]);
}

/** Rebuild the search rows of many generations (one scan of the index per 500 ids, not one per id). */
export function refreshSearchMany(db: Db, ids: number[]): void {
  const select = db.prepare(SEARCH_SOURCE);
  const insert = db.prepare("INSERT INTO search_fts (body, kind, ref_id, project_id) VALUES (?, 'generation', ?, ?)");
  chunked(ids, (chunk, marks) => {
    // kind/ref_id are unindexed columns: one scan of the index per chunk, not per id.
    db.prepare(`DELETE FROM search_fts WHERE kind = 'generation' AND ref_id IN (${marks})`).run(...chunk);
    for (const id of chunk) {
      const r = select.get(id) as SearchSource | undefined;
      if (r && r.file !== null) insert.run(searchBody(r), id, r.project_id);
    }
  });
}

interface SearchSource {
  project_id: number;
  prompt: string;
  text: string | null;
  label: string | null;
  file: string | null;
  model_name: string | null;
  family: string | null;
  tags: string | null;
}

const SEARCH_SOURCE = `SELECT g.project_id, g.prompt, g.text, g.label, g.file, m.name AS model_name, m.family,
    (SELECT group_concat(t.name, ' ') FROM generation_tag gt JOIN tag t ON t.id = gt.tag_id WHERE gt.generation_id = g.id) AS tags
  FROM generation g LEFT JOIN model m ON m.id = g.model_id WHERE g.id = ?`;

function searchBody(r: SearchSource): string {
  // A text generation's text is searchable like a prompt.
  return [r.prompt, r.text, r.tags, r.label, r.model_name, r.family].filter(Boolean).join(' \n ');
}

/** A newly completed generation's search row (its sources are all in place). */
export function indexGeneration(db: Db, id: number): void {
  const r = db.prepare(SEARCH_SOURCE).get(id) as SearchSource | undefined;
  if (r) db.prepare("INSERT INTO search_fts (body, kind, ref_id, project_id) VALUES (?, 'generation', ?, ?)").run(searchBody(r), id, r.project_id);
}

/** A user's search text → an FTS5 query: every word must appear (as a prefix), punctuation ignored. */
export function ftsQuery(text: string): string | null {
  const words = text.match(/[\p{L}\p{N}]+/gu);
  if (!words || words.length === 0) return null;
  return words.slice(0, 16).map((w) => `"${w.replace(/"/g, '')}"*`).join(' ');
}
