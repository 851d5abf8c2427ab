import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { appRoot } from '../files/app-root';

/**
 * Where a worker's code is. Built (CLI, web host, Electron): out/main/<name>.js, an entry of the main
 * build. From sources (vitest, tsx): src/main/jobs/workers/<name>.ts, loaded through tsx.
 */
export interface WorkerEntry {
  file: string;
  /** Arguments for the worker's process.argv (the TypeScript entry, when started through the bootstrap). */
  argv: string[];
}

export function workerEntry(name: string): WorkerEntry {
  // Tests may pass an absolute path to a worker of their own.
  if (path.isAbsolute(name)) return name.endsWith('.ts') ? viaTsx(name) : { file: name, argv: [] };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const fromSource = here.includes(`${path.sep}src${path.sep}main${path.sep}`);
  if (!fromSource) {
    const built = path.join(appRoot(), 'out', 'main', `${name}.js`);
    if (fs.existsSync(built)) return { file: built, argv: [] };
  }
  const source = path.join(appRoot(), 'src', 'main', 'jobs', 'workers', `${name}.ts`);
  if (fs.existsSync(source)) return viaTsx(source);
  throw new Error(`Worker "${name}" is missing: neither out/main/${name}.js nor ${source} exists. Run "npm run build".`);
}

function viaTsx(tsFile: string): WorkerEntry {
  return { file: path.join(appRoot(), 'src', 'main', 'jobs', 'source-worker.mjs'), argv: [tsFile] };
}
