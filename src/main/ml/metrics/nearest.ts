/**
 * Memorisation guard: the nearest training image of each generation, in the quality metric's feature
 * space (feature-space.ts: standardised on the training images, so a typical training image lies about
 * 1.4–1.6 from their mean, whatever the dataset's size).
 *
 * Threshold (`memorisationThreshold`): a generation is flagged as a likely copy when it is closer to a
 * training image than the smaller of
 *   - half the median distance from a training image to its nearest *other* training image (what "a
 *     different image of the same kind" looks like on this dataset; the median, not a low percentile,
 *     because on 10 images a 5 % percentile is simply the one closest pair, which can be any distance),
 *   - a third of the training images' spread (root mean squared distance to their mean): an absolute
 *     bound in the space's own units. On a tiny dataset the images are far apart, so half their spacing is
 *     large; a copy is no less close for that.
 * Exact duplicates inside the data (distance < 1e-4) are left out of the median, or one duplicated emoji
 * would set the threshold to zero.
 *
 * Measured (tests/unit/ml/metrics/nearest-guard.test.ts, 32 px): exact copies lie at 0; copies with ±1 %
 * brightness, a ±2-level tint, σ=1 pixel noise or a 1-pixel shift at ≤ 0.46 on Twemoji (threshold ≈ 0.47
 * with 10 or 158 images); uniform noise, smooth noisy blobs and the base model's samples at ≥ 0.95. The
 * previous rule (5th percentile of the nearest-other distances) gave 0.85–1.17 on 10 images, which
 * flagged noisy blobs at 0.79 (issue 18). Known limit: any pixel noise on flat-shaded art (a few exact
 * colours) moves it far in this space (its palette block), so a noisy copy of a flat shape is not flagged.
 * It is a heuristic: it flags, a person decides.
 *
 * Exact search (O(n·q·d)): n is at most a few thousand training images.
 *
 * Per-dataset training features with their catalog item ids are cached next to the feature space
 * (cacheDir/features/<key>.train.bin) so the gallery can look up nearest items without re-embedding; a
 * cache written under an earlier threshold rule gets its threshold recomputed when read.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AtelierError } from '../../../shared/errors';
import { writeFileAtomic } from '../checkpoint';

export interface Neighbour {
  /** Row of the training features (map to an item id with `TrainingFeatures.itemIds`). */
  index: number;
  /** Euclidean distance in feature space. */
  distance: number;
}

function rowsOf(name: string, feats: Float32Array, dim: number): number {
  if (!(Number.isInteger(dim) && dim > 0)) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (feats.length % dim !== 0) throw new RangeError(`${name} length ${feats.length} is not a multiple of dim ${dim}`);
  return feats.length / dim;
}

/** For each query row, its nearest training row (ties → lowest index). */
export function nearestNeighbours(train: Float32Array, queries: Float32Array, dim: number): Neighbour[] {
  const n = rowsOf('train', train, dim);
  const q = rowsOf('queries', queries, dim);
  if (n === 0) throw new RangeError('nearestNeighbours needs at least one training row');
  const out: Neighbour[] = [];
  for (let i = 0; i < q; i++) {
    const qi = i * dim;
    let best = Infinity;
    let bestIdx = 0;
    for (let j = 0; j < n; j++) {
      const tj = j * dim;
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const diff = queries[qi + t]! - train[tj + t]!;
        s += diff * diff;
        if (s >= best) break;
      }
      if (s < best) {
        best = s;
        bestIdx = j;
      }
    }
    out.push({ index: bestIdx, distance: Math.sqrt(best) });
  }
  return out;
}

/** Distance of each training row to its nearest other row. */
export function trainingNeighbourDistances(train: Float32Array, dim: number): Float64Array {
  const n = rowsOf('train', train, dim);
  const out = new Float64Array(n).fill(Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const diff = train[i * dim + t]! - train[j * dim + t]!;
        s += diff * diff;
      }
      const d = Math.sqrt(s);
      if (d < out[i]!) out[i] = d;
      if (d < out[j]!) out[j] = d;
    }
  }
  return out;
}

/** Distances below this count as duplicates inside the data and are left out of the threshold. */
const DUPLICATE = 1e-4;

/** The threshold rule's version, stored with cached training features (1: the 5th-percentile rule). */
export const THRESHOLD_VERSION = 2;

export interface ThresholdOptions {
  /** Fraction of the median nearest-other-image distance (default 0.5). */
  relative?: number;
  /** Fraction of the training images' spread, the absolute bound (default 1/3). */
  spread?: number;
}

/** Root mean squared distance of the rows to their mean. */
export function featureSpread(train: Float32Array, dim: number): number {
  const n = rowsOf('train', train, dim);
  if (n === 0) return 0;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let t = 0; t < dim; t++) mean[t] = mean[t]! + train[i * dim + t]! / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < dim; t++) {
      const diff = train[i * dim + t]! - mean[t]!;
      ss += diff * diff;
    }
  }
  return Math.sqrt(ss / n);
}

/**
 * Distance below which a generation is flagged as a likely copy (see the file's comment):
 * min(relative × median nearest-other-image distance, spread × RMS distance to the mean).
 * Returns 0 (nothing flagged) when the data has fewer than 2 distinct images.
 */
export function memorisationThreshold(train: Float32Array, dim: number, opts: ThresholdOptions = {}): number {
  const relative = opts.relative ?? 0.5;
  const spread = opts.spread ?? 1 / 3;
  if (!(relative > 0 && relative <= 1)) throw new RangeError(`relative must be in (0, 1], got ${relative}`);
  if (!(spread > 0 && spread <= 1)) throw new RangeError(`spread must be in (0, 1], got ${spread}`);
  const d = Array.from(trainingNeighbourDistances(train, dim)).filter((v) => v >= DUPLICATE && Number.isFinite(v));
  if (d.length === 0) return 0;
  d.sort((a, b) => a - b);
  const mid = (d.length - 1) / 2;
  const median = (d[Math.floor(mid)]! + d[Math.ceil(mid)]!) / 2;
  return Math.min(relative * median, spread * featureSpread(train, dim));
}

/** Training features of one dataset, as cached for the gallery. */
export interface TrainingFeatures {
  /** Feature-space key (see featureSpaceKey). */
  key: string;
  dim: number;
  /** count × dim unit vectors, in dataset order. */
  features: Float32Array;
  /** Catalog item id per row (-1 when the data carried no ids). */
  itemIds: number[];
  /** memorisationThreshold of these features. */
  threshold: number;
}

const MAGIC = 'ATLRTRNF';

export function trainingFeaturesPath(cacheDir: string, key: string): string {
  return path.join(cacheDir, 'features', `${key}.train.bin`);
}

/** Writes a dataset's training features and item ids atomically. */
export async function saveTrainingFeatures(cacheDir: string, t: TrainingFeatures): Promise<string> {
  const n = rowsOf('features', t.features, t.dim);
  if (t.itemIds.length !== n) throw new RangeError(`${t.itemIds.length} item ids for ${n} feature rows`);
  const file = trainingFeaturesPath(cacheDir, t.key);
  await mkdir(path.dirname(file), { recursive: true });
  const head = { key: t.key, dim: t.dim, count: n, threshold: t.threshold, thresholdVersion: THRESHOLD_VERSION, itemIds: t.itemIds };
  const json = Buffer.from(JSON.stringify(head), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const pad = Buffer.alloc((4 - ((MAGIC.length + 4 + json.length) % 4)) % 4, 0x20);
  const f = t.features;
  await writeFileAtomic(file, [Buffer.from(MAGIC, 'ascii'), len, json, pad, new Uint8Array(f.buffer, f.byteOffset, f.byteLength)]);
  return file;
}

/** Reads cached training features; null when absent. Throws AtelierError on a damaged file. */
export async function loadTrainingFeatures(cacheDir: string, key: string): Promise<TrainingFeatures | null> {
  const file = trainingFeaturesPath(cacheDir, key);
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const bad = () => new AtelierError('invalid_input', `${path.basename(file)} is not a usable training-feature file.`);
  if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC) throw bad();
  const jsonLen = buf.readUInt32LE(MAGIC.length);
  let head: { key: string; dim: number; count: number; threshold: number; thresholdVersion?: number; itemIds: number[] };
  try {
    head = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + jsonLen));
  } catch {
    throw bad();
  }
  let offset = MAGIC.length + 4 + jsonLen;
  offset += (4 - (offset % 4)) % 4;
  const bytes = head.count * head.dim * 4;
  if (head.key !== key || offset + bytes > buf.length || head.itemIds.length !== head.count) throw bad();
  const features = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + bytes));
  const loaded: TrainingFeatures = { key: head.key, dim: head.dim, features, itemIds: head.itemIds, threshold: head.threshold };
  if (head.thresholdVersion !== THRESHOLD_VERSION) {
    // Written under an earlier rule (which flagged noise on tiny datasets): recompute, and keep it.
    loaded.threshold = memorisationThreshold(features, head.dim);
    await saveTrainingFeatures(cacheDir, loaded).catch(() => undefined);
  }
  return loaded;
}

/** Nearest training item per query, with the memorisation flag. */
export function nearestItems(
  train: TrainingFeatures,
  queries: Float32Array,
): { index: number; itemId: number; distance: number; memorised: boolean }[] {
  return nearestNeighbours(train.features, queries, train.dim).map((nb) => ({
    ...nb,
    itemId: train.itemIds[nb.index] ?? -1,
    memorised: nb.distance < train.threshold,
  }));
}
