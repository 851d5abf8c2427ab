/**
 * Convolutional VAE (Kingma & Welling 2014).
 *
 *   encoder E: x → [4×4 stride-2 conv → LeakyReLU] per halving down to 4×4 → flatten → (μ, log σ²)
 *   decoder G: z → dense → 4×4 → [4×4 stride-2 transposed conv → LeakyReLU] per doubling → 3×3 conv → tanh
 * Widths as in the small GAN (`width` at full resolution, doubling per halving, capped at `maxWidth`).
 * Decoder parameters are named G/… so samplers load them exactly like a GAN generator.
 *
 * Loss per image: Σ_pixels (x − x̂)² + β·KL(q(z|x) ‖ N(0, I)) — a Gaussian decoder of fixed variance
 * (½ on the [-1, 1] scale), averaged over the batch. Reported each step: `loss`, `reconMse` (mean
 * squared error per value, comparable across sizes) and `kl` (nats per image). `evaluate` gives the
 * held-out reconstruction MSE through the posterior mean (no sampling noise). `encodeMean` maps images
 * to latents (samplers use it for "variations": encode, perturb, decode).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../nn/adam';
import { Conv2d, ConvTranspose2d } from '../nn/conv';
import { Dense } from '../nn/dense';
import type { Fwd } from '../nn/layers';
import { gaussianKl } from '../nn/losses';
import { ParamStore } from '../nn/params';
import type { Rng } from '../rng';
import { checkCommon, configError, drawLatents, lrelu, minimize, stagesFor } from './common';
import type { BaseImageConfig, ImageBatch, ImageFamilyModule, ImageModel, StepContext } from './model';
import { scaledWidthDefaults } from './widths';

export interface VaeConfig extends BaseImageConfig {
  /** Image side: 32, 64 or 128. */
  size: number;
  /** 1, 3 or 4. */
  channels: 1 | 3 | 4;
  /** Latent length. */
  latentDim: number;
  /** Channels at full resolution; doubles per halving, capped at `maxWidth`. */
  width: number;
  /** Widest layer (at 4×4). */
  maxWidth: number;
  /** β: weight of the KL term (1 = the ELBO). */
  klWeight: number;
  /** Adam learning rate. */
  lr: number;
  /** Adam β1. */
  beta1: number;
  /** Adam β2. */
  beta2: number;
  /** Images per step. */
  batchSize: number;
  /** Fraction of images held out for `evaluateLosses` (at least 1, at most 256 images). */
  heldOutFraction: number;
}

const SIZES = [32, 64, 128] as const;

export function vaeDefaults(data: { size: number; channels: 1 | 3 | 4 }): VaeConfig {
  return {
    ...scaledWidthDefaults(data, SIZES, 64),
    klWeight: 1,
    lr: 5e-4,
    beta1: 0.9,
    beta2: 0.999,
    batchSize: 32,
    heldOutFraction: 0.1,
  };
}

export class Vae implements ImageModel {
  readonly store = new ParamStore();
  readonly latentDim: number;
  readonly lossNames = ['loss', 'reconMse', 'kl'];
  readonly vocabTables = {};
  private readonly eConv: Conv2d[] = [];
  private readonly eMu: Dense;
  private readonly eLogvar: Dense;
  private readonly gIn: Dense;
  private readonly gUp: ConvTranspose2d[] = [];
  private readonly gOut: Conv2d;
  private adam?: Adam;

  constructor(readonly config: VaeConfig) {
    const c = config;
    this.latentDim = c.latentDim;
    const stages = Math.log2(c.size / 4);
    const ch = (res: number) => Math.min(c.maxWidth, (c.width * c.size) / res);
    const he = { kind: 'he', slope: 0.2 } as const;
    for (let i = 0, r = c.size; i < stages; i++, r /= 2) {
      this.eConv.push(new Conv2d(`E/conv${i}`, i === 0 ? c.channels : ch(r), ch(r / 2), { kernel: 4, stride: 2, init: he }));
    }
    this.eMu = new Dense('E/mu', 16 * ch(4), c.latentDim);
    this.eLogvar = new Dense('E/logvar', 16 * ch(4), c.latentDim, { init: { kind: 'normal', std: 1e-3 } });
    this.gIn = new Dense('G/in', c.latentDim, 16 * ch(4), { init: he });
    for (let i = 0, r = 4; i < stages; i++, r *= 2) {
      this.gUp.push(new ConvTranspose2d(`G/up${i}`, ch(r), ch(2 * r), { kernel: 4, stride: 2, init: he }));
    }
    this.gOut = new Conv2d('G/rgb', ch(c.size), c.channels, { kernel: 3 });
  }

  /** A sampler (`generatorOnly`) gets the encoder too: it is small, and "variations" encode an image. */
  init(rng: Rng, generatorOnly: boolean): this {
    const s = this.store;
    this.gIn.create(s, rng);
    for (const l of this.gUp) l.create(s, rng);
    this.gOut.create(s, rng);
    for (const l of this.eConv) l.create(s, rng);
    this.eMu.create(s, rng);
    this.eLogvar.create(s, rng);
    if (generatorOnly) return this;
    const c = this.config;
    this.adam = new Adam(s, 'VAE', [...s.trainable('E/'), ...s.trainable('G/')], { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: 1e-8 });
    return this;
  }

  encode(f: Fwd, x: tf.Tensor4D): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    let h = x;
    for (const conv of this.eConv) h = lrelu(conv.apply(f, h));
    const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
    return { mu: this.eMu.apply(f, flat), logvar: this.eLogvar.apply(f, flat) };
  }

  decode(f: Fwd, z: tf.Tensor2D): tf.Tensor4D {
    const h = this.gIn.apply(f, z);
    let x = lrelu(tf.reshape(h, [-1, 4, 4, h.shape[1] / 16]) as tf.Tensor4D);
    for (const up of this.gUp) x = lrelu(up.apply(f, x));
    return tf.tanh(this.gOut.apply(f, x));
  }

  /** Reconstruction through the posterior mean. */
  reconstruct(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const f: Fwd = { w: (n) => this.store.get(n), train: false };
      return this.decode(f, this.encode(f, x).mu);
    });
  }

  trainStep(batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar> {
    const adam = this.adam;
    if (!adam) throw new Error('this model was built for sampling only');
    const x = batch.x;
    const n = x.shape[0];
    const eps = drawLatents(ctx.rng, n, this.latentDim);
    const f: Fwd = { w: (name) => this.store.get(name), train: true };
    let reconMse!: tf.Scalar;
    let kl!: tf.Scalar;
    const loss = minimize(
      () => {
        const { mu, logvar } = this.encode(f, x);
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)) as tf.Tensor2D; // reparameterisation
        const sq = tf.squaredDifference(this.decode(f, z), x);
        reconMse = tf.keep(tf.mean(sq));
        kl = tf.keep(gaussianKl(mu, logvar));
        return tf.add(tf.div(tf.sum(sq), n), tf.mul(kl, this.config.klWeight));
      },
      [...this.store.trainable('E/'), ...this.store.trainable('G/')],
      adam,
      ctx.lrScale,
    );
    eps.dispose();
    return { loss, reconMse, kl };
  }

  generate(z: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => this.decode({ w: (n) => this.store.get(n), train: false }, z));
  }

  /** Images in [-1, 1] → posterior means μ(x), [n, latentDim]. */
  encodeMean(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.encode({ w: (n) => this.store.get(n), train: false }, x).mu);
  }

  latentResponse(): tf.Tensor2D {
    return tf.tidy(() => tf.clone(this.store.get('G/in/w')) as tf.Tensor2D);
  }

  /** Held-out reconstruction MSE (through μ, as `reconMse` is per value) and KL (nats per image). */
  evaluate(x: tf.Tensor4D): Record<string, tf.Scalar> {
    return tf.tidy(() => {
      const f: Fwd = { w: (n) => this.store.get(n), train: false };
      const { mu, logvar } = this.encode(f, x);
      return {
        heldOutMse: tf.mean(tf.squaredDifference(this.decode(f, mu), x)) as tf.Scalar,
        heldOutKl: gaussianKl(mu, logvar),
      };
    });
  }
}

export const vae: ImageFamilyModule<VaeConfig> = {
  family: 'vae',
  defaults: vaeDefaults,
  validate: (c) => {
    checkCommon('vae', c);
    stagesFor('vae', c.size, SIZES);
    if (!(c.width >= 1 && c.maxWidth >= c.width)) throw configError('vae', 'need 1 ≤ width ≤ maxWidth');
    if (!(c.klWeight >= 0)) throw configError('vae', 'klWeight must be ≥ 0');
    if (!(c.lr > 0)) throw configError('vae', 'lr must be positive');
  },
  build: (config, rng, _vocab, opts) => new Vae(config).init(rng, opts?.generatorOnly ?? false),
};
