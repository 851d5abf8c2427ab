/**
 * The default small-data image generator (family id 'default'), for 32/64/128 px, grey/RGB/RGBA.
 *
 * Built to learn something useful from a few hundred images in minutes on a CPU:
 * - G: z → dense → 4×4 → [nearest 2× → 3×3 conv] per doubling → 3×3 conv → tanh, batch norm → ReLU
 *   after every layer (as DCGAN/SNGAN/BigGAN), plus a "skip" output (MSG-GAN, StyleGAN2): each coarser
 *   resolution adds its own 1×1 toRGB, bilinearly upsampled, to the image, and the full-resolution toRGB
 *   starts small. So z sets colours and layout from the first steps and detail is added as D asks for
 *   it; resize-convolutions instead of transposed ones avoid the checkerboard (Odena et al. 2016).
 * - D: [4×4 stride-2 conv → LeakyReLU] per halving down to 4×4 → linear over the whole 4×4 map (as
 *   DCGAN's last 4×4 conv, so D judges where things are) + minibatch stddev (ProGAN), with spectral
 *   norm on every weight (Miyato et al. 2018).
 * - Hinge loss; DiffAugment (color, translation; no cutout, see `diffAugment`) on reals and fakes
 *   before D; Adam (0.5, 0.999) at 5e-4 falling along a cosine to 2e-4 over the first 1000 steps; an
 *   EMA of G's weights is what every sample is drawn with (batch-norm statistics re-estimated for the
 *   EMA weights).
 * Widths: `width` channels at full resolution (16 at 32 px: narrow and fast beats wide and slow in
 * minutes, see `width`), doubling per halving up to `maxWidth`, in G and D alike.
 *
 * Why this design (Twemoji sample, 315 images, 32 px RGBA, batch 16, seed 9, wasm; KID×10³ from the
 * quality probe): the first design (pixel norm, transposed convs, no skips) collapsed to one orange blob
 * and scored 6795 → 5887 after 400 steps; batch norm alone 5800 at 300; adding the skips 1833 at 280
 * (nearest-upsampled) and 537 at 280 (bilinear), but with a per-pixel checkerboard; resize-convolutions
 * gave smooth, varied silhouettes (527 at 280 steps) for ~25 % more time per step. Minibatch stddev
 * alone did not prevent the collapse; it is kept as the standard guard.
 * Checkpoints written before these options existed keep their design (SMALL_GAN_LEGACY).
 *
 * The conditional family (cgan.ts) extends this class with embeddings and a projection term.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../nn/adam';
import { BatchNorm, pixelNorm } from '../nn/batchnorm';
import { Conv2d, ConvTranspose2d } from '../nn/conv';
import { Dense } from '../nn/dense';
import { Ema, emaWeights, standingStatsPass } from '../nn/ema';
import type { Fwd } from '../nn/layers';
import { hingeD, hingeG } from '../nn/losses';
import { ParamStore } from '../nn/params';
import { bilinearUp2x, blur3 } from '../nn/resample';
import { SpectralNorm, disposeVectors } from '../nn/spectral-norm';
import type { Rng } from '../rng';
import { overWhite } from '../image';
import { DIFFAUGMENT_ALL, diffAugment, drawDiffAugment, type DiffAugmentOp } from '../nn/diffaugment';
import { checkCommon, configError, drawLatents, lrelu, minimize, stagesFor } from './common';
import type { BaseImageConfig, Conditioning, ImageBatch, ImageFamilyModule, ImageModel, StepContext, Vocab } from './model';
import { scaledWidthDefaults } from './widths';

export interface SmallGanConfig extends BaseImageConfig {
  /** Image side: 32, 64 or 128. */
  size: number;
  /** 1, 3 or 4 (RGBA: alpha is generated as a fourth channel). */
  channels: 1 | 3 | 4;
  /** Latent length. */
  latentDim: number;
  /**
   * Channels at full resolution; doubles per halving of resolution, capped at `maxWidth`.
   * 16 at 32 px and 8 at 64 px (width · size = 512), 1024 / size at 128 px: G's resize-convs cost the
   * same at every resolution (channels halve as the side doubles), so halving the width cuts G's work
   * about 4×. Measured with
   * `npm run bench:quality` (six sets, 32 px RGB on white, 10 min, side by side with another one-thread
   * job on the 2-core machine, seed 0, KID×10³ learned / random-conv by shared/eval/kid.py, 256 samples,
   * both with the lr schedule below): width 32 did 897–947 steps, width 16 2543–2730;
   *   set            width 32          width 16
   *   Noto emoji     1146 / 35.1       683 / 10.2
   *   Twemoji        1253 / 24.2       621 / 17.4
   *   game-icons      468 / 5.3        163 / 3.7
   *   pixelarticons   826 / 20.7       378 / 9.8
   *   Tabler icons    360 / 51.0       149 / 21.7
   *   MNIST            66 / 5.6         50 / 7.6
   * Geometric means 486 / 17.3 → 241 / 10.1; only MNIST's random-conv KID got worse. Looked at:
   * Twemoji from grid-textured blobs to smooth yellow discs, red/blue flag-like and blue square
   * patches; pixelarticons to crisp boxed glyphs; Tabler to outlines with inner strokes (a little more
   * speckle); game-icons to black silhouettes with speckled holes; MNIST to softer digit-like strokes.
   * At 64 px the same rule (width · size = 512) gives 8: Twemoji 64 px RGB, 10 min (session 11, one run
   * each, the machine shared with a base-model build), width 16 did 386 steps and scored 1492 / 67.6
   * (orange/blue streaky smears; that run also shared with the peer: three jobs on two cores), width 8
   * 1471 steps and 883 / 38.6 (yellow discs, red/blue flag-like patches, some grid texture inside);
   * the peer in the three-job run 1734 / 45.7. 128 px keeps 1024 / size (8), unmeasured.
   */
  width: number;
  /** Widest layer (at 4×4). */
  maxWidth: number;
  /**
   * Adam learning rate, for both nets (TTUR off: equal rates work with hinge + SN on small data).
   * 5e-4 since the D head sees the 4×4 map (see dHead); with it, step 600 (same sets and ruler as there)
   * scored Tabler 40 / 53 / 1003 at 5e-4 vs 56 / 84 / 2145 at 2e-4, Noto 21 / 27 / 1040 vs 24 / 26 / 1097.
   */
  lr: number;
  /**
   * Learning-rate schedule: cosine from `lr` down to `lrEnd` over the first `lrDecaySteps` steps, then
   * `lrEnd`. Absent or 0 steps: constant `lr` (checkpoints written before the schedule: see
   * SMALL_GAN_LEGACY_CONFIG). Default 5e-4 → 2e-4 over 1000 steps: a constant 5e-4 drew Twemoji's grid
   * texture and 2e-4 learned Tabler 2× slower (README, session 9). At width 32, 10 min in
   * bench:quality (KID×10³ learned / random-conv, constant → schedule, seed 0, one run each): Noto
   * 1290 / 42.4 → 1146 / 35.1, Twemoji 2081 / 74.4 → 1253 / 24.2 (the grid texture gone), game-icons
   * 492 / 4.1 → 468 / 5.3, pixelarticons 1138 / 14.6 → 826 / 20.7, Tabler 266 / 22.3 → 360 / 51.0,
   * MNIST 44 / 5.1 → 66 / 5.6: a wash over six sets on its own (geometric means 510 / 16.7 → 486 / 17.3);
   * it is kept because the width-16 default was measured with it.
   */
  lrEnd?: number;
  lrDecaySteps?: number;
  /** D's learning rate as a multiple of G's (TTUR, Heusel et al. 2017); absent = 1. */
  dLrScale?: number;
  /** Adam β1 (0.5 as in DCGAN/SNGAN: less momentum for a moving target). */
  beta1: number;
  /** Adam β2. */
  beta2: number;
  /** EMA decay of G's weights used for sampling; 0 = sample with the live weights. */
  emaDecay: number;
  /**
   * DiffAugment policy; [] disables it (not advised below ~5k images). Default color + translation,
   * without the paper's cutout: cutout hides half of every image from D, which on these sets slows what
   * G learns in minutes more than it guards against D memorising. bench:quality, 10 min at 32 px RGB,
   * one core per job, KID×10³ learned / random-conv, with cutout → without (sessions 12–13; "paired" =
   * both arms side by side in the same run):
   *   MNIST          seed 0 paired 52.4 / 7.3 → 28.4 / 5.7; seed 1 paired 40.3 / 5.6 → 17.8 / 4.8
   *   Twemoji        seed 0 621 / 17.4 → 524 / 3.0; seed 1 paired 767 / 5.8 → 763 / 2.4
   *   Noto emoji     seed 0 683 / 10.2 → 797 / 2.8; seed 1 paired 889 / 6.1 → 805 / 5.1
   *   game-icons     163 / 3.7 → 149 / 3.6      pixelarticons  378 / 9.8 → 372 / 11.0
   *   Tabler icons   seed 0 151 / 21.7 → 250 / 37.2 (same hour); seed 1 paired 243 / 27.2 → 79.2 / 16.0
   *   (the game-icons and pixelarticons arms with fewer steps: 2217–2241 against 2543–2677)
   * MNIST learns twice as fast, the other sets gain or hold within seed noise (the emoji sets and Tabler
   * move 20–60 % between seeds); geometric mean over the six sets (two seeds where measured) 0.82
   * learned, 0.70 random-conv. Looked at: the same kinds of samples on every set (emoji: fragmented
   * colour patches; icons: silhouettes, glyphs), MNIST's strokes more often readable.
   * Checkpoints keep the policy they were trained with (it is part of their config).
   */
  diffAugment: DiffAugmentOp[];
  /**
   * Minibatch standard deviation (Karras et al. 2018): D also sees how much the images of a group of
   * this many differ from each other, so a generator that draws the same image for every z is caught
   * at once (on a few hundred images, mode collapse is what slows early training most). 0 = off, as in
   * checkpoints written before this option existed.
   */
  mbstdGroup?: number;
  /**
   * Normalisation in G after each layer: 'batch' (BatchNorm → ReLU, as in DCGAN/SNGAN/BigGAN; sampling
   * uses running statistics) or 'pixel' (pixel norm → LeakyReLU, ProGAN; what checkpoints written
   * before this option used, so absent means 'pixel').
   */
  gNorm?: 'batch' | 'pixel';
  /**
   * Skip generator (MSG-GAN / StyleGAN2 "skip"): every resolution adds its own 1×1 toRGB, upsampled, to
   * the image, so z shapes the coarse colours and layout directly from the first steps instead of
   * through the whole transposed-conv stack. Absent = off (checkpoints written before the option).
   */
  gSkip?: boolean;
  /**
   * How G doubles resolution: 'transposed' (4×4 stride-2 transposed conv; absent = this, the first
   * design), 'resize' (nearest 2× then 3×3 conv: no checkerboard, Odena et al. 2016) or 'bilinear'
   * (bilinear 2× then 3×3 conv: nearest copies each pixel into a 2×2 block, which the conv must learn
   * to smooth away; left in, it shows as a 2-pixel grid).
   * Measured (400 images, 32 px RGB, batch 16, seed 1, KID×10³ pixels / random-conv / learned by
   * shared/eval/kid.py, 256 samples; Noto emoji | Tabler line icons): at step 600 the default ('resize')
   * 40 / 30 / 1079 | 222 / 208 / 3110, speckled blobs | speckled fragments; 'bilinear' + dBlur
   * 62 / 27 / 867 | 507 / 266 / 1808, smooth blobs without speckle | every sample the same rounded square
   * (collapse, which the learned space scores as better). 'bilinear' alone collapsed on Tabler by step
   * 300 (397 / 556 / 2591); dBlur alone kept the speckle (453 / 227 / 2633). With D's head over the 4×4
   * map (dHead 'flatten') bilinear no longer collapses: at step 600, lr 2e-4, Noto 69 / 66 / 1127,
   * Tabler 70 / 117 / 791 (smooth varied loops of even width), game-icons 45 / 90 / 730 (smooth black
   * silhouettes; 'resize' 59 / 42 / 1034 speckled), but pixelarticons 188 / 167 / 3047 (sparse soft
   * fragments; 'resize' 35 / 72 / 1390, pixel-aligned strokes): bilinear draws every set smooth, and
   * pixel art is not. So 'resize' stays the default; bilinear is the better choice for smooth artwork.
   */
  gUpsample?: 'transposed' | 'resize' | 'bilinear';
  /**
   * Blur ([1 2 1]/4) before each of D's stride-2 convolutions, so D cannot be fooled by, nor push G
   * towards, frequencies the stride aliases (StyleGAN2 does the same). Absent = false.
   */
  dBlur?: boolean;
  /**
   * D's head: 'pool' (sum the last 4×4 map over its positions, then linear, as SNGAN/BigGAN's ResNets;
   * absent = this) or 'flatten' (linear over the whole 4×4 map, as DCGAN's last 4×4 convolution), so D
   * judges where things are, not only which local patterns occur: with only three or four stride-2
   * convs, D's pooled features are local textures, and a sum of them passes the right texture in the
   * wrong place (the speckle). Deep ResNet Ds can pool; this shallow one must not.
   * Measured (step-matched, 400 images per set, 32 px RGB on white, batch 16, seed 1, KID×10³ pixels /
   * random-conv / learned by shared/eval/kid.py, 256 samples), at step 600:
   *   set            pool, lr 2e-4 (old)   flatten, lr 2e-4     flatten, lr 5e-4 (default)
   *   Noto emoji     40 / 30 / 1079        24 / 26 / 1097       21 / 27 / 1040
   *   Tabler icons   222 / 208 / 3110      56 / 84 / 2145       40 / 53 / 1003
   *   pixelarticons  35 / 72 / 1390        –                    15 / 23 / 664
   *   game-icons     59 / 42 / 1034        –                    25 / 22 / 1057
   *   mnist          5.9 / 7.5 / 74        –                    3.1 / 3.6 / 24
   * Looked at: pixelarticons turned from pixel fragments into crisp boxed glyphs, Tabler from speckled
   * fragments into rounded outlines with strokes inside, Noto from speckled blobs into centred
   * orange/yellow/blue blobs with less speckle, mnist from fringed fragments into legible digit strokes;
   * game-icons stayed speckled silhouettes.
   */
  dHead?: 'pool' | 'flatten';
  /** Scale of the full-resolution toRGB's initial weights (1 = Xavier); small = start from the skips' smooth image. */
  gOutInitScale?: number;
  /**
   * Biases on the G layers that batch norm follows. Batch norm subtracts the batch mean, so such a bias
   * has no effect and its true gradient is 0; in float32 it gets rounding noise (~1e-7), which Adam
   * normalises into full-size random steps, and eval-mode sampling (running statistics) then sees the
   * drift. The PyTorch parity fixture caught it (tests/unit/ml/parity.test.ts). false = no such bias
   * (DCGAN's choice); absent = true, as in checkpoints written before this option.
   */
  gNormBias?: boolean;
  /**
   * Sample the EMA generator with batch-norm statistics estimated for the EMA weights (standing
   * statistics over a fixed set of latents, refreshed before every sample grid and checkpoint) instead
   * of the live weights' running statistics, which do not match the averaged weights. Absent = false,
   * as in checkpoints written before this option (they hold no such statistics). Measured on one
   * checkpoint (400 Noto emoji, 600 steps, 256 samples, KID×10³ by shared/eval/kid.py, pixels /
   * random-conv / learned): standing 40.0 / 29.2 / 1066; the live running statistics 32.0 / 68.9 / 1115;
   * the live (non-EMA) weights 37.3 / 76.5 / 1105.
   */
  gEmaStats?: boolean;
  /**
   * How RGBA images look inside the model (no effect on 1 or 3 channels). 'straight': the file's colour
   * and alpha as they are, which is what checkpoints written before this option saw (absent = this).
   * 'matte': colour composited over white, plus alpha; `generate` turns it back into straight colour.
   * Transparent pixels of real emoji hold black (Twemoji at 32 px: mean RGB 0 under alpha 0), so in
   * straight form colour jumps from black to the artwork at the alpha edge; G draws that jump smooth,
   * and at partial alpha the smoothed colour is dark: dark dots along every outline, and rainbow smears
   * inside. Over white, colour is continuous across the edge and the colour channels are exactly the
   * RGB-on-white task. Measured (bench:quality, 32 px RGBA, 10 min, seed 0, two one-thread jobs side
   * by side, KID×10³ learned / random-conv by shared/eval/kid.py, RGBA composited on white; one run
   * each): Twemoji straight 1160 / 19.5 (1928 steps) → matte 711 / 3.5 (2319 steps; RGB on white 621 /
   * 17.4), Tabler 277 / 8.3 → 241 / 52.1 (RGB 149 / 21.7). Looked at: Twemoji's dark dots along the
   * outlines are gone (shapes still fragmented, colours streaky); Tabler's outlines alike, a few
   * coloured fringe pixels.
   */
  alphaSpace?: 'straight' | 'matte';
  /** Images per step (8–32 is the useful range on a CPU). */
  batchSize: number;
  /** Unused by GANs (kept for the shared config shape). */
  heldOutFraction: number;
}

export const SMALL_GAN_SIZES = [32, 64, 128] as const;

type DesignOptions = Required<Pick<SmallGanConfig, 'mbstdGroup' | 'gNorm' | 'gSkip' | 'gUpsample' | 'dBlur' | 'dHead' | 'gOutInitScale' | 'gNormBias' | 'gEmaStats' | 'alphaSpace'>>;

/**
 * The design before these options existed, i.e. what an absent field means: the one place that says so
 * (the model fills a config's gaps from it; fine-tuning does too, see ImageFamilyModule.legacy).
 */
export const SMALL_GAN_LEGACY: DesignOptions = { mbstdGroup: 0, gNorm: 'pixel', gSkip: false, gUpsample: 'transposed', dBlur: false, dHead: 'pool', gOutInitScale: 1, gNormBias: true, gEmaStats: false, alphaSpace: 'straight' };

/**
 * What a checkpoint's config means when it predates the fields: SMALL_GAN_LEGACY's design, and no
 * learning-rate schedule (constant `lr`, as every run before it trained), whatever today's default is.
 * Fine-tuning a base merges it under the base's config (ImageFamilyModule.legacy).
 */
export const SMALL_GAN_LEGACY_CONFIG: Partial<SmallGanConfig> = { ...SMALL_GAN_LEGACY, lrEnd: undefined, lrDecaySteps: undefined };

/** Fields that may be absent (absent dLrScale = equal rates); `--config` may set them. */
export const SMALL_GAN_OPTIONAL = ['lrEnd', 'lrDecaySteps', 'dLrScale'] as const;

export function smallGanDefaults(data: { size: number; channels: 1 | 3 | 4 }): SmallGanConfig {
  const head = scaledWidthDefaults(data, SMALL_GAN_SIZES, 128);
  return {
    ...head,
    width: head.size <= 64 ? 512 / head.size : head.width, // see `width`
    lr: 5e-4,
    lrEnd: 2e-4,
    lrDecaySteps: 1000,
    beta1: 0.5,
    beta2: 0.999,
    emaDecay: 0.999,
    diffAugment: ['color', 'translation'], // see `diffAugment`
    mbstdGroup: 4,
    gNorm: 'batch',
    gSkip: true,
    gUpsample: 'resize',
    dHead: 'flatten',
    gOutInitScale: 0.1,
    gNormBias: false,
    gEmaStats: true,
    alphaSpace: 'matte',
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
  if (c.lrEnd !== undefined && !(c.lrEnd > 0)) throw configError(family, 'lrEnd must be > 0');
  if (c.lrDecaySteps !== undefined && !(Number.isInteger(c.lrDecaySteps) && c.lrDecaySteps >= 0)) throw configError(family, 'lrDecaySteps must be an integer ≥ 0');
  if (c.dLrScale !== undefined && !(c.dLrScale > 0)) throw configError(family, 'dLrScale must be > 0');
  if (c.gNorm !== undefined && c.gNorm !== 'batch' && c.gNorm !== 'pixel') throw configError(family, "gNorm must be 'batch' or 'pixel'");
  if (c.gUpsample !== undefined && !['transposed', 'resize', 'bilinear'].includes(c.gUpsample)) throw configError(family, "gUpsample must be 'transposed', 'resize' or 'bilinear'");
  if (c.dHead !== undefined && c.dHead !== 'pool' && c.dHead !== 'flatten') throw configError(family, "dHead must be 'pool' or 'flatten'");
  if (c.gOutInitScale !== undefined && !(c.gOutInitScale > 0)) throw configError(family, 'gOutInitScale must be > 0');
  if (c.alphaSpace !== undefined && c.alphaSpace !== 'straight' && c.alphaSpace !== 'matte') throw configError(family, "alphaSpace must be 'straight' or 'matte'");
  if (c.mbstdGroup !== undefined && !(Number.isInteger(c.mbstdGroup) && c.mbstdGroup >= 0)) throw configError(family, 'mbstdGroup must be an integer ≥ 0');
  if (!Array.isArray(c.diffAugment) || !c.diffAugment.every((op) => (DIFFAUGMENT_ALL as readonly string[]).includes(op))) throw configError(family, `unknown DiffAugment op in ${JSON.stringify(c.diffAugment)}; diffAugment is a list of ${DIFFAUGMENT_ALL.join(', ')}`);
}

export class SmallGan implements ImageModel {
  readonly store = new ParamStore();
  readonly latentDim: number;
  readonly lossNames: readonly string[] = ['d', 'g', 'dReal', 'dFake'];
  readonly vocabTables: Readonly<Record<string, 'label' | 'tag'>> = {};

  protected readonly gIn: Dense;
  protected readonly gUp: Array<ConvTranspose2d | Conv2d> = [];
  /** toRGB per coarse resolution (4×4 up to half the size) when gSkip. */
  protected readonly gSkipRgb: Conv2d[] = [];
  /** One per G layer before RGB when gNorm is 'batch'. */
  protected readonly gBn: BatchNorm[] = [];
  protected readonly gOut: Conv2d;
  protected readonly dConv: Conv2d[] = [];
  protected readonly dOut: Dense;
  /** Width of D's pooled features (what the projection of the conditional family dots with). */
  protected readonly dFeatures: number;
  /** Minibatch-stddev group size actually used (a divisor of the batch size), 0 = off. */
  protected readonly mbstd: number;
  /** The design options in force: the config's, with absent ones meaning the legacy design. */
  protected readonly design: DesignOptions;
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
    const d = (this.design = { ...SMALL_GAN_LEGACY, ...definedOnly(config) });
    this.latentDim = c.latentDim;
    const stages = Math.log2(c.size / 4);
    const ch = (res: number) => Math.min(c.maxWidth, (c.width * c.size) / res);
    const he = { kind: 'he', slope: 0.2 } as const;
    const bias = d.gNorm !== 'batch' || d.gNormBias;
    this.gIn = new Dense('G/in', c.latentDim + condDim, 16 * ch(4), { init: he, bias });
    for (let i = 0, r = 4; i < stages; i++, r *= 2) {
      this.gUp.push(
        d.gUpsample !== 'transposed'
          ? new Conv2d(`G/up${i}`, ch(r), ch(2 * r), { kernel: 3, init: he, bias })
          : new ConvTranspose2d(`G/up${i}`, ch(r), ch(2 * r), { kernel: 4, stride: 2, init: he, bias }),
      );
    }
    if (d.gSkip) {
      for (let i = 0, r = 4; i < stages; i++, r *= 2) this.gSkipRgb.push(new Conv2d(`G/rgb${r}`, ch(r), c.channels, { kernel: 1 }));
    }
    if (d.gNorm === 'batch') {
      this.gBn.push(new BatchNorm('G/in/bn', ch(4)));
      for (let i = 0, r = 4; i < stages; i++, r *= 2) this.gBn.push(new BatchNorm(`G/up${i}/bn`, ch(2 * r)));
    }
    this.gOut = new Conv2d('G/rgb', ch(c.size), c.channels, { kernel: 3 });
    for (let i = 0, r = c.size; i < stages; i++, r /= 2) {
      this.dConv.push(new Conv2d(`D/conv${i}`, i === 0 ? c.channels : ch(r), ch(r / 2), { kernel: 4, stride: 2 }));
      this.dLayers.push(`D/conv${i}/`);
    }
    this.dFeatures = ch(4);
    this.mbstd = mbstdGroupFor(d.mbstdGroup, c.batchSize);
    this.dOut = new Dense('D/out', (d.dHead === 'flatten' ? 16 : 1) * this.dFeatures + (this.mbstd > 0 ? 1 : 0), 1);
    this.dLayers.push('D/out/');
  }

  /** Creates the tensors. Subclasses add theirs in `createExtra` (called between G and D). */
  init(rng: Rng, generatorOnly: boolean): this {
    const s = this.store;
    this.gIn.create(s, rng);
    for (const l of this.gUp) l.create(s, rng);
    for (const l of this.gBn) l.create(s, rng);
    for (const l of this.gSkipRgb) l.create(s, rng);
    this.gOut.create(s, rng);
    const scale = this.design.gOutInitScale;
    if (scale !== 1) tf.tidy(() => s.get('G/rgb/w').assign(tf.mul(s.get('G/rgb/w'), scale)));
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
    if (c.emaDecay > 0) this.ema = new Ema(s, s.trainable('G/'), c.emaDecay, this.emaStats ? s.list({ role: 'state', prefix: 'G/' }) : []);
    return this;
  }

  /** Whether the EMA generator keeps batch-norm statistics of its own (see gEmaStats). */
  private get emaStats(): boolean {
    return this.design.gEmaStats && this.gBn.length > 0 && this.config.emaDecay > 0;
  }

  /**
   * Re-estimates the EMA generator's batch-norm statistics from one train-mode pass over `z` (and
   * `cond`): the statistics the sampling weights actually produce. A no-op for designs without them.
   */
  refreshSamplingStats(z: tf.Tensor2D, cond?: Conditioning): void {
    if (!this.emaStats || !this.store.has(`ema/${this.gBn[0]!.name}/mean`)) return;
    tf.tidy(() => {
      this.generator(standingStatsPass(this.store), z, cond);
    });
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
    const norm = (i: number, t: tf.Tensor4D) => (this.gBn.length ? tf.relu(this.gBn[i]!.apply(f, t)) : pixelNorm(lrelu(t)));
    let x = norm(0, tf.reshape(h, [-1, 4, 4, h.shape[1] / 16]) as tf.Tensor4D);
    let rgb: tf.Tensor4D | null = null;
    for (let i = 0; i < this.gUp.length; i++) {
      const toRgb = this.gSkipRgb[i];
      if (toRgb) {
        const here = toRgb.apply(f, x);
        rgb = upsample2x(rgb ? (tf.add(rgb, here) as tf.Tensor4D) : here);
      }
      const up = this.gUp[i]!;
      const bigger = this.design.gUpsample === 'bilinear' ? bilinearUp2x(x) : this.design.gUpsample === 'resize' ? nearest2x(x) : x;
      x = norm(i + 1, up.apply(f, bigger));
    }
    const out = this.gOut.apply(f, x);
    return tf.tanh(rgb ? (tf.add(out, rgb) as tf.Tensor4D) : out);
  }

  /** D's score per image, [n]. */
  discriminator(f: Fwd, x: tf.Tensor4D, cond?: Conditioning): tf.Tensor1D {
    let h = x;
    for (const conv of this.dConv) h = lrelu(conv.apply(f, this.design.dBlur ? blur3(h) : h));
    const features = tf.sum(h, [1, 2]) as tf.Tensor2D;
    const seen = this.design.dHead === 'flatten' ? (tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D) : features;
    // The statistic enters like one more channel of the 4×4 map, summed over its positions (×hw), so
    // its scale matches the pooled features' under D's spectral norm.
    const hw = h.shape[1] * h.shape[2];
    const head = this.mbstd > 0 ? tf.concat([seen, tf.mul(minibatchStd(h, this.mbstd), hw) as tf.Tensor2D], 1) : seen;
    const score = tf.reshape(this.dOut.apply(f, head), [-1]) as tf.Tensor1D;
    const proj = this.projection(f, features, cond);
    return proj ? tf.add(score, proj) : score;
  }

  /** The schedule's multiplier of `lr` at session step `step` (see lrEnd / lrDecaySteps). */
  lrFactor(step: number): number {
    const { lr, lrEnd, lrDecaySteps } = this.config;
    if (lrEnd === undefined || !lrDecaySteps) return 1;
    const t = Math.min(1, step / lrDecaySteps);
    return (lrEnd + ((lr - lrEnd) * (1 + Math.cos(Math.PI * t))) / 2) / lr;
  }

  /** Called at the start of each trainStep (cgan advances its conditioning ramp here). */
  protected beforeStep(_ctx: StepContext): void {}

  trainStep(batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar> {
    const { sn, adamG, adamD, store } = this;
    if (!sn || !adamG || !adamD) throw new Error('this model was built for sampling only');
    this.beforeStep(ctx);
    const lrG = ctx.lrScale * this.lrFactor(ctx.step);
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
    const xReal = this.matted ? toMatte(batch.x) : batch.x;
    const fake = tf.tidy(() => this.generator(live, drawLatents(ctx.rng, n, this.latentDim), cond));
    const augD = drawDiffAugment(ctx.rng, n, this.config.size, ops);
    let vectors = sn.powerIterate(store);
    let dReal!: tf.Scalar;
    let dFake!: tf.Scalar;
    const lossD = minimize(
      () => {
        const f: Fwd = { w: sn.normalized(live.w, vectors), train: true };
        const input = ops.length ? tf.concat([diffAugment(xReal, augD), diffAugment(fake, augD)]) : tf.concat([xReal, fake]);
        const scores = this.discriminator(f, input, both);
        const [real, fk] = tf.split(scores, 2) as [tf.Tensor1D, tf.Tensor1D];
        dReal = tf.keep(tf.mean(real));
        dFake = tf.keep(tf.mean(fk));
        return hingeD(real, fk);
      },
      store.trainable('D/', frozen),
      adamD,
      lrG * (this.config.dLrScale ?? 1),
    );
    disposeVectors(vectors);
    tf.dispose([fake, both.labels, both.tags]);
    if (xReal !== batch.x) xReal.dispose();

    // G step: fresh latents, fresh augmentation draw.
    const z = drawLatents(ctx.rng, n, this.latentDim);
    const augG = drawDiffAugment(ctx.rng, n, this.config.size, ops);
    vectors = sn.powerIterate(store);
    const lossG = minimize(
      () => {
        const f: Fwd = { w: sn.normalized(live.w, vectors), train: true };
        const img = this.generator({ ...live, stats: store }, z, cond);
        return hingeG(this.discriminator(f, ops.length ? diffAugment(img, augG) : img, cond));
      },
      store.trainable('G/'),
      adamG,
      lrG,
    );
    disposeVectors(vectors);
    z.dispose();
    this.ema?.update(ctx.step);
    return { d: lossD, g: lossG, dReal, dFake };
  }

  generate(z: tf.Tensor2D, cond?: Conditioning): tf.Tensor4D {
    return tf.tidy(() => {
      const img = this.generator({ w: emaWeights(this.store), train: false }, z, cond);
      return this.matted ? fromMatte(img) : img;
    });
  }

  /** Whether G draws (and D sees) RGBA with colour composited over white (see alphaSpace). */
  private get matted(): boolean {
    return this.config.channels === 4 && this.design.alphaSpace === 'matte';
  }

  latentResponse(): tf.Tensor2D {
    return tf.tidy(() => tf.slice(emaWeights(this.store)('G/in/w'), [0, 0], [this.latentDim, -1]) as tf.Tensor2D);
  }
}

/** Straight RGBA in [-1, 1] → colour composited over white, plus the same alpha (see alphaSpace). */
export function toMatte(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [c, a] = tf.split(tf.mul(tf.add(x, 1), 0.5), [3, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
    return tf.sub(tf.mul(tf.concat([overWhite(c, a), a], 3), 2), 1) as tf.Tensor4D;
  });
}

/**
 * The inverse of toMatte: colour = (matte − (1 − α)) / α, clipped to [0, 1]; white where α is below
 * half a level of 8 bits (any colour composites the same there).
 */
export function fromMatte(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [m, a] = tf.split(tf.mul(tf.add(x, 1), 0.5), [3, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
    const visible = tf.greater(a, 0.5 / 255);
    const c = tf.clipByValue(tf.div(tf.sub(m, tf.sub(1, a)), tf.maximum(a, 0.5 / 255)), 0, 1);
    const colour = tf.where(tf.tile(visible, [1, 1, 1, 3]), c, tf.onesLike(c));
    return tf.sub(tf.mul(tf.concat([colour, a], 3), 2), 1) as tf.Tensor4D;
  });
}

/** Nearest-neighbour 2× upsampling as a broadcast (its gradient is a sum: no resize-gradient kernel needed). */
export function nearest2x(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.add(tf.reshape(x, [n, h, 1, w, 1, c]), tf.zeros([1, 1, 2, 1, 2, 1])), [n, 2 * h, 2 * w, c]);
}

/**
 * Bilinear 2× upsampling (half-pixel centres, edges clamped) as one transposed convolution with a fixed
 * [¼ ¾ ¾ ¼]² filter per channel: nearest-neighbour would print the 4×4 grid as 8-pixel blocks. Its
 * gradient is an ordinary conv2d, so no resize-gradient kernel is needed on any backend.
 */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    // Clamp the edges by repeating the border row/column, then drop the 2 extra output pixels per side.
    const padded = tf.concat([tf.slice(x, [0, 0, 0, 0], [n, 1, w, c]), x, tf.slice(x, [0, h - 1, 0, 0], [n, 1, w, c])], 1);
    const both = tf.concat([tf.slice(padded, [0, 0, 0, 0], [n, h + 2, 1, c]), padded, tf.slice(padded, [0, 0, w - 1, 0], [n, h + 2, 1, c])], 2);
    const up = tf.conv2dTranspose(both as tf.Tensor4D, bilinearFilter(c), [n, 2 * h + 4, 2 * w + 4, c], 2, 'same');
    return tf.slice(up, [0, 2, 2, 0], [n, 2 * h, 2 * w, c]);
  });
}

const bilinearCache = new Map<number, Float32Array>();
function bilinearFilter(c: number): tf.Tensor4D {
  let v = bilinearCache.get(c);
  if (!v) {
    const k = [0.25, 0.75, 0.75, 0.25];
    v = new Float32Array(4 * 4 * c * c);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) for (let i = 0; i < c; i++) v[((y * 4 + x) * c + i) * c + i] = k[y]! * k[x]!;
    bilinearCache.set(c, v);
  }
  return tf.tensor4d(v, [4, 4, c, c]);
}

/**
 * The minibatch-stddev group: the largest divisor of the batch size not above `mbstdGroup`. Groups are
 * consecutive images, and D sees [reals; fakes] of one batch size each, so no group mixes the two.
 */
export function mbstdGroupFor(group: number, batchSize: number): number {
  let g = Math.min(group, batchSize);
  while (g > 1 && batchSize % g !== 0) g--;
  return g > 1 ? g : 0;
}

/**
 * Per image, the mean over features of the standard deviation across its group of `g` images, [n, 1]
 * (StyleGAN's layer with one statistic, appended to D's pooled features rather than as a channel:
 * same signal, no extra convolution).
 */
export function minibatchStd(h: tf.Tensor4D, g: number): tf.Tensor2D {
  const n = h.shape[0];
  if (n % g !== 0) throw new Error(`minibatch stddev: ${n} images do not split into groups of ${g}`);
  const y = tf.reshape(h, [n / g, g, -1]);
  const centred = tf.sub(y, tf.mean(y, 1, true));
  const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 1), 1e-8)); // [n/g, features]
  const perGroup = tf.reshape(tf.mean(std, 1), [n / g, 1]);
  // Broadcast to every member of the group (an add, whose gradient we have; Tile's we do not).
  return tf.reshape(tf.add(perGroup, tf.zeros([n / g, g])), [n, 1]);
}

/** The config's fields without those set to undefined (so they cannot hide a legacy value in a spread). */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const smallGan: ImageFamilyModule<SmallGanConfig> = {
  family: 'default',
  defaults: smallGanDefaults,
  legacy: SMALL_GAN_LEGACY_CONFIG,
  optional: SMALL_GAN_OPTIONAL,
  validate: (c) => validateSmallGan('default', c),
  build: (config, rng, _vocab: Vocab, opts) => new SmallGan(config).init(rng, opts?.generatorOnly ?? false),
};
