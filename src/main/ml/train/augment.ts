/**
 * The dataset's user augmentation (AugmentSettings in ../data), applied per training batch.
 *
 * Geometry (flip, rotation, random crop) is one affine map per image, done by tf.image.transform in a
 * single op with bilinear sampling; corners that fall outside are transparent for RGBA images and
 * mirrored otherwise. Colour jitter (brightness, contrast, saturation) touches RGB only.
 * Works on images in [0, 1]; all randomness comes from the caller's Rng. No gradient needed here.
 * The Datasets preview (datasets/augment.ts) calls this too, so what it shows is what training does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AugmentSettings } from '../data';
import type { Rng } from '../rng';

/** What augmentation draws from: the session's Rng in training, the preview's seeded Rng. */
type Draws = Pick<Rng, 'next'>;

export function isNoAugment(a: AugmentSettings): boolean {
  return !a.flip && a.rotationDeg === 0 && a.cropFraction >= 1 && a.colorJitter === 0;
}

/**
 * Inverse affine rows for tf.image.transform: output pixel (x, y) samples input
 * (a0 x + a1 y + a2, b0 x + b1 y + b2). Composition (output → input): flip, rotate about the centre,
 * then scale by the crop side s and move the centre to the crop's centre.
 */
function geometry(rng: Draws, a: AugmentSettings, n: number, size: number): Float32Array {
  const rows = new Float32Array(n * 8);
  const mid = (size - 1) / 2;
  for (let i = 0; i < n; i++) {
    const f = a.flip && rng.next() < 0.5 ? -1 : 1;
    const theta = a.rotationDeg > 0 ? ((2 * rng.next() - 1) * a.rotationDeg * Math.PI) / 180 : 0;
    const s = a.cropFraction < 1 ? a.cropFraction + rng.next() * (1 - a.cropFraction) : 1;
    const cy = ((2 * rng.next() - 1) * (1 - s) * size) / 2;
    const cx = ((2 * rng.next() - 1) * (1 - s) * size) / 2;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    // M = s · R(θ) · diag(f, 1)
    const m00 = s * cos * f;
    const m01 = -s * sin;
    const m10 = s * sin * f;
    const m11 = s * cos;
    rows.set([m00, m01, mid + cx - (m00 + m01) * mid, m10, m11, mid + cy - (m10 + m11) * mid, 0, 0], i * 8);
  }
  return rows;
}

function jitter(rng: Draws, x: tf.Tensor4D, strength: number): tf.Tensor4D {
  const n = x.shape[0];
  const draw = (spread: number) => {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = 1 + (2 * rng.next() - 1) * spread;
    return tf.tensor4d(v, [n, 1, 1, 1]);
  };
  const brightness = draw(0.5 * strength);
  const contrast = draw(0.5 * strength);
  const saturation = draw(strength);
  let y: tf.Tensor4D = tf.mul(x, brightness);
  const mean = tf.mean(y, [1, 2, 3], true);
  y = tf.add(tf.mul(tf.sub(y, mean), contrast), mean);
  if (y.shape[3] === 3) {
    const grey = tf.mean(y, 3, true);
    y = tf.add(tf.mul(tf.sub(y, grey), saturation), grey);
  }
  return tf.clipByValue(y, 0, 1);
}

/** Augments a [n, size, size, C] batch in [0, 1]. */
export function augmentBatch(x: tf.Tensor4D, a: AugmentSettings, rng: Draws): tf.Tensor4D {
  if (isNoAugment(a)) return tf.clone(x);
  return tf.tidy(() => {
    const [n, size, , c] = x.shape;
    let y = x;
    if (a.flip || a.rotationDeg > 0 || a.cropFraction < 1) {
      const rows = tf.tensor2d(geometry(rng, a, n, size), [n, 8]);
      y = tf.image.transform(y, rows, 'bilinear', c === 4 ? 'constant' : 'reflect', 0);
    }
    if (a.colorJitter > 0) {
      if (c === 4) {
        const [rgb, alpha] = tf.split(y, [3, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
        y = tf.concat([jitter(rng, rgb, a.colorJitter), alpha], 3);
      } else {
        y = jitter(rng, y, a.colorJitter);
      }
    }
    return y;
  });
}
