import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CATALOG_FILE, integrityCheck, openCatalog } from '../../../src/main/catalog/db';
import { MIGRATIONS } from '../../../src/main/catalog/migrations';
import type { Migration } from '../../../src/main/catalog/migrations/types';
import { AtelierError } from '../../../src/shared/errors';
import { tempDir } from '../support/tmp';

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table','index') ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe('catalog', () => {
  it('creates a WAL database with foreign keys, the latest schema and the search index', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const names = tables(db);
    for (const t of ['project', 'dataset', 'item', 'model', 'run', 'checkpoint', 'generation', 'board', 'tag', 'export', 'search_fts']) {
      expect(names).toContain(t);
    }
    expect(integrityCheck(db)).toEqual([]);
    db.close();
  });

  it('uses STRICT tables: a wrongly typed value is refused', () => {
    const db = openCatalog(tempDir());
    expect(() => db.prepare("INSERT INTO project (name, created_at, updated_at) VALUES ('x', 'yesterday', 1)").run()).toThrow(/cannot store TEXT value in INTEGER column/);
    db.close();
  });

  it('enforces foreign keys and cascades project deletion', () => {
    const db = openCatalog(tempDir());
    expect(() => db.prepare("INSERT INTO dataset (project_id, name, kind, created_at, updated_at) VALUES (999, 'd', 'image', 1, 1)").run()).toThrow(/FOREIGN KEY/);
    db.prepare("INSERT INTO project (id, name, created_at, updated_at) VALUES (1, 'p', 1, 1)").run();
    db.prepare("INSERT INTO dataset (project_id, name, kind, created_at, updated_at) VALUES (1, 'd', 'image', 1, 1)").run();
    db.prepare('DELETE FROM project WHERE id = 1').run();
    expect(db.prepare('SELECT count(*) AS n FROM dataset').get()).toEqual({ n: 0 });
    db.close();
  });

  it('reopening an up-to-date catalog keeps its data', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    db.prepare("INSERT INTO project (name, created_at, updated_at) VALUES ('kept', 1, 1)").run();
    db.close();
    const again = openCatalog(dir);
    expect(again.prepare('SELECT name FROM project').all()).toEqual([{ name: 'kept' }]);
    again.close();
  });

  it('a failing migration leaves user_version and the schema unchanged', () => {
    const dir = tempDir();
    openCatalog(dir).close();
    const file = path.join(dir, CATALOG_FILE);
    const before = new Database(file);
    const schemaBefore = tables(before);
    const versionBefore = before.pragma('user_version', { simple: true });
    before.close();

    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      name: 'adds a table, then fails',
      up(db) {
        db.exec('CREATE TABLE half_done (x INTEGER) STRICT');
        db.exec('ALTER TABLE project ADD COLUMN colour TEXT');
        db.exec('THIS IS NOT SQL');
      },
    };
    let error: unknown;
    try {
      openCatalog(dir, { migrations: [...MIGRATIONS, broken] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AtelierError);
    expect((error as AtelierError).message).toMatch(/rolled back; the catalog is unchanged/);

    const after = new Database(file);
    expect(after.pragma('user_version', { simple: true })).toBe(versionBefore);
    expect(tables(after)).toEqual(schemaBefore);
    expect((after.prepare('PRAGMA table_info(project)').all() as { name: string }[]).map((c) => c.name)).not.toContain('colour');
    after.close();
  });

  it('refuses a catalog written by a newer Atelier and leaves the file untouched', () => {
    const dir = tempDir();
    const db = openCatalog(dir);
    db.prepare("INSERT INTO project (name, created_at, updated_at) VALUES ('future', 1, 1)").run();
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const file = path.join(dir, CATALOG_FILE);
    const hashBefore = sha(file);
    const statBefore = fs.statSync(file);

    expect(() => openCatalog(dir)).toThrow(/newer version of Atelier.*left untouched/);
    expect(sha(file)).toBe(hashBefore);
    expect(fs.statSync(file).mtimeMs).toBe(statBefore.mtimeMs);
  });

  it('refuses a file that is not a database with a clear error', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, CATALOG_FILE), 'definitely not sqlite, just text '.repeat(100));
    expect(() => openCatalog(dir)).toThrow(/cannot be read/);
  });
});
