/**
 * Online backup and restore of the catalog. The backup uses SQLite's backup API, so it is consistent
 * while the studio keeps writing; the result is checked (integrity_check, schema version) before it is
 * renamed into place, so a backup file that exists is a good one.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import type { Db } from './db';
import { CATALOG_FILE, openCatalog } from './db';
import { MIGRATIONS } from './migrations';
import { AtelierError } from '../../shared/errors';
import { diskFullError } from '../files/disk-full';

export interface BackupReport {
  file: string;
  bytes: number;
  integrity: 'ok';
  schemaVersion: number;
  tables: Record<string, number>;
}

function tmpName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${crypto.randomBytes(6).toString('hex')}`);
}

/** Check a catalog file: integrity, known schema version, row counts. Throws AtelierError if unusable. */
export function verifyCatalogFile(file: string): Omit<BackupReport, 'file' | 'bytes'> {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new AtelierError('invalid_input', `${file} is not a readable Atelier catalog: ${(err as Error).message}`);
  }
  try {
    let integrity: unknown;
    try {
      integrity = db.pragma('integrity_check', { simple: true });
    } catch (err) {
      throw new AtelierError('invalid_input', `${file} is not an SQLite database: ${(err as Error).message}`);
    }
    if (integrity !== 'ok') throw new AtelierError('invalid_input', `${file} failed its integrity check: ${String(integrity).slice(0, 300)}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    if (version > latest) throw new AtelierError('unsupported', `${file} was written by a newer Atelier (schema ${version}; this one knows up to ${latest}).`);
    if (version < 1) throw new AtelierError('invalid_input', `${file} is not an Atelier catalog (no schema version).`);
    const tables: Record<string, number> = {};
    for (const name of ['project', 'dataset', 'item', 'run', 'checkpoint', 'generation', 'board']) {
      tables[name] = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
    }
    return { integrity: 'ok', schemaVersion: version, tables };
  } finally {
    db.close();
  }
}

export async function backupCatalog(db: Db, out: string): Promise<BackupReport> {
  const target = path.resolve(out);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) throw new AtelierError('bad_request', `${target} is a folder; give a file name for the backup.`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tmpName(target);
  try {
    await db.backup(tmp);
    // A backup is one self-contained file: no WAL beside it.
    const copy = new Database(tmp);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    const check = verifyCatalogFile(tmp);
    fs.renameSync(tmp, target);
    return { file: target, bytes: fs.statSync(target).size, ...check };
  } catch (err) {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) fs.rmSync(f, { force: true });
    throw diskFullError(err) ?? err;
  }
}

/**
 * Replace a data folder's catalog with a backup. The current catalog is kept next to it
 * (catalog.db.before-restore-<time>) so a restore can itself be undone. Close the studio first: a
 * running studio keeps the old file open.
 */
export function restoreCatalog(dataDir: string, backupFile: string): BackupReport & { previous: string | null } {
  const source = path.resolve(backupFile);
  const check = verifyCatalogFile(source);
  const live = path.join(dataDir, CATALOG_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = tmpName(live);
  let previous: string | null = null;
  try {
    fs.copyFileSync(source, tmp);
    if (fs.existsSync(live)) {
      // Fold the WAL into the main file so the kept copy is complete on its own.
      const cur = new Database(live);
      cur.pragma('wal_checkpoint(TRUNCATE)');
      cur.close();
      previous = `${live}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.copyFileSync(live, previous);
    }
    for (const suffix of ['-wal', '-shm']) fs.rmSync(live + suffix, { force: true });
    fs.renameSync(tmp, live);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw diskFullError(err) ?? err;
  }
  // Opening runs any migrations a backup from an older Atelier needs.
  openCatalog(dataDir).close();
  return { file: live, bytes: fs.statSync(live).size, ...check, previous };
}
