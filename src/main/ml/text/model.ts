/**
 * The contract between the text session / sampler and a text model family, and what they share.
 *
 * A family is one file (char-lstm.ts, char-transformer.ts) exporting a `TextFamilyModule`: config
 * defaults, validation and a `build` that creates its tensors in a ParamStore. The model is
 * "parameters + forward pass + one optimisation step"; data windows, the RNG stream, divergence checks
 * and checkpoints live in text-session.ts. Both families are next-character predictors: given token ids
 * [B, T] they give logits [B, T, V] for the token after each position.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import { Adam } from '../nn/adam';
import type { Fwd } from '../nn/layers';
import { ParamStore, type Entry } from '../nn/params';
import type { Rng } from '../rng';

export type { TextFamily } from '../../../shared/families';

/** Fields every text family's config has. */
export interface BaseTextConfig {
  /** Longest context the model reads: training windows are this many tokens (+1 for the targets). */
  contextLength: number;
  /** Windows per optimisation step. */
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  /** Adam β1. */
  beta1: number;
  /** Adam β2. */
  beta2: number;
  /** Gradients are rescaled so their global L2 norm is at most this; 0 = no clipping. */
  gradClip: number;
  /** Fraction of the documents held out for validation loss / perplexity. */
  heldOutFraction: number;
}

/** Token ids: `x` the inputs, `y` the next token at each position (both int32 [B, T]). */
export interface TextBatch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

export interface TextModel {
  readonly store: ParamStore;
  readonly contextLength: number;
  readonly vocabSize: number;
  /** One optimisation step; returns the mean cross-entropy (nats per token) before the update. */
  trainStep(batch: TextBatch, lrScale: number): tf.Scalar;
  /** Next-token logits [B, T, V] for token ids [B, T] (T ≤ contextLength), with the current weights. */
  logits(x: tf.Tensor2D): tf.Tensor3D;
}

export interface TextFamilyModule<C extends BaseTextConfig = BaseTextConfig> {
  defaults(): C;
  validate(config: C): void;
  /** `inference`: weights only, no optimizer state (sampling). */
  build(config: C, vocabSize: number, rng: Rng, opts?: { inference?: boolean }): TextModel;
}

/**
 * What both families share around their forward pass: the ParamStore, one Adam over every tensor
 * (created by `optimise` once the family made its tensors, so names and draws keep their order), the
 * clipped cross-entropy step and inference logits.
 */
export abstract class NextCharModel<C extends BaseTextConfig> implements TextModel {
  readonly store = new ParamStore();
  private adam?: Adam;

  constructor(
    readonly config: C,
    readonly vocabSize: number,
  ) {}

  get contextLength(): number {
    return this.config.contextLength;
  }

  /** Logits [B, T, V] for token ids [B, T]. */
  protected abstract forward(f: Fwd, x: tf.Tensor2D): tf.Tensor3D;

  /** Called by the family's constructor after its tensors exist: a training model gets its optimiser. */
  protected optimise(inference: boolean): void {
    const c = this.config;
    if (!inference) this.adam = new Adam(this.store, 'lm', this.store.trainable(''), { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: 1e-8 });
  }

  trainStep(batch: TextBatch, lrScale: number): tf.Scalar {
    if (!this.adam) throw new Error('this model was built for sampling only');
    const f: Fwd = { w: (n) => this.store.get(n), train: true };
    return minimizeClipped(() => crossEntropy(this.forward(f, batch.x), batch.y), this.store.trainable(''), this.adam, lrScale, this.config.gradClip);
  }

  logits(x: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => this.forward({ w: (n) => this.store.get(n), train: false }, x));
  }
}

/** Mean cross-entropy of logits [..., V] against int32 targets [...], in nats per token. */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const v = logits.shape[logits.shape.length - 1]!;
    const flat = tf.reshape(logits, [-1, v]);
    const onehot = tf.oneHot(tf.reshape(targets, [-1]) as tf.Tensor1D, v);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(flat), onehot), 1))) as tf.Scalar;
  });
}

/**
 * Gradients of `loss` for `params`, rescaled to global norm ≤ `clip` (no read-back: the scale stays a
 * tensor), then one Adam update. Returns the loss; the caller disposes it.
 */
export function minimizeClipped(loss: () => tf.Scalar, params: Entry[], adam: Adam, lrScale: number, clip: number): tf.Scalar {
  const { value, grads } = tf.variableGrads(loss, params.map((p) => p.variable));
  if (clip > 0) {
    const scaled = tf.tidy(() => {
      const g = Object.values(grads);
      const norm = tf.sqrt(tf.addN(g.map((t) => tf.sum(tf.square(t)))));
      const scale = tf.minimum(1, tf.div(clip, tf.add(norm, 1e-6)));
      return Object.fromEntries(Object.entries(grads).map(([k, t]) => [k, tf.mul(t, scale)]));
    });
    tf.dispose(grads);
    adam.apply(scaled, lrScale);
    tf.dispose(scaled);
  } else {
    adam.apply(grads, lrScale);
    tf.dispose(grads);
  }
  return value;
}

export function configError(family: string, message: string): AtelierError {
  return new AtelierError('bad_request', `${family} model: ${message}`);
}

export const positiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;

export function checkBase(family: string, c: BaseTextConfig): void {
  if (!positiveInt(c.contextLength) || c.contextLength > 1024) throw configError(family, 'contextLength must be an integer from 1 to 1024');
  if (!(Number.isInteger(c.batchSize) && c.batchSize >= 1)) throw configError(family, 'batchSize must be a positive integer');
  if (!(c.lr > 0 && c.lr < 1)) throw configError(family, 'lr must be in (0, 1)');
  if (!(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1)) throw configError(family, 'beta1 and beta2 must be in [0, 1)');
  if (!(c.gradClip >= 0)) throw configError(family, 'gradClip must be ≥ 0');
  if (!(c.heldOutFraction > 0 && c.heldOutFraction < 1)) throw configError(family, 'heldOutFraction must be in (0, 1)');
}
