import path from 'node:path';
import { containedPath } from '../files/contain';

/**
 * Files dropped onto the web studio are streamed here (inside the data folder, so the import reads them
 * like any folder) and removed when their import ends. The id is chosen by the client per drop.
 */
export const STAGING_ROOT = 'staging/uploads';

export function uploadDir(dataDir: string, uploadId: string): string {
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(uploadId)) throw new Error('bad upload id');
  return containedPath(dataDir, path.posix.join(STAGING_ROOT, uploadId));
}
