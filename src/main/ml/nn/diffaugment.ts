/**
 * DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"):
 * the ops color, translation and cutout (the paper's policy uses all three; the default model's is
 * color + translation, see small-gan.ts), applied to BOTH real and generated images before D, with the
 * generated path differentiable so G learns through it. This is what lets a GAN train on a few hundred
 * images without D memorising them.
 *
 * Ops follow the reference implementation (images in [-1, 1]): brightness x + (r - 0.5); saturation
 * (x - mean_c)·2r + mean_c; contrast (x - mean)·(r + 0.5) + mean; translation by up to 1/8 of the side
 * with zero fill; cutout of a square half the side, zeroed. Colour ops touch RGB only (alpha is left
 * alone); translation and cutout move/erase every channel.
 *
 * Randomness is drawn once into a plain `DiffAugmentParams` (from our Rng) and then applied: a training
 * step applies the SAME params to its real batch and its fake batch (image i of each gets the same op),
 * which keeps the two distributions augmented identically and makes the op easy to test.
 *
 * Translation and cutout together are one gather from the image with an extra zero row; its gradient is
 * the inverse gather (the map is injective), via customGrad, so no scatter kernel is needed on any backend.
 *
 * It lives with the layers, not with training: it is a differentiable op inside a model's step (G learns
 * through it; small-gan.ts calls it), unlike the user augmentation (train/augment.ts) of the data itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import { currentShard, ownRows } from '../parallel/shard';
import type { Rng } from '../rng';

export type DiffAugmentOp = 'color' | 'translation' | 'cutout';

export interface DiffAugmentParams {
  n: number;
  size: number;
  ops: readonly DiffAugmentOp[];
  /** Per image: brightness r, saturation r, contrast r, each U[0, 1). */
  brightness: Float32Array;
  saturation: Float32Array;
  contrast: Float32Array;
  /** Per image: shift (rows, cols) in pixels; cutout top-left corner (may lie partly outside). */
  shiftY: Int32Array;
  shiftX: Int32Array;
  cutY: Int32Array;
  cutX: Int32Array;
}

export const DIFFAUGMENT_ALL: readonly DiffAugmentOp[] = ['color', 'translation', 'cutout'];
const TRANSLATION_RATIO = 0.125;
const CUTOUT_RATIO = 0.5;

/**
 * Draws the random parameters for a batch of `n` images of side `size`. In data-parallel training
 * (n = this worker's share) the whole batch's parameters are drawn, as one worker would, and this
 * share's kept (../parallel/shard.ts).
 */
export function drawDiffAugment(rng: Rng, n: number, size: number, ops: readonly DiffAugmentOp[] = DIFFAUGMENT_ALL): DiffAugmentParams {
  const shard = currentShard();
  if (!shard) return drawFor(rng, n, size, ops);
  const all = drawFor(rng, n * shard.size, size, ops);
  const own = <T extends Float32Array | Int32Array>(v: T) => ownRows(v, shard, n);
  return {
    ...all,
    n,
    brightness: own(all.brightness),
    saturation: own(all.saturation),
    contrast: own(all.contrast),
    shiftY: own(all.shiftY),
    shiftX: own(all.shiftX),
    cutY: own(all.cutY),
    cutX: own(all.cutX),
  };
}

function drawFor(rng: Rng, n: number, size: number, ops: readonly DiffAugmentOp[]): DiffAugmentParams {
  const p: DiffAugmentParams = {
    n,
    size,
    ops,
    brightness: new Float32Array(n),
    saturation: new Float32Array(n),
    contrast: new Float32Array(n),
    shiftY: new Int32Array(n),
    shiftX: new Int32Array(n),
    cutY: new Int32Array(n),
    cutX: new Int32Array(n),
  };
  const shift = Math.floor(size * TRANSLATION_RATIO + 0.5);
  const cut = Math.floor(size * CUTOUT_RATIO + 0.5);
  for (let i = 0; i < n; i++) {
    if (ops.includes('color')) {
      p.brightness[i] = rng.next();
      p.saturation[i] = rng.next();
      p.contrast[i] = rng.next();
    }
    if (ops.includes('translation')) {
      p.shiftY[i] = rng.int(2 * shift + 1) - shift;
      p.shiftX[i] = rng.int(2 * shift + 1) - shift;
    }
    if (ops.includes('cutout')) {
      // Cutout centre uniform over the image, as in the reference (offset - cut // 2).
      p.cutY[i] = rng.int(size + (1 - (cut % 2))) - Math.floor(cut / 2);
      p.cutX[i] = rng.int(size + (1 - (cut % 2))) - Math.floor(cut / 2);
    }
  }
  return p;
}

function color(x: tf.Tensor4D, p: DiffAugmentParams): tf.Tensor4D {
  const n = p.n;
  const col = (v: Float32Array, f: (r: number) => number) => tf.tensor4d(v.map(f), [n, 1, 1, 1]);
  let y: tf.Tensor4D = tf.add(x, col(p.brightness, (r) => r - 0.5));
  const meanC = tf.mean(y, 3, true);
  y = tf.add(tf.mul(tf.sub(y, meanC), col(p.saturation, (r) => 2 * r)), meanC);
  const meanAll = tf.mean(y, [1, 2, 3], true);
  return tf.add(tf.mul(tf.sub(y, meanAll), col(p.contrast, (r) => r + 0.5)), meanAll);
}

/** Forward gather indices (output pixel → source pixel or the zero row) and the inverse map. */
function moveIndices(p: DiffAugmentParams): { fwd: Int32Array; inv: Int32Array } {
  const { n, size } = p;
  const hw = size * size;
  const zero = n * hw;
  const fwd = new Int32Array(n * hw).fill(zero);
  const inv = new Int32Array(n * hw).fill(zero);
  const cut = Math.floor(size * CUTOUT_RATIO + 0.5);
  const translate = p.ops.includes('translation');
  const cutout = p.ops.includes('cutout');
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const out = b * hw + y * size + x;
        if (cutout && y >= p.cutY[b]! && y < p.cutY[b]! + cut && x >= p.cutX[b]! && x < p.cutX[b]! + cut) continue;
        const sy = translate ? y + p.shiftY[b]! : y;
        const sx = translate ? x + p.shiftX[b]! : x;
        if (sy < 0 || sy >= size || sx < 0 || sx >= size) continue;
        const src = b * hw + sy * size + sx;
        fwd[out] = src;
        inv[src] = out;
      }
    }
  }
  return { fwd, inv };
}

function gatherWithZeroRow(x: tf.Tensor, idx: tf.Tensor1D, shape: number[]): tf.Tensor {
  const c = shape[3]!;
  const flat = tf.concat([tf.reshape(x, [-1, c]), tf.zeros([1, c])], 0);
  return tf.reshape(tf.gather(flat, idx), shape);
}

function move(x: tf.Tensor4D, p: DiffAugmentParams): tf.Tensor4D {
  const { fwd, inv } = moveIndices(p);
  const shape = x.shape;
  const f = tf.customGrad((input) => {
    const value = tf.tidy(() => gatherWithZeroRow(input as tf.Tensor, tf.tensor1d(fwd, 'int32'), shape));
    const gradFunc = (dy: tf.Tensor) => tf.tidy(() => gatherWithZeroRow(dy, tf.tensor1d(inv, 'int32'), shape));
    return { value, gradFunc };
  });
  return f(x) as tf.Tensor4D;
}

/** Applies the drawn augmentation to a [n, size, size, C] batch in [-1, 1]; differentiable in `x`. */
export function diffAugment(x: tf.Tensor4D, p: DiffAugmentParams): tf.Tensor4D {
  if (x.shape[0] !== p.n || x.shape[1] !== p.size || x.shape[2] !== p.size) {
    throw new Error(`diffAugment params are for ${p.n}×${p.size}², got ${x.shape}`);
  }
  return tf.tidy(() => {
    let y = x;
    if (p.ops.includes('color')) {
      const c = x.shape[3];
      if (c === 4) {
        const [rgb, alpha] = tf.split(x, [3, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
        y = tf.concat([color(rgb, p), alpha], 3);
      } else {
        y = color(x, p);
      }
    }
    if (p.ops.includes('translation') || p.ops.includes('cutout')) y = move(y, p);
    return y;
  });
}
