/**
 * The startup sweep: files in the data folder that no catalog row points to are removed. They are what a
 * process killed at the wrong moment leaves behind (files are written before their rows, and rows are
 * deleted before their files), so nothing here ever removes a file a row names.
 *
 * What counts as an orphan, under projects/:
 * - a project folder whose project row is gone (a delete killed after its transaction);
 * - a run folder whose run row is gone, and a generation file whose generation row is gone (those rows
 *   are written before any of their files, so no writer can be "about to" add them);
 * - an item file or thumbnail no item row of the project names: these are written before their rows, so
 *   only files older than the grace period go (another Atelier process may be between the two);
 * - temp files (`…atelier-tmp-<pid>-…`) of a process that no longer runs.
 * A project with a job that another live Atelier process is running is left alone entirely.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../catalog/db';
import { liveForeignJobs, pidAlive } from '../catalog/jobs';
import { projectIds, projectRows } from '../catalog/orphans';
import { TEMP_MARKER } from '../files/atomic';

export const ORPHAN_GRACE_MS = 10 * 60_000;

export interface SweepReport {
  removedFiles: number;
  removedFolders: number;
  /** Unreferenced item files younger than the grace period, left for a later start. */
  keptRecent: number;
  /** Projects skipped because another live process is working in them. */
  busyProjects: number[];
}

function list(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** A temp file of a process that is gone (a live one may still rename it into place). */
function staleTemp(name: string): boolean | null {
  const at = name.indexOf(TEMP_MARKER);
  if (at < 0) return null;
  const pid = Number(/^(\d+)-/.exec(name.slice(at + TEMP_MARKER.length))?.[1] ?? NaN);
  if (!Number.isSafeInteger(pid)) return true;
  // Our own pid at startup is a previous life's (pids are reused).
  return pid === process.pid || !pidAlive(pid);
}

export function sweepOrphanFiles(db: Db, dataDir: string, opts: { now?: number; graceMs?: number } = {}): SweepReport {
  const now = opts.now ?? Date.now();
  const grace = opts.graceMs ?? ORPHAN_GRACE_MS;
  const report: SweepReport = { removedFiles: 0, removedFolders: 0, keptRecent: 0, busyProjects: [] };
  const root = path.join(dataDir, 'projects');
  const entries = list(root);
  if (entries.length === 0) return report;
  const ids = projectIds(db);
  const busy = new Set(liveForeignJobs(db, {}, now).map((j) => j.projectId));
  const removeFile = (file: string) => {
    try {
      fs.unlinkSync(file);
      report.removedFiles++;
    } catch {
      // gone already, or not ours to remove: the next start tries again
    }
  };
  const removeFolder = (dir: string) => {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
      report.removedFolders++;
    } catch {
      // as above
    }
  };
  /** Temp leftovers anywhere below `dir`. */
  const sweepTemps = (dir: string) => {
    for (const e of list(dir)) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) sweepTemps(p);
      else if (staleTemp(e.name)) removeFile(p);
    }
  };

  for (const e of entries) {
    if (!e.isDirectory() || !/^\d+$/.test(e.name)) continue;
    const projectId = Number(e.name);
    const dir = path.join(root, e.name);
    if (busy.has(projectId)) {
      report.busyProjects.push(projectId);
      continue;
    }
    if (!ids.has(projectId)) {
      removeFolder(dir);
      continue;
    }
    const rows = projectRows(db, projectId);
    for (const sub of ['items', 'thumbs']) {
      for (const shard of list(path.join(dir, sub))) {
        if (!shard.isDirectory()) continue;
        const shardDir = path.join(dir, sub, shard.name);
        for (const f of list(shardDir)) {
          if (f.isDirectory()) continue;
          const file = path.join(shardDir, f.name);
          const temp = staleTemp(f.name);
          if (temp === false) continue;
          if (temp === true) {
            removeFile(file);
            continue;
          }
          if (rows.itemMedia.has(`projects/${projectId}/${sub}/${shard.name}/${f.name}`)) continue;
          const st = fs.lstatSync(file, { throwIfNoEntry: false });
          if (!st) continue;
          if (now - st.mtimeMs < grace) report.keptRecent++;
          else removeFile(file);
        }
      }
    }
    for (const bucket of list(path.join(dir, 'generations'))) {
      if (!bucket.isDirectory()) continue;
      const bucketDir = path.join(dir, 'generations', bucket.name);
      for (const f of list(bucketDir)) {
        if (f.isDirectory()) continue;
        const file = path.join(bucketDir, f.name);
        const temp = staleTemp(f.name);
        if (temp !== null) {
          if (temp) removeFile(file);
          continue;
        }
        const id = /^(\d+)\.(png|txt)$/.exec(f.name);
        if (id && !rows.generationIds.has(Number(id[1])) && !rows.generationMedia.has(`projects/${projectId}/generations/${bucket.name}/${f.name}`)) removeFile(file);
      }
    }
    for (const run of list(path.join(dir, 'runs'))) {
      if (!run.isDirectory() || !/^\d+$/.test(run.name)) continue;
      const runDir = path.join(dir, 'runs', run.name);
      if (!rows.runIds.has(Number(run.name))) removeFolder(runDir);
      else sweepTemps(runDir);
    }
  }
  return report;
}
