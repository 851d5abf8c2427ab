import { z } from 'zod';
import { method } from './define';
import { Empty } from './common';

export const BackendStatus = z.strictObject({
  name: z.string(),
  reason: z.string(),
  threads: z.number().int().nonnegative(),
  skipped: z.array(z.strictObject({ name: z.string(), reason: z.string() })),
  /** A training run's data-parallel workers (threads, each with `threads` backend threads); absent = one. */
  workers: z.number().int().positive().optional(),
});
export type BackendStatus = z.infer<typeof BackendStatus>;

export const AppInfo = z.strictObject({
  name: z.literal('Atelier'),
  version: z.string(),
  /** Which door this client came through. */
  door: z.enum(['electron', 'web', 'cli', 'direct']),
  dataDir: z.string(),
  platform: z.string(),
  /** The ML backend, once a job has initialised one in this process (null before). */
  backend: BackendStatus.nullable(),
  sampleDatasets: z.array(z.strictObject({ id: z.string(), name: z.string(), count: z.number().int(), attribution: z.string() })),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const appMethods = {
  'app.info': method(Empty, AppInfo, 'Version, data folder, door and ML backend of this Atelier.'),
};
