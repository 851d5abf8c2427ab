import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQualityProbe, type QualityProbe } from '../../../src/main/jobs/train/quality';
import { initBackend } from '../../../src/main/ml/backend';
import type { ImageTensorData } from '../../../src/main/ml/data';
import { featureSpaceKey } from '../../../src/main/ml/metrics/feature-space';
import { loadTrainingFeatures } from '../../../src/main/ml/metrics/nearest';
import { TrainingSession } from '../../../src/main/ml/train/session';
import { shapes } from '../ml/metrics/synthetic';

/** 120 labelled 32×32 shape images with item ids. */
function dataset(): ImageTensorData {
  const img = shapes(120, 1);
  return {
    kind: 'image',
    size: 32,
    channels: 3,
    count: img.count,
    pixels: img.pixels,
    labels: Int32Array.from({ length: img.count }, (_, i) => i % 2),
    labelNames: ['a', 'b'],
    itemIds: Array.from({ length: img.count }, (_, i) => 500 + i),
  };
}

describe('quality probe', () => {
  const data = dataset();
  let dir: string;
  let probe: QualityProbe;

  beforeAll(async () => {
    await initBackend('wasm', { threads: 2 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'atelier-quality-'));
    // A token adherence budget: the classifier itself is tested in ml/metrics/adherence.test.ts.
    probe = await createQualityProbe(data, { seed: 3, cacheDir: path.join(dir, 'cache'), family: 'default', adherence: { minSteps: 10, maxSteps: 10 } });
  });

  afterAll(async () => {
    probe?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function checkpoint(family: 'default' | 'vae' | 'cgan', config: Record<string, number>): Promise<string> {
    const s = await TrainingSession.create({ family, data, seed: 1, batchSize: 8, config });
    s.trainStep();
    const file = path.join(dir, `${family}.ckpt`);
    await s.saveCheckpoint(file);
    s.dispose();
    return file;
  }

  it('caches the feature space and the training features with item ids', async () => {
    const files = await readdir(path.join(dir, 'cache', 'features'));
    const key = featureSpaceKey(data);
    expect(files.sort()).toEqual([`${key}.bin`, `${key}.train.bin`]);
    const train = await loadTrainingFeatures(path.join(dir, 'cache'), key);
    expect(train!.itemIds.slice(0, 2)).toEqual([500, 501]);
    expect(train!.features.length).toBe(120 * train!.dim);
    expect(train!.threshold).toBeGreaterThan(0);
  });

  it('scores a GAN checkpoint deterministically without leaking tensors', async () => {
    const file = await checkpoint('default', { width: 8, maxWidth: 32 });
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const a = await probe.evaluate(file);
    const cpu = process.cpuUsage(c0);
    console.log(`evaluate (GAN, 256 samples): wall ${Math.round(performance.now() - t0)} ms, cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms`, a);
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(a.metrics).sort()).toEqual(['kid', 'kidNoise', 'kidReal', 'kidStd', 'precision', 'recall']);
    expect(a.metric).toBeCloseTo(a.metrics['kid']! * 1000, 6);
    // The reference levels: the data against itself ≈ 0, noise far above it.
    expect(Math.abs(a.metrics['kidReal']!)).toBeLessThan(0.1);
    expect(a.metrics['kidNoise']!).toBeGreaterThan(20 * Math.max(0.05, a.metrics['kidReal']!));
    // An untrained generator is far from the data.
    expect(a.metrics['kid']!).toBeGreaterThan(0.1);
    expect(a.metrics['precision']!).toBeGreaterThanOrEqual(0);
    expect(a.metrics['recall']!).toBeLessThanOrEqual(1);
    expect(await probe.evaluate(file)).toEqual(a);
  });

  it('samples a conditional model in the data label proportions, and measures its prompt adherence', async () => {
    const file = await checkpoint('cgan', { width: 8, maxWidth: 32 });
    const before = tf.memory().numTensors;
    const r = await probe.evaluate(file);
    expect(Number.isFinite(r.metric)).toBe(true);
    // The adherence classifier (trained on the first conditional checkpoint, then kept) is the only addition.
    const held = tf.memory().numTensors - before;
    expect(held).toBeGreaterThan(0);
    const adherence = Object.keys(r.metrics).filter((k) => k.startsWith('adherence')).sort();
    expect(adherence).toEqual(['adherence', 'adherence/a', 'adherence/b', 'adherenceChance', 'adherenceReal', 'adherenceReal/a', 'adherenceReal/b']);
    expect(r.metrics['adherenceChance']).toBe(0.5);
    for (const k of adherence) expect(r.metrics[k]).toBeGreaterThanOrEqual(0);
    for (const k of adherence) expect(r.metrics[k]).toBeLessThanOrEqual(1);
    expect(r.metrics['adherence']).toBeCloseTo((r.metrics['adherence/a']! + r.metrics['adherence/b']!) / 2, 9);
    expect(await readdir(path.join(dir, 'cache', 'adherence'))).toHaveLength(1);
    // Fixed latents: the same checkpoint scores the same, and nothing more stays allocated.
    expect(await probe.evaluate(file)).toEqual(r);
    expect(tf.memory().numTensors - before).toBe(held);
  });

  it('adds the held-out reconstruction MSE for a VAE', async () => {
    const file = await checkpoint('vae', { width: 8, maxWidth: 32, latentDim: 16 });
    const before = tf.memory().numTensors;
    const r = await probe.evaluate(file);
    console.log('VAE', r);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.metrics['reconMse']).toBeGreaterThan(0);
    expect(r.metrics['reconMse']).toBeLessThan(4); // values in [-1, 1]
    // With other data the stored split no longer names the same images: reconMse is skipped.
    const other = { ...data, count: 60, pixels: data.pixels.slice(0, 60 * 32 * 32 * 3), labels: data.labels!.slice(0, 60), itemIds: undefined };
    const p2 = await createQualityProbe(other, { seed: 3, cacheDir: path.join(dir, 'cache'), family: 'vae' });
    expect((await p2.evaluate(file)).metrics['reconMse']).toBeUndefined();
    p2.dispose();
  });

  it('refuses to evaluate after dispose', async () => {
    const p = await createQualityProbe(data, { seed: 3, cacheDir: path.join(dir, 'cache'), family: 'default' });
    p.dispose();
    await expect(p.evaluate(path.join(dir, 'default.ckpt'))).rejects.toThrow(/disposed/);
  });
});
