import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  featureSpread,
  loadTrainingFeatures,
  memorisationThreshold,
  nearestItems,
  nearestNeighbours,
  saveTrainingFeatures,
  trainingFeaturesPath,
  trainingNeighbourDistances,
} from '../../../../src/main/ml/metrics/nearest';
import { Rng } from '../../../../src/main/ml/rng';

const d = 8;
function points(n: number, seed: number): Float32Array {
  return new Rng(seed).normals(n * d);
}

function bruteNearest(train: Float32Array, q: Float32Array): { index: number; distance: number } {
  let best = { index: -1, distance: Infinity };
  for (let j = 0; j < train.length / d; j++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += (q[t]! - train[j * d + t]!) ** 2;
    if (Math.sqrt(s) < best.distance) best = { index: j, distance: Math.sqrt(s) };
  }
  return best;
}

describe('nearest neighbours', () => {
  const train = points(100, 1);

  it('matches brute force', () => {
    const queries = points(20, 2);
    const got = nearestNeighbours(train, queries, d);
    got.forEach((g, i) => {
      const want = bruteNearest(train, queries.subarray(i * d, (i + 1) * d));
      expect(g.index).toBe(want.index);
      expect(g.distance).toBeCloseTo(want.distance, 5);
    });
  });

  it('finds a copied training row at distance 0', () => {
    const q = train.slice(37 * d, 38 * d);
    expect(nearestNeighbours(train, q, d)).toEqual([{ index: 37, distance: 0 }]);
  });

  it('threshold: half the median nearest-other distance, at most a third of the spread; duplicates ignored', () => {
    const nn = Array.from(trainingNeighbourDistances(train, d)).sort((a, b) => a - b);
    const median = (nn[49]! + nn[50]!) / 2;
    const th = memorisationThreshold(train, d);
    expect(th).toBeCloseTo(Math.min(median / 2, featureSpread(train, d) / 3), 10);
    // Ten points spread widely: the absolute bound (a third of the spread) decides, not their spacing.
    const sparse = points(10, 4).map((v) => v * 10);
    expect(memorisationThreshold(sparse, d)).toBeCloseTo(featureSpread(sparse, d) / 3, 10);
    // Tightly packed points: the spacing decides.
    const tight = new Float32Array(100 * d);
    for (let i = 0; i < 100; i++) tight.set(train.subarray(i * d, (i + 1) * d).map((v) => v * 0.01 + (i % 2 ? 5 : -5)), i * d);
    const tnn = Array.from(trainingNeighbourDistances(tight, d)).sort((a, b) => a - b);
    expect(memorisationThreshold(tight, d)).toBeCloseTo((tnn[49]! + tnn[50]!) / 4, 10);
    // Duplicating rows does not drag the threshold to zero.
    const withDupes = new Float32Array(110 * d);
    withDupes.set(train);
    withDupes.set(train.subarray(0, 10 * d), 100 * d);
    expect(memorisationThreshold(withDupes, d)).toBeGreaterThan(0);
    expect(memorisationThreshold(new Float32Array(2 * d), d)).toBe(0);
    expect(() => memorisationThreshold(train, d, { relative: 2 })).toThrow(RangeError);
  });

  it('flags near-copies, not fresh samples', () => {
    const th = memorisationThreshold(train, d);
    const copy = train.slice(5 * d, 6 * d).map((v, i) => v + (i === 0 ? th * 0.1 : 0));
    const fresh = points(1, 99);
    const both = new Float32Array(2 * d);
    both.set(copy);
    both.set(fresh, d);
    const itemIds = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const [a, b] = nearestItems({ key: 'k', dim: d, features: train, itemIds, threshold: th }, both);
    expect(a).toMatchObject({ index: 5, itemId: 1005, memorised: true });
    expect(b!.memorised).toBe(false);
  });
});

describe('training-feature cache', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'atelier-trainfeat-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips features, item ids and threshold', async () => {
    const features = points(13, 3);
    const itemIds = Array.from({ length: 13 }, (_, i) => i * 2);
    expect(await loadTrainingFeatures(dir, 'abc')).toBeNull();
    await saveTrainingFeatures(dir, { key: 'abc', dim: d, features, itemIds, threshold: 0.25 });
    const back = await loadTrainingFeatures(dir, 'abc');
    expect(back).toEqual({ key: 'abc', dim: d, features, itemIds, threshold: 0.25 });
    await expect(saveTrainingFeatures(dir, { key: 'x', dim: d, features, itemIds: [1], threshold: 0 })).rejects.toThrow(RangeError);
    await writeFile(trainingFeaturesPath(dir, 'bad'), 'nope');
    // A cache written under the old threshold rule (no thresholdVersion) gets today's threshold.
    const file = trainingFeaturesPath(dir, 'abc');
    const buf = await readFile(file);
    const len = buf.readUInt32LE(8);
    const head = JSON.parse(buf.toString('utf8', 12, 12 + len)) as Record<string, unknown>;
    delete head.thresholdVersion;
    const oldJson = Buffer.from(JSON.stringify(head).padEnd(len, ' '), 'utf8');
    expect(oldJson.length).toBe(len);
    await writeFile(file, Buffer.concat([buf.subarray(0, 12), oldJson, buf.subarray(12 + len)]));
    expect((await loadTrainingFeatures(dir, 'abc'))!.threshold).toBeCloseTo(memorisationThreshold(features, d), 10);
    await expect(loadTrainingFeatures(dir, 'bad')).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
