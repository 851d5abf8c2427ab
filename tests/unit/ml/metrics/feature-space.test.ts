import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/ml/backend';
import { FEATURE_DIM, FeatureSpace, featureSpaceKey, featureSpacePath, loadOrFitFeatureSpace } from '../../../../src/main/ml/metrics/feature-space';
import { kid } from '../../../../src/main/ml/metrics/kid';
import { precisionRecall } from '../../../../src/main/ml/metrics/precision_recall';
import { blur, noise, shapes, slice, type Images } from './synthetic';

describe('FeatureSpace', () => {
  const data = shapes(200, 1);
  let dir: string;
  let space: FeatureSpace;
  const embed = (x: Images) => space.embed(x.pixels, x.count, x.size, x.channels);

  beforeAll(async () => {
    await initBackend('wasm', { threads: 2 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'atelier-features-'));
    const before = tf.memory().numTensors;
    const r = await loadOrFitFeatureSpace(data, dir);
    expect(r.fitted).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    space = r.space;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives FEATURE_DIM values per image, a training image with squared norm of the order of 1/kidGamma', () => {
    expect(space.dim).toBe(FEATURE_DIM);
    const f = embed(data);
    expect(f.length).toBe(data.count * FEATURE_DIM);
    let mean = 0;
    for (let i = 0; i < data.count; i++) {
      let s = 0;
      for (let j = 0; j < FEATURE_DIM; j++) s += f[i * FEATURE_DIM + j]! ** 2;
      mean += s / data.count;
    }
    // Under the nominal 1: the variance floor, squashing and values that never vary here (unused colour
    // bins) all shrink it, but it stays on the scale KID's kernel expects.
    expect(f.every(Number.isFinite)).toBe(true);
    expect(mean * space.kidGamma).toBeGreaterThan(0.2);
    expect(mean * space.kidGamma).toBeLessThan(1.2);
    // 16×16 grey and 64×64 RGBA inputs are converted, not rejected.
    expect(space.embed(new Uint8Array(2 * 16 * 16).fill(90), 2, 16, 1).length).toBe(2 * FEATURE_DIM);
    expect(space.embed(new Uint8Array(64 * 64 * 4).fill(200), 1, 64, 4).every(Number.isFinite)).toBe(true);
    expect(() => space.embed(new Uint8Array(10), 1, 4, 3)).toThrow(RangeError);
  });

  it('is cached per dataset and reloads to the same embedding', async () => {
    const key = featureSpaceKey(data);
    expect(space.key).toBe(key);
    const again = await loadOrFitFeatureSpace(data, dir);
    expect(again.fitted).toBe(false);
    const loaded = await FeatureSpace.load(featureSpacePath(dir, key));
    const probe = slice(data, 10, 20);
    expect(loaded.embed(probe.pixels, probe.count, probe.size, probe.channels)).toEqual(embed(probe));
    // Other pixels → another key; a damaged cache file is refitted, not trusted.
    expect(featureSpaceKey(slice(data, 0, 199))).not.toBe(key);
    await writeFile(featureSpacePath(dir, key), 'garbage');
    expect((await loadOrFitFeatureSpace(data, dir)).fitted).toBe(true);
  });

  it('is deterministic: the same pixels fit the same space', () => {
    const small = slice(data, 0, 40);
    const a = FeatureSpace.fit(small);
    const b = FeatureSpace.fit(small);
    const probe = slice(data, 50, 60);
    expect(a.embed(probe.pixels, probe.count, probe.size, probe.channels)).toEqual(b.embed(probe.pixels, probe.count, probe.size, probe.channels));
  });

  it('orders KID: same distribution < blurred < noise, and precision/recall follow', () => {
    const real = embed(data);
    const d = space.dim;
    const opts = { subsets: 30, subsetSize: 100, gamma: space.kidGamma };
    const fresh = shapes(150, 2);
    const kSame = kid(real, embed(fresh), d, opts);
    const kBlur = kid(real, embed(blur(fresh, 2)), d, opts);
    const kNoise = kid(real, embed(noise(150, 3)), d, opts);
    expect(Math.abs(kSame.mean)).toBeLessThan(0.05);
    expect(kBlur.mean).toBeGreaterThan(kSame.mean + kSame.std);
    expect(kNoise.mean).toBeGreaterThan(10 * kBlur.mean);
    const prSame = precisionRecall(real, embed(fresh), d);
    const prNoise = precisionRecall(real, embed(noise(150, 3)), d);
    expect(prSame.precision).toBeGreaterThan(0.8);
    expect(prSame.recall).toBeGreaterThan(0.8);
    expect(prNoise.precision).toBeLessThan(0.1);
    expect(prNoise.recall).toBeLessThan(0.1);
  });

  it('refuses datasets too small to fit', () => {
    expect(() => FeatureSpace.fit(slice(data, 0, 2))).toThrow(/at least 3/);
  });
});
