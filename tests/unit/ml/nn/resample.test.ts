/**
 * The anti-aliased resampling ops against independent references: bilinear 2× against the
 * transposed-convolution form the skip path uses (and PyTorch's `interpolate(..., 'bilinear',
 * align_corners=False)`, which the parity fixture pins for that form), and the blur against a direct loop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { upsample2x } from '../../../../src/main/ml/models/small-gan';
import { bilinearUp2x, blur3 } from '../../../../src/main/ml/nn/resample';
import { useTestBackend } from '../train/helpers';

beforeAll(async () => {
  await useTestBackend();
});

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst).toBeLessThan(tol);
}

describe('bilinearUp2x', () => {
  it('equals the transposed-convolution bilinear upsampling, for several channel counts and odd sizes', () => {
    for (const [h, w, c] of [
      [4, 4, 3],
      [3, 5, 7],
      [1, 2, 16],
    ] as const) {
      const x = tf.randomNormal([2, h, w, c], 0, 1, 'float32', 3) as tf.Tensor4D;
      const a = bilinearUp2x(x);
      const b = upsample2x(x);
      expect(a.shape).toEqual([2, 2 * h, 2 * w, c]);
      close(a.dataSync(), b.dataSync());
      tf.dispose([x, a, b]);
    }
  });

  it('keeps a constant image constant and has the gradient of a sum-preserving filter (4 per input pixel)', () => {
    const x = tf.fill([1, 3, 3, 2], 0.7) as tf.Tensor4D;
    close(bilinearUp2x(x).dataSync(), new Float32Array(36 * 2).fill(0.7));
    const g = tf.grad((t: tf.Tensor) => tf.sum(bilinearUp2x(t as tf.Tensor4D)))(x);
    close(g.dataSync(), new Float32Array(18).fill(4));
  });
});

describe('blur3', () => {
  it('is the [1 2 1]/4 separable blur with clamped edges', () => {
    const h = 5;
    const w = 4;
    const x = tf.randomUniform([1, h, w, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const v = x.dataSync();
    const at = (i: number, j: number) => v[Math.min(h - 1, Math.max(0, i)) * w + Math.min(w - 1, Math.max(0, j))]!;
    const k = [0.25, 0.5, 0.25];
    const want = new Float32Array(h * w);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let a = -1; a <= 1; a++) for (let b = -1; b <= 1; b++) want[i * w + j]! += k[a + 1]! * k[b + 1]! * at(i + a, j + b);
    close(blur3(x).dataSync(), want);
  });

  it('removes the 2-pixel checkerboard that a stride-2 convolution would alias', () => {
    const v = new Float32Array(64);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) v[i * 8 + j] = (i + j) % 2 ? 1 : -1;
    const y = blur3(tf.tensor4d(v, [1, 8, 8, 1])).dataSync();
    // Interior pixels (away from the clamped edges) become exactly 0.
    for (let i = 1; i < 7; i++) for (let j = 1; j < 7; j++) expect(Math.abs(y[i * 8 + j]!)).toBeLessThan(1e-6);
  });
});
