import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_FAMILIES } from '../../../../src/shared/families';
import { familyModule } from '../../../../src/main/ml/models';
import { TrainingSession } from '../../../../src/main/ml/train/session';
import { FAMILIES, TINY, allFinite, blobs, useTestBackend } from '../train/helpers';

beforeAll(async () => {
  await useTestBackend();
});

describe('image model families', () => {
  it('registers the five families', () => {
    expect([...IMAGE_FAMILIES].sort()).toEqual([...FAMILIES].sort());
    for (const family of IMAGE_FAMILIES) expect(familyModule(family).family).toBe(family);
  });

  it('presets follow the papers', () => {
    const dc = familyModule('dcgan').defaults({ size: 32, channels: 3 }) as unknown as Record<string, unknown>;
    expect(dc).toMatchObject({ size: 32, channels: 3, latentDim: 100, ngf: 64, ndf: 64, lr: 2e-4, beta1: 0.5, beta2: 0.999 });
    const mlp = familyModule('mlpgan').defaults({ size: 64, channels: 3 });
    expect(mlp).toMatchObject({ size: 28, channels: 1 });
    const small = familyModule('default').defaults({ size: 64, channels: 4 }) as unknown as Record<string, unknown>;
    expect(small).toMatchObject({ size: 64, channels: 4, lr: 5e-4, beta1: 0.5, beta2: 0.999, diffAugment: ['color', 'translation', 'cutout'] });
    expect(small.batchSize).toBeGreaterThanOrEqual(8);
    expect(small.batchSize).toBeLessThanOrEqual(32);
    expect(small.emaDecay).toBeGreaterThan(0);
    // What makes it learn in minutes: BN generator, resize-conv upsampling with per-resolution RGB skips,
    // minibatch stddev and a head over the whole 4×4 map in D (see the measurements in small-gan.ts).
    expect(small).toMatchObject({ gNorm: 'batch', gSkip: true, gUpsample: 'resize', mbstdGroup: 4, dHead: 'flatten' });
  });

  it('rejects unusable configs with a bad_request AtelierError', async () => {
    await expect(TrainingSession.create({ family: 'default', config: { size: 48 }, data: blobs({ count: 4 }), seed: 1 })).rejects.toMatchObject({
      code: 'bad_request',
    });
    await expect(TrainingSession.create({ family: 'cgan', config: TINY.cgan, data: blobs({ count: 4 }), seed: 1 })).rejects.toMatchObject({
      code: 'bad_request',
    });
  });

  it.each(FAMILIES)('%s trains: finite losses that change, no tensor leak', async (family) => {
    const data = blobs({ count: 12, size: 32, channels: family === 'default' ? 4 : 3, labelled: family === 'cgan' });
    const s = await TrainingSession.create({ family, config: TINY[family] as never, data, seed: 5 });
    try {
      const first = s.trainStep();
      expect(first.step).toBe(1);
      expect(first.images).toBe(4);
      expect(allFinite(first.losses)).toBe(true);
      s.sampleGrid();
      s.evaluateLosses();
      const tensors = tf.memory().numTensors;
      const counts: number[] = [];
      let last = first;
      for (let i = 0; i < 3; i++) {
        last = s.trainStep();
        expect(allFinite(last.losses)).toBe(true);
        counts.push(tf.memory().numTensors);
      }
      s.sampleGrid();
      s.evaluateLosses();
      counts.push(tf.memory().numTensors);
      expect(counts).toEqual(counts.map(() => tensors));
      expect(last.step).toBe(4);
      expect(Object.keys(last.losses)).toEqual(Object.keys(first.losses));
      expect(last.losses).not.toEqual(first.losses);
    } finally {
      s.dispose();
    }
  });

  it('the default family samples the configured channel count, RGBA included', async () => {
    const s = await TrainingSession.create({ family: 'default', config: TINY.default, data: blobs({ count: 4, channels: 4 }), seed: 2, gridSide: 2 });
    try {
      expect(s.config.channels).toBe(3); // TINY overrides to RGB
    } finally {
      s.dispose();
    }
    const rgba = await TrainingSession.create({
      family: 'default',
      config: { ...TINY.default, channels: 4 },
      data: blobs({ count: 4, channels: 3 }),
      seed: 2,
      gridSide: 2,
    });
    try {
      rgba.trainStep();
      const grid = rgba.sampleGrid();
      expect(grid.channels).toBe(4);
      expect(grid.width).toBe(2 * 32 + 3 * 2);
    } finally {
      rgba.dispose();
    }
  });
});
