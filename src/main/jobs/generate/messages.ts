import type { ConditionRequest } from '../../ml/sample/sampler';
import type { LatentPlan } from '../../ml/sample/latents';
import type { PrepareSettings, TrainingItem } from '../../datasets/prepare';
import type { ControlAction } from '../../engine/protocol';

export interface ImagePlan {
  index: number;
  /** The seed recorded for this image. */
  seed: number;
  latent: LatentPlan;
  condition: ConditionRequest;
}

export interface GenerateWorkerData {
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

export interface GeneratedImage {
  index: number;
  seed: number;
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: number;
  /** The latent decoded, base64 of little-endian float32. */
  latent: string;
  /** The ψ this image was drawn at, when a thin image was drawn again closer to the centre (< the asked ψ). */
  psi?: number;
  /** Near-empty all the same (nothing drawn, or a flat image): kept out of the gallery. */
  empty: boolean;
  nearest: Nearest | null;
}

export interface Nearest {
  itemId: number | null;
  distance: number;
  memorised: boolean;
  threshold: number;
}

export type GenerateMessage =
  | { type: 'backend'; name: string; reason: string }
  | { type: 'model'; latentDim: number; size: number; channels: number; step: number; sha256: string; labelNames: string[]; tagNames: string[]; /** The sampler was already loaded (warm sampler). */ warm: boolean }
  | { type: 'images'; images: GeneratedImage[] }
  | { type: 'guard'; status: 'ok' | 'skipped'; message?: string }
  /** The copy check, after every image was shown: image index → its nearest training image. */
  | { type: 'nearest'; items: Array<{ index: number; nearest: Nearest }> };

/**
 * The warm sampler's own envelope (jobs/generate/warm.ts ⇄ host.ts): jobs and their controls in, each
 * job's messages (the GenerateMessage and common job messages above) out, tagged with the job's id.
 */
export type HostInbound =
  | { type: 'job'; jobId: number; data: GenerateWorkerData }
  | { type: 'control'; jobId: number; action: ControlAction }
  /** Load a model ahead of its first request (Create opened it); no job, nothing is posted back. */
  | { type: 'preload'; checkpointPath: string; backend?: string };
export interface HostOutbound {
  type: 'hosted';
  jobId: number;
  msg: { type: string } & Record<string, unknown>;
}

export interface GenerateWorkerResult {
  count: number;
  ms: number;
}
