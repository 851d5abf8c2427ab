import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameOnBoth, randn, resourceSnapshot, Rng, setupBackends } from './helpers';

beforeAll(setupBackends);

/** Random [batch..., rows, cols] shapes for a product, with batches that broadcast as tfjs allows. */
function randomCase(rng: Rng): { aShape: number[]; bShape: number[]; ta: boolean; tb: boolean } {
  const m = 1 + rng.int(9);
  const k = 1 + rng.int(9);
  const n = 1 + rng.int(9);
  const ta = rng.int(2) === 1;
  const tb = rng.int(2) === 1;
  const batch = 1 + rng.int(4);
  const batchShapes: [number[], number[]][] = [
    [[], []],
    [[batch], [batch]],
    [[batch], []],
    [[], [batch]],
    [[batch], [1]],
    [[2, batch], [2, batch]],
    [[2, batch], [batch]],
  ];
  const [ba, bb] = batchShapes[rng.int(batchShapes.length)]!;
  return { aShape: [...ba, ...(ta ? [k, m] : [m, k])], bShape: [...bb, ...(tb ? [n, k] : [k, n])], ta, tb };
}

function sameBatch(c: { aShape: number[]; bShape: number[] }): boolean {
  return JSON.stringify(c.aShape.slice(0, -2)) === JSON.stringify(c.bShape.slice(0, -2));
}

describe('BatchMatMul and _FusedMatMul on wasm', () => {
  it('match cpu over random shapes, transposes and batch broadcasting, with gradients', async () => {
    const rng = new Rng(21);
    for (let i = 0; i < 60; i++) {
      const c = randomCase(rng);
      await expectSameOnBoth(
        () => {
          const r = new Rng(100 + i);
          const a = randn(r, c.aShape);
          const b = randn(r, c.bShape);
          const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, c.ta, c.tb);
          const y = f(a, b);
          const w = randn(r, y.shape);
          // tfjs' BatchMatMul gradient does not reduce broadcast batches, so only equal batches get one.
          if (!sameBatch(c)) return [y];
          return [y, ...tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(f(x, z), w)))([a, b])];
        },
        1e-5,
        `a ${c.aShape}${c.ta ? 'ᵀ' : ''} b ${c.bShape}${c.tb ? 'ᵀ' : ''}`,
      );
    }
  });

  it('fused matMul with bias and activations matches cpu, with gradients', async () => {
    const rng = new Rng(22);
    const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const;
    for (let i = 0; i < 24; i++) {
      let c = randomCase(rng);
      // tfjs' fused op (on every backend) does not broadcast batches; BatchMatMul above covers that.
      while (!sameBatch(c)) c = randomCase(rng);
      const activation = activations[i % activations.length]!;
      await expectSameOnBoth(
        () => {
          const r = new Rng(200 + i);
          const a = randn(r, c.aShape);
          const b = randn(r, c.bShape);
          const n = c.tb ? c.bShape[c.bShape.length - 2]! : c.bShape[c.bShape.length - 1]!;
          const bias = randn(r, [n]);
          const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
            tf.fused.matMul({ a: x, b: y, transposeA: c.ta, transposeB: c.tb, bias: z, activation, leakyreluAlpha: 0.1 });
          const y = f(a, b, bias);
          const w = randn(r, y.shape);
          // tfjs has gradients for the linear and relu fused forms only.
          const grads = (activation === 'linear' || activation === 'relu') && sameBatch(c) ? tf.grads((x: tf.Tensor, z: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(f(x, z, q), w)))([a, b, bias]) : [];
          return [y, ...grads];
        },
        1e-5,
        `${activation} a ${c.aShape}${c.ta ? 'ᵀ' : ''} b ${c.bShape}${c.tb ? 'ᵀ' : ''}`,
      );
    }
  });

  it('matches cpu on dense-layer sizes (one XNNPACK product per batch entry or a folded batch)', async () => {
    for (const [aShape, bShape, ta, tb] of [
      [[200, 64], [200, 96], true, false],
      [[4, 33, 40], [4, 33, 50], true, false],
      [[4, 33, 40], [50, 40], false, true],
    ] as [number[], number[], boolean, boolean][]) {
      await expectSameOnBoth(() => {
        const r = new Rng(7);
        return tf.matMul(randn(r, aShape), randn(r, bShape), ta, tb);
      }, 1e-5, `${aShape} x ${bShape}`);
    }
  });

  it('leaks no tensors, data or heap', async () => {
    await tf.setBackend('wasm');
    const a = tf.randomNormal([3, 20, 30]);
    const b = tf.randomNormal([3, 40, 30]);
    const run = () => tf.tidy(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y, false, true)))([a, b])[0]!.dataSync());
    for (let i = 0; i < 5; i++) run();
    const before = resourceSnapshot();
    for (let i = 0; i < 30; i++) run();
    expect(resourceSnapshot()).toEqual(before);
    tf.dispose([a, b]);
  });
});
