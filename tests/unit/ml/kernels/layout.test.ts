/** Transpose, Slice, Tile and Identity: the JavaScript-over-the-heap replacements of stock wasm kernels. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { simplifyPermutation } from '../../../../src/main/ml/kernels/transpose';
import { expectSameOnBoth, randn, resourceSnapshot, Rng, setupBackends, wasmBackend } from './helpers';

beforeAll(setupBackends);

function randomShape(rng: Rng, rank: number, max = 6): number[] {
  return Array.from({ length: rank }, () => 1 + rng.int(max));
}

function randomPerm(rng: Rng, rank: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

describe('Transpose on wasm', () => {
  it('matches cpu over random ranks, shapes and permutations (float32, int32, bool), with gradients', async () => {
    const rng = new Rng(31);
    for (let i = 0; i < 60; i++) {
      const rank = 1 + rng.int(6);
      const shape = randomShape(rng, rank, rank > 4 ? 4 : 20);
      const perm = randomPerm(rng, rank);
      await expectSameOnBoth(
        () => {
          const r = new Rng(i);
          const x = randn(r, shape);
          const w = randn(r, perm.map((p) => shape[p]!));
          return [
            tf.transpose(x, perm),
            tf.transpose(tf.cast(tf.mul(x, 10), 'int32'), perm),
            tf.transpose(tf.greater(x, 0), perm),
            tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.transpose(a, perm), w)))(x),
          ];
        },
        0,
        `shape ${shape} perm ${perm}`,
      );
    }
  });

  it('merges adjacent axes and drops size-1 axes before walking', () => {
    expect(simplifyPermutation([2, 3, 4], [0, 1, 2])).toEqual({ shape: [24], perm: [0] });
    expect(simplifyPermutation([2, 3, 4], [2, 0, 1])).toEqual({ shape: [6, 4], perm: [1, 0] });
    expect(simplifyPermutation([2, 1, 4], [1, 2, 0])).toEqual({ shape: [2, 4], perm: [1, 0] });
    expect(simplifyPermutation([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
  });
});

describe('Slice on wasm', () => {
  it('matches cpu over random ranks, begins and sizes (incl. -1 sizes), with gradients', async () => {
    const rng = new Rng(32);
    for (let i = 0; i < 60; i++) {
      const rank = 1 + rng.int(5);
      const shape = randomShape(rng, rank, rank > 3 ? 5 : 24);
      const begin = shape.map((d) => rng.int(d));
      const size = shape.map((d, a) => (rng.int(5) === 0 ? -1 : 1 + rng.int(d - begin[a]!)));
      await expectSameOnBoth(
        () => {
          const r = new Rng(i);
          const x = randn(r, shape);
          const y = tf.slice(x, begin, size);
          const w = randn(r, y.shape);
          return [y, tf.slice(tf.cast(tf.mul(x, 10), 'int32'), begin, size), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.slice(a, begin, size), w)))(x)];
        },
        0,
        `shape ${shape} begin ${begin} size ${size}`,
      );
    }
  });
});

describe('Tile on wasm', () => {
  it('matches cpu over random ranks, shapes and repetitions, with gradients', async () => {
    const rng = new Rng(33);
    for (let i = 0; i < 60; i++) {
      const rank = 1 + rng.int(4); // tfjs' Tile gradient stops at rank 4
      const shape = randomShape(rng, rank, rank > 3 ? 4 : 20);
      const reps = shape.map(() => 1 + rng.int(3));
      await expectSameOnBoth(
        () => {
          const r = new Rng(i);
          const x = randn(r, shape);
          const y = tf.tile(x, reps);
          const w = randn(r, y.shape);
          return [y, tf.tile(tf.cast(tf.mul(x, 10), 'int32'), reps), tf.tile(tf.greater(x, 0), reps), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.tile(a, reps), w)))(x)];
        },
        1e-6,
        `shape ${shape} reps ${reps}`,
      );
    }
  });

  it('tiles the per-channel vectors of the batch-norm gradient', async () => {
    await expectSameOnBoth(() => tf.tile(randn(new Rng(1), [1, 1, 1, 64]), [16, 8, 8, 1]), 0);
    await expectSameOnBoth(() => tf.tile(tf.reshape(tf.scalar(3), [1]), [7]), 0);
  });
});

describe('Identity on wasm', () => {
  it('shares the buffer (no copy) and frees it only when the last user disposes it', async () => {
    await tf.setBackend('wasm');
    const b = wasmBackend();
    const ids = b.numDataIds();
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    expect(b.numDataIds()).toBe(ids + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(b.numDataIds()).toBe(ids);
  });

  it('keeps gradients right for ops that save their inputs (clones) for backprop', async () => {
    await expectSameOnBoth(() => {
      const x = randn(new Rng(9), [4, 5]);
      return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.exp(a), tf.sigmoid(a))))(x);
    });
  });
});

describe('layout kernels', () => {
  it('leak no tensors, data or heap', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([4, 5, 6, 7]);
    const run = () =>
      tf.tidy(() => [tf.transpose(x, [3, 1, 2, 0]), tf.slice(x, [1, 1, 1, 1], [2, 3, 4, 5]), tf.tile(x, [1, 2, 1, 2]), tf.clone(x)].map((t) => t.dataSync()));
    for (let i = 0; i < 3; i++) run();
    const before = resourceSnapshot();
    for (let i = 0; i < 20; i++) run();
    expect(resourceSnapshot()).toEqual(before);
    x.dispose();
  });
});
