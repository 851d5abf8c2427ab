/**
 * Adam (Kingma & Ba), PyTorch's update rule, with its state as plain named tensors in the ParamStore:
 * `opt/<id>/m/<param>`, `opt/<id>/v/<param>` and the counter `adam/<id>/step`. A checkpoint therefore
 * carries the optimizer exactly, and fine-tuning can drop it by role.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Entry, ParamStore } from './params';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export class Adam {
  private readonly params: Entry[];

  /** @param params every parameter this optimizer may ever update (frozen ones keep their moments) */
  constructor(
    private readonly store: ParamStore,
    readonly id: string,
    params: Entry[],
    readonly config: AdamConfig,
  ) {
    this.params = params;
    for (const p of params) {
      store.add(`opt/${id}/m/${p.name}`, tf.zerosLike(p.variable), 'opt');
      store.add(`opt/${id}/v/${p.name}`, tf.zerosLike(p.variable), 'opt');
    }
    store.counters[`adam/${id}/step`] = 0;
  }

  get step(): number {
    return this.store.counters[`adam/${this.id}/step`]!;
  }

  /** One update from `grads` (as returned by tf.variableGrads: keyed by engine name; missing = skip). */
  apply(grads: tf.NamedTensorMap, lrScale = 1): void {
    const t = this.step + 1;
    this.store.counters[`adam/${this.id}/step`] = t;
    const { lr, beta1, beta2, eps } = this.config;
    const stepSize = (lr * lrScale) / (1 - beta1 ** t);
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** t);
    tf.tidy(() => {
      for (const p of this.params) {
        const g = grads[p.variable.name];
        if (!g) continue;
        const m = this.store.get(`opt/${this.id}/m/${p.name}`);
        const v = this.store.get(`opt/${this.id}/v/${p.name}`);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), biasCorrection2Sqrt), eps);
        p.variable.assign(tf.sub(p.variable, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }
}
