/**
 * Which files of the data folder the doors serve as media (the web host's /media/, Electron's
 * atelier://app/media/): only the folders that hold images and exports, never the catalog, its journal,
 * staging or anything else. Both doors ask this one function.
 */
import path from 'node:path';

const MEDIA_FOLDERS = new Set(['projects', 'exports']);

/**
 * A decoded path relative to the data folder → whether it lies in a media folder. Paths that climb out
 * or are absolute are refused here too (containment is still checked again where the file is opened).
 */
export function isMediaPath(decoded: string): boolean {
  if (decoded.startsWith('/') || decoded.startsWith('\\')) return false;
  const parts = path.posix.normalize(decoded.replace(/\\/g, '/')).split('/');
  return parts[0] !== '..' && MEDIA_FOLDERS.has(parts[0]!) && parts.length > 1;
}
