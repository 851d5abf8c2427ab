/**
 * Push events from the engine to every open client. Payloads are plain JSON; the engine is the only
 * producer, so they are typed here but not re-validated on receipt.
 */
import type { GalleryItem } from './contract/gallery';
import type { RunPhase } from './contract/runs';

export interface EventMap {
  /** Create: one image of a generate job is on disk and in the catalog (streams images into view). */
  'generate.image': { jobId: number; projectId: number; index: number; total: number; item: GalleryItem };
  /** Create: the copy check of one streamed image, which runs after all of them were shown. */
  'generate.checked': { jobId: number; projectId: number; id: number; memorised: boolean };
  /** Create: image `index` came out near-empty and was left out of the gallery. */
  'generate.skipped': { jobId: number; projectId: number; index: number; total: number; reason: 'empty'; message: string };
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
    /** The run's training time so far, all sessions (what "Trained for" shows). */
    trainMs?: number;
  };
  /** A run's state changed: status, a new sample grid, a new checkpoint or metric, a warning. */
  'run.update': {
    runId: number;
    projectId: number;
    status?: string;
    grid?: { step: number; file: string };
    checkpoint?: { id: number; step: number; metric: number | null };
    warning?: { code: 'd_collapse' | 'mode_collapse' | 'diverged' | 'slow'; message: string; step: number };
    /** What the run is doing between steps (start-up, quality probe, final save); null: stepping again. */
    phase?: RunPhase | null;
  };
}

export type EventName = keyof EventMap;
export type EventPayload<E extends EventName> = EventMap[E];
export const EVENT_NAMES: readonly EventName[] = ['catalog.changed', 'job.progress', 'run.step', 'run.update', 'generate.image', 'generate.checked', 'generate.skipped'];
