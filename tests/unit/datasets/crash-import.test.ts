/**
 * Kill -9 the importer mid-run: the catalog stays sound, holds only whole items (each row's file is
 * there with its hash), and importing again finishes the job without duplicates.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp';
import { cliArgs, itemCount, lastJson, ROOT, runCli, sha256, writeNoiseImages } from './support';

const COUNT = 600;


describe('crash-safe import', () => {
  it('survives SIGKILL mid-import and completes on re-run without duplicates', async () => {
    const base = tempDir('atelier-crash-');
    const src = path.join(base, 'crash');
    await writeNoiseImages(src, COUNT, 96);
    const data = path.join(base, 'data');
    expect((await runCli(['projects', 'create', 'Crash', '--json'], data)).code).toBe(0);
    const dbFile = path.join(data, 'catalog.db');

    // Start the import and kill it once some chunks are committed but well before the end.
    const child = spawn(process.execPath, cliArgs(['import', src, '--project', 'Crash', '--dataset', 'crash', '--json'], data), { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    let before = 0;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      before = itemCount(dbFile);
      if (before >= 64) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    before = itemCount(dbFile);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(COUNT);

    const db = new Database(dbFile);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const rows = db.prepare('SELECT hash, file, thumb FROM item').all() as Array<{ hash: string; file: string; thumb: string }>;
      for (const r of rows) {
        expect(sha256(path.join(data, r.file))).toBe(r.hash);
        expect(fs.statSync(path.join(data, r.thumb)).size).toBeGreaterThan(0);
      }
    } finally {
      db.close();
    }

    // Run the same import again: the rest arrives, nothing twice.
    const again = await runCli(['import', src, '--project', 'Crash', '--dataset', 'crash', '--json'], data);
    expect(again.code, again.stderr).toBe(0);
    const out = lastJson<{ datasetId: number; imported: number; alreadyPresent: number; skipped: unknown[]; status: string }>(again.stdout);
    expect(out.status).toBe('done');
    expect(out.skipped).toEqual([]);
    expect(out.alreadyPresent).toBeGreaterThanOrEqual(before);
    expect(out.imported + out.alreadyPresent).toBe(COUNT);

    const db2 = new Database(dbFile, { readonly: true });
    try {
      expect(db2.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((db2.prepare('SELECT count(*) AS n FROM item').get() as { n: number }).n).toBe(COUNT);
      expect((db2.prepare('SELECT count(DISTINCT hash) AS n FROM item').get() as { n: number }).n).toBe(COUNT);
      expect((db2.prepare('SELECT count(*) AS n FROM dataset').get() as { n: number }).n).toBe(1);
      // The killed run's job was found dead and marked interrupted; the re-run is done.
      const jobs = db2.prepare("SELECT status FROM job WHERE kind = 'import' ORDER BY id").all() as Array<{ status: string }>;
      expect(jobs.map((j) => j.status)).toEqual(['interrupted', 'done']);
      for (const r of db2.prepare('SELECT hash, file FROM item').all() as Array<{ hash: string; file: string }>) {
        expect(sha256(path.join(data, r.file))).toBe(r.hash);
      }
    } finally {
      db2.close();
    }
  });
});
