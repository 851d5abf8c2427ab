import { z } from 'zod';
import { method } from './define';
import { Id } from './common';
import { Project } from './projects';
import { Dataset } from './datasets';
import { ModelInfo, Run } from './runs';

/**
 * References as people type them (a CLI flag, a pasted name): an id, or a name matched without regard
 * to case. Every door resolves them here, so a name means the same row whichever door reads it: scoped
 * to the project like the studio's own lists, and the newest of that name when several match.
 */
export const Ref = z.string().trim().min(1).max(200);

/** A checkpoint with what a door needs to know of its model (fine-tuning takes its family and size). */
export const CheckpointRef = z.strictObject({
  checkpointId: Id,
  step: z.number().int().nonnegative(),
  sha256: z.string(),
  /** Where its file is: a media path, or "resources:<path>" for a bundled base model. */
  file: z.string(),
  modelId: Id,
  modelName: z.string(),
  family: z.string(),
  /** The image side the model makes; null for text models. */
  size: z.number().int().nullable(),
});
export type CheckpointRef = z.infer<typeof CheckpointRef>;

export const resolveMethods = {
  'projects.resolve': method(z.strictObject({ ref: Ref }), Project, 'A project by id or name.'),
  'datasets.resolve': method(
    z.strictObject({ projectId: Id, ref: Ref }),
    Dataset.nullable(),
    "A project's dataset by id or name; null when none matches (an import then makes one).",
  ),
  'runs.resolve': method(
    z.strictObject({ ref: Ref, projectId: Id.optional() }),
    Run,
    "A run by id (in the project, when given), or by name among a project's runs, the newest of that name.",
  ),
  'models.resolve': method(
    z.strictObject({ ref: Ref, projectId: Id.optional() }),
    ModelInfo,
    "A model by id, or by name among the project's models and the base and imported ones (without a project: those only), the newest of that name.",
  ),
  'checkpoints.resolve': method(
    z.strictObject({ ref: Ref, projectId: Id.optional() }),
    CheckpointRef,
    'A checkpoint by id, by sha256, as "run:ID" (the run\'s newest), or by a model\'s name or base model id (its newest by step, among the project\'s and the base and imported models).',
  ),
};
