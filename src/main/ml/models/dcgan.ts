/**
 * DCGAN (Radford et al. 2015), exactly the PyTorch reference peer the benchmark times us against
 * (shared/bench/torch_dcgan_peer.py): 32×32 RGB, ngf = ndf = 64, no biases, batch norm, ReLU in G,
 * LeakyReLU 0.2 in D, BCE, Adam 2e-4 (0.5, 0.999), batch 64, one D step on real + fake then one G step.
 *
 *   G: z [1×1×100] → T4s1 → 4×4×256 → T4s2 → 8×8×128 → T4s2 → 16×16×64 → T4s2 → 32×32×3 → tanh
 *      (BN + ReLU after every transposed conv but the last)
 *   D: 32×32×3 → C4s2 → 16×16×64 → C4s2 → 8×8×128 → C4s2 → 4×4×256 → C4s1 valid → 1
 *      (LeakyReLU after each conv, BN after the 2nd and 3rd)
 * At 64 px one more stage is added on each side (the original 64×64 DCGAN, ngf·8 at 4×4).
 *
 * Differences from the peer, none of which changes the work done per step:
 * - BCE is computed from logits (softplus form) rather than sigmoid + log: same values, no overflow.
 * - tfjs cannot backpropagate into a forward pass recorded outside its gradient tape, so the G step
 *   re-runs G's forward on the same z (one extra G forward); it also skips D's weight gradients in the
 *   G step, which PyTorch computes and throws away. The two roughly cancel.
 * - `init`: 'torch' (the default) starts every weight as the peer does, with PyTorch's defaults (conv
 *   weights U(±1/√fanIn), BN γ = 1); 'normal' is the DCGAN paper's N(0, 0.02) with γ ~ N(1, 0.02).
 *   The training step itself matches PyTorch to float precision (tests/unit/ml/parity.test.ts), so the
 *   init was the one difference left, and it is the one that mattered: N(0, 0.02) starts G's last layer
 *   ~4× smaller than PyTorch does, so images start grey and reach a white background slowly. Measured
 *   (bench/parity/learning-parity.ts, 169 Noto smileys on white, 300 steps at batch 64, KID×10³ by
 *   shared/eval/kid.py, pixels / random-conv / learned): peer 27.3 / 31.6 / 1829; 'torch' 25.9 / 35.9 /
 *   2233 (same yellow faces on white as the peer); 'normal' 329.5 / 825 / 3882 (faces on grey noise).
 * Sampling uses BN's running statistics (eval mode), so an image does not depend on its batch-mates.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm } from '../nn/batchnorm';
import { Conv2d, ConvTranspose2d } from '../nn/conv';
import { emaWeights, standingStatsPass } from '../nn/ema';
import type { Fwd } from '../nn/layers';
import type { Entry } from '../nn/params';
import type { Rng } from '../rng';
import { BceGan, checkEmaDecay, type BceGanConfig } from './bce-gan';
import { checkCommon, configError, lrelu, stagesFor } from './common';
import type { ImageFamilyModule } from './model';

export interface DcganConfig extends BceGanConfig {
  /** 32 (the peer) or 64. */
  size: number;
  /** Output channels (3 in the peer). */
  channels: 1 | 3 | 4;
  /** Length of z (100 in the peer). */
  latentDim: number;
  /** G width: channels of G's last hidden layer; doubles towards 4×4. */
  ngf: number;
  /** D width: channels of D's first layer; doubles towards 4×4. */
  ndf: number;
  /** EMA decay of G for sampling; 0 (the peer's behaviour) samples with the live weights. */
  emaDecay: number;
  /** With EMA: sample with batch-norm statistics estimated for the EMA weights (see small-gan's gEmaStats). Absent = false. */
  emaStats?: boolean;
  /** Images per step (64 in the peer). */
  batchSize: number;
  /** Weight init: 'torch' = PyTorch's layer defaults (what the peer runs); 'normal' = N(0, 0.02) (DCGAN paper). Absent = 'normal'. */
  init?: 'torch' | 'normal';
  /** Unused by GANs. */
  heldOutFraction: number;
}

const SIZES = [32, 64] as const;

export function dcganDefaults(data: { size: number; channels: 1 | 3 | 4 }): DcganConfig {
  return {
    size: data.size === 64 ? 64 : 32,
    channels: 3,
    latentDim: 100,
    ngf: 64,
    ndf: 64,
    lr: 2e-4,
    beta1: 0.5,
    beta2: 0.999,
    emaDecay: 0,
    batchSize: 64,
    init: 'torch',
    heldOutFraction: 0,
  };
}

export class Dcgan extends BceGan<DcganConfig> {
  private readonly gConv: ConvTranspose2d[] = [];
  private readonly gBn: BatchNorm[] = [];
  private readonly dConv: Conv2d[] = [];
  private readonly dBn: (BatchNorm | null)[] = [];
  private readonly dLayers: string[] = [];

  constructor(config: DcganConfig) {
    super(config);
    const c = config;
    const stages = Math.log2(c.size / 4);
    const torch = c.init === 'torch';
    const noBias = { bias: false, init: torch ? ({ kind: 'torch' } as const) : ({ kind: 'normal', std: 0.02 } as const) };
    const gammaStd = torch ? 0 : 0.02;
    // G: z → 4×4 (valid, stride 1), then `stages` doublings; the last one outputs the image.
    let ch = c.ngf * 2 ** (stages - 1);
    this.gConv.push(new ConvTranspose2d('G/conv0', c.latentDim, ch, { kernel: 4, stride: 1, pad: 'valid', ...noBias }));
    this.gBn.push(new BatchNorm('G/conv0/bn', ch, { gammaStd }));
    for (let i = 1; i <= stages; i++) {
      const out = i === stages ? c.channels : ch / 2;
      this.gConv.push(new ConvTranspose2d(`G/conv${i}`, ch, out, { kernel: 4, stride: 2, ...noBias }));
      if (i < stages) this.gBn.push(new BatchNorm(`G/conv${i}/bn`, out, { gammaStd }));
      ch = out;
    }
    // D: `stages` halvings (BN on all but the first), then 4×4 → 1 (valid).
    let inC: number = c.channels;
    for (let i = 0; i < stages; i++) {
      const out = c.ndf * 2 ** i;
      this.dConv.push(new Conv2d(`D/conv${i}`, inC, out, { kernel: 4, stride: 2, ...noBias }));
      this.dBn.push(i === 0 ? null : new BatchNorm(`D/conv${i}/bn`, out, { gammaStd }));
      this.dLayers.push(`D/conv${i}/`);
      inC = out;
    }
    this.dConv.push(new Conv2d(`D/conv${stages}`, inC, 1, { kernel: 4, stride: 1, pad: 'valid', ...noBias }));
    this.dLayers.push(`D/conv${stages}/`);
  }

  protected createGenerator(rng: Rng): void {
    this.gConv.forEach((l, i) => {
      l.create(this.store, rng);
      this.gBn[i]?.create(this.store, rng);
    });
  }

  protected createDiscriminator(rng: Rng): void {
    this.dConv.forEach((l, i) => {
      l.create(this.store, rng);
      this.dBn[i]?.create(this.store, rng);
    });
  }

  protected dLayerPrefixes(): string[] {
    return this.dLayers;
  }

  protected override emaStats(): Entry[] {
    return this.config.emaStats ? this.store.list({ role: 'state', prefix: 'G/' }) : [];
  }

  /** Re-estimates the EMA generator's batch-norm statistics from one train-mode pass over `z` (emaStats only). */
  refreshSamplingStats(z: tf.Tensor2D): void {
    if (!this.config.emaStats || !this.store.has('ema/G/conv0/bn/mean')) return;
    tf.tidy(() => {
      this.generator(standingStatsPass(this.store), z);
    });
  }

  generator(f: Fwd, z: tf.Tensor2D): tf.Tensor4D {
    let x = tf.reshape(z, [-1, 1, 1, this.latentDim]) as tf.Tensor4D;
    this.gConv.forEach((conv, i) => {
      x = conv.apply(f, x);
      const bn = this.gBn[i];
      x = bn ? tf.relu(bn.apply(f, x)) : tf.tanh(x);
    });
    return x;
  }

  /** Logits, [n]. */
  discriminator(f: Fwd, x: tf.Tensor4D): tf.Tensor1D {
    let h = x;
    this.dConv.forEach((conv, i) => {
      h = conv.apply(f, h);
      if (i < this.dConv.length - 1) h = lrelu(this.dBn[i]?.apply(f, h) ?? h);
    });
    return tf.reshape(h, [-1]) as tf.Tensor1D;
  }

  latentResponse(): tf.Tensor2D {
    // First filter [4, 4, C, latent] → [latent, 16·C].
    return tf.tidy(() => tf.reshape(tf.transpose(emaWeights(this.store)('G/conv0/w'), [3, 0, 1, 2]), [this.latentDim, -1]) as tf.Tensor2D);
  }
}

export const dcgan: ImageFamilyModule<DcganConfig> = {
  family: 'dcgan',
  defaults: dcganDefaults,
  optional: ['emaStats', 'init'],
  validate: (c) => {
    checkCommon('dcgan', c);
    stagesFor('dcgan', c.size, SIZES);
    if (!(c.ngf >= 1 && c.ndf >= 1)) throw configError('dcgan', 'ngf and ndf must be positive');
    checkEmaDecay('dcgan', c);
    if (c.init !== undefined && c.init !== 'torch' && c.init !== 'normal') throw configError('dcgan', "init must be 'torch' or 'normal'");
  },
  build: (config, rng, _vocab, opts) => new Dcgan(config).init(rng, opts?.generatorOnly ?? false),
};
