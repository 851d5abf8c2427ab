/**
 * From ImageTensorData to training batches: epoch order, held-out split, vocabulary mapping,
 * user augmentation, resizing and channel conversion (../image.ts) to what the model was configured for.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import type { AugmentSettings, ImageTensorData } from '../data';
import type { Conditioning, ImageBatch, Vocab } from '../models/model';
import { convertChannels, resizeTo } from '../image';
import type { Rng } from '../rng';
import { augmentBatch } from './augment';

/** Epoch-ordered draws over a pool of indices; reshuffled from the session Rng at each epoch start. */
export class BatchOrder {
  constructor(
    readonly pool: readonly number[],
    private perm: number[] = [],
    private cursor = 0,
  ) {
    if (pool.length === 0) throw new AtelierError('invalid_input', 'The dataset has no images to train on.');
  }

  next(n: number, rng: Rng): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.cursor >= this.perm.length) {
        this.perm = rng.shuffle([...this.pool]);
        this.cursor = 0;
      }
      out.push(this.perm[this.cursor++]!);
    }
    return out;
  }

  state(): { perm: number[]; cursor: number } {
    return { perm: [...this.perm], cursor: this.cursor };
  }
}

/** Picks a held-out subset (fraction f, at least 1, at most 256, never everything) from the Rng. */
export function splitHeldOut(count: number, fraction: number, rng: Rng): number[] {
  if (fraction <= 0 || count < 2) return [];
  const n = Math.min(256, count - 1, Math.max(1, Math.round(count * fraction)));
  return rng.shuffle(Array.from({ length: count }, (_, i) => i)).slice(0, n).sort((a, b) => a - b);
}

export function validateImageData(data: ImageTensorData): void {
  const { size, channels, count, pixels } = data;
  if (data.kind !== 'image') throw new AtelierError('invalid_input', 'Image models need image data.');
  if (!(size > 0) || ![1, 3, 4].includes(channels) || !(count > 0)) throw new AtelierError('invalid_input', 'The dataset has no usable images.');
  if (pixels.length !== count * size * size * channels) {
    throw new AtelierError('invalid_input', `Image data has ${pixels.length} bytes, expected ${count}×${size}×${size}×${channels}.`);
  }
  if (data.labels && data.labels.length !== count) throw new AtelierError('invalid_input', 'labels must have one entry per image.');
  if (data.tags && data.tags.length !== count) throw new AtelierError('invalid_input', 'tags must have one entry per image.');
}

/** The vocabulary a new model trains with: the data's names, after `base`'s (fine-tuning keeps old rows first). */
export function mergeVocab(data: ImageTensorData, base?: Vocab): Vocab {
  const merge = (old: string[] = [], add: string[] = []) => [...old, ...add.filter((n) => !old.includes(n))];
  return { labelNames: merge(base?.labelNames, data.labelNames), tagNames: merge(base?.tagNames, data.tagNames) };
}

/** Prepares batches from the data for a model of a given size/channels and vocabulary. */
export class ImageSource {
  /** Per image: index into vocab.labelNames, or -1. */
  private readonly labelOf: Int32Array;
  /** Per image: indices into vocab.tagNames. */
  private readonly tagsOf: number[][];

  constructor(
    readonly data: ImageTensorData,
    readonly target: { size: number; channels: 1 | 3 | 4 },
    readonly vocab: Vocab,
  ) {
    validateImageData(data);
    const labelIdx = (data.labelNames ?? []).map((n) => vocab.labelNames.indexOf(n));
    const tagIdx = (data.tagNames ?? []).map((n) => vocab.tagNames.indexOf(n));
    this.labelOf = new Int32Array(data.count).fill(-1);
    this.tagsOf = [];
    for (let i = 0; i < data.count; i++) {
      const l = data.labels?.[i] ?? -1;
      this.labelOf[i] = l >= 0 ? (labelIdx[l] ?? -1) : -1;
      this.tagsOf.push((data.tags?.[i] ?? []).map((t) => tagIdx[t] ?? -1).filter((t) => t >= 0));
    }
  }

  /** Images `indices`, augmented, as a batch in [-1, 1] with label/tag weights when the vocab has any. */
  batch(indices: number[], augment: AugmentSettings | null, rng: Rng): ImageBatch {
    const { size, channels, pixels } = this.data;
    const per = size * size * channels;
    const raw = new Float32Array(indices.length * per);
    indices.forEach((img, b) => {
      const src = pixels.subarray(img * per, (img + 1) * per);
      for (let i = 0; i < per; i++) raw[b * per + i] = src[i]! / 255;
    });
    const x = tf.tidy(() => {
      let y = tf.tensor4d(raw, [indices.length, size, size, channels]);
      if (augment) y = augmentBatch(y, augment, rng);
      y = convertChannels(resizeTo(y, this.target.size), this.target.channels);
      return tf.sub(tf.mul(y, 2), 1) as tf.Tensor4D;
    });
    return { x, ...this.conditions(indices) };
  }

  /** The conditions (label one-hots, tag weights) of images `indices`; {} when the vocab is empty. */
  conditions(indices: number[]): Conditioning {
    const n = indices.length;
    const out: Conditioning = {};
    const L = this.vocab.labelNames.length;
    const T = this.vocab.tagNames.length;
    if (L > 0) {
      const v = new Float32Array(n * L);
      indices.forEach((img, b) => {
        const l = this.labelOf[img]!;
        if (l >= 0) v[b * L + l] = 1;
      });
      out.labels = tf.tensor2d(v, [n, L]);
    }
    if (T > 0) {
      const v = new Float32Array(n * T);
      indices.forEach((img, b) => {
        const tags = this.tagsOf[img]!;
        for (const t of tags) v[b * T + t] = 1 / tags.length;
      });
      out.tags = tf.tensor2d(v, [n, T]);
    }
    return out;
  }
}

export function disposeBatch(b: ImageBatch): void {
  tf.dispose([b.x, b.labels, b.tags] as tf.Tensor[]);
}
