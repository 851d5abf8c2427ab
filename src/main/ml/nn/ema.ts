/**
 * Exponential moving average of generator weights (`ema/<param>` entries), the weights every sample is
 * drawn with when a family keeps one. Early on the effective decay is min(decay, (1+t)/(10+t)) so the
 * first sample grids are not dominated by the random initialisation.
 *
 * Batch-norm statistics cannot be averaged like weights: the running statistics belong to the live
 * weights, and the averaged weights produce activations with other means and variances. So a G with
 * batch norm also gets `ema/<bn>/mean|var` entries ('standing statistics', as BigGAN samples), which
 * the model re-estimates for the EMA weights before it samples (`refreshSamplingStats`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Fwd } from './layers';
import type { Entry, ParamStore, Weights } from './params';

export class Ema {
  private readonly params: Entry[];

  /** @param stats the generator's batch-norm statistics ('state' entries) the EMA weights get their own copy of */
  constructor(
    private readonly store: ParamStore,
    params: Entry[],
    readonly decay: number,
    stats: Entry[] = [],
  ) {
    this.params = params;
    for (const p of [...params, ...stats]) store.add(`ema/${p.name}`, tf.clone(p.variable), 'ema');
  }

  /** Blend the live weights in; `step` is the session step (0-based) this update follows. */
  update(step: number): void {
    const d = Math.min(this.decay, (1 + step) / (10 + step));
    tf.tidy(() => {
      for (const p of this.params) {
        const e = this.store.get(`ema/${p.name}`);
        e.assign(tf.add(tf.mul(e, d), tf.mul(p.variable, 1 - d)));
      }
    });
  }

  /** Lookup that prefers the EMA copy and falls back to the live entry (e.g. batch-norm statistics). */
  weights(): Weights {
    return (name) => (this.store.has(`ema/${name}`) ? this.store.get(`ema/${name}`) : this.store.get(name));
  }
}

/** The same lookup for a store that may or may not hold EMA entries (samplers, families without EMA). */
export function emaWeights(store: ParamStore): Weights {
  return (name) => (store.has(`ema/${name}`) ? store.get(`ema/${name}`) : store.get(name));
}

/**
 * Forward-pass settings that make a generator's batch-norm layers write, from this one train-mode pass,
 * the EMA weights' own statistics (`ema/<bn>/mean|var`, replaced rather than blended): standing statistics.
 */
export function standingStatsPass(store: ParamStore): Fwd {
  return { w: emaWeights(store), train: true, stats: store, statsPrefix: 'ema/', statsMomentum: 1 };
}
