import type { ConditionRequest } from '../../ml/sample/sampler';
import type { PrepareSettings, TrainingItem } from '../../datasets/prepare';

/**
 * What one image of a request is made from. Latents are built in the worker (they need the model's
 * latent size and directions) from exactly these fields, which are also what the catalog stores.
 */
export type LatentPlan =
  /** ψ · N(0, I) drawn from `seed` (image i of a batch uses seed + i). */
  | { mode: 'sample'; seed: number }
  /** √(1−s²) · base + s · N(0, I) from `seed`: a variation of a stored latent. */
  | { mode: 'variation'; seed: number; base: string; strength: number }
  /** Spherical interpolation between two stored latents at t ∈ [0, 1]. */
  | { mode: 'interpolate'; from: string; to: string; t: number }
  /** A stored latent as is (reproducing a generation). */
  | { mode: 'latent'; latent: string };

export interface ImagePlan {
  index: number;
  /** The seed recorded for this image. */
  seed: number;
  latent: LatentPlan;
  condition: ConditionRequest;
}

export interface SampleWorkerData {
  checkpointPath: string;
  backend?: string;
  /** ψ for drawn latents (sample mode only). */
  truncation: number;
  /** Offsets along the first directions.length principal directions, added to every latent. */
  directions: number[];
  /** Images per decode pass (and per message). */
  batch: number;
  images: ImagePlan[];
  /** The memorisation guard: the training data of the model's run (absent for base/imported models). */
  guard?: { dataDir: string; cacheDir: string; items: TrainingItem[]; prepare: PrepareSettings; size: number };
}

export interface SampledImage {
  index: number;
  seed: number;
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: number;
  /** The latent decoded, base64 of little-endian float32. */
  latent: string;
  nearest: { itemId: number | null; distance: number; memorised: boolean; threshold: number } | null;
}

export type SampleMessage =
  | { type: 'backend'; name: string; reason: string }
  | { type: 'model'; latentDim: number; size: number; channels: number; step: number; sha256: string; labelNames: string[]; tagNames: string[] }
  | { type: 'images'; images: SampledImage[] }
  | { type: 'guard'; status: 'ok' | 'skipped'; message?: string };

export interface SampleResult {
  count: number;
  ms: number;
}
