/**
 * Pure helpers behind the training monitor: curve smoothing, durations, defaults chosen from a
 * dataset's size, warning hints. No Svelte, no DOM, so unit tests can import them directly.
 */

import { FAMILY_LABELS } from '../../../shared/run-format';
import type { Dataset, ModelInfo } from '../../../shared/contract';

export type Point = [step: number, value: number];

/**
 * TensorBoard's smoothing: an exponential moving average debiased for its zero start, so the first
 * points are not pulled towards 0. `weight` 0 = raw, 0.99 = very smooth. Non-finite values pass through
 * without touching the average.
 */
export function emaSmooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  const w = Math.min(Math.max(weight, 0), 0.999);
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    const debias = w === 0 ? 1 : 1 - Math.pow(w, n);
    return last / debias;
  });
}

/**
 * Append a live point to a curve. A step at or before the last one means the run went back (resumed
 * from an earlier checkpoint): what came after that step never happened, as the engine also records.
 */
export function appendPoint(points: Point[], step: number, value: number): void {
  if (!Number.isFinite(value)) return;
  let i = points.length;
  while (i > 0 && points[i - 1]![0] >= step) i--;
  if (i < points.length) points.splice(i);
  points.push([step, value]);
}

/** Align several curves on the union of their steps, for a chart that wants one x array. */
export function alignSeries(series: ReadonlyArray<ReadonlyArray<Point>>): { xs: number[]; ys: Array<Array<number | null>> } {
  const steps = new Set<number>();
  for (const s of series) for (const [x] of s) steps.add(x);
  const xs = [...steps].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const col: Array<number | null> = new Array(xs.length).fill(null);
    for (const [x, y] of s) col[index.get(x)!] = y;
    return col;
  });
  return { xs, ys };
}

/** "45 s", "3 min", "1 h 05 min", "2 d 3 h": short and honest about its precision. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function formatRate(imgPerSec: number | null | undefined): string {
  if (imgPerSec === null || imgPerSec === undefined || !Number.isFinite(imgPerSec)) return '—';
  return imgPerSec >= 100 ? `${Math.round(imgPerSec)}` : imgPerSec.toFixed(1);
}

export interface AugmentChoice {
  flip: boolean;
  rotationDeg: number;
  cropFraction: number;
  colorJitter: number;
}

export interface TrainDefaults {
  batchSize: number;
  size: 32 | 64;
  steps: number;
  augment: AugmentChoice;
  /** Few images: fine-tuning a base model usually beats training from scratch. */
  suggestFineTune: boolean;
  /** One sentence saying why, shown under the form. */
  why: string;
}

/** Below this many images, training from scratch rarely gets anywhere; propose a base model. */
export const FINE_TUNE_BELOW = 100;

/**
 * The size tiers behind the defaults, smallest first: a dataset takes the first tier whose `below` bound
 * is above its image count. Few images → a smaller batch (more updates per epoch) and stronger
 * augmentation (so the discriminator does not memorise them); many → bigger batches and light augmentation.
 */
const TIERS: ReadonlyArray<Omit<TrainDefaults, 'suggestFineTune' | 'why'> & { below: number; why: (n: number) => string }> = [
  { below: FINE_TUNE_BELOW, batchSize: 8, size: 32, steps: 600, augment: { flip: true, rotationDeg: 10, cropFraction: 0.85, colorJitter: 0.2 }, why: (n) => `${n} images is very few: a small batch, strong augmentation and, where a base model fits, fine-tuning it.` },
  { below: 500, batchSize: 16, size: 32, steps: 2000, augment: { flip: true, rotationDeg: 5, cropFraction: 0.9, colorJitter: 0.1 }, why: (n) => `${n} images: a small batch and moderate augmentation.` },
  { below: 3000, batchSize: 32, size: 64, steps: 4000, augment: { flip: true, rotationDeg: 0, cropFraction: 0.95, colorJitter: 0 }, why: (n) => `${n} images: a medium batch and light augmentation.` },
  { below: Infinity, batchSize: 64, size: 64, steps: 8000, augment: { flip: true, rotationDeg: 0, cropFraction: 1, colorJitter: 0 }, why: (n) => `${n} images: enough for a larger batch and little augmentation.` },
];

/** Defaults from the dataset's size (TIERS); below FINE_TUNE_BELOW images the form proposes fine-tuning. */
export function defaultsForDataset(itemCount: number): TrainDefaults {
  const n = Math.max(0, itemCount);
  const tier = TIERS.find((t) => n < t.below) ?? TIERS[TIERS.length - 1]!;
  return {
    // A batch larger than the dataset only repeats images within a step.
    batchSize: Math.max(2, Math.min(tier.batchSize, n || 2)),
    size: tier.size,
    steps: tier.steps,
    augment: { ...tier.augment },
    suggestFineTune: n < FINE_TUNE_BELOW,
    why: tier.why(n),
  };
}

/** A new run's proposed length: a time box that brings a result to look at in about ten minutes. */
export const DEFAULT_MINUTES = 10;

/**
 * The shipped base model a new run on `itemCount` images should fine-tune by default: a base (an image
 * family the form offers, with a checkpoint) of the size the defaults propose for this many images. In a
 * ten-minute box, a model that already draws simple shapes gets much further than one starting from noise.
 */
export function fittingBase<M extends Pick<ModelInfo, 'source' | 'family' | 'size' | 'checkpoints'>>(itemCount: number, models: readonly M[]): M | undefined {
  const size = defaultsForDataset(itemCount).size;
  return models.find((m) => m.source === 'base' && m.checkpoints.length > 0 && m.family in FAMILY_INFO && (m.size === null || m.size === size));
}

/**
 * Time left as the monitor says it: the engine's estimate while steps run; before the first one, a time
 * box is still the whole box (start-up does not count against it); otherwise unknown.
 */
export function timeLeftMs(status: string, etaMs: number | null | undefined, targetMinutes: number | null): number | null {
  if (status !== 'running') return null;
  if (etaMs !== null && etaMs !== undefined) return etaMs;
  return targetMinutes !== null ? targetMinutes * 60_000 : null;
}

/** Image families and what the form says about each (the names are shared with the engine and the CLI). */
export const FAMILY_INFO: Record<string, { label: string; hint: string; fixedSize?: number }> = {
  default: { label: FAMILY_LABELS.default, hint: 'Recommended. Made for a few hundred images: stable, with built-in augmentation.' },
  mlpgan: { label: FAMILY_LABELS.mlpgan, hint: 'The classic 2014 preset, tiny and fast; blurry beyond simple shapes.', fixedSize: 28 },
  dcgan: { label: FAMILY_LABELS.dcgan, hint: 'The classic convolutional preset; needs more images than the small-data GAN.', fixedSize: 32 },
  cgan: { label: FAMILY_LABELS.cgan, hint: 'Learns your labels, so you can ask for a label when creating.' },
  vae: { label: FAMILY_LABELS.vae, hint: 'Trains steadily and never collapses; images are softer than a GAN’s.' },
};

export const WARNING_HINTS: Record<string, { title: string; hint: string }> = {
  d_collapse: {
    title: 'The discriminator’s loss collapsed to zero',
    hint: 'It tells real from generated perfectly, so the generator gets no useful signal. Stronger augmentation, more images or fine-tuning from a base model usually help.',
  },
  mode_collapse: {
    title: 'The samples are becoming alike',
    hint: 'The generator may be settling on a few outputs (mode collapse). Try more augmentation, or resume from an earlier checkpoint with a lower learning rate.',
  },
  diverged: {
    title: 'Training diverged (the numbers became NaN)',
    hint: 'The losses blew up and training stopped. Resume from the last good checkpoint, ideally with a smaller learning rate or batch.',
  },
  slow: {
    title: 'Training is slow on this backend',
    hint: 'Fewer images per second than expected: a smaller size or batch, or a faster backend, will finish sooner.',
  },
};

/** The warning codes recorded as `warning/<code>` scalars, first step each. */
export function warningsFromScalars(scalars: Record<string, Point[]>): Array<{ code: string; step: number }> {
  return Object.entries(scalars)
    .filter(([name, pts]) => name.startsWith('warning/') && pts.length > 0)
    .map(([name, pts]) => ({ code: name.slice('warning/'.length), step: pts[0]![0] }))
    .sort((a, b) => a.step - b.step);
}

/** The grid nearest to `step` (at or before it when possible), for scrubbing and comparing. */
export function gridAtStep<G extends { step: number }>(grids: readonly G[], step: number): G | undefined {
  let best: G | undefined;
  for (const g of grids) {
    if (g.step <= step && (!best || g.step > best.step)) best = g;
  }
  return best ?? grids[0];
}

export const STATUS_LABEL: Record<string, string> = {
  queued: 'queued',
  running: 'running',
  paused: 'paused',
  interrupted: 'interrupted',
  diverged: 'diverged',
  done: 'finished',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function isActive(status: string): boolean {
  return status === 'running' || status === 'paused' || status === 'queued';
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** How both Train forms list a dataset: "pets — 315 images · 3 labels", "names — text, 2 files". */
export function datasetOptionLabel(d: Pick<Dataset, 'name' | 'kind' | 'itemCount' | 'labels'>): string {
  const what = d.kind === 'text' ? `text, ${plural(d.itemCount, 'file', 'files')}` : `${d.itemCount} images`;
  return `${d.name} — ${what}${d.labels.length ? ` · ${plural(d.labels.length, 'label', 'labels')}` : ''}`;
}
