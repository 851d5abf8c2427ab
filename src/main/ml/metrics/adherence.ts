/**
 * Prompt adherence, measured: a small classifier trained on the dataset's own labelled images judges
 * images generated for each label: the "classification accuracy score" (CAS) of issue 15. In the
 * literature this direction (trained on real, tested on generated) is "GAN-test" (Shmelkov et al. 2018);
 * Ravuri & Vinyals' CAS (2019) trains on generated images instead, which would take a classifier per
 * checkpoint.
 *
 *   const r = await loadOrTrainAdherenceClassifier(data, cacheDir);       // or trainAdherenceClassifier(data)
 *   if (r.classifier === null) console.log(r.reason);                     // < 2 labels with enough images
 *   r.classifier.report.heldOutAccuracy                                   // what "recognisable" scores
 *   classificationAccuracy(r.classifier, [{ label: 'cat', pixels, count, size, channels }, …]).mean  // CAS
 *   meanProbabilities(r.classifier, pixels, count, size, channels)       // { cat: 0.7, dog: 0.3 } for mixes
 *
 * Why a classifier trained here and not a pretrained one: Atelier is offline, and a classifier of the
 * user's own categories is the only judge that knows what "cat face" means in *this* dataset.
 *
 * How to read the numbers (all "balanced": the mean over labels of each label's accuracy, so a label with
 * many images does not dominate and a classifier that always answers one label scores exactly 1/labels):
 * - `report.heldOutAccuracy`: the classifier on real images it never saw (a stratified held-out split).
 *   This is the ceiling: generated images that are as recognisable as real ones score about this.
 * - `report.chance` = 1/labels: what a generator that ignores the prompt scores (a constant guess, or any
 *   guess independent of the prompt, scores 1/labels on average).
 * - CAS: the same accuracy on generated images, each prompted with one label.
 *
 * The classifier (nanoGPT-sized on purpose: it must train in seconds inside a training run's probe):
 *   image → RGB (RGBA composited over white, grey tiled) at 32×32 in [-1, 1]
 *     → [conv 3×3 stride 2 → batch norm → ReLU] × 3 (32, 64, 128 channels: 16, 8, 4 px)
 *     → global mean → dense → one logit per label.
 * Trained with Adam on class-balanced batches (label drawn uniformly, then an image of it, so the classifier
 * does not learn the label prior: CAS prompts every label equally often) with small random translations.
 * No flips: emoji, glyphs and letters are not mirror-symmetric, and a flipped "b" is a "d".
 *
 * Everything random (split, init, batches, shifts) comes from one seeded Rng, so the same data and config
 * give the same classifier; it is cached as cacheDir/adherence/<key>.bin, key = sha256 of the data, the
 * labels and the config, so every checkpoint of every run on the same data is judged by the same classifier.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '../checkpoint';
import type { ImageTensorData } from '../data';
import { convertChannels, fromBytes, resizeTo } from '../image';
import { Adam } from '../nn/adam';
import { BatchNorm } from '../nn/batchnorm';
import { Conv2d } from '../nn/conv';
import { Dense } from '../nn/dense';
import type { Fwd } from '../nn/layers';
import { ParamStore, assignValues } from '../nn/params';
import { Rng } from '../rng';

export const ADHERENCE_VERSION = 1;

export interface AdherenceConfig {
  /** Side images are classified at (every input is resized to it; 32 sees an emoji's shape and colours). */
  size: number;
  /** Channels of a first conv at full resolution (stride 1); 0 = none (the stride-2 convs see the image). */
  stem: number;
  /** Channels of the following convs, each stride 2 (32 → 16 → 8 → 4 px). */
  widths: number[];
  /** Batch norm after every conv. */
  batchNorm: boolean;
  /** Share of each label's images held out to measure the classifier (stratified). */
  heldOutFraction: number;
  /** Labels with fewer images are left out (they can be neither learned nor measured). */
  minPerLabel: number;
  /** Images per Adam step. */
  batchSize: number;
  /** Training budget in passes over the training split... */
  epochs: number;
  /** ...but at least this many steps (tiny datasets still need some)... */
  minSteps: number;
  /** ...and at most this many (big datasets: bounds the time; ~3000 images at 32 px stay well under a minute). */
  maxSteps: number;
  /** Adam learning rate (β = 0.9, 0.999). */
  lr: number;
  /** Augmentation: random translation of up to this many pixels each way (edges replicated). */
  shift: number;
  /** Seed of the split, the init, the batch order and the shifts. */
  seed: number;
}

/**
 * Measured on Twemoji's 9 categories (1906 images at 32 px, 1 wasm thread on a busy 2-core machine): 600
 * steps ≈ 30 s of CPU, balanced held-out accuracy 0.57 (chance 0.11). A stride-1 stem (16 channels) cost
 * twice the time for no gain (0.54); a fourth stage, ±3 px shifts or lr 4e-3 moved it by less than the
 * split's noise (0.53–0.58); 1200 steps gave 0.58. On its 400-image subset: 0.44.
 */
export const ADHERENCE_DEFAULTS: AdherenceConfig = {
  size: 32,
  stem: 0,
  widths: [32, 64, 128],
  batchNorm: true,
  heldOutFraction: 0.2,
  minPerLabel: 4,
  batchSize: 32,
  epochs: 30,
  minSteps: 200,
  maxSteps: 600,
  lr: 2e-3,
  shift: 2,
  seed: 0,
};

/** What the classifier scored on real images it was not trained on. */
export interface AdherenceReport {
  /** The classes, in the order of predict()'s columns. */
  labels: string[];
  /** Labels of the data left out for having fewer than minPerLabel images. */
  skippedLabels: string[];
  trainCount: number;
  heldOutCount: number;
  /** Mean over labels of each label's held-out accuracy (balanced; comparable with CAS). */
  heldOutAccuracy: number;
  /** Share of all held-out images classified right (weighted by how many images each label has). */
  heldOutAccuracyOverall: number;
  /** Per label: held-out images and the share classified right. */
  perLabel: Record<string, { heldOut: number; accuracy: number }>;
  /** 1 / labels: the balanced accuracy of any guess that ignores the image (or the prompt). */
  chance: number;
  /** The biggest label's share of the labelled images (what always answering it scores, unbalanced). */
  majorityShare: number;
  /** Adam steps trained. */
  steps: number;
}

/** A set of images that were all meant to show `label` (e.g. generated with that prompt). */
export interface LabelledImages {
  label: string;
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: number;
}

export type TrainResult = { classifier: AdherenceClassifier; reason: null } | { classifier: null; reason: string };

/** Images per forward pass when predicting (bounds memory). */
const PREDICT_CHUNK = 128;
const MAGIC = 'ATLRADHR';

/** The network: plain functions of (weights, input), as in ml/models. */
class Net {
  readonly store = new ParamStore();
  private readonly convs: Conv2d[];
  private readonly norms: BatchNorm[];
  private readonly head: Dense;

  constructor(
    readonly config: AdherenceConfig,
    readonly classes: number,
    rng: Rng,
  ) {
    const conv = { kernel: 3, init: { kind: 'he', slope: 0 }, bias: !config.batchNorm } as const;
    this.convs = config.stem > 0 ? [new Conv2d('C/stem', 3, config.stem, conv)] : [];
    let inC = config.stem > 0 ? config.stem : 3;
    config.widths.forEach((w, i) => {
      this.convs.push(new Conv2d(`C/down${i}`, inC, w, { ...conv, stride: 2 }));
      inC = w;
    });
    this.norms = config.batchNorm ? this.convs.map((c) => new BatchNorm(`${c.name}/bn`, c.outC)) : [];
    this.head = new Dense('C/head', inC, classes);
    for (const c of this.convs) c.create(this.store, rng);
    for (const n of this.norms) n.create(this.store, rng);
    this.head.create(this.store, rng);
  }

  /**
   * Logits [n, classes] for images [n, size, size, 3] in [-1, 1]. Training uses (and updates) batch
   * statistics; prediction uses the running ones, so an image's answer does not depend on its batch.
   */
  logits(x: tf.Tensor4D, train = false): tf.Tensor2D {
    const f: Fwd = { w: (n) => this.store.get(n), train, ...(train ? { stats: this.store } : {}) };
    let h = x;
    this.convs.forEach((c, i) => {
      const y = c.apply(f, h);
      h = tf.relu(this.norms[i] ? this.norms[i].apply(f, y) : y);
    });
    return this.head.apply(f, tf.mean(h, [1, 2]) as tf.Tensor2D);
  }
}

/**
 * Which labels can be classes: those with at least minPerLabel images. Null with the reason when fewer
 * than two qualify (one label cannot be told apart from anything).
 */
export function adherenceLabels(data: ImageTensorData, config: Partial<AdherenceConfig> = {}): { labels: string[]; skipped: string[] } | { labels: null; reason: string } {
  const c = { ...ADHERENCE_DEFAULTS, ...config };
  const names = data.labelNames ?? [];
  if (!data.labels || names.length === 0) return { labels: null, reason: 'the dataset has no labels' };
  const counts = new Array<number>(names.length).fill(0);
  for (let i = 0; i < data.count; i++) {
    const l = data.labels[i]!;
    if (l >= 0 && l < names.length) counts[l]!++;
  }
  const labels = names.filter((_, l) => counts[l]! >= c.minPerLabel);
  const skipped = names.filter((_, l) => counts[l]! > 0 && counts[l]! < c.minPerLabel);
  if (labels.length < 2) {
    const have = names.filter((_, l) => counts[l]! > 0).length;
    return {
      labels: null,
      reason:
        `prompt adherence needs at least two labels with ${c.minPerLabel} or more images each; ` +
        `this dataset has ${have} label${have === 1 ? '' : 's'} with images and ${labels.length} with enough`,
    };
  }
  return { labels, skipped };
}

/** Trains the classifier on the labelled images (deterministic given data and config). */
export function trainAdherenceClassifier(data: ImageTensorData, config: Partial<AdherenceConfig> = {}): TrainResult {
  const c: AdherenceConfig = { ...ADHERENCE_DEFAULTS, ...config };
  const eligible = adherenceLabels(data, c);
  if (eligible.labels === null) return { classifier: null, reason: eligible.reason };
  const labels = eligible.labels;
  const rng = new Rng(c.seed);
  const { train, held, sizes } = stratifiedSplit(data, labels, c.heldOutFraction, rng);
  const images = prepare(data.pixels, data.count, data.size, data.channels, c.size);
  const net = new Net(c, labels.length, rng.fork());
  let steps: number;
  try {
    steps = fit(net, images, train, c, rng);
  } catch (err) {
    net.store.dispose();
    throw err;
  }
  const classifier = new AdherenceClassifier(c, labels, net, null);

  // Measured on the held-out images, label by label.
  const per = c.size * c.size * 3;
  const perLabel: AdherenceReport['perLabel'] = {};
  let right = 0;
  labels.forEach((name, k) => {
    const rows = held[k]!;
    const predicted = argmax(classifier.predictPrepared(gather(images, rows, per), rows.length), rows.length, labels.length);
    const ok = predicted.filter((p) => p === k).length;
    right += ok;
    perLabel[name] = { heldOut: rows.length, accuracy: ok / rows.length };
  });
  const heldOutCount = held.reduce((n, r) => n + r.length, 0);
  classifier.report = {
    labels,
    skippedLabels: eligible.skipped,
    trainCount: train.reduce((n, r) => n + r.length, 0),
    heldOutCount,
    heldOutAccuracy: labels.reduce((sum, name) => sum + perLabel[name]!.accuracy, 0) / labels.length,
    heldOutAccuracyOverall: right / heldOutCount,
    perLabel,
    chance: 1 / labels.length,
    majorityShare: Math.max(...sizes) / sizes.reduce((a, b) => a + b, 0),
    steps,
  };
  return { classifier, reason: null };
}

/**
 * Each label's images (rows of `data`) shuffled and split: heldOutFraction of them, at least one and
 * never all, held out. Indexed by class (the position in `labels`).
 */
function stratifiedSplit(data: ImageTensorData, labels: string[], fraction: number, rng: Rng): { train: number[][]; held: number[][]; sizes: number[] } {
  const names = data.labelNames ?? [];
  const classOf = new Map(labels.map((name, k) => [names.indexOf(name), k]));
  const byClass: number[][] = labels.map(() => []);
  for (let i = 0; i < data.count; i++) {
    const k = classOf.get(data.labels![i]!);
    if (k !== undefined) byClass[k]!.push(i);
  }
  const train: number[][] = [];
  const held: number[][] = [];
  for (const rows of byClass) {
    rng.shuffle(rows);
    const h = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * fraction)));
    held.push(rows.slice(0, h));
    train.push(rows.slice(h));
  }
  return { train, held, sizes: byClass.map((r) => r.length) };
}

/**
 * Adam on the cross-entropy of class-balanced, randomly shifted batches for the configured budget.
 * Returns the steps taken.
 */
function fit(net: Net, images: Uint8Array, train: number[][], c: AdherenceConfig, rng: Rng): number {
  const K = train.length;
  const trainCount = train.reduce((n, r) => n + r.length, 0);
  const steps = Math.min(c.maxSteps, Math.max(c.minSteps, Math.ceil((c.epochs * trainCount) / c.batchSize)));
  const params = net.store.trainable('C/');
  // The optimiser's moments live in their own store, dropped after training: they are not the classifier.
  const moments = new ParamStore();
  const adam = new Adam(moments, 'C', params, { lr: c.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const per = c.size * c.size * 3;
  const xBuf = new Float32Array(c.batchSize * per);
  const yBuf = new Int32Array(c.batchSize);
  try {
    for (let step = 0; step < steps; step++) {
      // A label uniformly, then one of its training images, shifted by up to ±shift px each way.
      for (let b = 0; b < c.batchSize; b++) {
        const k = rng.int(K);
        const rows = train[k]!;
        const dx = rng.int(2 * c.shift + 1) - c.shift;
        const dy = rng.int(2 * c.shift + 1) - c.shift;
        shiftInto(images, rows[rng.int(rows.length)]!, c.size, dx, dy, xBuf, b);
        yBuf[b] = k;
      }
      const x = tf.tensor4d(xBuf, [c.batchSize, c.size, c.size, 3]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(yBuf, 'int32'), K));
      const loss = () => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(net.logits(x, true)), y), 1))) as tf.Scalar;
      const { value, grads } = tf.variableGrads(loss, params.map((p) => p.variable));
      adam.apply(grads);
      tf.dispose([x, y, value, grads]);
    }
  } finally {
    moments.dispose();
  }
  return steps;
}

export class AdherenceClassifier {
  /** Set once measured (always set on a classifier handed out). */
  report!: AdherenceReport;

  /** @internal use trainAdherenceClassifier or AdherenceClassifier.load */
  constructor(
    readonly config: AdherenceConfig,
    readonly labels: string[],
    private readonly net: Net,
    report: AdherenceReport | null,
  ) {
    if (report) this.report = report;
  }

  /** Tensors the classifier holds (its weights; for leak checks). */
  get weightCount(): number {
    return this.net.store.list().length;
  }

  /** Class probabilities, count × labels.length (row-major), for images of any size and channel count. */
  predict(pixels: Uint8Array, count: number, size: number, channels: number): Float32Array {
    return this.predictPrepared(prepare(pixels, count, size, channels, this.config.size), count);
  }

  /** The most likely label's index per image. */
  classify(pixels: Uint8Array, count: number, size: number, channels: number): Int32Array {
    return argmax(this.predict(pixels, count, size, channels), count, this.labels.length);
  }

  /** @internal probabilities for images already prepared (RGB at config.size, bytes). */
  predictPrepared(images: Uint8Array, count: number): Float32Array {
    const s = this.config.size;
    const per = s * s * 3;
    const K = this.labels.length;
    const out = new Float32Array(count * K);
    for (let i0 = 0; i0 < count; i0 += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, count - i0);
      const p = tf.tidy(() => {
        const x = tf.sub(tf.div(tf.tensor4d(images.subarray(i0 * per, (i0 + m) * per), [m, s, s, 3], 'float32'), 127.5), 1) as tf.Tensor4D;
        return tf.softmax(this.net.logits(x));
      });
      out.set(p.dataSync() as Float32Array, i0 * K);
      p.dispose();
    }
    return out;
  }

  /** Writes the classifier and its report atomically. */
  async save(file: string, key: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const entries = this.net.store.list();
    const header = {
      format: 'atelier-adherence',
      version: ADHERENCE_VERSION,
      key,
      config: this.config,
      labels: this.labels,
      report: this.report,
      tensors: entries.map((e) => ({ name: e.name, shape: e.variable.shape })),
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length);
    const pad = Buffer.alloc((4 - ((MAGIC.length + 4 + json.length) % 4)) % 4, 0x20);
    const chunks: Uint8Array[] = [Buffer.from(MAGIC, 'ascii'), len, json, pad];
    for (const e of entries) {
      const data = e.variable.dataSync() as Float32Array;
      chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    await writeFileAtomic(file, chunks);
  }

  /** Loads a saved classifier; null when the file is missing, another version, or not for `key`. */
  static async load(file: string, key: string): Promise<AdherenceClassifier | null> {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch {
      return null;
    }
    if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC) return null;
    const jsonLen = buf.readUInt32LE(MAGIC.length);
    const start = MAGIC.length + 4;
    let header: { format: string; version: number; key: string; config: AdherenceConfig; labels: string[]; report: AdherenceReport; tensors: { name: string; shape: number[] }[] };
    try {
      header = JSON.parse(buf.toString('utf8', start, start + jsonLen)) as typeof header;
    } catch {
      return null;
    }
    if (header.format !== 'atelier-adherence' || header.version !== ADHERENCE_VERSION || header.key !== key) return null;
    const net = new Net(header.config, header.labels.length, new Rng(0));
    try {
      let offset = start + jsonLen;
      offset += (4 - (offset % 4)) % 4;
      const entries = net.store.list();
      if (entries.map((e) => `${e.name}:${e.variable.shape.join('x')}`).join() !== header.tensors.map((t) => `${t.name}:${t.shape.join('x')}`).join()) throw new Error('layout');
      for (const e of entries) {
        const n = e.variable.size;
        if (offset + n * 4 > buf.length) throw new Error('truncated');
        // Copy: the Buffer may be a slice of a shared pool with arbitrary alignment.
        assignValues(e.variable, new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + n * 4)), e.variable.shape);
        offset += n * 4;
      }
    } catch {
      net.store.dispose();
      return null;
    }
    return new AdherenceClassifier(header.config, header.labels, net, header.report);
  }

  dispose(): void {
    this.net.store.dispose();
  }
}

/** Cache key of a dataset's classifier: the images, their labels and the config. */
export function adherenceKey(data: ImageTensorData, config: AdherenceConfig): string {
  const h = createHash('sha256');
  h.update(`atelier-adherence v${ADHERENCE_VERSION} ${JSON.stringify(config)} size ${data.size} channels ${data.channels} count ${data.count}\n`);
  h.update(JSON.stringify(data.labelNames ?? []));
  h.update(data.pixels);
  if (data.labels) h.update(new Uint8Array(data.labels.buffer, data.labels.byteOffset, data.labels.byteLength));
  return h.digest('hex');
}

/**
 * The classifier for this dataset: loaded from cacheDir/adherence/ when present, else trained and cached.
 * A broken cache file is replaced, never trusted.
 */
export async function loadOrTrainAdherenceClassifier(
  data: ImageTensorData,
  cacheDir: string,
  config: Partial<AdherenceConfig> = {},
): Promise<TrainResult & { trained: boolean }> {
  const c = { ...ADHERENCE_DEFAULTS, ...config };
  const eligible = adherenceLabels(data, c);
  if (eligible.labels === null) return { classifier: null, reason: eligible.reason, trained: false };
  const key = adherenceKey(data, c);
  const file = path.join(cacheDir, 'adherence', `${key}.bin`);
  const cached = await AdherenceClassifier.load(file, key);
  if (cached) return { classifier: cached, reason: null, trained: false };
  const r = trainAdherenceClassifier(data, c);
  if (r.classifier) await r.classifier.save(file, key);
  return { ...r, trained: true };
}

/**
 * CAS: for each set of images meant to show one label, the share the classifier assigns to that label;
 * `mean` is the mean over the sets' labels (balanced, like report.heldOutAccuracy). Sets whose label the
 * classifier does not know are listed in `skipped`; two sets with the same label are pooled.
 */
export function classificationAccuracy(
  classifier: AdherenceClassifier,
  sets: LabelledImages[],
): { perLabel: Record<string, number>; mean: number | null; skipped: string[] } {
  const right = new Map<string, { n: number; ok: number }>();
  const skipped: string[] = [];
  for (const s of sets) {
    const k = classifier.labels.indexOf(s.label);
    if (k < 0) {
      if (!skipped.includes(s.label)) skipped.push(s.label);
      continue;
    }
    if (s.count === 0) continue;
    const predicted = classifier.classify(s.pixels, s.count, s.size, s.channels);
    const r = right.get(s.label) ?? { n: 0, ok: 0 };
    for (const p of predicted) {
      r.n++;
      if (p === k) r.ok++;
    }
    right.set(s.label, r);
  }
  const perLabel = Object.fromEntries([...right].map(([label, r]) => [label, r.ok / r.n]));
  const values = Object.values(perLabel);
  return { perLabel, mean: values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null, skipped };
}

/**
 * The classifier's mean probability of each label over a set of images: for a weighted mix prompt
 * ("a:0.7, b:0.3") the label with the bigger weight should get the bigger share.
 */
export function meanProbabilities(classifier: AdherenceClassifier, pixels: Uint8Array, count: number, size: number, channels: number): Record<string, number> {
  const K = classifier.labels.length;
  const p = classifier.predict(pixels, count, size, channels);
  const sums = new Float64Array(K);
  for (let i = 0; i < count; i++) for (let k = 0; k < K; k++) sums[k] += p[i * K + k]!;
  return Object.fromEntries(classifier.labels.map((name, k) => [name, count > 0 ? sums[k]! / count : 0]));
}

// ------------------------------------------------------------------------------------------- helpers

/** Images → RGB bytes at `side` (count × side × side × 3), converted on the active backend in chunks. */
function prepare(pixels: Uint8Array, count: number, size: number, channels: number, side: number): Uint8Array {
  if (![1, 3, 4].includes(channels) || pixels.length !== count * size * size * channels) {
    throw new RangeError(`image batch has ${pixels.length} bytes, expected ${count}×${size}×${size}×${channels}`);
  }
  const inPer = size * size * channels;
  const outPer = side * side * 3;
  const out = new Uint8Array(count * outPer);
  for (let i0 = 0; i0 < count; i0 += PREDICT_CHUNK) {
    const m = Math.min(PREDICT_CHUNK, count - i0);
    const t = tf.tidy(() => {
      const x = resizeTo(convertChannels(fromBytes(pixels.subarray(i0 * inPer, (i0 + m) * inPer), [m, size, size, channels]), 3), side);
      return tf.round(tf.mul(tf.clipByValue(x, 0, 1), 255));
    });
    const v = t.dataSync();
    t.dispose();
    for (let j = 0; j < v.length; j++) out[i0 * outPer + j] = v[j]!;
  }
  return out;
}

/** Image `img` of `images` (side × side RGB bytes), translated by (dx, dy) with edges replicated, into slot b of `out` in [-1, 1]. */
function shiftInto(images: Uint8Array, img: number, side: number, dx: number, dy: number, out: Float32Array, b: number): void {
  const per = side * side * 3;
  const src = img * per;
  const dst = b * per;
  for (let y = 0; y < side; y++) {
    const sy = Math.min(side - 1, Math.max(0, y - dy));
    for (let x = 0; x < side; x++) {
      const sx = Math.min(side - 1, Math.max(0, x - dx));
      const s = src + (sy * side + sx) * 3;
      const d = dst + (y * side + x) * 3;
      out[d] = images[s]! / 127.5 - 1;
      out[d + 1] = images[s + 1]! / 127.5 - 1;
      out[d + 2] = images[s + 2]! / 127.5 - 1;
    }
  }
}

function gather(images: Uint8Array, rows: number[], per: number): Uint8Array {
  const out = new Uint8Array(rows.length * per);
  rows.forEach((r, i) => out.set(images.subarray(r * per, (r + 1) * per), i * per));
  return out;
}

function argmax(p: Float32Array, count: number, K: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (p[i * K + k]! > p[i * K + best]!) best = k;
    out[i] = best;
  }
  return out;
}
