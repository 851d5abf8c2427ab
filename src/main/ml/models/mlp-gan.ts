/**
 * The MLP GAN preset (Goodfellow et al. 2014, in its common modern form): 28×28 grey images as flat
 * vectors, two hidden layers each side, LeakyReLU 0.2, non-saturating BCE, Adam 2e-4 (0.5, 0.999).
 *
 *   G: z[64] → 256 → 512 → 784 → tanh → 28×28×1
 *   D: 784 → 512 → 256 → 1 (logit)
 * The smallest and fastest family: good for checking a dataset, useless for detail. Samples use an EMA
 * of G's weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../nn/adam';
import { Dense } from '../nn/dense';
import { Ema, emaWeights } from '../nn/ema';
import type { Fwd } from '../nn/layers';
import { bceWithLogits } from '../nn/losses';
import { ParamStore } from '../nn/params';
import type { Rng } from '../rng';
import { checkCommon, configError, drawLatents, lrelu, minimize } from './common';
import type { BaseImageConfig, ImageBatch, ImageFamilyModule, ImageModel, StepContext } from './model';

export interface MlpGanConfig extends BaseImageConfig {
  /** Image side (28 by default, whatever the data's size: images are resized). */
  size: number;
  /** 1 by default (data is converted to grey). */
  channels: 1 | 3 | 4;
  /** Length of z. */
  latentDim: number;
  /** Hidden widths of G, from z towards the image. */
  gHidden: number[];
  /** Hidden widths of D, from the image towards the logit. */
  dHidden: number[];
  /** Adam learning rate (both nets). */
  lr: number;
  /** Adam β1. */
  beta1: number;
  /** Adam β2. */
  beta2: number;
  /** EMA decay of G for sampling; 0 = live weights. */
  emaDecay: number;
  /** Images per step. */
  batchSize: number;
  /** Unused by GANs. */
  heldOutFraction: number;
}

export function mlpGanDefaults(): MlpGanConfig {
  return {
    size: 28,
    channels: 1,
    latentDim: 64,
    gHidden: [256, 512],
    dHidden: [512, 256],
    lr: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    emaDecay: 0.999,
    batchSize: 64,
    heldOutFraction: 0,
  };
}

export class MlpGan implements ImageModel {
  readonly store = new ParamStore();
  readonly latentDim: number;
  readonly lossNames = ['d', 'g', 'dReal', 'dFake'];
  readonly vocabTables = {};
  private readonly g: Dense[] = [];
  private readonly d: Dense[] = [];
  private adamG?: Adam;
  private adamD?: Adam;
  private ema?: Ema;

  constructor(readonly config: MlpGanConfig) {
    const c = config;
    this.latentDim = c.latentDim;
    const pixels = c.size * c.size * c.channels;
    const gDims = [c.latentDim, ...c.gHidden, pixels];
    for (let i = 0; i + 1 < gDims.length; i++) this.g.push(new Dense(`G/fc${i}`, gDims[i]!, gDims[i + 1]!, { init: { kind: 'he', slope: 0.2 } }));
    const dDims = [pixels, ...c.dHidden, 1];
    for (let i = 0; i + 1 < dDims.length; i++) this.d.push(new Dense(`D/fc${i}`, dDims[i]!, dDims[i + 1]!, { init: { kind: 'he', slope: 0.2 } }));
  }

  init(rng: Rng, generatorOnly: boolean): this {
    const s = this.store;
    for (const l of this.g) l.create(s, rng);
    if (generatorOnly) return this;
    for (const l of this.d) l.create(s, rng);
    const c = this.config;
    const adam = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: 1e-8 };
    this.adamG = new Adam(s, 'G', s.trainable('G/'), adam);
    this.adamD = new Adam(s, 'D', s.trainable('D/'), adam);
    if (c.emaDecay > 0) this.ema = new Ema(s, s.trainable('G/'), c.emaDecay);
    return this;
  }

  generator(f: Fwd, z: tf.Tensor2D): tf.Tensor4D {
    let h = z;
    this.g.forEach((l, i) => (h = i < this.g.length - 1 ? lrelu(l.apply(f, h)) : tf.tanh(l.apply(f, h))));
    const { size, channels } = this.config;
    return tf.reshape(h, [-1, size, size, channels]);
  }

  discriminator(f: Fwd, x: tf.Tensor4D): tf.Tensor1D {
    let h = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
    this.d.forEach((l, i) => (h = i < this.d.length - 1 ? lrelu(l.apply(f, h)) : l.apply(f, h)));
    return tf.reshape(h, [-1]) as tf.Tensor1D;
  }

  trainStep(batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar> {
    const { adamG, adamD, store } = this;
    if (!adamG || !adamD) throw new Error('this model was built for sampling only');
    const n = batch.x.shape[0];
    const f: Fwd = { w: (name) => store.get(name), train: true };
    const z = drawLatents(ctx.rng, n, this.latentDim);
    const fake = tf.tidy(() => this.generator(f, z));
    let dReal!: tf.Scalar;
    let dFake!: tf.Scalar;
    const frozen = this.d.slice(0, ctx.frozenDLayers).map((l) => `${l.name}/`);
    const lossD = minimize(
      () => {
        const real = this.discriminator(f, batch.x);
        const fk = this.discriminator(f, fake);
        dReal = tf.keep(tf.mean(tf.sigmoid(real)));
        dFake = tf.keep(tf.mean(tf.sigmoid(fk)));
        return tf.add(bceWithLogits(real, 1), bceWithLogits(fk, 0));
      },
      store.trainable('D/', frozen),
      adamD,
      ctx.lrScale,
    );
    fake.dispose();
    const lossG = minimize(() => bceWithLogits(this.discriminator(f, this.generator(f, z)), 1), store.trainable('G/'), adamG, ctx.lrScale);
    z.dispose();
    this.ema?.update(ctx.step);
    return { d: lossD, g: lossG, dReal, dFake };
  }

  generate(z: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => this.generator({ w: emaWeights(this.store), train: false }, z));
  }

  latentResponse(): tf.Tensor2D {
    return tf.tidy(() => tf.clone(emaWeights(this.store)('G/fc0/w')) as tf.Tensor2D);
  }
}

export const mlpGan: ImageFamilyModule<MlpGanConfig> = {
  family: 'mlpgan',
  defaults: mlpGanDefaults,
  validate: (c) => {
    checkCommon('mlpgan', c);
    if (!(Number.isInteger(c.size) && c.size >= 4 && c.size <= 128)) throw configError('mlpgan', 'size must be an integer in 4..128');
    if (![...c.gHidden, ...c.dHidden].every((h) => Number.isInteger(h) && h >= 1)) throw configError('mlpgan', 'hidden widths must be positive integers');
    if (!(c.emaDecay >= 0 && c.emaDecay < 1)) throw configError('mlpgan', 'emaDecay must be in [0, 1)');
  },
  build: (config, rng, _vocab, opts) => new MlpGan(config).init(rng, opts?.generatorOnly ?? false),
};
