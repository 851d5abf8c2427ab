import type { Db } from './db';
import type { Project } from '../../shared/contract';
import { AtelierError } from '../../shared/errors';

interface ProjectRow {
  id: number;
  name: string;
  created_at: number;
  updated_at: number;
  opened_at: number | null;
  datasets: number;
  runs: number;
  generations: number;
}

const SELECT = `
  SELECT p.id, p.name, p.created_at, p.updated_at, p.opened_at,
    (SELECT count(*) FROM dataset d WHERE d.project_id = p.id) AS datasets,
    (SELECT count(*) FROM run r WHERE r.project_id = p.id) AS runs,
    (SELECT count(*) FROM generation g WHERE g.project_id = p.id AND g.trashed_at IS NULL) AS generations
  FROM project p`;

function toProject(r: ProjectRow): Project {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    openedAt: r.opened_at,
    counts: { datasets: r.datasets, runs: r.runs, generations: r.generations },
  };
}

export function listProjects(db: Db): Project[] {
  const rows = db.prepare(`${SELECT} ORDER BY coalesce(p.opened_at, p.created_at) DESC, p.id DESC`).all() as ProjectRow[];
  return rows.map(toProject);
}

export function getProject(db: Db, id: number): Project {
  const row = db.prepare(`${SELECT} WHERE p.id = ?`).get(id) as ProjectRow | undefined;
  if (!row) throw new AtelierError('not_found', `There is no project with id ${id}.`);
  return toProject(row);
}

/** Find a project by id or (case-insensitive) name, as the CLI's `--project` accepts either. */
export function findProject(db: Db, idOrName: string | number): Project {
  const asNumber = typeof idOrName === 'number' ? idOrName : /^\d+$/.test(idOrName) ? Number(idOrName) : NaN;
  if (Number.isSafeInteger(asNumber)) {
    const row = db.prepare(`${SELECT} WHERE p.id = ?`).get(asNumber) as ProjectRow | undefined;
    if (row) return toProject(row);
  }
  const row = db.prepare(`${SELECT} WHERE p.name = ? COLLATE NOCASE`).get(String(idOrName)) as ProjectRow | undefined;
  if (!row) throw new AtelierError('not_found', `There is no project called "${idOrName}".`);
  return toProject(row);
}

function assertNameFree(db: Db, name: string, exceptId?: number): void {
  const clash = db.prepare('SELECT id, name FROM project WHERE name = ? COLLATE NOCASE').get(name) as { id: number; name: string } | undefined;
  if (clash && clash.id !== exceptId) throw new AtelierError('conflict', `A project called "${clash.name}" already exists.`);
}

export function createProject(db: Db, name: string, now = Date.now()): Project {
  return db.transaction(() => {
    assertNameFree(db, name);
    const info = db.prepare('INSERT INTO project (name, created_at, updated_at, opened_at) VALUES (?, ?, ?, NULL)').run(name, now, now);
    return getProject(db, Number(info.lastInsertRowid));
  })();
}

export function renameProject(db: Db, id: number, name: string, now = Date.now()): Project {
  return db.transaction(() => {
    getProject(db, id);
    assertNameFree(db, name, id);
    db.prepare('UPDATE project SET name = ?, updated_at = ? WHERE id = ?').run(name, now, id);
    return getProject(db, id);
  })();
}

export function touchProjectOpened(db: Db, id: number, now = Date.now()): Project {
  getProject(db, id);
  db.prepare('UPDATE project SET opened_at = ? WHERE id = ?').run(now, id);
  return getProject(db, id);
}

/** Deletes the row and (by cascade) everything that belongs to it; the caller removes the folder. */
export function deleteProjectRow(db: Db, id: number): void {
  db.transaction(() => {
    getProject(db, id);
    db.prepare("DELETE FROM search_fts WHERE project_id = ?").run(id);
    db.prepare('DELETE FROM project WHERE id = ?').run(id);
  })();
}
