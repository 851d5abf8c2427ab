/**
 * Push events from the engine to every open client. Payloads are plain JSON; the engine is the only
 * producer, so they are typed here but not re-validated on receipt.
 */
import type { GalleryItem } from './contract/gallery';

export interface EventMap {
  /** Create: one image of a generate job is on disk and in the catalog (streams images into view). */
  'generate.image': { jobId: number; projectId: number; index: number; total: number; item: GalleryItem };
  /** Something in the catalog changed; views holding that entity refetch. */
  'catalog.changed': { entity: 'project' | 'dataset' | 'item' | 'run' | 'model' | 'generation' | 'board' | 'export'; projectId?: number; id?: number };
  /** Progress of any long job (import, training, sampling, export). */
  'job.progress': {
    jobId: number;
    kind: string;
    projectId: number | null;
    status: string;
    done: number;
    total: number | null;
    message?: string;
  };
  /** A training step finished (live curves). Sent at most about five times a second per run. */
  'run.step': {
    runId: number;
    projectId: number;
    step: number;
    losses: Record<string, number>;
    imgPerSec: number;
    etaMs: number | null;
    memory: { tensors: number; rssMb: number };
  };
  /** A run's state changed: status, a new sample grid, a new checkpoint or metric, a warning. */
  'run.update': {
    runId: number;
    projectId: number;
    status?: string;
    grid?: { step: number; file: string };
    checkpoint?: { id: number; step: number; metric: number | null };
    warning?: { code: 'd_collapse' | 'mode_collapse' | 'diverged' | 'slow'; message: string; step: number };
  };
}

export type EventName = keyof EventMap;
export type EventPayload<E extends EventName> = EventMap[E];
export const EVENT_NAMES: readonly EventName[] = ['catalog.changed', 'job.progress', 'run.step', 'run.update', 'generate.image'];
