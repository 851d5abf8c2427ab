import type { Db } from '../catalog/db';
import type { BackendStatus } from '../../shared/contract';
import type { EventBus } from './events';
import type { JobRunner } from './runner';

/**
 * What jobs and the service share: the catalog, the data folder, the event bus and the job runner.
 * Created once per process by `createService`. The layers above extend it with the state they own
 * (jobs/context.ts, service/context.ts), so every piece of per-engine state is a field of one object
 * rather than a module-level map keyed by it.
 */
export interface EngineContext {
  db: Db;
  dataDir: string;
  appVersion: string;
  door: 'electron' | 'web' | 'cli' | 'direct';
  events: EventBus;
  /** Filled in when a job first initialises an ML backend in this process. */
  backend: BackendStatus | null;
  jobs: JobRunner;
  /** Where bundled resources (samples, base models) live. */
  resourcesDir: string;
  /**
   * The browser door reads local files only from here (folders named with `atelier serve --allow-path`),
   * besides its own uploads and the built-in samples. Other doors ignore it. See service/door-paths.ts.
   */
  webReadRoots: string[];
}
