/**
 * The contract between the training session / sampler and an image model family.
 *
 * A family is a module (one file each: mlp-gan, dcgan, small-gan, cgan, vae) exporting an
 * `ImageFamilyModule`: its config defaults and a `build` that creates every tensor it needs in a
 * ParamStore and returns an `ImageModel`. The session owns everything around the model — data order,
 * user augmentation, the RNG stream, divergence checks, checkpoints — so a model file is only
 * "parameters + forward passes + one optimisation step", nanoGPT style.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ImageFamily } from '../../../shared/families';
import type { ParamStore } from '../nn/params';
import type { Rng } from '../rng';

export type { ImageFamily } from '../../../shared/families';

/** Names behind label and tag indices; conditional models size their embedding tables from it. */
export interface Vocab {
  labelNames: string[];
  tagNames: string[];
}

/**
 * A condition as weights over the vocabulary. In training: a one-hot label row (all zeros when the image
 * is unlabelled) and tag weights summing to 1 over the image's tags. At sampling time any weights work,
 * e.g. 0.7 "cat face" + 0.3 "dog face".
 */
export interface Conditioning {
  labels?: tf.Tensor2D; // [n, labelNames.length]
  tags?: tf.Tensor2D; // [n, tagNames.length]
}

/** A prepared training batch: images in [-1, 1] at the model's size and channels, plus conditions. */
export interface ImageBatch extends Conditioning {
  x: tf.Tensor4D;
}

export interface StepContext {
  /** Session step being taken (0-based). */
  step: number;
  /** The session's random stream (latents, DiffAugment draws). */
  rng: Rng;
  /** Learning-rate multiplier (fine-tuning). */
  lrScale: number;
  /** FreezeD (Mo et al. 2020): the first n discriminator layers get no updates. */
  frozenDLayers: number;
}

/** Fields every image family's config has. */
export interface BaseImageConfig {
  /** Image side in pixels; training data is resized to it. */
  size: number;
  /** 1 = grey, 3 = RGB, 4 = RGBA; training data is converted to it. */
  channels: 1 | 3 | 4;
  /** Length of the latent vector z. */
  latentDim: number;
  /** Images per optimisation step. */
  batchSize: number;
  /** Fraction of the data held out for evaluation (VAE); 0 = none. */
  heldOutFraction: number;
}

export interface ImageModel {
  readonly store: ParamStore;
  readonly latentDim: number;
  /** Loss names `trainStep` reports, in a stable order. */
  readonly lossNames: readonly string[];
  /**
   * Tensors whose rows follow the vocabulary ('label' or 'tag'); fine-tuning with a grown vocabulary
   * copies their rows by name (also for their EMA copies and Adam moments).
   */
  readonly vocabTables: Readonly<Record<string, 'label' | 'tag'>>;
  /** One optimisation step (all of the family's sub-steps). Returns scalar losses; caller disposes. */
  trainStep(batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar>;
  /**
   * Brings the sampling weights' batch-norm statistics up to date with one train-mode pass over these
   * latents (families whose EMA generator keeps its own statistics; others leave it out).
   */
  refreshSamplingStats?(z: tf.Tensor2D, cond?: Conditioning): void;
  /** Images in [-1, 1] for latents [n, latentDim], with the sampling weights (EMA where kept). */
  generate(z: tf.Tensor2D, cond?: Conditioning): tf.Tensor4D;
  /** [latentDim, F]: the generator's first linear map restricted to z (for principal directions). */
  latentResponse(): tf.Tensor2D;
  /** Families with an encoder (VAE): images in [-1, 1] → latents [n, latentDim] (posterior mean). */
  encodeMean?(x: tf.Tensor4D): tf.Tensor2D;
  /** Scalar evaluation metrics on held-out images in [-1, 1] (means over the batch). */
  evaluate?(x: tf.Tensor4D): Record<string, tf.Scalar>;
}

export interface ImageFamilyModule<C extends BaseImageConfig = BaseImageConfig> {
  readonly family: ImageFamily;
  /** Defaults for data of this size and channel count (presets may ignore them, e.g. the 28×28 MLP). */
  defaults(data: { size: number; channels: 1 | 3 | 4 }): C;
  /**
   * What config fields added after a checkpoint was written meant before they existed (architecture
   * switches whose absence is the old design). Fine-tuning fills a base checkpoint's missing fields
   * from here, not from today's defaults, so old checkpoints keep the architecture their weights fit.
   */
  readonly legacy?: Partial<C>;
  /** Config fields that have no default (absent = off) and that overrides may still set. */
  readonly optional?: readonly (keyof C & string)[];
  /** Throws AtelierError('bad_request') on an unusable config. */
  validate(config: C, vocab: Vocab): void;
  /**
   * Creates the model's tensors, drawing initial values from `rng`. `generatorOnly` builds just what
   * `generate`, `latentResponse` and `encodeMean` need (samplers), under the same names as in training.
   */
  build(config: C, rng: Rng, vocab: Vocab, opts?: { generatorOnly?: boolean }): ImageModel;
}
