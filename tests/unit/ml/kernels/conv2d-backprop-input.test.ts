import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { planAxis } from '../../../../src/main/ml/kernels/conv2d-backprop-input';
import { describeCase, expectSameOnBoth, randn, randomConvCase, resourceSnapshot, Rng, setupBackends, type ConvCase } from './helpers';

beforeAll(setupBackends);

function backpropInput(c: ConvCase, seed: number) {
  return () => {
    const rng = new Rng(seed);
    const dy = randn(rng, c.yShape);
    const filter = randn(rng, c.filterShape);
    return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
      inputShape: c.xShape,
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      ...(c.dimRoundingMode ? { dimRoundingMode: c.dimRoundingMode } : {}),
    }) as tf.Tensor;
  };
}

describe('Conv2DBackpropInput on wasm', () => {
  it('matches cpu over random shapes, strides and paddings', async () => {
    const rng = new Rng(7);
    for (let i = 0; i < 80; i++) {
      const c = randomConvCase(rng);
      await expectSameOnBoth(backpropInput(c, i), 1e-5, describeCase(c));
    }
  });

  it('matches cpu on DCGAN layer shapes (k4 s2 same, 1x1 → 4x4 valid) and 1x1 filters', async () => {
    const cases: ConvCase[] = [
      { xShape: [4, 8, 8, 16], filterShape: [4, 4, 16, 32], strides: [2, 2], pad: 'same', yShape: [4, 4, 4, 32] },
      { xShape: [3, 4, 4, 24], filterShape: [4, 4, 24, 10], strides: [1, 1], pad: 'valid', yShape: [3, 1, 1, 10] },
      { xShape: [2, 5, 6, 7], filterShape: [1, 1, 7, 9], strides: [1, 1], pad: 'valid', yShape: [2, 5, 6, 9] },
      { xShape: [2, 7, 7, 3], filterShape: [1, 1, 3, 4], strides: [2, 2], pad: 'same', yShape: [2, 4, 4, 4] },
      { xShape: [1, 9, 9, 2], filterShape: [3, 3, 2, 3], strides: [3, 3], pad: 'valid', yShape: [1, 3, 3, 3] },
    ];
    for (const [i, c] of cases.entries()) await expectSameOnBoth(backpropInput(c, 100 + i), 1e-5, describeCase(c));
  });

  it('gives conv2dTranspose and the input gradient of conv2d', async () => {
    const rng = new Rng(11);
    for (let i = 0, tried = 0; i < 20 && tried < 400; tried++) {
      const c = randomConvCase(rng, true);
      // The stock wasm forward Conv2D runs here too: it overruns on explicit pads with 'ceil'/'round'
      // rounding and disagrees when a stride exceeds the filter; no model uses those geometries, and
      // the direct kernel tests above cover them for our kernel.
      if (c.dimRoundingMode || Array.isArray(c.pad) || c.strides[0] > c.filterShape[0] || c.strides[1] > c.filterShape[1]) continue;
      i++;
      await expectSameOnBoth(
        () => {
          const r = new Rng(1000 + i);
          const x = randn(r, c.xShape);
          const f = randn(r, c.filterShape);
          const w = randn(r, c.yShape);
          const loss = (a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode), w));
          const up = tf.conv2dTranspose(w as tf.Tensor4D, f as tf.Tensor4D, c.xShape, c.strides, c.pad, c.dimRoundingMode);
          return [tf.grad(loss)(x), up];
        },
        1e-5,
        describeCase(c),
      );
    }
  });

  it('falls back to the stock kernel for NCHW and still matches cpu', async () => {
    const c: ConvCase = { xShape: [2, 6, 6, 3], filterShape: [3, 3, 3, 4], strides: [2, 2], pad: 'same', yShape: [2, 3, 3, 4] };
    await expectSameOnBoth(() => {
      const r = new Rng(5);
      const dy = tf.transpose(randn(r, c.yShape), [0, 3, 1, 2]);
      const filter = randn(r, c.filterShape);
      return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { inputShape: [2, 3, 6, 6], strides: c.strides, pad: c.pad, dataFormat: 'NCHW' }) as tf.Tensor;
    });
  });

  it('plans every output row into exactly one phase with the taps that reach it', () => {
    // Brute force: for each output row h, the taps i with (h + pad - i) divisible by s and the
    // resulting dy row in range must be exactly the taps the plan assigns to h's phase.
    for (const [x, k, s, p] of [[8, 4, 2, 1], [7, 3, 3, 2], [5, 5, 1, 2], [9, 1, 2, 0], [10, 2, 3, 1]] as const) {
      const y = Math.floor((x + 2 * p - k) / s) + 1;
      const plan = planAxis(x, y, k, s, p);
      for (let h = 0; h < x; h++) {
        const phase = plan.phases.find((q) => (h - q.offset) % s === 0)!;
        const fromPlan = Array.from({ length: phase.taps }, (_, m) => phase.tapStart + m * s);
        const truth = Array.from({ length: k }, (_, i) => i).filter((i) => (h + p - i) % s === 0);
        expect(fromPlan).toEqual(truth);
      }
    }
  });

  it('leaks no tensors, data or heap across repeated calls with fresh tensors', async () => {
    await tf.setBackend('wasm');
    const run = () =>
      tf.tidy(() => {
        const dy = tf.randomNormal([8, 8, 8, 32]);
        const f = tf.randomNormal([4, 4, 16, 32]);
        return tf.conv2dTranspose(dy as tf.Tensor4D, f as tf.Tensor4D, [8, 16, 16, 16], 2, 'same').dataSync();
      });
    for (let i = 0; i < 5; i++) run();
    const before = resourceSnapshot();
    for (let i = 0; i < 40; i++) run();
    expect(resourceSnapshot()).toEqual(before);
  });
});
