/**
 * Parity with PyTorch: Atelier's training maths, on the backend the tests train with (wasm), against
 * golden fixtures that PyTorch computed from the same weights, batches and random draws
 * (scripts/parity/make_fixtures.py writes tests/fixtures/parity/*.json; no Python is needed here).
 *
 * - dcgan.json: the classic DCGAN (ngf = ndf = 8): transposed convs, batch norm in train mode with
 *   running statistics, BCE from logits, Adam; the D step on reals and fakes as two batches.
 * - small-gan.json: every layer and step of the default model: dense → 4×4, batch norm (train and eval
 *   mode), nearest-2× resize-convs, 1×1 toRGB skips with bilinear 2×, spectral norm with its power
 *   iteration, minibatch stddev, sum pooling, hinge loss, DiffAugment (color, translation, cutout) with
 *   fixed draws, EMA with warm-up, Adam; RGBA, so DiffAugment's colour ops must leave alpha alone.
 * - small-gan-bilinear-flatten.json: the same step with bilinear-2× resize-convs (PyTorch's
 *   interpolate, align_corners=False) and D's linear head over the whole 4×4 map (flattened NHWC).
 *
 * Each checks: the four losses of each of 3 steps, every gradient of step 1, every weight / statistic /
 * spectral-norm vector / EMA weight after 3 steps, and an eval-mode sample from the sampling weights.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { familyModule } from '../../../src/main/ml/models';
import type { ImageFamily, ImageModel, StepContext } from '../../../src/main/ml/models/model';
import { Adam } from '../../../src/main/ml/nn/adam';
import { assignValues } from '../../../src/main/ml/nn/params';
import { Rng } from '../../../src/main/ml/rng';
import { useTestBackend } from './train/helpers';

interface Enc {
  shape: number[];
  b64: string;
}
interface Aug {
  brightness: number[];
  saturation: number[];
  contrast: number[];
  shiftY: number[];
  shiftX: number[];
  cutY: number[];
  cutX: number[];
}
interface Fixture {
  family: ImageFamily;
  config: Record<string, unknown>;
  init: Record<string, Enc>;
  steps: Array<{ x: Enc; z?: Enc; z1?: Enc; z2?: Enc; augD?: Aug; augG?: Aug; losses: Record<string, number> }>;
  grads: Record<string, Enc>;
  after: Record<string, Enc>;
  /** zStats/stats: the EMA generator's standing batch-norm statistics, where the family keeps them. */
  sample: { z: Enc; out: Enc; zStats?: Enc; stats?: Record<string, Enc> };
}

const RTOL = 1e-4;
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'parity');

function decode(e: Enc): Float32Array {
  const buf = Buffer.from(e.b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function load(name: string): Fixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Fixture;
}

/**
 * Worst relative error of `actual` against `expected`, where an element's error is measured against
 * max(|expected element|, the tensor's RMS): a weight that happens to be near zero is not held to a
 * relative bar that float32 arithmetic cannot meet, but the tensor as a whole is.
 */
function relErr(actual: ArrayLike<number>, expected: Float32Array): { err: number; at: number } {
  expect(actual.length).toBe(expected.length);
  let ss = 0;
  for (const v of expected) ss += v * v;
  const rms = Math.sqrt(ss / Math.max(1, expected.length)) || 1e-30;
  let worst = { err: 0, at: -1 };
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const err = Math.abs(actual[i]! - e) / Math.max(Math.abs(e), rms);
    if (!(err <= worst.err)) worst = { err, at: i };
  }
  return worst;
}

function expectClose(what: string, actual: ArrayLike<number>, expected: Float32Array, rtol = RTOL): void {
  const { err, at } = relErr(actual, expected);
  expect(err, `${what}: element ${at} is ${actual[at]} vs PyTorch ${expected[at]} (relative error ${err.toExponential(2)})`).toBeLessThanOrEqual(rtol);
}

/** An Rng that replays the fixture's draws: latents through normals(), DiffAugment through next()/int(). */
class ScriptedRng extends Rng {
  private readonly normalQ: Float32Array[] = [];
  private readonly uniformQ: number[] = [];
  private readonly intQ: number[] = [];

  constructor() {
    super(0);
  }

  pushNormals(v: Float32Array): void {
    this.normalQ.push(v);
  }

  /** Queues one drawDiffAugment call's values in the order it asks for them. */
  pushAug(a: Aug, size: number): void {
    const shift = Math.floor(size * 0.125 + 0.5);
    const half = Math.floor(Math.floor(size * 0.5 + 0.5) / 2);
    for (let i = 0; i < a.brightness.length; i++) {
      this.uniformQ.push(a.brightness[i]!, a.saturation[i]!, a.contrast[i]!);
      this.intQ.push(a.shiftY[i]! + shift, a.shiftX[i]! + shift, a.cutY[i]! + half, a.cutX[i]! + half);
    }
  }

  override normals(n: number): Float32Array {
    const v = this.normalQ.shift();
    if (!v || v.length !== n) throw new Error(`unscripted normals(${n})`);
    return v.slice();
  }

  override next(): number {
    const v = this.uniformQ.shift();
    if (v === undefined) throw new Error('unscripted next()');
    return v;
  }

  override int(n: number): number {
    const v = this.intQ.shift();
    if (v === undefined || v < 0 || v >= n) throw new Error(`unscripted int(${n}) → ${v}`);
    return v;
  }

  drained(): boolean {
    return this.normalQ.length === 0 && this.uniformQ.length === 0 && this.intQ.length === 0;
  }
}

function build(fx: Fixture): ImageModel {
  const module = familyModule(fx.family);
  const config = { ...module.defaults({ size: fx.config.size as number, channels: fx.config.channels as 1 | 3 | 4 }), ...fx.config };
  module.validate(config, { labelNames: [], tagNames: [] });
  const model = module.build(config, new Rng(1), { labelNames: [], tagNames: [] });
  // Every parameter, statistic, spectral-norm vector and EMA weight comes from the fixture.
  const entries = model.store.list().filter((e) => e.role !== 'opt');
  expect(entries.map((e) => e.name).sort()).toEqual(Object.keys(fx.init).sort());
  for (const e of entries) {
    const enc = fx.init[e.name]!;
    expect(e.variable.shape, e.name).toEqual(enc.shape);
    assignValues(e.variable, decode(enc), enc.shape);
  }
  return model;
}

/** Runs the fixture's 3 steps; returns step 1's gradients by logical name and the losses per step. */
function train(fx: Fixture, model: ImageModel): { grads: Map<string, Float32Array>; losses: Record<string, number>[] } {
  const grads = new Map<string, Float32Array>();
  const original = Adam.prototype.apply;
  let step = 0;
  vi.spyOn(Adam.prototype, 'apply').mockImplementation(function (this: Adam, g: tf.NamedTensorMap, lrScale?: number) {
    if (step === 0) for (const [k, t] of Object.entries(g)) grads.set(model.store.logicalName(k), t.dataSync().slice() as Float32Array);
    return original.call(this, g, lrScale);
  });
  const losses: Record<string, number>[] = [];
  const size = fx.config.size as number;
  for (const s of fx.steps) {
    const rng = new ScriptedRng();
    if (s.z) rng.pushNormals(decode(s.z));
    if (s.z1) {
      rng.pushNormals(decode(s.z1));
      rng.pushAug(s.augD!, size);
      rng.pushNormals(decode(s.z2!));
      rng.pushAug(s.augG!, size);
    }
    const x = tf.tensor4d(decode(s.x), s.x.shape as [number, number, number, number]);
    const ctx: StepContext = { step, rng, lrScale: 1, frozenDLayers: 0 };
    const out = model.trainStep({ x }, ctx);
    x.dispose();
    losses.push(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.dataSync()[0]!])));
    tf.dispose(Object.values(out));
    expect(rng.drained(), 'the model drew exactly the scripted randomness').toBe(true);
    step++;
  }
  return { grads, losses };
}

describe.each([
  ['classic DCGAN', 'dcgan.json'],
  ['default model (small GAN), nearest resize-convs and pooled D head', 'small-gan.json'],
  ['default model (small GAN), bilinear resize-convs and D head over the 4×4 map', 'small-gan-bilinear-flatten.json'],
])('parity with PyTorch: %s', (_name, file) => {
  const fx = load(file);
  let model: ImageModel;
  let result: ReturnType<typeof train>;

  beforeAll(async () => {
    await useTestBackend();
    model = build(fx);
    result = train(fx, model);
    vi.restoreAllMocks();
  });

  afterEach(() => vi.restoreAllMocks());

  it('computes the same losses at each of 3 steps', () => {
    fx.steps.forEach((s, i) => {
      for (const [k, v] of Object.entries(s.losses)) {
        expectClose(`step ${i + 1} loss ${k}`, [result.losses[i]![k]!], Float32Array.of(v));
      }
    });
  });

  it('computes the same gradient for every trainable tensor', () => {
    expect([...result.grads.keys()].sort()).toEqual(Object.keys(fx.grads).sort());
    for (const [name, enc] of Object.entries(fx.grads)) expectClose(`gradient of ${name}`, result.grads.get(name)!, decode(enc));
  });

  it('ends 3 Adam steps with the same weights, statistics, spectral-norm vectors and EMA', () => {
    for (const [name, enc] of Object.entries(fx.after)) {
      expectClose(`${name} after 3 steps`, model.store.get(name).dataSync(), decode(enc));
    }
  });

  it('samples the same images in eval mode (running statistics, sampling weights)', () => {
    const { zStats, stats } = fx.sample;
    if (zStats && stats) {
      // The EMA weights' own batch-norm statistics, estimated in one train-mode pass.
      const zs = tf.tensor2d(decode(zStats), zStats.shape as [number, number]);
      model.refreshSamplingStats!(zs);
      zs.dispose();
      for (const [name, enc] of Object.entries(stats)) expectClose(`${name} (standing statistics)`, model.store.get(name).dataSync(), decode(enc));
    }
    const z = tf.tensor2d(decode(fx.sample.z), fx.sample.z.shape as [number, number]);
    const img = model.generate(z);
    expect(img.shape).toEqual(fx.sample.out.shape);
    expectClose('sample', img.dataSync(), decode(fx.sample.out));
    tf.dispose([z, img]);
  });
});
