/**
 * Spectral normalisation (Miyato et al. 2018): use W / σ(W), σ estimated by power iteration.
 *
 * A weight of any shape is viewed as a matrix [K, O] (O = its last axis: output channels of a conv,
 * output units of a dense, embedding width). The persistent vector u ∈ R^O is a 'state' entry
 * (`<weight>/u`), so a resumed run continues the very same iteration.
 *
 * The iteration runs OUTSIDE the gradient tape (`powerIterate`, once per discriminator phase, like
 * PyTorch's hook does once per forward); inside the tape σ = vᵀ W u uses u, v as constants, so the
 * gradient flows through W only — the standard formulation, without needing a stop-gradient op.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';
import * as init from './init';
import type { ParamStore, Weights } from './params';

/** The (u, v) pair per weight produced by one power-iteration phase; dispose after the phase. */
export type SnVectors = Map<string, { u: tf.Tensor2D; v: tf.Tensor2D }>;

const asMatrix = (w: tf.Tensor): tf.Tensor2D => tf.reshape(w, [-1, w.shape[w.shape.length - 1]!]);

function normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.add(tf.norm(x), 1e-12));
}

/** One power-iteration step on matrix W [K, O] from u [O, 1]: returns the new (u, v) and σ = vᵀ W u. */
export function powerStep(w: tf.Tensor2D, u: tf.Tensor2D): { u: tf.Tensor2D; v: tf.Tensor2D; sigma: tf.Scalar } {
  return tf.tidy(() => {
    const v = normalize(tf.matMul(w, u)); // [K, 1]
    const uNew = normalize(tf.matMul(w, v, true, false)); // [O, 1]
    const sigma = tf.sum(tf.mul(v, tf.matMul(w, uNew))) as tf.Scalar;
    return { u: uNew, v, sigma };
  });
}

export class SpectralNorm {
  /** @param weights logical names of the weights to normalise */
  constructor(readonly weights: readonly string[]) {}

  create(store: ParamStore, rng: Rng): void {
    for (const name of this.weights) {
      const w = store.get(name);
      store.add(`${name}/u`, init.unitVector(rng, w.shape[w.shape.length - 1]!), 'state');
    }
  }

  /** `iters` power-iteration steps per weight; stores the new u and returns the vectors for σ. */
  powerIterate(store: ParamStore, iters = 1): SnVectors {
    const out: SnVectors = new Map();
    for (const name of this.weights) {
      const vectors = tf.tidy(() => {
        const w = asMatrix(store.get(name));
        let u = tf.reshape(store.get(`${name}/u`), [-1, 1]) as tf.Tensor2D;
        let v: tf.Tensor2D | undefined;
        for (let i = 0; i < iters; i++) ({ u, v } = powerStep(w, u));
        store.get(`${name}/u`).assign(tf.reshape(u, [-1]));
        return { u, v: v! };
      });
      out.set(name, vectors);
    }
    return out;
  }

  /**
   * Weight lookup that returns W / σ for the normalised weights (computed once per lookup map, so a
   * discriminator applied to reals and fakes in one phase divides once) and `base` for the rest.
   */
  normalized(base: Weights, vectors: SnVectors): Weights {
    const cache = new Map<string, tf.Tensor>();
    return (name) => {
      const uv = vectors.get(name);
      if (!uv) return base(name);
      let wn = cache.get(name);
      if (!wn) {
        const w = base(name);
        const sigma = tf.sum(tf.mul(uv.v, tf.matMul(asMatrix(w), uv.u)));
        wn = tf.div(w, sigma);
        cache.set(name, wn);
      }
      return wn;
    };
  }

  /** The current σ estimate for one weight (diagnostics and tests). */
  sigma(store: ParamStore, name: string): number {
    return tf.tidy(() => {
      const w = asMatrix(store.get(name));
      const u = tf.reshape(store.get(`${name}/u`), [-1, 1]) as tf.Tensor2D;
      const v = normalize(tf.matMul(w, u));
      return tf.sum(tf.mul(v, tf.matMul(w, u))).dataSync()[0]!;
    });
  }
}

export function disposeVectors(vectors: SnVectors): void {
  for (const { u, v } of vectors.values()) {
    u.dispose();
    v.dispose();
  }
}
