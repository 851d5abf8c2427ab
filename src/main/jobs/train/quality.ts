/**
 * Sample quality of a checkpoint, for the run chart (at checkpoints) and on demand.
 *
 *   const probe = await createQualityProbe(data, { seed: 0, cacheDir, family: 'default' });
 *   const { metric, metrics } = await probe.evaluate(ckptPath);   // metric = KID × 1000, lower is better
 *   probe.dispose();
 *
 * - Feature space: ml/metrics/feature-space.ts, fitted once per dataset and cached under
 *   cacheDir/features/ (see docs/quality-metric.md for why it is not Inception). Creating the probe also
 *   caches the training features with their item ids for the gallery's memorisation guard.
 * - evaluate: QUALITY_SAMPLES images from fixed latents (the same for every checkpoint of the run, so
 *   checkpoint-to-checkpoint changes are the model's, not the draw's), embedded and compared with the
 *   training images: `kid` (unbiased MMD², cubic kernel, mean over subsets), `kidStd` (its spread over
 *   subsets: differences smaller than this are noise), `precision`, `recall` (k = 3).
 *   Conditional models are sampled with labels in the data's label proportions.
 * - Reference levels, measured once per probe on the same data and reported with every evaluation so the
 *   chart can show where a curve sits: `kidReal`, KID between two halves of the training images (what
 *   "like the data" scores), and `kidNoise`, KID of QUALITY_SAMPLES uniform-noise images (what a
 *   generator that learned nothing scores).
 * - VAE: `reconMse`, the held-out reconstruction MSE per value on the [-1, 1] scale (posterior mean), on
 *   the held-out split stored in the checkpoint. The Sampler only loads the decoder, so this
 *   rebuilds the full model from the checkpoint. Skipped when the data changed since training (the split
 *   would no longer mean the same images) or the checkpoint lacks the encoder.
 * - Conditional models: prompt adherence (ml/metrics/adherence.ts). A small classifier is trained once on
 *   the data's labelled images (cached under cacheDir/adherence/, shared by every run on the same data;
 *   fitted on the first conditional checkpoint, so unconditional runs never pay for it), then at each
 *   evaluation ADHERENCE_PER_LABEL images per label it knows are drawn from the same fixed latents for
 *   every label and checkpoint (only the prompt changes) and classified: `adherence` (CAS, the mean over
 *   labels of the share classified as the label prompted), `adherence/<label>`, and the classifier's
 *   own references `adherenceReal` (its balanced accuracy on held-out real images: what "as recognisable
 *   as your images" scores), `adherenceReal/<label>` and `adherenceChance` (1/labels: a generator that
 *   ignores the prompt; with shared latents such a generator draws the same image under every prompt, so
 *   its per-label scores sum to 1 and `adherence` is exactly chance). Data with fewer than two labels of
 *   ≥ 4 images reports none of these; a failure of the classifier never fails the probe (KID still counts).
 * - metric = KID × 1000 (the convention of the KID literature, which reports KID×10³). On the Twemoji
 *   sample: held-out images ≈ 0, blurred copies ≈ 600, noise ≈ 30 000 (docs/quality-metric.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { CONDITIONAL_FAMILIES } from '../../../shared/conditioning';
import { AtelierError } from '../../../shared/errors';
import type { ImageTensorData } from '../../ml/data';
import { classificationAccuracy, loadOrTrainAdherenceClassifier, type AdherenceClassifier, type AdherenceConfig } from '../../ml/metrics/adherence';
import { loadOrFitFeatureSpace, type FeatureSpace } from '../../ml/metrics/feature-space';
import { kid } from '../../ml/metrics/kid';
import { loadTrainingFeatures, memorisationThreshold, saveTrainingFeatures } from '../../ml/metrics/nearest';
import { precisionRecall } from '../../ml/metrics/precision_recall';
import type { ImageConfigs } from '../../ml/models';
import { familyModule } from '../../ml/models';
import type { ImageFamily } from '../../ml/models/model';
import { assignValues } from '../../ml/nn/params';
import { Rng } from '../../ml/rng';
import { loadSampler, type Sampler } from '../../ml/sample/sampler';
import { ImageSource, disposeBatch } from '../../ml/train/batches';
import { readCheckpoint } from '../../ml/checkpoint';

export interface QualityProbe {
  evaluate(checkpointFile: string): Promise<{ metric: number | null; metrics: Record<string, number> }>;
  dispose(): void;
}

/** Generations per evaluation. */
export const QUALITY_SAMPLES = 256;
/** Images drawn per sampler call (bounds peak memory). */
const SAMPLE_CHUNK = 64;
/** At most this many training images form the reference set (a seeded subset of bigger datasets). */
const MAX_REFERENCE = 1024;
const KID_OPTIONS = { subsets: 50, subsetSize: 100 } as const;
const PR_K = 3;
/** Prompt adherence: images per label, about ADHERENCE_SAMPLES in all, within these bounds. */
const ADHERENCE_SAMPLES = 256;
const ADHERENCE_PER_LABEL = { min: 16, max: 64 } as const;

export async function createQualityProbe(
  data: ImageTensorData,
  opts: {
    seed: number;
    cacheDir: string;
    family: string;
    /** Overrides of the adherence classifier's config (tests shrink its training budget). */
    adherence?: Partial<AdherenceConfig>;
  },
): Promise<QualityProbe> {
  if (data.kind !== 'image') throw new AtelierError('invalid_input', 'The quality metric needs image data.');
  const { space, key } = await loadOrFitFeatureSpace(data, opts.cacheDir);
  const allFeats = space.embed(data.pixels, data.count, data.size, data.channels);
  const dim = space.dim;

  if ((await loadTrainingFeatures(opts.cacheDir, key).catch(() => null)) === null) {
    const itemIds = data.itemIds && data.itemIds.length === data.count ? data.itemIds : new Array<number>(data.count).fill(-1);
    await saveTrainingFeatures(opts.cacheDir, { key, dim, features: allFeats, itemIds, threshold: memorisationThreshold(allFeats, dim) });
  }
  const reference = referenceSubset(allFeats, data.count, dim, opts.seed);
  const kidOptions = { ...KID_OPTIONS, gamma: space.kidGamma, seed: opts.seed };
  const levels = referenceLevels(space, reference, data, kidOptions);
  let disposed = false;
  // The adherence classifier: trained (or loaded) on the first conditional checkpoint; null = unavailable.
  let judge: Promise<AdherenceClassifier | null> | null = null;
  const adherenceJudge = () =>
    (judge ??= loadOrTrainAdherenceClassifier(data, opts.cacheDir, opts.adherence).then(
      (r) => r.classifier,
      () => null,
    ));

  return {
    async evaluate(checkpointFile) {
      if (disposed) throw new Error('this quality probe was disposed');
      const g = await loadSampler(checkpointFile);
      let fake: Float32Array;
      let adherence: Record<string, number> = {};
      try {
        fake = sampleFeatures(g, space, data, opts.seed);
        // Only models that use the labels (the default GAN's checkpoint carries the vocabulary too).
        if (CONDITIONAL_FAMILIES.includes(g.family) && g.labelNames.length > 0) {
          const classifier = await adherenceJudge();
          if (classifier && !disposed) adherence = adherenceMetrics(g, classifier, opts.seed);
        }
      } finally {
        g.dispose();
      }
      const k = kid(reference, fake, dim, kidOptions);
      const pr = precisionRecall(reference, fake, dim, PR_K);
      const metrics: Record<string, number> = { kid: k.mean, kidStd: k.std, precision: pr.precision, recall: pr.recall, ...levels, ...adherence };
      if (g.family === 'vae' || opts.family === 'vae') {
        const mse = await heldOutReconstruction(checkpointFile, data);
        if (mse !== null) metrics['reconMse'] = mse;
      }
      return { metric: Number.isFinite(k.mean) ? k.mean * 1000 : null, metrics };
    },
    dispose() {
      disposed = true;
      void judge?.then((c) => c?.dispose());
    },
  };
}

/**
 * Prompt adherence of a conditional generator: for each label both it and the classifier know,
 * ADHERENCE_PER_LABEL images from one fixed seed (the same latents for every label and checkpoint, so
 * only the prompt differs), classified. {} when no label is shared or anything goes wrong: adherence is
 * an addition to the quality measure and never fails it.
 */
function adherenceMetrics(g: Sampler, classifier: AdherenceClassifier, seed: number): Record<string, number> {
  const labels = classifier.labels.filter((l) => g.labelNames.includes(l));
  if (labels.length === 0) return {};
  const perLabel = Math.max(ADHERENCE_PER_LABEL.min, Math.min(ADHERENCE_PER_LABEL.max, Math.round(ADHERENCE_SAMPLES / labels.length)));
  const per = g.size * g.size * g.channels;
  try {
    const sets = labels.map((label) => {
      const pixels = new Uint8Array(perLabel * per);
      for (let i = 0; i < perLabel; i += SAMPLE_CHUNK) {
        const m = Math.min(SAMPLE_CHUNK, perLabel - i);
        // One seed per chunk position, shared by every label: the same latents under each prompt.
        const { images } = g.sample({ seed: (seed + 0xad4e5e + 0x9e3779b9 * i) >>> 0, count: m, condition: { labels: { [label]: 1 } } });
        images.forEach((img, j) => pixels.set(img.pixels, (i + j) * per));
      }
      return { label, pixels, count: perLabel, size: g.size, channels: g.channels };
    });
    const cas = classificationAccuracy(classifier, sets);
    if (cas.mean === null) return {};
    const r = classifier.report;
    const measured = Object.keys(cas.perLabel);
    // The classifier's real accuracy over the same labels (all of them unless the model lacks some).
    const real = measured.reduce((sum, label) => sum + r.perLabel[label]!.accuracy, 0) / measured.length;
    const out: Record<string, number> = { adherence: cas.mean, adherenceReal: real, adherenceChance: r.chance };
    for (const label of measured) {
      out[`adherence/${label}`] = cas.perLabel[label]!;
      out[`adherenceReal/${label}`] = r.perLabel[label]!.accuracy;
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * KID of two halves of the reference images against each other (≈ 0: "like the data") and of uniform
 * noise against the reference ("learned nothing"). Both are constant for a dataset; fewer than 4
 * reference images leave kidReal out.
 */
function referenceLevels(
  space: FeatureSpace,
  reference: Float32Array,
  data: ImageTensorData,
  kidOptions: { subsets: number; subsetSize: number; gamma: number; seed: number },
): { kidReal?: number; kidNoise: number } {
  const dim = space.dim;
  const n = reference.length / dim;
  const rng = new Rng(kidOptions.seed ^ 0x5eed);
  const per = data.size * data.size * data.channels;
  const noise = new Uint8Array(QUALITY_SAMPLES * per);
  // Opaque: the far end. Noise with random alpha composites to pale noise over white and scores lower
  // (about a quarter of this on the Twemoji sample).
  for (let i = 0; i < noise.length; i++) noise[i] = data.channels === 4 && i % 4 === 3 ? 255 : rng.int(256);
  const kidNoise = kid(reference, space.embed(noise, QUALITY_SAMPLES, data.size, data.channels), dim, kidOptions).mean;
  if (n < 4) return { kidNoise };
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const half = (rows: number[]) => {
    const out = new Float32Array(rows.length * dim);
    rows.forEach((row, i) => out.set(reference.subarray(row * dim, (row + 1) * dim), i * dim));
    return out;
  };
  const cut = Math.floor(n / 2);
  return { kidReal: kid(half(order.slice(0, cut)), half(order.slice(cut)), dim, kidOptions).mean, kidNoise };
}

function referenceSubset(feats: Float32Array, count: number, dim: number, seed: number): Float32Array {
  if (count <= MAX_REFERENCE) return feats;
  const pick = new Rng(seed).shuffle(Array.from({ length: count }, (_, i) => i)).slice(0, MAX_REFERENCE).sort((a, b) => a - b);
  const out = new Float32Array(MAX_REFERENCE * dim);
  pick.forEach((row, i) => out.set(feats.subarray(row * dim, (row + 1) * dim), i * dim));
  return out;
}

/**
 * Labels for the QUALITY_SAMPLES generations of a conditional model: stratified over the data's labelled
 * images (so the label mix matches the data's), grouped so each group is one condition. [] = unconditional.
 */
function labelPlan(g: Sampler, data: ImageTensorData): { label: string | null; count: number }[] {
  const names = data.labelNames ?? [];
  const labelled: string[] = [];
  if (g.labelNames.length > 0 && data.labels) {
    for (let i = 0; i < data.count; i++) {
      const name = names[data.labels[i]!];
      if (data.labels[i]! >= 0 && name !== undefined && g.labelNames.includes(name)) labelled.push(name);
    }
  }
  if (labelled.length === 0) return [{ label: null, count: QUALITY_SAMPLES }];
  labelled.sort();
  const plan: { label: string | null; count: number }[] = [];
  for (let i = 0; i < QUALITY_SAMPLES; i++) {
    const label = labelled[Math.floor((i * labelled.length) / QUALITY_SAMPLES)]!;
    const last = plan[plan.length - 1];
    if (last && last.label === label) last.count++;
    else plan.push({ label, count: 1 });
  }
  return plan;
}

function sampleFeatures(g: Sampler, space: FeatureSpace, data: ImageTensorData, seed: number): Float32Array {
  const per = g.size * g.size * g.channels;
  const pixels = new Uint8Array(QUALITY_SAMPLES * per);
  let done = 0;
  let call = 0;
  for (const { label, count } of labelPlan(g, data)) {
    for (let i = 0; i < count; i += SAMPLE_CHUNK) {
      const m = Math.min(SAMPLE_CHUNK, count - i);
      const { images } = g.sample({
        seed: (seed + 0x9e3779b9 * ++call) >>> 0,
        count: m,
        ...(label !== null ? { condition: { labels: { [label]: 1 } } } : {}),
      });
      for (const img of images) pixels.set(img.pixels, done++ * per);
    }
  }
  return space.embed(pixels, QUALITY_SAMPLES, g.size, g.channels);
}

/** Held-out reconstruction MSE of a model whose family can evaluate it (the VAE); null when unavailable. */
async function heldOutReconstruction(checkpointFile: string, data: ImageTensorData): Promise<number | null> {
  const ckpt = await readCheckpoint(checkpointFile);
  const h = ckpt.header;
  const session = h.session as { heldOut?: number[]; dataCount?: number };
  const held = session.dataCount === data.count ? (session.heldOut ?? []) : [];
  if (held.length === 0) return null;
  const family = h.family as ImageFamily;
  const config = h.config as unknown as ImageConfigs[ImageFamily];
  const module = familyModule(family);
  module.validate(config, h.vocab);
  const model = module.build(config, new Rng(0), h.vocab);
  try {
    if (!model.evaluate) return null;
    for (const e of model.store.list({ role: 'param' })) {
      const t = ckpt.tensors.get(e.name);
      if (!t || t.shape.join() !== e.variable.shape.join()) return null;
      assignValues(e.variable, t.data, t.shape);
    }
    const source = new ImageSource(data, config, h.vocab);
    const rng = new Rng(0); // unused without augmentation, but batch() takes one
    let sum = 0;
    let n = 0;
    for (let i = 0; i < held.length; i += SAMPLE_CHUNK) {
      const idx = held.slice(i, i + SAMPLE_CHUNK).filter((j) => j >= 0 && j < data.count);
      if (idx.length === 0) continue;
      const batch = source.batch(idx, null, rng);
      let value: number | null;
      try {
        const t = tf.tidy(() => {
          const out = model.evaluate!(batch.x);
          return out['heldOutMse'] ?? out['reconMse'] ?? tf.scalar(NaN);
        });
        value = t.dataSync()[0] ?? NaN;
        t.dispose();
      } finally {
        disposeBatch(batch);
      }
      sum += value * idx.length;
      n += idx.length;
    }
    const mse = sum / n;
    return Number.isFinite(mse) ? mse : null;
  } finally {
    model.store.dispose();
  }
}
