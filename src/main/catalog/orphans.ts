import type { Db } from './db';

/**
 * What the startup sweep needs to know about one project's files: which rows exist. The sweep itself
 * (src/main/service/orphans.ts) walks the folders; SQL stays here.
 */
export function projectIds(db: Db): Set<number> {
  return new Set((db.prepare('SELECT id FROM project').all() as Array<{ id: number }>).map((r) => r.id));
}

export interface ProjectRows {
  runIds: Set<number>;
  generationIds: Set<number>;
  /** Media paths generation rows name (normally derived from their ids; a row may name another). */
  generationMedia: Set<string>;
  /** Media paths of every item file and thumbnail of the project. */
  itemMedia: Set<string>;
}

export function projectRows(db: Db, projectId: number): ProjectRows {
  const runIds = new Set((db.prepare('SELECT id FROM run WHERE project_id = ?').all(projectId) as Array<{ id: number }>).map((r) => r.id));
  const generationIds = new Set<number>();
  const generationMedia = new Set<string>();
  for (const r of db.prepare('SELECT id, file FROM generation WHERE project_id = ?').iterate(projectId) as Iterable<{ id: number; file: string | null }>) {
    generationIds.add(r.id);
    if (r.file) generationMedia.add(r.file);
  }
  const itemMedia = new Set<string>();
  for (const r of db.prepare('SELECT i.file, i.thumb FROM item i JOIN dataset d ON d.id = i.dataset_id WHERE d.project_id = ?').iterate(projectId) as Iterable<{
    file: string;
    thumb: string | null;
  }>) {
    itemMedia.add(r.file);
    if (r.thumb) itemMedia.add(r.thumb);
  }
  return { runIds, generationIds, generationMedia, itemMedia };
}
