import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { IMAGE_FAMILIES } from '../../../../src/shared/families';
import { familyModule } from '../../../../src/main/ml/models';
import type { ImageBatch } from '../../../../src/main/ml/models/model';
import { SmallGan, fromMatte, smallGanDefaults, SMALL_GAN_LEGACY, toMatte } from '../../../../src/main/ml/models/small-gan';
import { Adam } from '../../../../src/main/ml/nn/adam';
import { Rng } from '../../../../src/main/ml/rng';
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
    expect(small).toMatchObject({ size: 64, channels: 4, lr: 5e-4, beta1: 0.5, beta2: 0.999, diffAugment: ['color', 'translation'] });
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

  it('refuses a setting the family does not have (a typo is not ignored), and accepts the optional ones', async () => {
    const typo = TrainingSession.create({ family: 'default', config: { ...TINY.default, widht: 16 }, data: blobs({ count: 4 }), seed: 1 });
    await expect(typo).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/no setting "widht"; its settings are .*\bwidth\b/) });
    const s = await TrainingSession.create({ family: 'default', config: { ...TINY.default, dLrScale: 2 }, data: blobs({ count: 4 }), seed: 1 });
    expect((s.config as unknown as Record<string, unknown>).dLrScale).toBe(2);
    s.dispose();
  });

  it('takes list settings such as the DiffAugment policy, and trains with them', async () => {
    const s = await TrainingSession.create({ family: 'default', config: { ...TINY.default, diffAugment: ['translation'] }, data: blobs({ count: 8 }), seed: 1 });
    try {
      expect(s.config).toMatchObject({ diffAugment: ['translation'] });
      expect(Number.isFinite(s.trainStep().losses.d)).toBe(true);
    } finally {
      s.dispose();
    }
    const bad = TrainingSession.create({ family: 'default', config: { ...TINY.default, diffAugment: ['blur'] }, data: blobs({ count: 8 }), seed: 1 });
    await expect(bad).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/unknown DiffAugment op/) });
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

describe('RGBA inside the default model (alphaSpace)', () => {
  beforeAll(useTestBackend);

  it('matte form composites colour over white, and fromMatte gives the straight colour back wherever alpha shows', () => {
    // Straight RGBA in [0, 1]: opaque red, half-transparent blue, fully transparent black (as emoji files hold).
    const px = [
      [1, 0, 0, 1],
      [0, 0, 1, 0.5],
      [0, 0, 0, 0],
    ];
    const x = tf.tensor4d(px.flat().map((v) => 2 * v - 1), [1, 1, 3, 4]);
    const m = tf.mul(tf.add(toMatte(x), 1), 0.5).arraySync() as number[][][][];
    expect(m[0]![0]![0]).toEqual([1, 0, 0, 1].map((v) => expect.closeTo(v, 6)));
    expect(m[0]![0]![1]).toEqual([0.5, 0.5, 1, 0.5].map((v) => expect.closeTo(v, 6)));
    expect(m[0]![0]![2]).toEqual([1, 1, 1, 0].map((v) => expect.closeTo(v, 6))); // transparent = white, no black step at the edge
    const back = tf.mul(tf.add(fromMatte(toMatte(x)), 1), 0.5).arraySync() as number[][][][];
    expect(back[0]![0]![0]).toEqual([1, 0, 0, 1].map((v) => expect.closeTo(v, 5)));
    expect(back[0]![0]![1]).toEqual([0, 0, 1, 0.5].map((v) => expect.closeTo(v, 5)));
    expect(back[0]![0]![2]).toEqual([1, 1, 1, 0].map((v) => expect.closeTo(v, 5)));
    // A matte colour darker than its alpha allows is clipped, never outside [0, 1].
    const odd = tf.mul(tf.add(fromMatte(tf.tensor4d([-1, -1, -1, 0], [1, 1, 1, 4])), 1), 0.5).dataSync();
    expect([...odd].every((v) => v >= 0 && v <= 1)).toBe(true);
    tf.dispose([x]);
  });

  it('is the default for new models and absent (straight) for checkpoints written before it', () => {
    expect(smallGanDefaults({ size: 32, channels: 4 }).alphaSpace).toBe('matte');
    expect(SMALL_GAN_LEGACY.alphaSpace).toBe('straight');
  });

  it('D sees the real RGBA batch in matte form, and generate() returns straight colour', () => {
    const seen: number[][] = [];
    const model = new SmallGan({ ...smallGanDefaults({ size: 32, channels: 4 }), width: 4, maxWidth: 8, diffAugment: [], mbstdGroup: 0 });
    model.init(new Rng(3), false);
    const orig = model.discriminator.bind(model);
    model.discriminator = (f, x, cond) => {
      seen.push([...(tf.slice(x, [0, 0, 0, 0], [1, 1, 1, 4]).dataSync() as Float32Array)]);
      return orig(f, x, cond);
    };
    // Every real pixel: transparent black.
    const batch: ImageBatch = { x: tf.fill([2, 32, 32, 4], -1) as tf.Tensor4D };
    const losses = model.trainStep(batch, { step: 0, rng: new Rng(4), lrScale: 1, frozenDLayers: 0 });
    expect(seen[0]).toEqual([1, 1, 1, -1]); // white, transparent
    const img = model.generate(tf.randomNormal([2, model.latentDim]) as tf.Tensor2D);
    const a = tf.slice(img, [0, 0, 0, 3], [-1, -1, -1, 1]);
    const rgb = tf.slice(img, [0, 0, 0, 0], [-1, -1, -1, 3]);
    // Where alpha is (near) 0 the colour is white by definition; elsewhere finite and in range.
    const av = a.dataSync();
    const cv = rgb.dataSync();
    for (let i = 0; i < av.length; i++) {
      for (let c = 0; c < 3; c++) expect(Math.abs(cv[3 * i + c]!)).toBeLessThanOrEqual(1 + 1e-6);
    }
    tf.dispose([batch.x, img, a, rgb, ...Object.values(losses)]);
    model.store.dispose();
  });
});

describe('learning-rate schedule, TTUR and condition dropout', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('decays lr along a cosine to lrEnd, gives D its multiple of it, and stays constant without a schedule', async () => {
    const scales: Array<{ net: string; scale: number }> = [];
    const apply = Adam.prototype.apply;
    vi.spyOn(Adam.prototype, 'apply').mockImplementation(function (this: Adam, g, lrScale) {
      scales.push({ net: this.id, scale: lrScale ?? 1 });
      return apply.call(this, g, lrScale);
    });
    const config = { ...TINY.default, lr: 5e-4, lrEnd: 2e-4, lrDecaySteps: 2, dLrScale: 2 };
    const s = await TrainingSession.create({ family: 'default', config: config as never, data: blobs({ count: 8, channels: 4 }), seed: 3 });
    try {
      for (let i = 0; i < 3; i++) s.trainStep();
    } finally {
      s.dispose();
    }
    const g = scales.filter((x) => x.net === 'G').map((x) => x.scale);
    const d = scales.filter((x) => x.net === 'D').map((x) => x.scale);
    // Steps 0, 1, 2 of a 2-step cosine: lr, the midpoint (3.5e-4), lrEnd; D at twice G's.
    expect(g.map((v) => v * 5e-4)).toEqual([expect.closeTo(5e-4, 10), expect.closeTo(3.5e-4, 10), expect.closeTo(2e-4, 10)]);
    expect(d).toEqual(g.map((v) => expect.closeTo(2 * v, 10)));

    scales.length = 0;
    const plain = await TrainingSession.create({ family: 'default', config: { ...TINY.default, lrDecaySteps: 0 } as never, data: blobs({ count: 8, channels: 4 }), seed: 3 });
    try {
      plain.trainStep();
      plain.trainStep();
    } finally {
      plain.dispose();
    }
    expect(scales.map((x) => x.scale)).toEqual([1, 1, 1, 1]);
  });

  it('cgan trains a share of each batch with no condition (condDropout), none when it is 0', async () => {
    const seen: number[][] = [];
    const step = SmallGan.prototype.trainStep;
    vi.spyOn(SmallGan.prototype, 'trainStep').mockImplementation(function (this: SmallGan, batch: ImageBatch, ctx) {
      const rows = batch.labels!.arraySync() as number[][];
      seen.push(rows.map((r) => r.reduce((a, b) => a + b, 0)));
      return step.call(this, batch, ctx);
    });
    // Every image labelled (blobs leaves every third unlabelled), no tags: a zero row can only be a drop.
    const data = { ...blobs({ count: 16, size: 32, channels: 3, labelled: true }), labels: Int32Array.from({ length: 16 }, (_, i) => i % 2), tags: undefined, tagNames: undefined };
    const run = async (condDropout: number) => {
      seen.length = 0;
      const s = await TrainingSession.create({ family: 'cgan', config: { ...TINY.cgan, batchSize: 8, condDropout } as never, data, seed: 2 });
      try {
        for (let i = 0; i < 6; i++) s.trainStep();
      } finally {
        s.dispose();
      }
      return seen.flat();
    };
    const none = await run(0);
    expect(none).toHaveLength(48);
    expect(none.every((v) => v === 1)).toBe(true); // every image is labelled
    const half = await run(0.5);
    const dropped = half.filter((v) => v === 0).length;
    expect(half.every((v) => v === 0 || v === 1)).toBe(true);
    expect(dropped).toBeGreaterThan(12); // 48 draws at p = 0.5: 24 expected
    expect(dropped).toBeLessThan(36);
    expect(familyModule('cgan').defaults({ size: 32, channels: 4 })).toMatchObject({ condDropout: 0.1 });
  });
});
