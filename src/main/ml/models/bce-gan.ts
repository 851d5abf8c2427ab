/**
 * What the two classic GANs (mlp-gan.ts, dcgan.ts) share: the original non-saturating BCE game of
 * Goodfellow et al. 2014 as DCGAN trains it. Per step: z from the session stream, one D step on real
 * and fake (the fakes detached), then one G step on the same z; Adam for each net; an optional EMA of
 * G for sampling. A family file gives the architecture: its layers, G and D forward passes, and G's
 * first linear map for principal directions.
 *
 * Tensor names (G/…, D/…, Adam 'G' and 'D', ema/…) and the order they are created in are the same as
 * before this base existed, so checkpoints and random draws are unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../nn/adam';
import { Ema, emaWeights } from '../nn/ema';
import type { Fwd } from '../nn/layers';
import { bceWithLogits } from '../nn/losses';
import { ParamStore, type Entry } from '../nn/params';
import type { Rng } from '../rng';
import { configError, drawLatents, minimize } from './common';
import type { BaseImageConfig, ImageBatch, ImageModel, StepContext } from './model';

/** The optimiser and EMA fields both classic GANs have. */
export interface BceGanConfig extends BaseImageConfig {
  /** Adam learning rate (both nets). */
  lr: number;
  /** Adam β1. */
  beta1: number;
  /** Adam β2. */
  beta2: number;
  /** EMA decay of G for sampling; 0 = live weights. */
  emaDecay: number;
}

export function checkEmaDecay(family: string, c: { emaDecay: number }): void {
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) throw configError(family, 'emaDecay must be in [0, 1)');
}

export abstract class BceGan<C extends BceGanConfig> implements ImageModel {
  readonly store = new ParamStore();
  readonly latentDim: number;
  readonly lossNames = ['d', 'g', 'dReal', 'dFake'];
  readonly vocabTables = {};
  private adamG?: Adam;
  private adamD?: Adam;
  private ema?: Ema;

  constructor(readonly config: C) {
    this.latentDim = config.latentDim;
  }

  /** Creates G's tensors, drawing from `rng` in a fixed order. */
  protected abstract createGenerator(rng: Rng): void;
  /** Creates D's tensors. */
  protected abstract createDiscriminator(rng: Rng): void;
  /** Name prefixes of D's layers from the image inwards (FreezeD freezes the first n). */
  protected abstract dLayerPrefixes(): string[];
  /** Batch-norm statistics the EMA generator keeps its own copy of (none by default). */
  protected emaStats(): Entry[] {
    return [];
  }

  abstract generator(f: Fwd, z: tf.Tensor2D): tf.Tensor4D;
  /** Logits, [n]. */
  abstract discriminator(f: Fwd, x: tf.Tensor4D): tf.Tensor1D;
  abstract latentResponse(): tf.Tensor2D;

  init(rng: Rng, generatorOnly: boolean): this {
    const s = this.store;
    this.createGenerator(rng);
    if (generatorOnly) return this;
    this.createDiscriminator(rng);
    const c = this.config;
    const adam = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: 1e-8 };
    this.adamG = new Adam(s, 'G', s.trainable('G/'), adam);
    this.adamD = new Adam(s, 'D', s.trainable('D/'), adam);
    if (c.emaDecay > 0) this.ema = new Ema(s, s.trainable('G/'), c.emaDecay, this.emaStats());
    return this;
  }

  trainStep(batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar> {
    const { adamG, adamD, store } = this;
    if (!adamG || !adamD) throw new Error('this model was built for sampling only');
    const n = batch.x.shape[0];
    const w = (name: string) => store.get(name);
    // Batch norm (DCGAN) keeps running statistics from the D and G steps; layers without it ignore `stats`.
    const f: Fwd = { w, train: true, stats: store };
    const z = drawLatents(ctx.rng, n, this.latentDim);
    // D step: D(real) and D(fake) as two batches (BN statistics per batch, as in the DCGAN reference).
    const fake = tf.tidy(() => this.generator({ w, train: true }, z));
    let dReal!: tf.Scalar;
    let dFake!: tf.Scalar;
    const lossD = minimize(
      () => {
        const real = this.discriminator(f, batch.x);
        const fk = this.discriminator(f, fake);
        dReal = tf.keep(tf.mean(tf.sigmoid(real)));
        dFake = tf.keep(tf.mean(tf.sigmoid(fk)));
        return tf.add(bceWithLogits(real, 1), bceWithLogits(fk, 0));
      },
      store.trainable('D/', this.dLayerPrefixes().slice(0, ctx.frozenDLayers)),
      adamD,
      ctx.lrScale,
    );
    fake.dispose();
    // G step on the same z (non-saturating loss); G's BN running stats are updated here, once per step.
    const lossG = minimize(() => bceWithLogits(this.discriminator(f, this.generator(f, z)), 1), store.trainable('G/'), adamG, ctx.lrScale);
    z.dispose();
    this.ema?.update(ctx.step);
    return { d: lossD, g: lossG, dReal, dFake };
  }

  generate(z: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => this.generator({ w: emaWeights(this.store), train: false }, z));
  }
}
