import { z } from 'zod';
import { method } from './define';
import { Id, Timestamp } from './common';
import { BACKEND_CHOICES } from './runs';
import { MAX_PROMPT_LENGTH } from '../prompt';

export const Seed = z.number().int().min(0).max(2 ** 32 - 1);
export const MAX_GENERATE = 256;
export const MAX_DIRECTIONS = 8;

/**
 * One sampling request. Image i of a plain request draws its latent from seed + i (so "use seed" on
 * any image gives that image back as the first of a new batch). Variations and interpolation start
 * from stored generations' latents instead.
 */
export const GenerateRequest = z.strictObject({
  projectId: Id,
  /** The model; its newest checkpoint unless `checkpointId` is given. */
  modelId: Id,
  checkpointId: Id.optional(),
  prompt: z.string().max(MAX_PROMPT_LENGTH).default(''),
  seed: Seed,
  count: z.number().int().min(1).max(MAX_GENERATE).default(16),
  /** Images decoded (and streamed) per pass; never changes the pixels. */
  batch: z.number().int().min(1).max(64).default(8),
  /** Latent scale ψ ∈ (0, 1]: smaller = more typical, less varied. */
  truncation: z.number().gt(0).max(1).default(1),
  /** Offsets along the model's main latent directions (slider k moves along direction k). */
  directions: z.array(z.number().min(-10).max(10)).max(MAX_DIRECTIONS).default([]),
  /** Variations around an image: its latent mixed with fresh noise (strength 0 = the same image, 1 = unrelated). */
  variation: z.strictObject({ generationId: Id, strength: z.number().min(0).max(1) }).optional(),
  /** Interpolate between two images in `frames` steps (count is ignored). */
  interpolate: z.strictObject({ fromId: Id, toId: Id, frames: z.number().int().min(2).max(64) }).optional(),
  backend: z.enum(BACKEND_CHOICES).optional(),
});
export type GenerateRequest = z.infer<typeof GenerateRequest>;

export const GenerateStarted = z.strictObject({ jobId: Id, total: z.number().int().positive() });

export const GenerateResult = z.strictObject({
  jobId: Id,
  status: z.string(),
  generationIds: z.array(Id),
  files: z.array(z.string()),
  /** Near-empty images left out of the gallery (their seeds are not in generationIds). */
  skipped: z.number().int().nonnegative().optional(),
  backend: z.string().nullable(),
  ms: z.number().nonnegative(),
  error: z.string().nullable(),
});
export type GenerateResult = z.infer<typeof GenerateResult>;

export const PromptHistoryEntry = z.strictObject({
  id: Id,
  modelId: Id.nullable(),
  prompt: z.string(),
  params: z.record(z.string(), z.unknown()),
  usedAt: Timestamp,
  uses: z.number().int().positive(),
});
export type PromptHistoryEntry = z.infer<typeof PromptHistoryEntry>;

export const ReproduceResult = z.strictObject({
  generationId: Id,
  identical: z.boolean(),
  /** Pixels (bytes) that differ, 0 when identical. */
  differingBytes: z.number().int().nonnegative(),
  backend: z.string(),
  originalBackend: z.string(),
});
export type ReproduceResult = z.infer<typeof ReproduceResult>;

export const generateMethods = {
  'generate.start': method(GenerateRequest, GenerateStarted, 'Sample images from a model in a worker; each image streams as a generate.image event.'),
  'generate.prepare': method(
    z.strictObject({ projectId: Id, modelId: Id, checkpointId: Id.optional(), backend: z.enum(BACKEND_CHOICES).optional() }),
    z.strictObject({ ok: z.literal(true) }),
    'Load an image model into the warm sampler now, so the first generate.start with it shows images at once.',
  ),
  'generate.wait': method(z.strictObject({ jobId: Id }), GenerateResult, 'Wait for a generate job to end and return what it made.'),
  'generate.cancel': method(z.strictObject({ jobId: Id }), z.strictObject({ ok: z.literal(true) }), 'Stop a generate job (images made so far are kept).'),
  'generate.reproduce': method(
    z.strictObject({ id: Id, backend: z.enum(BACKEND_CHOICES).optional() }),
    ReproduceResult,
    "Regenerate an image from its stored metadata and compare the pixels with its file.",
  ),
  'prompts.history': method(
    z.strictObject({ projectId: Id, query: z.string().max(200).default(''), limit: z.number().int().min(1).max(500).default(50) }),
    z.array(PromptHistoryEntry),
    'Prompts used in a project, most recent first, optionally filtered by text.',
  ),
};
