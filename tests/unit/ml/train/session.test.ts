import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingSession } from '../../../../src/main/ml/train/session';
import { encodeCheckpoint, readCheckpoint, writeFileAtomic } from '../../../../src/main/ml/checkpoint';
import { loadSampler } from '../../../../src/main/ml/sample/sampler';
import { SMALL_GAN_LEGACY } from '../../../../src/main/ml/models/small-gan';
import { familyModule } from '../../../../src/main/ml/models';
import { DivergedError } from '../../../../src/main/ml/guards';
import { FAMILIES, TINY, allFinite, blobs, tmpDir, useTestBackend } from './helpers';

let dir: string;

beforeAll(async () => {
  await useTestBackend();
  dir = tmpDir();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (file: string) => readCheckpoint(file).then((c) => c.sha256);

describe('checkpoint and resume', () => {
  it.each(FAMILIES)('%s: resume continues with identical losses and state', async (family) => {
    const data = blobs({ count: 10, labelled: family === 'cgan' });
    const config = TINY[family] as never;
    const a = await TrainingSession.create({ family, config, data, seed: 11, gridSide: 2 });
    const mid = path.join(dir, `${family}-mid.ckpt`);
    const endA = path.join(dir, `${family}-a.ckpt`);
    const endB = path.join(dir, `${family}-b.ckpt`);
    let lossesA: Record<string, number>[];
    let gridA: Uint8Array;
    try {
      a.trainStep();
      a.trainStep();
      await a.saveCheckpoint(mid);
      lossesA = [a.trainStep().losses, a.trainStep().losses];
      gridA = a.sampleGrid().pixels;
      await a.saveCheckpoint(endA);
    } finally {
      a.dispose();
    }
    const b = await TrainingSession.resume(mid, data);
    try {
      expect(b.step).toBe(2);
      expect(b.family).toBe(family);
      expect(b.config).toEqual(a.config);
      expect(b.vocab).toEqual(a.vocab);
      const lossesB = [b.trainStep().losses, b.trainStep().losses];
      expect(lossesB).toEqual(lossesA);
      expect(b.sampleGrid().pixels).toEqual(gridA);
      await b.saveCheckpoint(endB);
    } finally {
      b.dispose();
    }
    // Same weights, optimizer moments, RNG, data order, EMA, SN vectors, BN statistics ⇒ the same file.
    expect(await sha(endB)).toBe(await sha(endA));
  });

  it('the checkpoint carries weights, optimizer state, config, step and RNG state', async () => {
    const s = await TrainingSession.create({ family: 'default', config: TINY.default, data: blobs({ count: 6 }), seed: 3, gridSide: 2 });
    const file = path.join(dir, 'contents.ckpt');
    try {
      s.trainStep();
      await s.saveCheckpoint(file);
    } finally {
      s.dispose();
    }
    const ckpt = await readCheckpoint(file);
    const roles = new Set([...ckpt.tensors.values()].map((t) => t.role));
    expect([...roles].sort()).toEqual(['ema', 'opt', 'param', 'session', 'state']);
    expect(ckpt.header).toMatchObject({ family: 'default', step: 1, config: { width: 4, size: 32 } });
    expect(ckpt.header.counters).toMatchObject({ 'adam/G/step': 1, 'adam/D/step': 1 });
    expect((ckpt.header.session as { rng: { words: number[] } }).rng.words).toHaveLength(4);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('rejects a damaged checkpoint with a plain error', async () => {
    const s = await TrainingSession.create({ family: 'mlpgan', config: TINY.mlpgan, data: blobs({ count: 4, size: 28, channels: 1 }), seed: 3 });
    const file = path.join(dir, 'damaged.ckpt');
    try {
      await s.saveCheckpoint(file);
    } finally {
      s.dispose();
    }
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    await expect(TrainingSession.resume(file, blobs({ count: 4, size: 28, channels: 1 }))).rejects.toMatchObject({ code: 'invalid_input' });
    bytes[bytes.length - 200] ^= 0xff;
    fs.writeFileSync(file, bytes);
    await expect(readCheckpoint(file)).rejects.toThrow(/checksum/);
  });
});

describe('divergence', () => {
  it('NaN/Inf losses throw DivergedError; the session then refuses to step or save', async () => {
    const data = blobs({ count: 8, size: 28, channels: 1 });
    // An absurd learning rate overflows float32 on the first update.
    const s = await TrainingSession.create({ family: 'mlpgan', config: { ...TINY.mlpgan, lr: 1e30 }, data, seed: 4 });
    const file = path.join(dir, 'diverge.ckpt');
    try {
      await s.saveCheckpoint(file);
      const before = fs.readFileSync(file);
      let error: unknown;
      for (let i = 0; i < 5 && !error; i++) {
        try {
          s.trainStep();
        } catch (e) {
          error = e;
        }
      }
      expect(error).toBeInstanceOf(DivergedError);
      expect(error).toMatchObject({ code: 'diverged' });
      const step = (error as DivergedError).step;
      expect(step).toBeGreaterThanOrEqual(1);
      expect(Object.values((error as DivergedError).losses).some((v) => !Number.isFinite(v))).toBe(true);
      expect(() => s.trainStep()).toThrow(DivergedError);
      await expect(s.saveCheckpoint(file)).rejects.toBeInstanceOf(DivergedError);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
      expect(s.step).toBe(step - 1);
    } finally {
      s.dispose();
    }
    // The last good checkpoint still resumes.
    const again = await TrainingSession.resume(file, data);
    expect(again.step).toBe(0);
    again.dispose();
  });
});

describe('vae', () => {
  it('reconstruction MSE falls over 30 steps, on training and held-out images', async () => {
    const data = blobs({ count: 24, seed: 9 });
    const s = await TrainingSession.create({ family: 'vae', config: { ...TINY.vae, batchSize: 8, lr: 2e-3 }, data, seed: 6 });
    try {
      const heldBefore = s.heldOutReconstructionMse();
      expect(heldBefore).not.toBeNull();
      const mse: number[] = [];
      for (let i = 0; i < 30; i++) {
        const r = s.trainStep();
        expect(allFinite(r.losses)).toBe(true);
        expect(Object.keys(r.losses)).toEqual(['loss', 'reconMse', 'kl']);
        mse.push(r.losses.reconMse!);
      }
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      expect(mean(mse.slice(-5))).toBeLessThan(0.8 * mean(mse.slice(0, 5)));
      const eval_ = s.evaluateLosses();
      expect(Object.keys(eval_).sort()).toEqual(['heldOutKl', 'heldOutMse']);
      expect(s.heldOutReconstructionMse()).toBe(eval_.heldOutMse);
      expect(eval_.heldOutMse!).toBeLessThan(0.8 * heldBefore!);
    } finally {
      s.dispose();
    }
  });

  it('GAN families have no held-out reconstruction metric', async () => {
    const s = await TrainingSession.create({ family: 'mlpgan', config: TINY.mlpgan, data: blobs({ count: 4, size: 28, channels: 1 }), seed: 3 });
    expect(s.heldOutReconstructionMse()).toBeNull();
    expect(s.evaluateLosses()).toEqual({});
    s.dispose();
  });
});

describe('fine-tuning', () => {
  it('starts from a checkpoint, keeps old label rows and adds new labels', async () => {
    const data = blobs({ count: 8, labelled: true });
    const base = await TrainingSession.create({ family: 'cgan', config: TINY.cgan, data, seed: 8 });
    const file = path.join(dir, 'base.ckpt');
    try {
      base.trainStep();
      await base.saveCheckpoint(file);
    } finally {
      base.dispose();
    }
    const grown = { ...data, labelNames: ['dog face', 'cat face', 'owl face'], labels: Int32Array.from({ length: 8 }, (_, i) => i % 3) };
    const s = await TrainingSession.create({ family: 'cgan', data: grown, seed: 9, init: { checkpoint: file, freezeDiscriminatorLayers: 1, lrScale: 0.5 } });
    try {
      expect(s.vocab.labelNames).toEqual(['cat face', 'dog face', 'owl face']);
      expect(s.step).toBe(0);
      expect(s.config).toMatchObject({ width: 4, condDim: 4 });
      const tuned = path.join(dir, 'tuned.ckpt');
      await s.saveCheckpoint(tuned);
      const [before, after] = await Promise.all([readCheckpoint(file), readCheckpoint(tuned)]);
      for (const table of ['G/label/w', 'ema/G/label/w', 'D/label/w']) {
        const old = before.tensors.get(table)!;
        const now = after.tensors.get(table)!;
        const cols = old.shape[1]!;
        expect(now.shape).toEqual([3, cols]);
        expect(now.data.subarray(0, 2 * cols)).toEqual(old.data.subarray(0, 2 * cols)); // same names, same rows
      }
      expect(after.tensors.get('D/conv0/w')!.data).toEqual(before.tensors.get('D/conv0/w')!.data);
      const n = tf.memory().numTensors;
      expect(allFinite(s.trainStep().losses)).toBe(true);
      expect(allFinite(s.trainStep().losses)).toBe(true);
      expect(tf.memory().numTensors).toBe(n);
    } finally {
      s.dispose();
    }
  });

  it('a checkpoint written before the G/D design options existed keeps its own architecture', async () => {
    const data = blobs({ count: 8, channels: 4 });
    const legacy = { ...TINY.default, channels: 4 as const, ...SMALL_GAN_LEGACY };
    const old = await TrainingSession.create({ family: 'default', config: legacy, data, seed: 4 });
    const file = path.join(dir, 'legacy.ckpt');
    try {
      old.trainStep();
      await old.saveCheckpoint(file);
    } finally {
      old.dispose();
    }
    // Rewrite it as an older build wrote it: no such fields in the config.
    const c = await readCheckpoint(file);
    const config = { ...c.header.config };
    for (const k of [...Object.keys(SMALL_GAN_LEGACY), 'lrEnd', 'lrDecaySteps']) delete config[k];
    await writeFileAtomic(file, encodeCheckpoint({ ...c.header, config }, [...c.tensors.values()]));

    const tuned = await TrainingSession.create({ family: 'default', data, seed: 5, init: { checkpoint: file } });
    const out = path.join(dir, 'legacy-tuned.ckpt');
    try {
      expect(tuned.config).toMatchObject(SMALL_GAN_LEGACY);
      // …and its constant learning rate: no schedule it was not trained with (today's default has one).
      expect(familyModule('default').defaults({ size: 32, channels: 4 })).toMatchObject({ lrDecaySteps: expect.any(Number) });
      expect((tuned.config as { lrEnd?: number }).lrEnd).toBeUndefined();
      expect((tuned.config as { lrDecaySteps?: number }).lrDecaySteps).toBeUndefined();
      await tuned.saveCheckpoint(out);
      const after = await readCheckpoint(out);
      // Every tensor of the old design came over, Adam moments included (same config, so kept).
      for (const [name, t] of c.tensors) {
        if (name.startsWith('session/')) continue;
        expect(after.tensors.get(name)?.data, name).toEqual(t.data);
      }
      expect(allFinite(tuned.trainStep().losses)).toBe(true);
    } finally {
      tuned.dispose();
    }
    // Samplers and resume read the old config as the old design too.
    const g = await loadSampler(file);
    try {
      expect(g.sample({ seed: 1, count: 2 }).images).toHaveLength(2);
    } finally {
      g.dispose();
    }
    const resumed = await TrainingSession.resume(file, data);
    try {
      expect(allFinite(resumed.trainStep().losses)).toBe(true);
    } finally {
      resumed.dispose();
    }
  });
});
