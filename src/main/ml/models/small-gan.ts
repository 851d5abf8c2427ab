/**
 * The default small-data image generator (family id 'default'), for 32/64/128 px, grey/RGB/RGBA.
 *
 * Built to learn something useful from a few hundred images in minutes on a CPU:
 * - G: z → dense → 4×4 → [4×4 stride-2 transposed conv → LeakyReLU → pixel norm] per doubling →
 *   3×3 conv → tanh. Pixel norm instead of batch norm keeps every sample independent of its batch,
 *   so the EMA weights sample correctly with no re-estimated statistics.
 * - D: [4×4 stride-2 conv → LeakyReLU] per halving down to 4×4 → global sum pool → linear, with
 *   spectral norm on every weight (Miyato et al. 2018).
 * - Hinge loss; DiffAugment (color, translation, cutout) on reals and fakes before D; Adam 2e-4
 *   (0.5, 0.999); an EMA of G's weights is what every sample is drawn with.
 * Widths: `width` channels at full resolution, doubling per halving up to `maxWidth`; at 64 px the
 * default (16 → 256) is ~1.4 M parameters in G and ~0.7 M in D.
 *
 * The conditional family (cgan.ts) extends this class with embeddings and a projection term.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../nn/adam';
import { pixelNorm } from '../nn/batchnorm';
import { Conv2d, ConvTranspose2d } from '../nn/conv';
import { Dense } from '../nn/dense';
import { Ema, emaWeights } from '../nn/ema';
import type { Fwd } from '../nn/layers';
import { hingeD, hingeG } from '../nn/losses';
import { ParamStore } from '../nn/params';
import { SpectralNorm, disposeVectors } from '../nn/spectral-norm';
import type { Rng } from '../rng';
import { DIFFAUGMENT_ALL, diffAugment, drawDiffAugment, type DiffAugmentOp } from '../train/diffaugment';
import { checkCommon, configError, drawLatents, lrelu, minimize, stagesFor } from './common';
import type { BaseImageConfig, Conditioning, ImageBatch, ImageFamilyModule, ImageModel, StepContext, Vocab } from './model';

export interface SmallGanConfig extends BaseImageConfig {
  /** Image side: 32, 64 or 128. */
  size: number;
  /** 1, 3 or 4 (RGBA: alpha is generated as a fourth channel). */
  channels: 1 | 3 | 4;
  /** Latent length. */
  latentDim: number;
  /** Channels at full resolution; doubles per halving of resolution, capped at `maxWidth`. */
  width: number;
  /** Widest layer (at 4×4). */
  maxWidth: number;
  /** Adam learning rate, for both nets (TTUR off: equal rates work with hinge + SN on small data). */
  lr: number;
  /** Adam β1 (0.5 as in DCGAN/SNGAN: less momentum for a moving target). */
  beta1: number;
  /** Adam β2. */
  beta2: number;
  /** EMA decay of G's weights used for sampling; 0 = sample with the live weights. */
  emaDecay: number;
  /** DiffAugment policy; [] disables it (not advised below ~5k images). */
  diffAugment: DiffAugmentOp[];
  /** Images per step (8–32 is the useful range on a CPU). */
  batchSize: number;
  /** Unused by GANs (kept for the shared config shape). */
  heldOutFraction: number;
}

export const SMALL_GAN_SIZES = [32, 64, 128] as const;

export function smallGanDefaults(data: { size: number; channels: 1 | 3 | 4 }): SmallGanConfig {
  const size = (SMALL_GAN_SIZES as readonly number[]).includes(data.size) ? data.size : 64;
  return {
    size,
    channels: data.channels,
    latentDim: 128,
    width: Math.max(8, 1024 / size),
    maxWidth: 256,
    lr: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    emaDecay: 0.999,
    diffAugment: [...DIFFAUGMENT_ALL],
    batchSize: 16,
    heldOutFraction: 0,
  };
}

export function validateSmallGan(family: string, c: SmallGanConfig): void {
  checkCommon(family, c);
  stagesFor(family, c.size, SMALL_GAN_SIZES);
  if (!(c.width >= 1 && c.maxWidth >= c.width)) throw configError(family, 'need 1 ≤ width ≤ maxWidth');
  if (!(c.lr > 0) || !(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1)) throw configError(family, 'bad Adam settings');
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) throw configError(family, 'emaDecay must be in [0, 1)');
  if (!c.diffAugment.every((op) => (DIFFAUGMENT_ALL as readonly string[]).includes(op))) throw configError(family, 'unknown DiffAugment op');
}

export class SmallGan implements ImageModel {
  readonly store = new ParamStore();
  readonly latentDim: number;
  readonly lossNames: readonly string[] = ['d', 'g', 'dReal', 'dFake'];
  readonly vocabTables: Readonly<Record<string, 'label' | 'tag'>> = {};

  protected readonly gIn: Dense;
  protected readonly gUp: ConvTranspose2d[] = [];
  protected readonly gOut: Conv2d;
  protected readonly dConv: Conv2d[] = [];
  protected readonly dOut: Dense;
  /** Discriminator layer prefixes from the input side (FreezeD freezes a prefix of this list). */
  protected readonly dLayers: string[] = [];
  protected sn?: SpectralNorm;
  protected adamG?: Adam;
  protected adamD?: Adam;
  protected ema?: Ema;

  /** @param condDim width of the condition vector appended to z (0 = unconditional) */
  constructor(
    readonly config: SmallGanConfig,
    protected readonly condDim = 0,
  ) {
    const c = config;
    this.latentDim = c.latentDim;
    const stages = Math.log2(c.size / 4);
    const ch = (res: number) => Math.min(c.maxWidth, (c.width * c.size) / res);
    const he = { kind: 'he', slope: 0.2 } as const;
    this.gIn = new Dense('G/in', c.latentDim + condDim, 16 * ch(4), { init: he });
    for (let i = 0, r = 4; i < stages; i++, r *= 2) {
      this.gUp.push(new ConvTranspose2d(`G/up${i}`, ch(r), ch(2 * r), { kernel: 4, stride: 2, init: he }));
    }
    this.gOut = new Conv2d('G/rgb', ch(c.size), c.channels, { kernel: 3 });
    for (let i = 0, r = c.size; i < stages; i++, r /= 2) {
      this.dConv.push(new Conv2d(`D/conv${i}`, i === 0 ? c.channels : ch(r), ch(r / 2), { kernel: 4, stride: 2 }));
      this.dLayers.push(`D/conv${i}/`);
    }
    this.dOut = new Dense('D/out', ch(4), 1);
    this.dLayers.push('D/out/');
  }

  /** Creates the tensors. Subclasses add theirs in `createExtra` (called between G and D). */
  init(rng: Rng, generatorOnly: boolean): this {
    const s = this.store;
    this.gIn.create(s, rng);
    for (const l of this.gUp) l.create(s, rng);
    this.gOut.create(s, rng);
    this.createExtra(rng, generatorOnly);
    if (generatorOnly) return this;
    for (const l of this.dConv) l.create(s, rng);
    this.dOut.create(s, rng);
    this.createExtraD(rng);
    const c = this.config;
    this.sn = new SpectralNorm(s.list({ role: 'param', prefix: 'D/' }).filter((e) => e.name.endsWith('/w')).map((e) => e.name));
    this.sn.create(s, rng);
    const adam = { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: 1e-8 };
    this.adamG = new Adam(s, 'G', s.trainable('G/'), adam);
    this.adamD = new Adam(s, 'D', s.trainable('D/'), adam);
    if (c.emaDecay > 0) this.ema = new Ema(s, s.trainable('G/'), c.emaDecay);
    return this;
  }

  protected createExtra(_rng: Rng, _generatorOnly: boolean): void {}
  protected createExtraD(_rng: Rng): void {}

  /** The condition vector appended to z, or null for the unconditional model. */
  protected conditionVector(_f: Fwd, _cond: Conditioning | undefined, _n: number): tf.Tensor2D | null {
    return null;
  }

  /** A conditional term added to D's score (projection), or null. */
  protected projection(_f: Fwd, _features: tf.Tensor2D, _cond: Conditioning | undefined): tf.Tensor1D | null {
    return null;
  }

  generator(f: Fwd, z: tf.Tensor2D, cond?: Conditioning): tf.Tensor4D {
    const c = this.conditionVector(f, cond, z.shape[0]);
    const h = this.gIn.apply(f, c ? tf.concat([z, c], 1) : z);
    let x = pixelNorm(lrelu(tf.reshape(h, [-1, 4, 4, h.shape[1] / 16]) as tf.Tensor4D));
    for (const up of this.gUp) x = pixelNorm(lrelu(up.apply(f, x)));
    return tf.tanh(this.gOut.apply(f, x));
  }

  /** D's score per image, [n]. */
  discriminator(f: Fwd, x: tf.Tensor4D, cond?: Conditioning): tf.Tensor1D {
    let h = x;
    for (const conv of this.dConv) h = lrelu(conv.apply(f, h));
    const features = tf.sum(h, [1, 2]) as tf.Tensor2D;
    const score = tf.reshape(this.dOut.apply(f, features), [-1]) as tf.Tensor1D;
    const proj = this.projection(f, features, cond);
    return proj ? tf.add(score, proj) : score;
  }

  /** Called at the start of each trainStep (cgan advances its conditioning ramp here). */
  protected beforeStep(_ctx: StepContext): void {}

  trainStep(batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar> {
    const { sn, adamG, adamD, store } = this;
    if (!sn || !adamG || !adamD) throw new Error('this model was built for sampling only');
    this.beforeStep(ctx);
    const n = batch.x.shape[0];
    const ops = this.config.diffAugment;
    const cond: Conditioning = { labels: batch.labels, tags: batch.tags };
    const both: Conditioning = {
      labels: batch.labels && tf.concat([batch.labels, batch.labels]),
      tags: batch.tags && tf.concat([batch.tags, batch.tags]),
    };
    const live: Fwd = { w: (name) => store.get(name), train: true };
    const frozen = this.dLayers.slice(0, ctx.frozenDLayers);

    // D step: one pass over [real; fake], both augmented with the same draw.
    const fake = tf.tidy(() => this.generator(live, drawLatents(ctx.rng, n, this.latentDim), cond));
    const augD = drawDiffAugment(ctx.rng, n, this.config.size, ops);
    let vectors = sn.powerIterate(store);
    let dReal!: tf.Scalar;
    let dFake!: tf.Scalar;
    const lossD = minimize(
      () => {
        const f: Fwd = { w: sn.normalized(live.w, vectors), train: true };
        const input = ops.length ? tf.concat([diffAugment(batch.x, augD), diffAugment(fake, augD)]) : tf.concat([batch.x, fake]);
        const scores = this.discriminator(f, input, both);
        const [real, fk] = tf.split(scores, 2) as [tf.Tensor1D, tf.Tensor1D];
        dReal = tf.keep(tf.mean(real));
        dFake = tf.keep(tf.mean(fk));
        return hingeD(real, fk);
      },
      store.trainable('D/', frozen),
      adamD,
      ctx.lrScale,
    );
    disposeVectors(vectors);
    tf.dispose([fake, both.labels, both.tags]);

    // G step: fresh latents, fresh augmentation draw.
    const z = drawLatents(ctx.rng, n, this.latentDim);
    const augG = drawDiffAugment(ctx.rng, n, this.config.size, ops);
    vectors = sn.powerIterate(store);
    const lossG = minimize(
      () => {
        const f: Fwd = { w: sn.normalized(live.w, vectors), train: true };
        const img = this.generator(live, z, cond);
        return hingeG(this.discriminator(f, ops.length ? diffAugment(img, augG) : img, cond));
      },
      store.trainable('G/'),
      adamG,
      ctx.lrScale,
    );
    disposeVectors(vectors);
    z.dispose();
    this.ema?.update(ctx.step);
    return { d: lossD, g: lossG, dReal, dFake };
  }

  generate(z: tf.Tensor2D, cond?: Conditioning): tf.Tensor4D {
    return tf.tidy(() => this.generator({ w: emaWeights(this.store), train: false }, z, cond));
  }

  latentResponse(): tf.Tensor2D {
    return tf.tidy(() => tf.slice(emaWeights(this.store)('G/in/w'), [0, 0], [this.latentDim, -1]) as tf.Tensor2D);
  }
}

export const smallGan: ImageFamilyModule<SmallGanConfig> = {
  family: 'default',
  defaults: smallGanDefaults,
  validate: (c) => validateSmallGan('default', c),
  build: (config, rng, _vocab: Vocab, opts) => new SmallGan(config).init(rng, opts?.generatorOnly ?? false),
};
