/** Small helpers shared by the model files (kept here so each model file reads as its architecture). */
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import type { Adam } from '../nn/adam';
import { registerTrainingGradients } from '../nn/gradients';
import type { Entry } from '../nn/params';
import { averageGradients, currentShard, ownRows } from '../parallel/shard';
import type { Rng } from '../rng';

/**
 * n latent vectors z ~ N(0, I) drawn from the session stream. In data-parallel training (n = this
 * worker's share) the whole batch's latents are drawn, as one worker would, and this share's rows kept.
 */
export function drawLatents(rng: Rng, n: number, dim: number): tf.Tensor2D {
  const shard = currentShard();
  if (!shard) return tf.tensor2d(rng.normals(n * dim), [n, dim]);
  return tf.tensor2d(ownRows(rng.normals(n * shard.size * dim), shard, n, dim), [n, dim]);
}

/**
 * n uniform draws in [0, 1) from the session stream, one per image (e.g. cgan's condition dropout),
 * drawn for the whole batch in data-parallel training like drawLatents, this share's rows kept.
 */
export function drawUniforms(rng: Rng, n: number): Float32Array {
  const shard = currentShard();
  const all = Float32Array.from({ length: n * (shard?.size ?? 1) }, () => rng.next());
  return shard ? ownRows(all, shard, n) : all;
}

registerTrainingGradients();

/**
 * One optimiser step: gradients of `loss` w.r.t. `params`, Adam update, returns the loss (kept).
 * With every parameter frozen the loss is still computed (and reported) but nothing moves.
 * In data-parallel training the gradients are first averaged over the workers (../parallel/shard.ts),
 * so every worker applies the same update.
 */
export function minimize(loss: () => tf.Scalar, params: Entry[], adam: Adam, lrScale: number): tf.Scalar {
  if (params.length === 0) return tf.tidy(loss);
  const variables = params.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(loss, variables);
  const shard = currentShard();
  const update = shard ? averageGradients(grads, variables, shard) : grads;
  adam.apply(update, lrScale);
  tf.dispose(grads);
  if (update !== grads) tf.dispose(update);
  return value;
}

export const lrelu = <T extends tf.Tensor>(x: T): T => tf.leakyRelu(x, 0.2);

export function configError(family: string, message: string): AtelierError {
  return new AtelierError('bad_request', `${family} model: ${message}`);
}

/** log2(size / 4) for power-of-two sizes ≥ 8: the number of 2× up/down-sampling stages. */
export function stagesFor(family: string, size: number, allowed: readonly number[]): number {
  if (!allowed.includes(size)) throw configError(family, `size must be one of ${allowed.join(', ')} (got ${size})`);
  return Math.log2(size / 4);
}

export function checkCommon(family: string, c: { latentDim: number; batchSize: number; channels: number; heldOutFraction: number }): void {
  if (!(Number.isInteger(c.latentDim) && c.latentDim >= 1)) throw configError(family, 'latentDim must be a positive integer');
  if (!(Number.isInteger(c.batchSize) && c.batchSize >= 2)) throw configError(family, 'batchSize must be an integer ≥ 2');
  if (![1, 3, 4].includes(c.channels)) throw configError(family, 'channels must be 1, 3 or 4');
  if (!(c.heldOutFraction >= 0 && c.heldOutFraction < 1)) throw configError(family, 'heldOutFraction must be in [0, 1)');
}
