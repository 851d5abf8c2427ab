/**
 * Batch norm over all axes but the last (NHWC or [B, F]), PyTorch semantics: biased variance for the
 * batch, unbiased for the running estimate, momentum 0.1, eps 1e-5. Running stats are 'state' entries.
 * Written with elementwise ops (not tf.batchNorm) so its gradient needs no special kernel on any backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { currentShard, syncedMoments } from '../parallel/shard';
import type { Rng } from '../rng';
import * as init from './init';
import type { Fwd } from './layers';
import type { ParamStore } from './params';

export class BatchNorm {
  constructor(
    readonly name: string,
    readonly channels: number,
    readonly opts: { momentum?: number; eps?: number; gammaStd?: number } = {},
  ) {}

  create(store: ParamStore, rng: Rng): void {
    const c = [this.channels];
    const std = this.opts.gammaStd ?? 0;
    store.add(`${this.name}/gamma`, std > 0 ? init.normal(rng, c, std, 1) : init.ones(c));
    store.add(`${this.name}/beta`, init.zeros(c));
    store.add(`${this.name}/mean`, init.zeros(c), 'state');
    store.add(`${this.name}/var`, init.ones(c), 'state');
  }

  apply<T extends tf.Tensor>(f: Fwd, x: T): T {
    const eps = this.opts.eps ?? 1e-5;
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (f.train) {
      // Data-parallel training: the statistics of the whole batch, not of this worker's share (exact up
      // to float rounding; ../parallel/shard.ts).
      const shard = currentShard();
      let n = x.size / this.channels;
      if (shard) ({ mean, variance, count: n } = syncedMoments(x, axes, shard));
      else ({ mean, variance } = tf.moments(x, axes));
      if (f.stats) {
        const m = f.statsMomentum ?? this.opts.momentum ?? 0.1;
        const prefix = f.statsPrefix ?? '';
        const runMean = f.stats.get(`${prefix}${this.name}/mean`);
        const runVar = f.stats.get(`${prefix}${this.name}/var`);
        runMean.assign(tf.add(tf.mul(runMean, 1 - m), tf.mul(mean, m)));
        runVar.assign(tf.add(tf.mul(runVar, 1 - m), tf.mul(variance, (m * n) / Math.max(1, n - 1))));
      }
    } else {
      mean = f.w(`${this.name}/mean`);
      variance = f.w(`${this.name}/var`);
    }
    const scale = tf.mul(tf.rsqrt(tf.add(variance, eps)), f.w(`${this.name}/gamma`));
    return tf.add(tf.mul(tf.sub(x, mean), scale), f.w(`${this.name}/beta`)) as T;
  }
}

/**
 * Pixel norm (ProGAN): each pixel's feature vector scaled to unit RMS. Batch-independent, so a sample
 * does not depend on what else is in its batch and EMA weights need no re-estimated statistics.
 */
export function pixelNorm<T extends tf.Tensor>(x: T, eps = 1e-8): T {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))) as T;
}
