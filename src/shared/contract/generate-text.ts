import { z } from 'zod';
import { method } from './define';
import { Id } from './common';
import { BACKEND_CHOICES } from './runs';
import { Seed } from './generate';

/** Limits of the text sampler (src/main/ml/text/sampler.ts), repeated here so the contract says them. */
export const MAX_TEXT_COUNT = 256;
export const MAX_TEXT_LENGTH = 2000;
export const MAX_TEXT_TEMPERATURE = 10;
export const MAX_TEXT_PREFIX = 500;

/** The sampling settings of a text model; the same settings + seed + checkpoint + backend ⇒ the same texts. */
const TextSettings = {
  /** The text every generated one starts with. */
  prompt: z.string().max(MAX_TEXT_PREFIX).default(''),
  /** Softmax temperature: 0 = always the most likely character, < 1 safer, > 1 wilder. */
  temperature: z.number().min(0).max(MAX_TEXT_TEMPERATURE).default(0.8),
  /** Draw only from the k most likely characters (0 = all). */
  topK: z.number().int().min(0).max(1000).default(0),
  /** At most this many characters after the prompt. */
  maxLength: z.number().int().min(1).max(MAX_TEXT_LENGTH).default(48),
  seed: Seed,
};

export const GenerateTextRequest = z.strictObject({
  projectId: Id,
  /** A text model (charlstm / chartransformer); its newest checkpoint unless `checkpointId` is given. */
  modelId: Id,
  checkpointId: Id.optional(),
  ...TextSettings,
  /** How many texts; text i does not depend on the count (text i of seed s is always the same). */
  count: z.number().int().min(1).max(MAX_TEXT_COUNT).default(8),
  backend: z.enum(BACKEND_CHOICES).optional(),
});
export type GenerateTextRequest = z.infer<typeof GenerateTextRequest>;

export const GenerateTextResult = z.strictObject({
  jobId: Id,
  status: z.string(),
  generationIds: z.array(Id),
  texts: z.array(z.string()),
  backend: z.string().nullable(),
  /** Training step and SHA-256 of the checkpoint sampled. */
  step: z.number().int().nonnegative().nullable(),
  checkpointSha256: z.string().nullable(),
  ms: z.number().nonnegative(),
  error: z.string().nullable(),
});
export type GenerateTextResult = z.infer<typeof GenerateTextResult>;

export const TextSuggestRequest = z.strictObject({
  projectId: Id,
  /** The text model to ask; by default the project's newest text model with a checkpoint. */
  modelId: Id.optional(),
  /** What the completions continue (e.g. the start of a prompt or a name). */
  prefix: z.string().max(MAX_TEXT_PREFIX).default(''),
  count: z.number().int().min(1).max(16).default(5),
  temperature: z.number().min(0).max(MAX_TEXT_TEMPERATURE).default(0.7),
  maxLength: z.number().int().min(1).max(200).default(32),
  seed: Seed.default(0),
  backend: z.enum(BACKEND_CHOICES).optional(),
});

export const TextSuggestResult = z.strictObject({
  /** null when the project has no text model with a checkpoint (then `suggestions` is empty). */
  modelId: Id.nullable(),
  modelName: z.string().nullable(),
  step: z.number().int().nonnegative().nullable(),
  /** Distinct, trimmed, non-empty completions (the prefix included), at most `count`. */
  suggestions: z.array(z.string()),
});
export type TextSuggestResult = z.infer<typeof TextSuggestResult>;

export const generateTextMethods = {
  'generate.text': method(
    GenerateTextRequest,
    GenerateTextResult,
    'Sample texts from a text model in a worker; each becomes a text generation in the gallery (returns when done).',
  ),
  'text.suggest': method(
    TextSuggestRequest,
    TextSuggestResult,
    "A few completions of a prefix from the project's text model (tag and name ideas); nothing is stored.",
  ),
};
