import type { BackendReport } from '../../ml/backend';
import type { WorkersRequest } from './parallel';
import type { PrepareSettings, TrainingItem } from '../../datasets/prepare';
import type { AugmentSettings } from '../../ml/data';
import type { RunPhase } from '../../../shared/contract';
import type { RunParams } from './params';

/**
 * What the engine hands a training worker. Everything the worker needs; it never opens the catalog.
 * The run's settings are its parsed RunParams (params.ts): the worker narrows `family` to its kind's
 * families, and hands `config` to the ml session as overrides its family validates. `length` is how
 * much to train in this session (steps or minutes), counted from the session's start step.
 */
export interface TrainWorkerData extends Pick<RunParams, 'family' | 'size' | 'seed' | 'batchSize' | 'config' | 'backend' | 'length' | 'sampleEvery' | 'checkpointEvery'> {
  dataDir: string;
  projectId: number;
  runId: number;
  prepare: PrepareSettings;
  augment: AugmentSettings;
  items: TrainingItem[];
  datasetKind: 'image' | 'text';
  /** Resume: continue from this checkpoint (absolute path). */
  resumeFrom?: string;
  /** Fine-tune: start from these weights (absolute path). */
  initFrom?: { file: string; freezeDiscriminatorLayers?: number; lrScale?: number };
  /** Where metric features are cached between runs (absolute folder). */
  cacheDir: string;
  /** Data-parallel training workers (jobs/train/parallel.ts); absent = one. */
  workers?: WorkersRequest;
}

/** Worker → engine, beyond the common job messages. Files named here already exist, complete. */
export type TrainMessage =
  | { type: 'backend'; report: BackendReport }
  | { type: 'setup'; config: Record<string, unknown>; labels: string[]; tags: string[]; size: number; channels: number; count: number; startStep: number }
  | {
      type: 'step';
      step: number;
      losses: Record<string, number>;
      images: number;
      trainMs: number;
      imgPerSec: number;
      etaMs: number | null;
      memory: { tensors: number; rssMb: number };
    }
  | { type: 'grid'; step: number; file: string; diversity: number | null }
  | { type: 'checkpoint'; step: number; file: string; sha256: string; bytes: number }
  | { type: 'metric'; step: number; sha256: string; metric: number | null; metrics: Record<string, number> }
  | { type: 'warning'; code: 'd_collapse' | 'mode_collapse' | 'diverged' | 'slow'; message: string; step: number }
  /** What the worker is doing between steps (null: stepping); the next step clears it too. */
  | { type: 'phase'; phase: RunPhase | null };

export interface TrainResult {
  step: number;
  reason: 'length' | 'finished' | 'stopped' | 'cancelled';
}

/** A text run posts this where an image run posts 'grid': the fixed-seed samples at `step`. */
export type TextSamplesMessage = {
  type: 'text-samples';
  step: number;
  samples: string[];
  /** distinct-2 over the samples' characters (0..1; low = repetitive). */
  distinct2: number;
};

/** What a text run's worker posts (text-loop.ts). */
export type TextTrainMessage = Exclude<TrainMessage, { type: 'grid' }> | TextSamplesMessage;
