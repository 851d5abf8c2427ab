import path from 'node:path';
import fs from 'node:fs';
import { AtelierError } from '../../shared/errors';

/**
 * Resolve `relative` under `root` and refuse anything that would land outside it: `..` segments,
 * absolute paths, NUL bytes, and (when the target exists) symlinks that point out of the root.
 * Every door serving local files and every export writer goes through this.
 */
export function containedPath(root: string, relative: string): string {
  if (typeof relative !== 'string' || relative.length === 0 || relative.includes('\0')) {
    throw new AtelierError('forbidden', 'That path is not allowed.');
  }
  const normalized = relative.replace(/\\/g, '/');
  if (path.isAbsolute(normalized) || /^[a-zA-Z]:/.test(normalized)) {
    throw new AtelierError('forbidden', 'Absolute paths are not allowed here.');
  }
  const rootAbs = path.resolve(root);
  const resolved = path.resolve(rootAbs, normalized);
  if (!isInside(rootAbs, resolved)) throw new AtelierError('forbidden', 'That path leaves its folder.');
  // A symlink inside the root could still point outside it.
  if (fs.existsSync(resolved)) {
    const real = fs.realpathSync(resolved);
    const realRoot = fs.realpathSync(rootAbs);
    if (!isInside(realRoot, real)) throw new AtelierError('forbidden', 'That path leaves its folder through a link.');
  }
  return resolved;
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
