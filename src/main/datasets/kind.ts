/**
 * Which kind of dataset a set of sources makes when the user did not say: text when they hold text
 * files (.txt, .md, .csv) and no images, image otherwise. Decided from names only (nothing is opened or
 * followed), so it is cheap and safe before the import job starts; the job checks every file properly.
 * A .txt next to an image of the same name is that image's sidecar, not text to learn from. Archives
 * count as images (their entries are not listed here).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ARCHIVE_EXTENSIONS, IMAGE_EXTENSIONS, TEXT_EXTENSIONS } from './sniff';
import { extOf } from './sources';

export interface SourceKinds {
  /** Image files and archives. */
  images: number;
  /** Text files that are not sidecars. */
  texts: number;
  /** True when the walk stopped at the limit before seeing everything. */
  partial: boolean;
}

/** Entries looked at in all, across the sources: enough to decide, bounded for huge folders. */
const WALK_LIMIT = 20_000;

export function countSourceKinds(paths: string[], limit = WALK_LIMIT): SourceKinds {
  const out: SourceKinds = { images: 0, texts: 0, partial: false };
  let seen = 0;
  const countFolderFiles = (names: string[]) => {
    // As the import decides: a .txt is a sidecar when another, non-text file has its name.
    const stems = new Set(names.filter((n) => !TEXT_EXTENSIONS.has(extOf(n))).map(stemOf));
    for (const n of names) {
      const ext = extOf(n);
      if (ext in IMAGE_EXTENSIONS || ARCHIVE_EXTENSIONS.has(ext)) out.images++;
      else if (TEXT_EXTENSIONS.has(ext) && !(ext === '.txt' && stems.has(stemOf(n)))) out.texts++;
    }
  };
  const walk = (dir: string, depth: number) => {
    if (seen >= limit || depth > 32) {
      out.partial = true;
      return;
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    seen += entries.length;
    // Links are not followed here (the import decides about them); hidden files are not data.
    const visible = entries.filter((e) => !e.name.startsWith('.'));
    countFolderFiles(visible.filter((e) => e.isFile()).map((e) => e.name));
    for (const e of visible) if (e.isDirectory()) walk(path.join(dir, e.name), depth + 1);
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(p, 0);
    else if (st.isFile()) countFolderFiles([path.basename(p)]);
  }
  return out;
}

/** The kind a new dataset gets from its sources: text only when they hold text and no images. */
export function inferDatasetKind(paths: string[]): 'image' | 'text' {
  const k = countSourceKinds(paths);
  return k.texts > 0 && k.images === 0 ? 'text' : 'image';
}

function stemOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

