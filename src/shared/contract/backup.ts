import { z } from 'zod';
import { method } from './define';

export const BackupReport = z.strictObject({
  file: z.string(),
  bytes: z.number().int().nonnegative(),
  integrity: z.literal('ok'),
  schemaVersion: z.number().int(),
  /** Rows per table in the copy. */
  tables: z.record(z.string(), z.number().int().nonnegative()),
});
export type BackupReport = z.infer<typeof BackupReport>;

export const backupMethods = {
  'catalog.backup': method(
    z.strictObject({ outFile: z.string().min(1).max(4096) }),
    BackupReport,
    'Copy the catalog to a file while the studio runs, checked before it is kept (not from the browser door, which chooses no paths). Restoring needs the studio closed: `atelier restore`.',
  ),
};
