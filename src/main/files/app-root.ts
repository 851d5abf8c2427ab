import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding Atelier's package.json: the repository in development, the app folder when
 * packaged. Built code lives in out/<part>/ and sources in src/main/<folder>/, so walk up.
 */
export function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      try {
        if ((JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string }).name === 'atelier') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export function appVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Bundled resources: samples, base models, icons. */
export function resourcesDir(): string {
  if (process.env.ATELIER_RESOURCES_DIR) return process.env.ATELIER_RESOURCES_DIR;
  const inRepo = path.join(appRoot(), 'resources');
  if (fs.existsSync(inRepo)) return inRepo;
  // Packaged desktop app: electron-builder's extraResources land beside app.asar.
  const packaged = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  return packaged ?? inRepo;
}

/** The built renderer (electron-vite output). */
export function rendererDir(): string {
  return path.join(appRoot(), 'out', 'renderer');
}
