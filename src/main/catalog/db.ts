import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AtelierError } from '../../shared/errors';
import { ensureFolderSync, specialKind } from '../files/special';
import { MIGRATIONS } from './migrations';
import type { Migration } from './migrations/types';

export type Db = Database.Database;

export const CATALOG_FILE = 'catalog.db';

export interface OpenOptions {
  /** Override the migration list (tests use this to prove a failing migration changes nothing). */
  migrations?: readonly Migration[];
  readonly?: boolean;
}

/**
 * Open (creating if needed) the catalog in `dataDir` and bring its schema up to date.
 *
 * Order matters: the schema version is read through a read-only connection first, so a catalog written
 * by a newer Atelier is refused before this process writes a single byte to it (setting WAL mode would).
 */
export function openCatalog(dataDir: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  checkMigrationList(migrations);
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const file = path.join(dataDir, CATALOG_FILE);
  // The folder first: an existing file, a pipe, or /proc (where mkdir -p never returns) is refused, typed.
  if (!options.readonly) ensureFolderSync(dataDir, 'The data folder');
  const existing = fs.statSync(file, { throwIfNoEntry: false });
  if (existing && !existing.isFile()) throw new AtelierError('invalid_input', `The catalog at ${file} is ${specialKind(existing) ?? 'not a file'}, not a database.`);

  if (existing) {
    const found = readUserVersion(file);
    if (found > latest) {
      throw new AtelierError(
        'unsupported',
        `This catalog (${file}) was written by a newer version of Atelier (schema ${found}; this version knows up to ${latest}). ` +
          'It has been left untouched. Update Atelier to open it.',
        { found, latest },
      );
    }
  } else if (options.readonly) {
    throw new AtelierError('not_found', `No catalog at ${file}.`);
  }

  const db = new Database(file, { readonly: options.readonly ?? false });
  try {
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // NORMAL is durable with WAL at checkpoints and never corrupts; FULL costs an fsync per commit.
    db.pragma('synchronous = NORMAL');
    if (!options.readonly) migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function readUserVersion(file: string): number {
  let probe: Db | undefined;
  try {
    probe = new Database(file, { readonly: true, fileMustExist: true });
    return probe.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    throw new AtelierError('invalid_input', `The catalog at ${file} cannot be read: ${(err as Error).message}`);
  } finally {
    probe?.close();
  }
}

/** Apply each pending migration in its own transaction together with its user_version bump. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    const apply = db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      apply();
    } catch (err) {
      throw new AtelierError(
        'internal',
        `Catalog migration ${m.version} (${m.name}) failed and was rolled back; the catalog is unchanged at schema ${current}: ${(err as Error).message}`,
      );
    }
  }
  const problems = db.pragma('foreign_key_check') as unknown[];
  if (problems.length > 0) throw new AtelierError('internal', `Catalog foreign-key check failed after migration (${problems.length} rows).`);
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration list out of order: position ${i} has version ${m.version}.`);
  });
}

export function integrityCheck(db: Db): string[] {
  const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
}
