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
import { Dense } from '../nn/dense';
import { emaWeights } from '../nn/ema';
import type { Fwd } from '../nn/layers';
import type { Rng } from '../rng';
import { BceGan, checkEmaDecay, type BceGanConfig } from './bce-gan';
import { checkCommon, configError, lrelu } from './common';
import type { ImageFamilyModule } from './model';

export interface MlpGanConfig extends BceGanConfig {
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

export class MlpGan extends BceGan<MlpGanConfig> {
  private readonly g: Dense[] = [];
  private readonly d: Dense[] = [];

  constructor(config: MlpGanConfig) {
    super(config);
    const c = config;
    const pixels = c.size * c.size * c.channels;
    const gDims = [c.latentDim, ...c.gHidden, pixels];
    for (let i = 0; i + 1 < gDims.length; i++) this.g.push(new Dense(`G/fc${i}`, gDims[i]!, gDims[i + 1]!, { init: { kind: 'he', slope: 0.2 } }));
    const dDims = [pixels, ...c.dHidden, 1];
    for (let i = 0; i + 1 < dDims.length; i++) this.d.push(new Dense(`D/fc${i}`, dDims[i]!, dDims[i + 1]!, { init: { kind: 'he', slope: 0.2 } }));
  }

  protected createGenerator(rng: Rng): void {
    for (const l of this.g) l.create(this.store, rng);
  }

  protected createDiscriminator(rng: Rng): void {
    for (const l of this.d) l.create(this.store, rng);
  }

  protected dLayerPrefixes(): string[] {
    return this.d.map((l) => `${l.name}/`);
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
    checkEmaDecay('mlpgan', c);
  },
  build: (config, rng, _vocab, opts) => new MlpGan(config).init(rng, opts?.generatorOnly ?? false),
};
