/**
 * Memorisation guard: the nearest training image of each generation, in the quality metric's feature
 * space (feature-space.ts; unit vectors, so Euclidean distances lie in [0, 2]).
 *
 * Threshold heuristic (`memorisationThreshold`): a generation is flagged when it is closer to a training
 * image than all but the closest `percentile` (default 5 %) of training images are to their own nearest
 * *other* training image. Rationale: the distance from a real image to its nearest neighbour in the data
 * is what "a different image of the same kind" looks like on this dataset; a generation well inside that
 * is closer to one training image than distinct training images ever are to each other — a copy, up to
 * the small changes (colour shift, a few pixels) the features ignore. Exact or near duplicates inside the
 * data (distance < 1e-4) are left out of the statistics, or one duplicated emoji would set the
 * threshold to zero. The percentile is derived from the data, so it adapts to tight datasets (sprites
 * that all look alike) and loose ones (photos). It is a heuristic: it flags, a person decides.
 *
 * Exact search (O(n·q·d)): n is at most a few thousand training images, d = 64.
 *
 * Per-dataset training features with their catalog item ids are cached next to the feature space
 * (cacheDir/features/<key>.train.bin) so the gallery can look up nearest items without re-embedding.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AtelierError } from '../../../shared/errors';
import { writeFileAtomic } from '../train/checkpoint';

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

/**
 * Distance below which a generation is flagged as a likely copy: the `percentile` quantile (0..1,
 * default 0.05) of the training images' nearest-other-image distances, duplicates excluded.
 * Returns 0 (nothing flagged) when the data has fewer than 2 distinct images.
 */
export function memorisationThreshold(train: Float32Array, dim: number, percentile = 0.05): number {
  if (!(percentile >= 0 && percentile <= 1)) throw new RangeError(`percentile must be in [0, 1], got ${percentile}`);
  const d = Array.from(trainingNeighbourDistances(train, dim)).filter((v) => v >= DUPLICATE && Number.isFinite(v));
  if (d.length === 0) return 0;
  d.sort((a, b) => a - b);
  // Linear interpolation between order statistics.
  const pos = percentile * (d.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(d.length - 1, lo + 1);
  return d[lo]! + (d[hi]! - d[lo]!) * (pos - lo);
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
  const json = Buffer.from(JSON.stringify({ key: t.key, dim: t.dim, count: n, threshold: t.threshold, itemIds: t.itemIds }), 'utf8');
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
  let head: { key: string; dim: number; count: number; threshold: number; itemIds: number[] };
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
  return { key: head.key, dim: head.dim, features, itemIds: head.itemIds, threshold: head.threshold };
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
