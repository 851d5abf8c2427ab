import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSampler, type Sampler } from '../../../../src/main/ml/sample/sampler';
import { encodeLatent, planSource } from '../../../../src/main/ml/sample/latents';
import { decodeTruncated, truncateLatent } from '../../../../src/main/ml/sample/truncation';
import { TrainingSession } from '../../../../src/main/ml/train/session';
import type { ImageFamily } from '../../../../src/main/ml/models';
import { TINY, blobs, tmpDir, useTestBackend } from '../train/helpers';

let dir: string;
const files: Partial<Record<ImageFamily, string>> = {};

/** Trains `steps` steps of a tiny model and saves it; returns the checkpoint path. */
async function trained(family: ImageFamily, steps = 2, config: object = {}): Promise<string> {
  const s = await TrainingSession.create({
    family,
    config: { ...TINY[family], ...config } as never,
    data: blobs({ count: 8, labelled: family === 'cgan', size: family === 'mlpgan' ? 28 : 32, channels: family === 'mlpgan' ? 1 : 3 }),
    seed: 21,
  });
  const file = path.join(dir, `${family}-${Object.keys(config).join('-')}.ckpt`);
  try {
    for (let i = 0; i < steps; i++) s.trainStep();
    await s.saveCheckpoint(file);
  } finally {
    s.dispose();
  }
  return file;
}

async function withGenerator<T>(file: string, fn: (g: Sampler) => T | Promise<T>): Promise<T> {
  const g = await loadSampler(file);
  try {
    return await fn(g);
  } finally {
    g.dispose();
  }
}

beforeAll(async () => {
  await useTestBackend();
  dir = tmpDir();
  files.default = await trained('default');
  files.cgan = await trained('cgan', 2, { condRampSteps: 0 });
  files.vae = await trained('vae', 4);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Sampler', () => {
  it('describes its model', async () => {
    await withGenerator(files.default!, (g) => {
      expect(g).toMatchObject({ family: 'default', size: 32, channels: 3, latentDim: 8, step: 2, labelNames: [], tagNames: [] });
      expect(g.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(g.canEncode).toBe(false);
    });
  });

  it('same seed and settings give byte-identical pixels, across loads', async () => {
    const req = { seed: 42, count: 20, truncation: 0.7 };
    const first = await withGenerator(files.default!, (g) => g.sample(req));
    const n = tf.memory().numTensors;
    const second = await withGenerator(files.default!, (g) => {
      const a = g.sample(req);
      const b = g.sample(req);
      expect(b.images.map((i) => i.pixels)).toEqual(a.images.map((i) => i.pixels));
      return a;
    });
    expect(tf.memory().numTensors).toBe(n);
    expect(second.latents).toEqual(first.latents);
    expect(second.images.map((i) => i.pixels)).toEqual(first.images.map((i) => i.pixels));
    expect(first.images).toHaveLength(20);
    expect(first.images[0]).toMatchObject({ width: 32, height: 32, channels: 3 });
    expect(first.latents).toHaveLength(20 * 8);
  });

  it('different seeds differ; truncation moves latents towards the model’s centre; decodeLatents reproduces a sample', async () => {
    await withGenerator(files.default!, (g) => {
      const a = g.sample({ seed: 1, count: 3 });
      const b = g.sample({ seed: 2, count: 3 });
      expect(b.images[0]!.pixels).not.toEqual(a.images[0]!.pixels);
      const t = g.sample({ seed: 1, count: 3, truncation: 0.5 });
      const { centre } = g.truncationAnchor();
      const d = g.latentDim;
      for (let i = 0; i < 3; i++) {
        // One truncation (ml/sample/truncation.ts), at ψ or lower where a thin image was drawn again.
        expect(t.psis[i]).toBeLessThanOrEqual(0.5);
        const want = truncateLatent(a.latents.subarray(i * d, (i + 1) * d), t.psis[i]!, centre);
        Array.from(t.latents.subarray(i * d, (i + 1) * d)).forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 6));
      }
      expect(g.truncationAnchor()).toBe(g.truncationAnchor()); // computed once per loaded model
      expect(g.decodeLatents(a.latents).map((i) => i.pixels)).toEqual(a.images.map((i) => i.pixels));
      const given = g.sample({ seed: 999, count: 3, latents: a.latents });
      expect(given.images.map((i) => i.pixels)).toEqual(a.images.map((i) => i.pixels));
      expect(() => g.sample({ seed: 1, count: 2, latents: new Float32Array(5) })).toThrow(/latents/);
      expect(() => g.sample({ seed: 1, count: 0 })).toThrow();
      expect(() => g.sample({ seed: 1, count: 1, truncation: 1.5 })).toThrow(/truncation/);
    });
  });

  it('Create’s plans take the sampler’s one truncation path: a drawn plan is what sample() draws; a stored latent is kept', async () => {
    await withGenerator(files.default!, (g) => {
      const d = g.latentDim;
      const decode = (z: Float32Array) => g.decodeLatents(z);
      for (const psi of [1, 0.6, 0.3]) {
        for (const seed of [3, 40]) {
          const viaSampler = g.sample({ seed, count: 1, truncation: psi });
          const viaPlan = decodeTruncated([planSource({ mode: 'sample', seed }, d)], d, psi, () => g.truncationAnchor(), decode);
          expect(viaPlan.latents).toEqual(viaSampler.latents);
          expect(viaPlan.psis).toEqual(viaSampler.psis);
          expect(viaPlan.images[0]!.pixels).toEqual(viaSampler.images[0]!.pixels);
        }
      }
      const stored = g.sample({ seed: 5, count: 1 }).latents;
      const kept = decodeTruncated([planSource({ mode: 'latent', latent: encodeLatent(stored) }, d)], d, 0.3, () => g.truncationAnchor(), decode);
      expect(kept.latents).toEqual(stored);
      expect(kept.psis).toEqual([0.3]);
    });
  });

  it('an image does not depend on its batch mates (jobs decode in batches of any size)', async () => {
    for (const family of ['default', 'cgan', 'vae'] as const) {
      await withGenerator(files[family]!, (g) => {
        const condition = family === 'cgan' ? { labels: { 'dog face': 1 } } : undefined;
        const all = g.sample({ seed: 8, count: 20, condition });
        const d = g.latentDim;
        for (const i of [0, 5, 17]) {
          const alone = g.decodeLatents(all.latents.slice(i * d, (i + 1) * d), condition);
          expect(alone[0]!.pixels).toEqual(all.images[i]!.pixels);
        }
      });
    }
  });

  it('principalDirections: k deterministic orthonormal latent vectors', async () => {
    await withGenerator(files.default!, (g) => {
      const d = g.latentDim;
      const dirs = g.principalDirections(3);
      expect(dirs).toHaveLength(3 * d);
      const dot = (i: number, j: number) => {
        let s = 0;
        for (let k = 0; k < d; k++) s += dirs[i * d + k]! * dirs[j * d + k]!;
        return s;
      };
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(dot(i, j)).toBeCloseTo(i === j ? 1 : 0, 3);
      expect(g.principalDirections(3)).toEqual(dirs);
    });
  });

  it('a conditional model takes label/tag weights by name for every image of the request', async () => {
    await withGenerator(files.cgan!, (g) => {
      expect(g.labelNames).toEqual(['cat face', 'dog face']);
      expect(g.tagNames).toEqual(['smiling', 'round']);
      const cat = g.sample({ seed: 5, count: 3, condition: { labels: { 'cat face': 1 } } });
      const dog = g.sample({ seed: 5, count: 3, condition: { labels: { 'dog face': 1 } } });
      const mix = g.sample({ seed: 5, count: 3, condition: { labels: { 'cat face': 0.7, 'dog face': 0.3 }, tags: { smiling: 1 } } });
      expect(cat.images).toHaveLength(3);
      expect(cat.latents).toEqual(dog.latents);
      expect(dog.images[0]!.pixels).not.toEqual(cat.images[0]!.pixels);
      expect(mix.images[0]!.pixels).not.toEqual(cat.images[0]!.pixels);
      expect(g.sample({ seed: 5, count: 3, condition: { labels: { 'cat face': 1 } } }).images.map((i) => i.pixels)).toEqual(
        cat.images.map((i) => i.pixels),
      );
      expect(() => g.sample({ seed: 5, count: 1, condition: { labels: { 'owl face': 1 } } })).toThrow(/no label "owl face"/);
      expect(() => g.sample({ seed: 5, count: 1, condition: { tags: { smiling: Number.NaN } } })).toThrow(/number/);
    });
  });

  it('an unconditional model rejects a condition it cannot honour', async () => {
    await withGenerator(files.default!, (g) => {
      expect(() => g.sample({ seed: 1, count: 1, condition: { labels: { 'cat face': 1 } } })).toThrow(/no label/);
    });
  });

  it('VAE: encode maps images to latents (posterior means) that decode', async () => {
    const data = blobs({ count: 4 });
    await withGenerator(files.vae!, (g) => {
      expect(g.canEncode).toBe(true);
      const per = 32 * 32 * 3;
      const images = Array.from({ length: 4 }, (_, i) => ({ pixels: data.pixels.slice(i * per, (i + 1) * per), width: 32, height: 32, channels: 3 }));
      const z = g.encode(images);
      expect(z).toHaveLength(4 * g.latentDim);
      expect(g.encode(images)).toEqual(z);
      const back = g.decodeLatents(z);
      expect(back).toHaveLength(4);
      expect(back[0]).toMatchObject({ width: 32, height: 32, channels: 3 });
      // Other sizes and channel counts are prepared like training data.
      const grey = { pixels: new Uint8Array(48 * 40).fill(200), width: 48, height: 40, channels: 1 };
      expect(g.encode([grey])).toHaveLength(g.latentDim);
      expect(() => g.encode([{ ...grey, channels: 2 }])).toThrow();
    });
    await withGenerator(files.default!, (g) => {
      expect(() => g.encode([{ pixels: new Uint8Array(32 * 32 * 3), width: 32, height: 32, channels: 3 }])).toThrow(/cannot encode/);
    });
  });

  it('a missing checkpoint is a not_found AtelierError', async () => {
    await expect(loadSampler(path.join(dir, 'nope.ckpt'))).rejects.toMatchObject({ code: 'not_found' });
  });
});
