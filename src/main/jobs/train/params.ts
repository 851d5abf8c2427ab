import { z } from 'zod';
import { StartTraining, TrainLength } from '../../../shared/contract';
import { AtelierError } from '../../../shared/errors';
import type { RunRow } from '../../catalog/runs';

/**
 * Stored in run.params_json: what was asked, so Resume can continue it. Read back through this schema
 * (runParamsOf), never cast: a row written by another version says what is wrong instead of failing later.
 * Loose, so a key this version does not know survives a resume's rewrite.
 */
export const RunParams = z.looseObject({
  family: z.string(),
  size: z.number(),
  length: TrainLength,
  batchSize: z.number().optional(),
  seed: z.number(),
  backend: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  from: StartTraining.shape.from,
  sampleEvery: z.number().optional(),
  checkpointEvery: z.number().optional(),
  /** Checkpoints kept besides the best and the referenced ones (absent in early catalogs). */
  keepLast: z.number().optional(),
  /** Step the current session started from (for "train to the original length" on resume). */
  sessionStartStep: z.number().optional(),
  /**
   * Data-parallel workers asked for (absent: chosen from the free cores at launch). Resume keeps the
   * count the run last trained with, so it continues exactly as an uninterrupted run would.
   */
  workers: z.number().optional(),
});
export type RunParams = z.infer<typeof RunParams>;

export function runParamsOf(run: RunRow): RunParams {
  const parsed = RunParams.safeParse(run.params);
  if (!parsed.success) throw new AtelierError('internal', `The stored settings of run ${run.id} are unreadable: ${z.prettifyError(parsed.error).slice(0, 300)}`);
  return parsed.data;
}
