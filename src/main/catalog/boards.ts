/** Boards: named collections of generations inside a project (a generation may be on many). */
import type { Db } from './db';
import type { Board } from '../../shared/contract';
import { AtelierError } from '../../shared/errors';

interface Raw {
  id: number;
  project_id: number;
  name: string;
  created_at: number;
  count: number;
  cover: string | null;
}

const SELECT = `
  SELECT b.id, b.project_id, b.name, b.created_at,
    (SELECT count(*) FROM board_item bi JOIN generation g ON g.id = bi.generation_id
      WHERE bi.board_id = b.id AND g.trashed_at IS NULL AND g.file IS NOT NULL) AS count,
    (SELECT g.file FROM board_item bi JOIN generation g ON g.id = bi.generation_id
      WHERE bi.board_id = b.id AND g.trashed_at IS NULL AND g.file IS NOT NULL ORDER BY bi.added_at DESC LIMIT 1) AS cover
  FROM board b`;

const toBoard = (r: Raw): Board => ({ id: r.id, projectId: r.project_id, name: r.name, count: r.count, cover: r.cover, createdAt: r.created_at });

export function listBoards(db: Db, projectId: number): Board[] {
  return (db.prepare(`${SELECT} WHERE b.project_id = ? ORDER BY b.name COLLATE NOCASE`).all(projectId) as Raw[]).map(toBoard);
}

export function getBoard(db: Db, id: number): Board {
  const r = db.prepare(`${SELECT} WHERE b.id = ?`).get(id) as Raw | undefined;
  if (!r) throw new AtelierError('not_found', `There is no board with id ${id}.`);
  return toBoard(r);
}

function assertNameFree(db: Db, projectId: number, name: string, exceptId?: number): void {
  const clash = db.prepare('SELECT id, name FROM board WHERE project_id = ? AND name = ? COLLATE NOCASE').get(projectId, name) as { id: number; name: string } | undefined;
  if (clash && clash.id !== exceptId) throw new AtelierError('conflict', `A board called "${clash.name}" already exists in this project.`);
}

export function createBoard(db: Db, projectId: number, name: string, now = Date.now()): Board {
  return db.transaction(() => {
    assertNameFree(db, projectId, name);
    const info = db.prepare('INSERT INTO board (project_id, name, created_at) VALUES (?, ?, ?)').run(projectId, name, now);
    return getBoard(db, Number(info.lastInsertRowid));
  })();
}

export function renameBoard(db: Db, id: number, name: string): Board {
  return db.transaction(() => {
    const b = getBoard(db, id);
    assertNameFree(db, b.projectId, name, id);
    db.prepare('UPDATE board SET name = ? WHERE id = ?').run(name, id);
    return getBoard(db, id);
  })();
}

export function deleteBoard(db: Db, id: number): Board {
  const b = getBoard(db, id);
  db.prepare('DELETE FROM board WHERE id = ?').run(id);
  return b;
}

/** Generations must belong to the board's project. */
export function addToBoard(db: Db, boardId: number, ids: number[], now = Date.now()): Board {
  return db.transaction(() => {
    const b = getBoard(db, boardId);
    const check = db.prepare('SELECT project_id FROM generation WHERE id = ?');
    const insert = db.prepare('INSERT OR IGNORE INTO board_item (board_id, generation_id, added_at) VALUES (?, ?, ?)');
    for (const id of ids) {
      const g = check.get(id) as { project_id: number } | undefined;
      if (!g) throw new AtelierError('not_found', `There is no generation with id ${id}.`);
      if (g.project_id !== b.projectId) throw new AtelierError('bad_request', `Generation ${id} belongs to another project than board "${b.name}".`);
      insert.run(boardId, id, now);
    }
    return getBoard(db, boardId);
  })();
}

export function removeFromBoard(db: Db, boardId: number, ids: number[]): Board {
  return db.transaction(() => {
    getBoard(db, boardId);
    const del = db.prepare('DELETE FROM board_item WHERE board_id = ? AND generation_id = ?');
    for (const id of ids) del.run(boardId, id);
    return getBoard(db, boardId);
  })();
}
