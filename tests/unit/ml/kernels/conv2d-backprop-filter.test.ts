import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeCase, expectSameOnBoth, randn, randomConvCase, resourceSnapshot, Rng, setupBackends, type ConvCase } from './helpers';

beforeAll(setupBackends);

function backpropFilter(c: ConvCase, seed: number) {
  return () => {
    const rng = new Rng(seed);
    const x = randn(rng, c.xShape);
    const dy = randn(rng, c.yShape);
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      filterShape: c.filterShape,
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      ...(c.dimRoundingMode ? { dimRoundingMode: c.dimRoundingMode } : {}),
    }) as tf.Tensor;
  };
}

describe('Conv2DBackpropFilter on wasm', () => {
  it('matches cpu over random shapes, strides and paddings', async () => {
    const rng = new Rng(3);
    for (let i = 0; i < 80; i++) {
      const c = randomConvCase(rng);
      if (process.env.KDEBUG) process.stderr.write(`case ${i}: ${describeCase(c)}\n`);
      await expectSameOnBoth(backpropFilter(c, i), 1e-5, describeCase(c));
    }
  });

  it('matches cpu on DCGAN layer shapes and the matrix-product special cases', async () => {
    const cases: ConvCase[] = [
      { xShape: [4, 8, 8, 16], filterShape: [4, 4, 16, 32], strides: [2, 2], pad: 'same', yShape: [4, 4, 4, 32] },
      { xShape: [4, 8, 8, 16], filterShape: [4, 4, 16, 32], strides: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]], yShape: [4, 4, 4, 32] },
      { xShape: [3, 4, 4, 24], filterShape: [4, 4, 24, 10], strides: [1, 1], pad: 'valid', yShape: [3, 1, 1, 10] },
      { xShape: [2, 5, 6, 7], filterShape: [1, 1, 7, 9], strides: [1, 1], pad: 'valid', yShape: [2, 5, 6, 9] },
      { xShape: [2, 7, 7, 3], filterShape: [1, 1, 3, 4], strides: [2, 2], pad: 'same', yShape: [2, 4, 4, 4] },
      { xShape: [1, 10, 9, 2], filterShape: [3, 2, 2, 3], strides: [3, 2], pad: 'valid', yShape: [1, 3, 4, 3] },
    ];
    for (const [i, c] of cases.entries()) await expectSameOnBoth(backpropFilter(c, 100 + i), 1e-5, describeCase(c));
  });

  it('gives the gradients of conv2d and of conv2dTranspose through tf.grads', async () => {
    const rng = new Rng(13);
    for (let i = 0, tried = 0; i < 20 && tried < 400; tried++) {
      const c = randomConvCase(rng, true);
      // Through tf.grads the stock wasm forward Conv2D runs too; it overruns its buffers on explicit
      // paddings with 'ceil'/'round' output rounding (not ours to fix, and never used by our models),
      // so this end-to-end check keeps to the geometries tfjs layers produce. The direct kernel test
      // above covers the odd ones.
      // The stock forward Conv2D also disagrees with cpu when a stride exceeds the filter size (taps
      // skip input pixels); no model here does that.
      if (c.dimRoundingMode || Array.isArray(c.pad) || c.strides[0] > c.filterShape[0] || c.strides[1] > c.filterShape[1]) continue;
      if (process.env.KDEBUG) process.stderr.write(`grads case ${i}: ${describeCase(c)}\n`);
      i++;
      await expectSameOnBoth(
        () => {
          const r = new Rng(2000 + i);
          const x = randn(r, c.xShape) as tf.Tensor4D;
          const f = randn(r, c.filterShape) as tf.Tensor4D;
          const w = randn(r, c.yShape);
          const wx = randn(r, c.xShape);
          const conv = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode), w));
          const convT = (a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, c.xShape, c.strides, c.pad, c.dimRoundingMode), wx));
          return [...tf.grads(conv)([x, f]), ...tf.grads(convT)([w, f])];
        },
        1e-5,
        describeCase(c),
      );
    }
  });

  it('handles NCHW by transposing to NHWC', async () => {
    const c: ConvCase = { xShape: [2, 6, 7, 3], filterShape: [3, 3, 3, 4], strides: [2, 2], pad: 'same', yShape: [2, 3, 4, 4] };
    await expectSameOnBoth(() => {
      const r = new Rng(5);
      const x = tf.transpose(randn(r, c.xShape), [0, 3, 1, 2]);
      const dy = tf.transpose(randn(r, c.yShape), [0, 3, 1, 2]);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { filterShape: c.filterShape, strides: c.strides, pad: c.pad, dataFormat: 'NCHW' }) as tf.Tensor;
    });
  });

  it('leaves dilated forward convolutions (the stock kernel the filter gradient builds on) equal to cpu', async () => {
    const rng = new Rng(17);
    for (let i = 0; i < 10; i++) {
      const c = randomConvCase(rng, true);
      const dil: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
      // tfjs allows dilation > 1 only with stride 1.
      const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, 1, dil, c.pad, c.dimRoundingMode);
      if (info.outHeight < 1 || info.outWidth < 1) continue;
      await expectSameOnBoth(
        () => {
          const r = new Rng(3000 + i);
          const x = randn(r, c.xShape) as tf.Tensor4D;
          const f = randn(r, c.filterShape) as tf.Tensor4D;
          return tf.conv2d(x, f, 1, c.pad, 'NHWC', dil, c.dimRoundingMode);
        },
        1e-5,
        `${describeCase(c)} dilation ${dil}`,
      );
    }
  });

  it('leaks no tensors, data or heap across repeated calls', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([8, 16, 16, 16]) as tf.Tensor4D;
    const f = tf.randomNormal([4, 4, 16, 32]) as tf.Tensor4D;
    const run = () => tf.tidy(() => tf.grad((ff: tf.Tensor) => tf.sum(tf.conv2d(x, ff as tf.Tensor4D, 2, 'same')))(f).dataSync());
    for (let i = 0; i < 5; i++) run();
    const before = resourceSnapshot();
    for (let i = 0; i < 30; i++) run();
    expect(resourceSnapshot()).toEqual(before);
    tf.dispose([x, f]);
  });
});
