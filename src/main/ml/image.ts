/**
 * Images as tensors, the same way for every reader: training batches (train/batches.ts), the sampler's
 * encoder input (sample/sampler.ts), the copy check's features (metrics/feature-space.ts) and the
 * Datasets augmentation preview. Tensors here are NHWC in [0, 1].
 */
import * as tf from '@tensorflow/tfjs-core';

/** 8-bit pixels (row-major NHWC) → a [0, 1] tensor of `shape`. */
export function fromBytes(pixels: Uint8Array, shape: [number, number, number, number]): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(pixels, (v) => v / 255), shape);
}

/** Straight colour [n, s, s, 3] with alpha [n, s, s, 1], both in [0, 1], composited over white. */
export function overWhite(c: tf.Tensor4D, a: tf.Tensor4D): tf.Tensor4D {
  return tf.add(tf.mul(c, a), tf.sub(1, a));
}

/** Converts [n, s, s, from] in [0, 1] to `to` channels (RGBA → RGB/grey composites over white). */
export function convertChannels(x: tf.Tensor4D, to: 1 | 3 | 4): tf.Tensor4D {
  const from = x.shape[3];
  if (from === to) return x;
  return tf.tidy(() => {
    let rgb: tf.Tensor4D;
    if (from === 4) {
      const [c, a] = tf.split(x, [3, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
      rgb = overWhite(c, a);
    } else if (from === 1) {
      rgb = tf.tile(x, [1, 1, 1, 3]);
    } else {
      rgb = x;
    }
    if (to === 3) return rgb;
    if (to === 1) return tf.sum(tf.mul(rgb, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D;
    const alpha = from === 4 ? tf.slice(x, [0, 0, 0, 3], [-1, -1, -1, 1]) : tf.onesLike(tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]));
    return tf.concat([rgb, alpha], 3);
  });
}

/** Resizes square images: integer-factor box filter first (no aliasing), then bilinear to the exact side. */
export function resizeTo(x: tf.Tensor4D, size: number): tf.Tensor4D {
  const s = x.shape[1];
  if (s === size) return x;
  return tf.tidy(() => {
    let y = x;
    const factor = Math.floor(s / size);
    if (factor >= 2) y = tf.avgPool(y, factor, factor, 'valid');
    if (y.shape[1] !== size) y = tf.image.resizeBilinear(y, [size, size], false, true);
    return y;
  });
}
