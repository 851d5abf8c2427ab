import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../../../src/main/ml/nn/adam';
import '../../../../src/main/ml/models/common'; // registers the training gradients
import { gram, topEigenvectors } from '../../../../src/main/ml/nn/linalg';
import { ParamStore } from '../../../../src/main/ml/nn/params';
import { SpectralNorm, disposeVectors } from '../../../../src/main/ml/nn/spectral-norm';
import { Rng } from '../../../../src/main/ml/rng';
import { diffAugment, drawDiffAugment } from '../../../../src/main/ml/nn/diffaugment';
import { SMALL_GAN_LEGACY, mbstdGroupFor, minibatchStd } from '../../../../src/main/ml/models/small-gan';

beforeAll(async () => {
  await tf.setBackend('cpu'); // exact reference arithmetic; these tensors are tiny
});

describe('Rng', () => {
  it('is deterministic per seed and resumes exactly from its state', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    expect(Array.from({ length: 5 }, () => a.nextUint32())).toEqual(Array.from({ length: 5 }, () => b.nextUint32()));
    a.normal(); // leaves a cached spare: part of the state
    const copy = Rng.fromState(JSON.parse(JSON.stringify(a.state())));
    expect(Array.from(copy.normals(7))).toEqual(Array.from(a.normals(7)));
    expect(new Rng(124).nextUint32()).not.toBe(new Rng(123).nextUint32());
  });

  it('draws standard normals and unbiased integers', () => {
    const r = new Rng(5);
    const v = r.normals(20000);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[r.int(3)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('Adam', () => {
  it('matches the PyTorch update rule and keeps its state in the store', () => {
    const store = new ParamStore();
    const w = store.add('w', tf.tensor1d([1, -2]));
    const adam = new Adam(store, 'X', store.list({ role: 'param' }), { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const g = [0.5, -1];
    let m = [0, 0];
    let v = [0, 0];
    const ref = [1, -2];
    for (let t = 1; t <= 3; t++) {
      const grad = tf.tensor1d(g);
      adam.apply({ [w.name]: grad });
      grad.dispose();
      m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
      v = v.map((vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
      for (let i = 0; i < 2; i++) {
        const mHat = m[i]! / (1 - 0.9 ** t);
        const vHat = v[i]! / (1 - 0.999 ** t);
        ref[i] = ref[i]! - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    }
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(ref[0]!, 5);
    expect(got[1]).toBeCloseTo(ref[1]!, 5);
    expect(adam.step).toBe(3);
    expect(store.counters['adam/X/step']).toBe(3);
    expect(store.list({ role: 'opt' }).map((e) => e.name)).toEqual(['opt/X/m/w', 'opt/X/v/w']);
    store.dispose();
  });
});

describe('SpectralNorm', () => {
  it('power iteration finds the largest singular value; W/σ has unit spectral norm', () => {
    const store = new ParamStore();
    const rng = new Rng(3);
    const values = rng.normals(4 * 4 * 3 * 5);
    store.add('D/conv/w', tf.tensor4d(values, [4, 4, 3, 5]));
    const sn = new SpectralNorm(['D/conv/w']);
    sn.create(store, rng);
    disposeVectors(sn.powerIterate(store, 60));
    // Reference: σ² = top eigenvalue of WᵀW (5×5), W viewed as [48, 5].
    const wt = new Float32Array(5 * 48);
    for (let r = 0; r < 48; r++) for (let c = 0; c < 5; c++) wt[c * 48 + r] = values[r * 5 + c]!;
    const g = gram(wt, 5, 48);
    const top = topEigenvectors(g, 5, 1);
    let lambda = 0;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) lambda += top[i]! * g[i * 5 + j]! * top[j]!;
    expect(sn.sigma(store, 'D/conv/w')).toBeCloseTo(Math.sqrt(lambda), 3);
    const before = tf.memory().numTensors;
    const vectors = sn.powerIterate(store, 1);
    const normalised = tf.tidy(() => {
      const wn = sn.normalized((n) => store.get(n), vectors)('D/conv/w');
      return tf.reshape(wn, [48, 5]).dataSync();
    });
    disposeVectors(vectors);
    expect(tf.memory().numTensors).toBe(before);
    const wnt = new Float32Array(5 * 48);
    for (let r = 0; r < 48; r++) for (let c = 0; c < 5; c++) wnt[c * 48 + r] = normalised[r * 5 + c]!;
    const gn = gram(wnt, 5, 48);
    const topN = topEigenvectors(gn, 5, 1);
    let lambdaN = 0;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) lambdaN += topN[i]! * gn[i * 5 + j]! * topN[j]!;
    expect(Math.sqrt(lambdaN)).toBeCloseTo(1, 3);
    store.dispose();
  });
});

describe('DiffAugment', () => {
  const size = 8;
  const image = (seed: number) => tf.tensor4d(new Rng(seed).normals(2 * size * size * 3), [2, size, size, 3]);

  it('applies the same draw to real and fake batches, deterministically', () => {
    const p = drawDiffAugment(new Rng(1), 2, size);
    const q = drawDiffAugment(new Rng(1), 2, size);
    expect(q).toEqual(p);
    const x = image(1);
    const a = diffAugment(x, p);
    const b = diffAugment(tf.clone(x), p);
    expect(a.dataSync()).toEqual(b.dataSync());
    expect(a.shape).toEqual(x.shape);
    expect(a.dataSync()).not.toEqual(x.dataSync());
    // Cutout zeroes (part of) a square half the side wide.
    const zeros = Array.from(diffAugment(x, { ...p, ops: ['cutout'] }).dataSync()).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    tf.dispose([x, a, b]);
  });

  it('is differentiable: the gradient of Σ c·aug(x) w.r.t. x is the exact inverse of the pixel move', () => {
    const p = drawDiffAugment(new Rng(4), 2, size, ['translation', 'cutout']);
    const x = image(2);
    const c = image(3);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(diffAugment(input as tf.Tensor4D, p), c)))(x);
    // Finite differences are exact here (the op is linear in x): compare with one-hot probes.
    const g = grad.dataSync();
    for (const i of [0, 17, 100, 250, 383]) {
      const e = new Float32Array(x.size);
      e[i] = 1;
      const probe = tf.tensor4d(e, x.shape);
      const expected = tf.sum(tf.mul(diffAugment(probe, p), c)).dataSync()[0]!;
      expect(g[i]).toBeCloseTo(expected, 5);
      probe.dispose();
    }
    tf.dispose([x, c, grad]);
  });
});

describe('minibatch standard deviation', () => {
  it('is 0 for a group of identical images, positive otherwise, and never mixes groups', () => {
    const rng = new Rng(3);
    const same = tf.tile(tf.tensor4d(rng.normals(2 * 2 * 3), [1, 2, 2, 3]), [4, 1, 1, 1]) as tf.Tensor4D;
    const varied = tf.tensor4d(rng.normals(4 * 2 * 2 * 3), [4, 2, 2, 3]);
    const x = tf.concat([same, varied]); // two groups of 4: [identical; varied]
    const s = minibatchStd(x, 4).arraySync().map((r) => r[0]!);
    for (const v of s.slice(0, 4)) expect(v).toBeLessThan(1e-3);
    for (const v of s.slice(4)) expect(v).toBeGreaterThan(0.3);
    expect(new Set(s.slice(4).map((v) => v.toFixed(6))).size).toBe(1); // one value per group
    // Its gradient pushes identical images apart only through their own group.
    const g = tf.grad((t: tf.Tensor) => tf.sum(minibatchStd(t as tf.Tensor4D, 4)))(varied);
    expect(Number.isFinite(tf.sum(tf.abs(g)).arraySync() as number)).toBe(true);
    tf.dispose([same, varied, x, g]);
  });

  it('uses a divisor of the batch size so [reals; fakes] never share a group', () => {
    expect(mbstdGroupFor(4, 16)).toBe(4);
    expect(mbstdGroupFor(4, 10)).toBe(2);
    expect(mbstdGroupFor(4, 7)).toBe(0); // prime: no group of 2+
    expect(mbstdGroupFor(0, 16)).toBe(0);
    expect(mbstdGroupFor(SMALL_GAN_LEGACY.mbstdGroup, 16)).toBe(0); // configs written before the option: off
  });
});
