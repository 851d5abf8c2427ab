import { AtelierError } from '../../shared/errors';

/**
 * A full disk shows up as ENOSPC from the file system and SQLITE_FULL from the catalog. Both become
 * the same plain-language error; SQLite rolls the transaction back and our writers use temp + rename,
 * so nothing half-written is left behind.
 */
export function diskFullError(err: unknown): AtelierError | null {
  const e = err as { code?: string; message?: string } | null;
  if (!e || typeof e !== 'object') return null;
  if (e.code === 'ENOSPC' || e.code === 'SQLITE_FULL' || e.code === 'EDQUOT') {
    return new AtelierError('disk_full', 'The disk is full: nothing was saved for this action. Free some space and try again.', { cause: e.code });
  }
  return null;
}
