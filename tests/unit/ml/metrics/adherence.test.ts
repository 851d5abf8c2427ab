import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/ml/backend';
import type { ImageTensorData } from '../../../../src/main/ml/data';
import {
  AdherenceClassifier,
  classificationAccuracy,
  loadOrTrainAdherenceClassifier,
  meanProbabilities,
  trainAdherenceClassifier,
} from '../../../../src/main/ml/metrics/adherence';
import { Rng } from '../../../../src/main/ml/rng';

const SIZE = 32;
/** A small training budget: these classes are easy, and the default (200+ steps) is sized for real data. */
const BUDGET = { minSteps: 60, maxSteps: 60 };
const LABELS = ['disc', 'square', 'bar', 'cross'];
/** One colour per class, jittered per image: shape and colour both tell the classes apart. */
const COLOURS: [number, number, number][] = [
  [220, 50, 50],
  [50, 90, 220],
  [40, 170, 70],
  [240, 190, 30],
];

/** `perLabel` RGBA images of each class: a shape at a random place and size on a transparent background. */
function labelled(perLabel: number, seed: number): ImageTensorData & { labels: Int32Array } {
  const rng = new Rng(seed);
  const count = perLabel * LABELS.length;
  const pixels = new Uint8Array(count * SIZE * SIZE * 4);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % LABELS.length;
    labels[i] = k;
    const col = COLOURS[k]!.map((v) => Math.max(0, Math.min(255, v + rng.int(41) - 20)));
    const r = SIZE * (0.2 + 0.1 * rng.next());
    const cx = SIZE / 2 + (rng.next() - 0.5) * 8;
    const cy = SIZE / 2 + (rng.next() - 0.5) * 8;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const inside =
          k === 0
            ? dx * dx + dy * dy <= r * r
            : k === 1
              ? Math.max(Math.abs(dx), Math.abs(dy)) <= r
              : k === 2
                ? Math.abs(dx) <= r * 1.3 && Math.abs(dy) <= r * 0.3
                : (Math.abs(dx) <= r * 0.3 && Math.abs(dy) <= r) || (Math.abs(dy) <= r * 0.3 && Math.abs(dx) <= r);
        const o = ((i * SIZE + y) * SIZE + x) * 4;
        if (inside) pixels.set([col[0]!, col[1]!, col[2]!, 255], o);
      }
    }
  }
  return { kind: 'image', size: SIZE, channels: 4, count, pixels, labels, labelNames: [...LABELS] };
}

/** The images of one class. */
function ofLabel(data: ImageTensorData & { labels: Int32Array }, k: number, n = Infinity): Uint8Array {
  const per = SIZE * SIZE * 4;
  const rows = [...data.labels.keys()].filter((i) => data.labels[i] === k).slice(0, n);
  const out = new Uint8Array(rows.length * per);
  rows.forEach((r, i) => out.set(data.pixels.subarray(r * per, (r + 1) * per), i * per));
  return out;
}

describe('prompt adherence classifier', () => {
  const data = labelled(30, 1);
  const fresh = labelled(12, 2); // images the classifier never saw, same classes
  let classifier: AdherenceClassifier;
  let dir: string;

  beforeAll(async () => {
    await initBackend('wasm', { threads: 2 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'atelier-adherence-'));
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await loadOrTrainAdherenceClassifier(data, dir, BUDGET);
    const cpu = process.cpuUsage(c0);
    console.log(`adherence classifier: wall ${Math.round(performance.now() - t0)} ms, cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms`, JSON.stringify(r.classifier?.report));
    expect(r.reason).toBeNull();
    expect(r.trained).toBe(true);
    classifier = r.classifier!;
    // Only the classifier's own weights stay allocated (training and measuring leak nothing).
    expect(tf.memory().numTensors - before).toBe(classifier.weightCount);
  });

  afterAll(async () => {
    classifier?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('learns the labels: high held-out accuracy, a stratified split and chance = 1/labels', () => {
    const r = classifier.report;
    expect(r.labels).toEqual(LABELS);
    expect(r.heldOutCount).toBe(LABELS.length * 6); // 20 % of 30 per label
    expect(r.trainCount + r.heldOutCount).toBe(data.count);
    for (const name of LABELS) expect(r.perLabel[name]!.heldOut).toBe(6);
    expect(r.heldOutAccuracy).toBeGreaterThan(0.8);
    expect(r.chance).toBeCloseTo(0.25, 9);
    expect(r.majorityShare).toBeCloseTo(0.25, 9);
  });

  it('scores images of class k as class k (CAS on new images near the held-out accuracy)', () => {
    const sets = LABELS.map((label, k) => ({ label, pixels: ofLabel(fresh, k), count: 12, size: SIZE, channels: 4 }));
    const cas = classificationAccuracy(classifier, [...sets, { label: 'unknown', pixels: new Uint8Array(0), count: 0, size: SIZE, channels: 4 }]);
    expect(cas.skipped).toEqual(['unknown']);
    expect(Object.keys(cas.perLabel).sort()).toEqual([...LABELS].sort());
    for (const label of LABELS) expect(cas.perLabel[label]).toBeGreaterThan(0.7);
    expect(cas.mean!).toBeGreaterThan(0.8);
  });

  it('scores uniform noise near chance, far below its accuracy on real images', () => {
    const rng = new Rng(9);
    const n = 16;
    const sets = LABELS.map((label) => {
      const pixels = new Uint8Array(n * SIZE * SIZE * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
      return { label, pixels, count: n, size: SIZE, channels: 3 };
    });
    const cas = classificationAccuracy(classifier, sets);
    // Whatever noise is called, "prompted" noise is right about as often as a guess.
    expect(cas.mean!).toBeLessThan(classifier.report.chance + 0.2);
    expect(cas.mean!).toBeLessThan(classifier.report.heldOutAccuracy - 0.5);
  });

  it('moves the mean probability with a 70/30 mix of two classes', () => {
    const a = ofLabel(fresh, 0, 7);
    const b = ofLabel(fresh, 3, 3);
    const mix = new Uint8Array(a.length + b.length);
    mix.set(a);
    mix.set(b, a.length);
    const p = meanProbabilities(classifier, mix, 10, SIZE, 4);
    expect(Object.keys(p)).toEqual(LABELS);
    expect(p['disc']!).toBeGreaterThan(p['cross']!);
    expect(p['cross']!).toBeGreaterThan(p['square']!);
    expect(p['cross']!).toBeGreaterThan(p['bar']!);
    expect(Object.values(p).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
  });

  it('predicts at any size and gives the same answer after a round trip through the cache', async () => {
    const pixels = ofLabel(fresh, 1, 4);
    const p = classifier.predict(pixels, 4, SIZE, 4);
    expect(p.length).toBe(4 * LABELS.length);
    expect((await readdir(path.join(dir, 'adherence'))).length).toBe(1);
    const again = await loadOrTrainAdherenceClassifier(data, dir, BUDGET);
    expect(again.trained).toBe(false);
    expect(again.classifier!.report).toEqual(classifier.report);
    const q = again.classifier!.predict(pixels, 4, SIZE, 4);
    for (let i = 0; i < p.length; i++) expect(q[i]).toBeCloseTo(p[i]!, 5);
    again.classifier!.dispose();
  });

  it('needs two labels with enough images, and says why', () => {
    const one: ImageTensorData = { ...data, labels: new Int32Array(data.count).fill(0) };
    const r = trainAdherenceClassifier(one, BUDGET);
    expect(r.classifier).toBeNull();
    expect(r.reason).toMatch(/at least two labels/);
    const none: ImageTensorData = { ...data, labels: undefined, labelNames: undefined };
    expect(trainAdherenceClassifier(none).reason).toMatch(/no labels/);
    // A second label with too few images is no better.
    const labels = new Int32Array(data.count).fill(0);
    labels[0] = 1;
    expect(trainAdherenceClassifier({ ...data, labels }).classifier).toBeNull();
  });
});
