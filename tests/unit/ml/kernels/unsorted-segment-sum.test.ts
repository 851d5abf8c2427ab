import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameOnBoth, randn, resourceSnapshot, Rng, setupBackends } from './helpers';

beforeAll(setupBackends);

function ids(rng: Rng, n: number, max: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: n }, () => rng.int(max)), 'int32');
}

describe('UnsortedSegmentSum on wasm', () => {
  it('matches cpu over random shapes and segment counts (float32 and int32)', async () => {
    const rng = new Rng(41);
    for (let i = 0; i < 30; i++) {
      const rows = 1 + rng.int(20);
      const inner = Array.from({ length: rng.int(3) }, () => 1 + rng.int(5));
      const segments = 1 + rng.int(8);
      await expectSameOnBoth(
        () => {
          const r = new Rng(i);
          const x = randn(r, [rows, ...inner]);
          const s = ids(r, rows, segments);
          return [tf.unsortedSegmentSum(x, s, segments), tf.unsortedSegmentSum(tf.cast(tf.mul(x, 10), 'int32'), s, segments)];
        },
        1e-6,
        `x [${rows},${inner}] segments ${segments}`,
      );
    }
  });

  it('is the gradient of gather (embedding lookups), for any index rank and axis 0', async () => {
    const rng = new Rng(42);
    for (let i = 0; i < 20; i++) {
      const vocab = 1 + rng.int(12);
      const dim = 1 + rng.int(16);
      const idShape = Array.from({ length: 1 + rng.int(2) }, () => 1 + rng.int(6));
      await expectSameOnBoth(
        () => {
          const r = new Rng(100 + i);
          const table = randn(r, [vocab, dim]);
          const idx = tf.tensor(Array.from({ length: idShape.reduce((a, b) => a * b, 1) }, () => r.int(vocab)), idShape, 'int32');
          const w = randn(r, [...idShape, dim]);
          return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(table);
        },
        1e-5,
        `vocab ${vocab} dim ${dim} ids ${idShape}`,
      );
    }
  });

  it('drops ids outside [0, numSegments) like the cpu kernel', async () => {
    await expectSameOnBoth(() => tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([0, 5, -1], 'int32'), 2), 0);
  });

  it('leaks no tensors, data or heap', async () => {
    await tf.setBackend('wasm');
    const t = tf.randomNormal([50, 8]);
    const idx = tf.tensor1d([3, 1, 4, 1, 5, 9, 2, 6], 'int32');
    const run = () => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.gather(a, idx)))(t).dataSync());
    for (let i = 0; i < 3; i++) run();
    const before = resourceSnapshot();
    for (let i = 0; i < 20; i++) run();
    expect(resourceSnapshot()).toEqual(before);
    tf.dispose([t, idx]);
  });
});
