import { z } from 'zod';
import { method } from './define';
import { Id } from './common';
import { ModelFamily } from './runs';

/**
 * How long training will take here, before starting it: seconds per step on the backend this
 * machine trains with, from what past runs on this machine measured (see the service for how).
 */
export const RunEstimate = z.strictObject({
  /** Training seconds per step (the loop alone: sample grids, checkpoints and metrics add a little). */
  secondsPerStep: z.number().positive().nullable(),
  imgPerSec: z.number().positive().nullable(),
  /** The backend the estimate is for: the one this engine uses, else the one recent runs used. */
  backend: z.string().nullable(),
  /** history: same family and size measured here; scaled: another size or family measured here, scaled; table: figures recorded on a reference machine; none: nothing to go on. */
  basis: z.enum(['history', 'scaled', 'table', 'none']),
  /** Past runs the figure comes from. */
  runs: z.number().int().nonnegative(),
  /** One sentence for the form. */
  note: z.string(),
});
export type RunEstimate = z.infer<typeof RunEstimate>;

export const runEstimateMethods = {
  'runs.estimate': method(
    z.strictObject({
      family: ModelFamily,
      size: z.union([z.literal(28), z.literal(32), z.literal(64), z.literal(128)]).optional(),
      batchSize: z.number().int().min(1).max(512).optional(),
      datasetId: Id.optional(),
    }),
    RunEstimate,
    'Estimate the training time per step for a family, size and batch on this machine.',
  ),
};
