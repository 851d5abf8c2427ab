import { z } from 'zod';
import { method } from './define';
import { BackendStatus } from './app';
import { Id, MediaPath, Ok, Timestamp } from './common';
import { IMAGE_FAMILIES, TEXT_FAMILIES } from '../families';

export const ModelFamily = z.enum([...IMAGE_FAMILIES, ...TEXT_FAMILIES]);
export type ModelFamily = z.infer<typeof ModelFamily>;

export const RunStatus = z.enum(['queued', 'running', 'paused', 'interrupted', 'diverged', 'done', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;

/** How long to train: a number of steps or of minutes (wall-clock training time). */
export const TrainLength = z.union([
  z.strictObject({ steps: z.number().int().positive().max(10_000_000) }),
  z.strictObject({ minutes: z.number().positive().max(7 * 24 * 60) }),
]);
export type TrainLength = z.infer<typeof TrainLength>;

export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** One config override's value: a number, boolean, string or a short list of numbers or strings. */
export const ConfigValue = z.union([z.number(), z.boolean(), z.string().max(200), z.array(z.union([z.number(), z.string().max(64)])).max(64)]);

export const StartTraining = z.strictObject({
  projectId: Id,
  datasetId: Id,
  family: ModelFamily,
  /** Image side for image families (32, 64 or 128); ignored for text. */
  size: z.union([z.literal(28), z.literal(32), z.literal(64), z.literal(128)]).optional(),
  length: TrainLength,
  batchSize: z.number().int().min(1).max(512).optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  backend: z.enum(BACKEND_CHOICES).optional(),
  name: z.string().trim().min(1).max(120).optional(),
  /**
   * Advanced: overrides of the family's config, each a number, boolean, string or a short list of
   * numbers or strings (e.g. `diffAugment: ['translation']`); the model checks names, kinds and values.
   */
  config: z.record(z.string().max(64), ConfigValue).optional(),
  /** Fine-tune from a checkpoint (own run, imported or base model). */
  from: z
    .strictObject({
      checkpointId: Id,
      freezeDiscriminatorLayers: z.number().int().min(0).max(8).optional(),
      lrScale: z.number().positive().max(10).optional(),
    })
    .optional(),
  /** Sample grid every N steps (default: about every 30 seconds of training). */
  sampleEvery: z.number().int().positive().max(1_000_000).optional(),
  /** Checkpoint every N steps (default: about every 2 minutes of training, and at the end). */
  checkpointEvery: z.number().int().positive().max(1_000_000).optional(),
  keepLast: z.number().int().min(1).max(100).optional(),
  /** Data-parallel training workers (threads); absent = one per free core (image models; text models use one). */
  workers: z.number().int().min(1).max(64).optional(),
});
export type StartTraining = z.infer<typeof StartTraining>;

/**
 * What a run is doing when it is not taking steps: starting, loading images, building the model, its
 * first samples, fitting or running the quality probe, the final save. Sent as `run.update` events and
 * kept on the run while it lasts; null once steps run again.
 */
export const RunPhase = z.strictObject({
  code: z.enum(['starting', 'loading', 'building', 'sampling', 'probe', 'measuring', 'finishing']),
  /** One short sentence for the run card ("Loading 315 images…"). */
  message: z.string(),
});
export type RunPhase = z.infer<typeof RunPhase>;

export const CheckpointInfo = z.strictObject({
  id: Id,
  step: z.number().int().nonnegative(),
  sha256: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Image models: KID × 10³ (lower is better); text models: validation loss. */
  metric: z.number().nullable(),
  /** The probe's measures; its KIDs (kid, kidStd, kidReal, kidNoise) are × 10³, like `metric`. */
  metrics: z.record(z.string(), z.number()),
  createdAt: Timestamp,
});
export type CheckpointInfo = z.infer<typeof CheckpointInfo>;

export const Lineage = z.strictObject({
  checkpointId: Id.nullable(),
  sha256: z.string(),
  modelName: z.string(),
  family: z.string(),
  step: z.number().int(),
  source: z.string(),
});

export const Run = z.strictObject({
  id: Id,
  projectId: Id,
  modelId: Id,
  datasetId: Id.nullable(),
  name: z.string(),
  family: ModelFamily,
  status: RunStatus,
  backend: z.string().nullable(),
  backendReport: BackendStatus.nullable(),
  step: z.number().int().nonnegative(),
  targetSteps: z.number().int().nullable(),
  targetMinutes: z.number().nullable(),
  batchSize: z.number().int().nullable(),
  imagesSeen: z.number().int().nonnegative(),
  trainMs: z.number().int().nonnegative(),
  /** The best checkpoint's `metric`: KID × 10³ for image models, validation loss for text models. */
  bestMetric: z.number().nullable(),
  latestGrid: MediaPath.nullable(),
  parent: Lineage.nullable(),
  error: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  endedAt: Timestamp.nullable(),
  /** While a running run is between steps for a reason worth saying (start-up, quality probe, final save). */
  phase: RunPhase.nullable().optional(),
  /** The job that runs (or last ran) it: follow it with job.progress events, jobs.wait and jobs.control. */
  jobId: Id.nullable().optional(),
});
export type Run = z.infer<typeof Run>;

export const RunDetail = z.strictObject({
  run: Run,
  params: z.record(z.string(), z.unknown()),
  config: z.record(z.string(), z.unknown()),
  /** Curves: name → [step, value] pairs (losses, img/s, quality metric…); `metric/kid*` are KID × 10³. */
  scalars: z.record(z.string(), z.array(z.tuple([z.number(), z.number()]))),
  grids: z.array(z.strictObject({ step: z.number().int(), file: MediaPath })),
  checkpoints: z.array(CheckpointInfo),
});
export type RunDetail = z.infer<typeof RunDetail>;

export const ModelInfo = z.strictObject({
  id: Id,
  projectId: Id.nullable(),
  name: z.string(),
  family: ModelFamily,
  source: z.enum(['trained', 'imported', 'base']),
  size: z.number().int().nullable(),
  channels: z.number().int().nullable(),
  labels: z.array(z.string()),
  tags: z.array(z.string()),
  runId: Id.nullable(),
  checkpoints: z.array(CheckpointInfo),
  attribution: z.string().nullable(),
  createdAt: Timestamp,
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const runMethods = {
  'runs.start': method(StartTraining, Run, 'Start training a model on a dataset (from scratch or fine-tuning from a checkpoint).'),
  'runs.list': method(z.strictObject({ projectId: Id }), z.array(Run), "A project's training runs, newest first."),
  'runs.get': method(z.strictObject({ id: Id }), RunDetail, 'A run with its curves, sample grids and checkpoints.'),
  'runs.control': method(
    z.strictObject({ id: Id, action: z.enum(['pause', 'resume', 'finish', 'cancel']) }),
    Ok,
    'Pause or resume a running run, finish it now (saving a final checkpoint), or cancel it.',
  ),
  'runs.resume': method(
    z.strictObject({ id: Id, length: TrainLength.optional(), backend: z.enum(BACKEND_CHOICES).optional(), workers: z.number().int().min(1).max(64).optional() }),
    Run,
    'Continue an interrupted or finished run from its last good checkpoint (by default to its original length).',
  ),
  'models.list': method(z.strictObject({ projectId: Id.optional() }), z.array(ModelInfo), 'Models usable in a project, base models included.'),
};
