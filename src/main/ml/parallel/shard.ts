/**
 * The data-parallel scope of one training step: which share of the batch this worker computes, and the
 * three places where a model step must see the whole batch rather than its share.
 *
 * A model's `trainStep` is written for one batch on one worker. Run inside `runSharded(shard, …)` with
 * its share of the batch (rows [rank·n, (rank+1)·n) of the whole), the same code computes exactly what
 * one worker would on the whole batch, because the helpers it already calls look at the scope:
 * - per-batch draws (`drawLatents`, `drawDiffAugment`) draw for the WHOLE batch from the step's Rng, as
 *   one worker would, and keep this worker's rows: the draws are exact, and every worker's Rng ends the
 *   step in the same state;
 * - `minimize` averages the gradients over the workers (`averageGradients`) before the Adam update, so
 *   every worker applies the same update to the same weights (equal shares: the mean of the share means
 *   is the mean over the batch);
 * - batch norm in train mode uses the whole batch's statistics (`syncedMoments`: a differentiable sum
 *   across workers, whose gradient is the same sum of the incoming gradients), so activations, running
 *   statistics and gradients are those of the whole batch.
 * Everything else in a step is per image (convolutions, losses that are means) or the same on every
 * worker (spectral-norm power iteration, EMA), so it needs nothing. Minibatch-stddev groups must not
 * straddle two shares: the worker count is chosen so that the group size divides the share.
 * What is left is the order of float additions, so N workers match one worker to float rounding, not
 * bit for bit; a fixed N is bit-for-bit reproducible (see collective.ts).
 *
 * Batch norm: exact (synchronised), not per-share "ghost" statistics. Measured on the classic DCGAN at
 * batch 64, 2 workers, 2-core machine: 779–836 ms/step synchronised vs 811 ghost, no difference beyond
 * noise, while ghost statistics changed the first step's gradients by far more than rounding
 * (tests/unit/jobs/train/parallel.test.ts fails with them). One step's gradients, 2 workers vs 1:
 * ≤ 7e-6 of each tensor's largest value (default model, 32 px, batch 16); ten steps of the tiny test
 * model: ≤ 5e-6. The full-width DCGAN at PyTorch's initialisation is the exception that proves the
 * rule: its D step is so ill-conditioned that the rounding-level change in G's images (6e-6, the same
 * as reversing the batch order or computing on the cpu backend: 7–8e-6) moves D's gradients by up to
 * 1e-3 relative; added noise of that size does the same on one worker.
 *
 * The scope is per thread (each worker thread has its own copy of this module) and only spans a step:
 * sampling and statistics passes outside it run on one worker's own data, as before.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Collective } from './collective';

export interface Shard {
  /** This worker's index in the group. */
  readonly rank: number;
  /** Workers in the group. */
  readonly size: number;
  readonly collective: Collective;
}

let current: Shard | null = null;

/** Runs `f` (one model step on this worker's share of the batch) inside the data-parallel scope. */
export function runSharded<T>(shard: Shard, f: () => T): T {
  if (current) throw new Error('data-parallel scopes do not nest');
  current = shard;
  try {
    return f();
  } finally {
    current = null;
  }
}

/** The scope of the step being computed, or null outside data-parallel training. */
export function currentShard(): Shard | null {
  return current;
}

/** This worker's share (`n` rows of `width` values) of values drawn for the whole batch. */
export function ownRows<T extends Float32Array | Int32Array>(all: T, shard: Shard, n: number, width = 1): T {
  return all.subarray(shard.rank * n * width, (shard.rank + 1) * n * width) as T;
}

/** Sum over the workers of a tensor of the same shape on each; differentiable (its gradient is the same sum). */
export function allReduceSum<T extends tf.Tensor>(x: T, shard: Shard): T {
  const reduce = (t: tf.Tensor): tf.Tensor => {
    const data = Float32Array.from(t.dataSync() as Float32Array);
    shard.collective.allReduce(data, 'sum');
    return tf.tensor(data, t.shape, 'float32');
  };
  const op = tf.customGrad((input) => ({ value: reduce(input as tf.Tensor), gradFunc: (dy: tf.Tensor) => reduce(dy) }));
  return op(x) as T;
}

/**
 * Batch mean and biased variance over `axes` of the whole batch (every worker's share), and the batch's
 * row count: one op with one all-reduce forward and one backward, so a batch-norm layer costs a step
 * two collectives (each is a pair of barriers, which is what costs on a busy machine).
 *
 * Forward: each worker sends, per channel, Σx and Σ(x − m_w)² + n_w·m_w² about its own mean m_w
 * (two-pass on its share, in float32 like tf.moments); they are summed in float64, and
 * var = (Σ those − n·mean²) / n in float64 (Chan et al.'s parallel variance), so no precision is lost in
 * the cancellation. Backward: ∂mean/∂x_i = 1/n and ∂var/∂x_i = 2(x_i − mean)/n over the whole batch, so
 * the incoming gradients of mean and var are summed over the workers (one all-reduce of 2C) and applied
 * to this worker's rows.
 */
export function syncedMoments(x: tf.Tensor, axes: number[], shard: Shard): { mean: tf.Tensor; variance: tf.Tensor; count: number } {
  const c = x.shape[x.shape.length - 1]!;
  const local = x.size / c;
  const count = local * shard.size;
  const op = tf.customGrad((input) => {
    const xs = input as tf.Tensor;
    const [mw, qw] = tf.tidy(() => {
      const mw = tf.mean(xs, axes);
      return [mw, tf.sum(tf.square(tf.sub(xs, mw)), axes)];
    });
    const m = mw.dataSync();
    const q = qw.dataSync();
    tf.dispose([mw, qw]);
    const sums = new Float64Array(2 * c);
    for (let k = 0; k < c; k++) {
      sums[k] = local * m[k]!;
      sums[c + k] = q[k]! + local * m[k]! * m[k]!;
    }
    shard.collective.allReduce64(sums, 'sum');
    const stats = new Float32Array(2 * c);
    for (let k = 0; k < c; k++) {
      const mean = sums[k]! / count;
      stats[k] = mean;
      stats[c + k] = Math.max(0, sums[c + k]! / count - mean * mean);
    }
    const value = tf.tensor2d(stats, [2, c]);
    const gradFunc = (dy: tf.Tensor) => {
      const d = Float32Array.from(dy.dataSync() as Float32Array);
      shard.collective.allReduce(d, 'sum');
      return tf.tidy(() => {
        const dMean = tf.tensor1d(d.subarray(0, c));
        const dVar = tf.tensor1d(d.subarray(c));
        const mean = tf.tensor1d(stats.subarray(0, c));
        return tf.div(tf.add(dMean, tf.mul(tf.mul(tf.sub(xs, mean), dVar), 2)), count);
      });
    };
    return { value, gradFunc };
  });
  // split + reshape rather than unstack: their gradients are registered (nn/gradients.ts).
  const [mean, variance] = tf.split(op(x), 2, 0).map((t) => tf.reshape(t, [c]));
  return { mean: mean!, variance: variance!, count };
}

/**
 * The gradients averaged over the workers, as new tensors (the caller disposes both maps). One
 * all-reduce for all of them, in the order of `variables` (the same on every worker).
 */
export function averageGradients(grads: tf.NamedTensorMap, variables: tf.Variable[], shard: Shard): tf.NamedTensorMap {
  const present = variables.filter((v) => grads[v.name] !== undefined);
  const total = present.reduce((n, v) => n + grads[v.name]!.size, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const v of present) {
    const g = grads[v.name]!;
    flat.set(g.dataSync() as Float32Array, offset);
    offset += g.size;
  }
  shard.collective.allReduce(flat, 'mean');
  const out: tf.NamedTensorMap = {};
  offset = 0;
  for (const v of present) {
    const g = grads[v.name]!;
    out[v.name] = tf.tensor(flat.subarray(offset, offset + g.size), g.shape, 'float32');
    offset += g.size;
  }
  return out;
}
