/**
 * Conditional generator: the default small GAN (small-gan.ts) conditioned on labels and tags.
 *
 * - Condition: c = yᵀE_label + tᵀE_tag, where y are label weights (one-hot in training, zeros for an
 *   unlabelled image) and t tag weights (1/k for each of an image's k tags). Any weights work at
 *   sampling time, so 0.7 "cat face" + 0.3 "dog face" is just y = (0.7, 0.3).
 * - G: [z ; λ·c] → the small-GAN generator.
 * - D: projection discriminator (Miyato & Koyama 2018): score = ψ(φ(x)) + λ·⟨yᵀV_label + tᵀV_tag, φ(x)⟩,
 *   φ = D's pooled features; V tables are spectrally normalised like every D weight.
 * - Transitional conditioning (Shahbazi et al. 2022, "Collapse by Conditioning"): conditional GANs on
 *   small data tend to collapse within each class. λ ramps linearly from 0 to 1 over the first
 *   `condRampSteps` steps, in both G and D, so the model first learns the shared image distribution
 *   unconditionally and the classes are blended in once it has. The ramp position is a counter in the
 *   checkpoint (`cgan/step`), so resumed runs and samplers use the same λ.
 * - Fakes are conditioned on the real batch's conditions (same label/tag distribution as the data).
 * - Condition dropout (as classifier-free guidance trains its unconditional branch, Ho & Salimans 2022):
 *   each step, a `condDropout` share of the batch trains with no condition (c = 0 in G, no projection
 *   in D), so the empty prompt is a condition the model has learned: an empty prompt or ψ pulling
 *   towards the unconditional mean then stays on the data instead of leaving it.
 * - New labels/tags: the tables' rows follow the vocabulary; fine-tuning with a grown vocabulary keeps
 *   the old rows by name and initialises the new ones (see adoptWeights in train/session.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dense } from '../nn/dense';
import type { Fwd } from '../nn/layers';
import type { Rng } from '../rng';
import { configError, drawUniforms } from './common';
import type { Conditioning, ImageBatch, ImageFamilyModule, StepContext, Vocab } from './model';
import { SMALL_GAN_LEGACY_CONFIG, SMALL_GAN_OPTIONAL, SmallGan, smallGanDefaults, validateSmallGan, type SmallGanConfig } from './small-gan';

export interface CganConfig extends SmallGanConfig {
  /** Width of the condition vector appended to z. */
  condDim: number;
  /**
   * λ goes 0 → 1 over this many steps; 0 = fully conditional from the first step. 300, not the paper's
   * long ramp: a 10-minute run on 2 cores makes ~1000–2000 steps, and with 2000 such a run ended at
   * λ ≈ 0.3–0.5, so prompts barely steered (a 3-step run drew the same picture, ±1 grey level, for
   * "animal" and "face"; its measured adherence was exactly chance).
   */
  condRampSteps: number;
  /**
   * Share of each batch trained with no condition. 0.1: the emoji base built without it drew 37.5%
   * near-empty images for an empty prompt at ψ 0.5 (the zero condition was never trained), against
   * the data's own 1%.
   */
  condDropout: number;
}

export function cganDefaults(data: { size: number; channels: 1 | 3 | 4 }): CganConfig {
  return { ...smallGanDefaults(data), condDim: 64, condRampSteps: 300, condDropout: 0.1 };
}

const RAMP = 'cgan/step';

export class Cgan extends SmallGan {
  override readonly vocabTables: Readonly<Record<string, 'label' | 'tag'>>;
  private readonly gLabel?: Dense;
  private readonly gTag?: Dense;
  private readonly dLabel?: Dense;
  private readonly dTag?: Dense;

  constructor(
    override readonly config: CganConfig,
    readonly vocab: Vocab,
  ) {
    super(config, config.condDim);
    const L = vocab.labelNames.length;
    const T = vocab.tagNames.length;
    const feat = this.dFeatures;
    const table = { bias: false, init: { kind: 'normal', std: 1 } } as const;
    const tables: Record<string, 'label' | 'tag'> = {};
    if (L > 0) {
      this.gLabel = new Dense('G/label', L, config.condDim, table);
      this.dLabel = new Dense('D/label', L, feat, { bias: false });
      tables['G/label/w'] = tables['D/label/w'] = 'label';
      this.dLayers.push('D/label/');
    }
    if (T > 0) {
      this.gTag = new Dense('G/tag', T, config.condDim, table);
      this.dTag = new Dense('D/tag', T, feat, { bias: false });
      tables['G/tag/w'] = tables['D/tag/w'] = 'tag';
      this.dLayers.push('D/tag/');
    }
    this.vocabTables = tables;
  }

  protected override createExtra(rng: Rng): void {
    this.gLabel?.create(this.store, rng);
    this.gTag?.create(this.store, rng);
    this.store.counters[RAMP] ??= 0;
  }

  protected override createExtraD(rng: Rng): void {
    this.dLabel?.create(this.store, rng);
    this.dTag?.create(this.store, rng);
  }

  /** Conditioning strength λ at the current ramp position. */
  get lambda(): number {
    const k = this.config.condRampSteps;
    return k > 0 ? Math.min(1, this.store.counters[RAMP]! / k) : 1;
  }

  protected override beforeStep(ctx: StepContext): void {
    this.store.counters[RAMP] = ctx.step;
  }

  /** Condition dropout: rows drawn with probability `condDropout` get zero label and tag weights. */
  override trainStep(batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar> {
    const p = this.config.condDropout;
    if (!(p > 0)) return super.trainStep(batch, ctx);
    const n = batch.x.shape[0];
    // Drawn for the whole batch, so 2 workers drop the same images as 1. (Until session 9's last commit
    // each worker drew n for its own share, so both shares dropped the same rows: the shipped
    // emoji-base-32 was trained that way, ~10 % of images dropped, in pairs.)
    const keep = drawUniforms(ctx.rng, n).map((u) => (u < p ? 0 : 1));
    const mask = tf.tensor2d(keep, [n, 1]);
    const dropped: ImageBatch = {
      x: batch.x,
      labels: batch.labels && (tf.mul(batch.labels, mask) as tf.Tensor2D),
      tags: batch.tags && (tf.mul(batch.tags, mask) as tf.Tensor2D),
    };
    try {
      return super.trainStep(dropped, ctx);
    } finally {
      tf.dispose([mask, dropped.labels, dropped.tags] as tf.Tensor[]);
    }
  }

  /** Weighted sum of table rows, or null when neither labels nor tags apply. */
  private mix(f: Fwd, cond: Conditioning | undefined, label?: Dense, tag?: Dense): tf.Tensor2D | null {
    const parts: tf.Tensor2D[] = [];
    if (label && cond?.labels) parts.push(label.apply(f, cond.labels));
    if (tag && cond?.tags) parts.push(tag.apply(f, cond.tags));
    if (parts.length === 0) return null;
    return parts.length === 1 ? parts[0]! : (tf.add(parts[0]!, parts[1]!) as tf.Tensor2D);
  }

  protected override conditionVector(f: Fwd, cond: Conditioning | undefined, n: number): tf.Tensor2D {
    const c = this.mix(f, cond, this.gLabel, this.gTag);
    return c ? tf.mul(c, this.lambda) : (tf.zeros([n, this.config.condDim]) as tf.Tensor2D);
  }

  protected override projection(f: Fwd, features: tf.Tensor2D, cond: Conditioning | undefined): tf.Tensor1D | null {
    const v = this.mix(f, cond, this.dLabel, this.dTag);
    return v ? (tf.mul(tf.sum(tf.mul(features, v), 1), this.lambda) as tf.Tensor1D) : null;
  }
}

export const cgan: ImageFamilyModule<CganConfig> = {
  family: 'cgan',
  defaults: cganDefaults,
  legacy: { ...SMALL_GAN_LEGACY_CONFIG, condDropout: 0 },
  optional: SMALL_GAN_OPTIONAL,
  validate: (c, vocab) => {
    validateSmallGan('cgan', c);
    if (!(Number.isInteger(c.condDim) && c.condDim >= 1)) throw configError('cgan', 'condDim must be a positive integer');
    if (!(c.condRampSteps >= 0)) throw configError('cgan', 'condRampSteps must be ≥ 0');
    if (!(c.condDropout >= 0 && c.condDropout < 1)) throw configError('cgan', 'condDropout must be in [0, 1)');
    if (vocab.labelNames.length + vocab.tagNames.length === 0) {
      throw configError('cgan', 'a conditional model needs a dataset with labels or tags');
    }
  },
  build: (config, rng, vocab, opts) => new Cgan(config, vocab).init(rng, opts?.generatorOnly ?? false),
};
