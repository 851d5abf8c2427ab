/**
 * The feature space the sample-quality metrics (KID, precision/recall) and the memorisation guard work in.
 *
 * Why not Inception (the FID/KID standard): its weights are a ~100 MB download, Atelier is offline by
 * design, and an ImageNet classifier's features are a poor ruler for 300 pixel-art sprites or emoji at
 * 32–64 px anyway. So the space is built from the dataset itself, deterministically, in a few seconds
 * on a loaded 2-core CPU:
 *
 *   image → RGB (RGBA composited over white), 32×32, [-1, 1]
 *     ├─ colour layout: 4×4 average-pooled pixels                                    (48)
 *     ├─ conv3×3(32) → ReLU: per-channel mean  ─ 2×2 avg pool                       (32)
 *     ├─ conv3×3(64) → ReLU: per-channel mean  ─ 2×2 avg pool                       (64)
 *     └─ conv3×3(128) → ReLU: 2×2 spatial grid of channel means                     (512)
 *   → per-feature z-score over the dataset, each block weighted to equal total variance
 *   → PCA fitted on the dataset: the top 62 components, softly whitened (see WHITEN_FLOOR) → y;
 *     r = norm of what those components leave out
 *   → [y/‖y‖, log(‖y‖/ν), 2·log(max(1, r/ρ))], L2-normalised: a unit vector in R^64
 *     (ν = median ‖y‖ over the data; ρ = 95th percentile of r for data images the PCA has not seen).
 *
 * Why the two extra coordinates: plain L2 normalisation maps an image far outside the data (noise, a
 * blank frame) onto the same sphere as the data and lets it look "precise" (pure noise scored precision
 * 0.83 in our tests). ‖y‖ says how far along the data's own directions an image lies; r says how much
 * of it those directions cannot express at all (noise: a lot). ρ is measured on held-out images
 * because a PCA explains its own fitting images too well (with n ≤ 63 their residual is exactly 0).
 * Unit length keeps the cubic KID kernel well scaled, so KID uses γ = 1: k(x, y) = (x·y + 1)^3.
 *
 * The convolutions are random (He-initialised from a fixed seed) and never trained: random ReLU conv
 * features are a known-reasonable embedding for distribution metrics (Naeem et al. 2020 report
 * randomly initialised networks give usable precision/recall; Ulyanov et al.'s "deep image prior" shows
 * a random conv net's structure alone encodes local image statistics). What adapts the space to the
 * project's data is the standardisation and the PCA: the 62 directions along which *these* images vary
 * most, rescaled so no single direction (e.g. mean brightness) dominates. We chose this over briefly
 * training an autoencoder because it costs a few seconds instead of tens of seconds on a loaded 2-core
 * CPU, has no optimisation to go wrong, and gives bit-stable results on the same backend.
 *
 * Limits (also in docs/quality-metric.md): numbers are comparable only within one dataset (the space is
 * fitted to it), not across datasets or with published FID/KID; the space sees 32×32 structure, so
 * fine detail at 128 px barely registers; a generator can only be judged on what the 62 directions of
 * the *training* data capture, so novel failure modes orthogonal to them (e.g. a colour the data never
 * has) are seen mostly through the colour block and the residual coordinate. Precision/recall need a
 * few hundred training images: with ~60 the k-NN balls are so wide that even noise lands inside one.
 *
 * Everything needed to embed is stored (weights, statistics, projection), so a saved space embeds the
 * same on any backend up to float rounding. Cached as cacheDir/features/<key>.bin with
 * key = sha256(version, seed, size, channels, pixels): all checkpoints of all runs on the same data
 * share one space, which is what makes their numbers comparable.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import { Rng } from '../rng';
import { convertChannels, resizeTo } from '../train/batches';
import { writeFileAtomic } from '../train/checkpoint';
import { fitPca, residualNorms } from './pca';

export const FEATURE_SPACE_VERSION = 1;
/** Output dimension. */
export const FEATURE_DIM = 64;
/** Images are embedded at this side. */
const WORK_SIZE = 32;
/** Conv widths of the three stages. */
const WIDTHS = [32, 64, 128] as const;
/** At most this many images fit the statistics and PCA (a seeded subset of bigger datasets). */
const MAX_FIT = 1024;
/** Images per forward pass while embedding (bounds memory). */
const EMBED_CHUNK = 64;
/**
 * Soft whitening: a component of variance λ is scaled by 1/sqrt(λ + WHITEN_FLOOR·mean λ). Full
 * whitening (floor → 0) blows near-empty directions up into noise, every point ends up about equally far
 * from every other, and k-NN precision stops seeing even pure noise as off-manifold; a floor of the mean
 * variance keeps the leading directions leading while stopping the first one or two (overall brightness)
 * from dominating.
 */
const WHITEN_FLOOR = 1;
const MAGIC = 'ATLRFEAT';
/** Weight of the residual coordinate: large enough that pure noise leaves the data's k-NN balls (n ≈ 200). */
const RESIDUAL_WEIGHT = 2;
/** Residuals below this quantile of unseen data images count as "on the data's subspace" (coordinate 0). */
const RESIDUAL_QUANTILE = 0.95;

/** Square images as the engine stores them: row-major NHWC bytes. */
export interface PixelBatch {
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: number;
}

interface Arrays {
  w0: Float32Array;
  w1: Float32Array;
  w2: Float32Array;
  /** Per raw feature: subtract, then multiply (z-score × block weight). */
  rawMean: Float32Array;
  rawScale: Float32Array;
  /** PCA mean (in standardised raw space), and the component rows divided by their whitening scale. */
  pcaMean: Float32Array;
  components: Float32Array; // k × rawDim, unit rows
  projection: Float32Array; // k × rawDim
  /** ν and ρ (see project). */
  radial: Float32Array;
}

interface Header {
  format: 'atelier-feature-space';
  version: number;
  seed: number;
  dim: number;
  rawDim: number;
  /** Dataset this space was fitted to (the cache key). */
  key: string;
  fittedOn: number;
  arrays: { name: keyof Arrays; length: number }[];
}

const ARRAY_NAMES: (keyof Arrays)[] = ['w0', 'w1', 'w2', 'rawMean', 'rawScale', 'pcaMean', 'components', 'projection', 'radial'];

const filterShapes = (): [number, number, number, number][] => [
  [3, 3, 3, WIDTHS[0]],
  [3, 3, WIDTHS[0], WIDTHS[1]],
  [3, 3, WIDTHS[1], WIDTHS[2]],
];

/** Raw descriptor blocks and their lengths, in order. */
const BLOCKS = [4 * 4 * 3, WIDTHS[0], WIDTHS[1], 2 * 2 * WIDTHS[2]];
const RAW_DIM = BLOCKS.reduce((a, b) => a + b, 0);

/** Cache key of a dataset's feature space. */
export function featureSpaceKey(data: PixelBatch, seed = 0): string {
  const h = createHash('sha256');
  h.update(`atelier-feature-space v${FEATURE_SPACE_VERSION} seed ${seed} size ${data.size} channels ${data.channels} count ${data.count}\n`);
  h.update(data.pixels);
  return h.digest('hex');
}

export function featureSpacePath(cacheDir: string, key: string): string {
  return path.join(cacheDir, 'features', `${key}.bin`);
}

function checkBatch(b: PixelBatch): void {
  const { pixels, count, size, channels } = b;
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(size) && size >= 1 && [1, 3, 4].includes(channels))) {
    throw new RangeError(`bad image batch: count ${count}, size ${size}, channels ${channels}`);
  }
  if (pixels.length !== count * size * size * channels) {
    throw new RangeError(`image batch has ${pixels.length} bytes, expected ${count}×${size}×${size}×${channels}`);
  }
}

export class FeatureSpace {
  private constructor(
    private readonly header: Header,
    private readonly a: Arrays,
  ) {}

  /** Output dimension (features are unit vectors of this length). */
  get dim(): number {
    return this.header.dim;
  }

  /** The dataset key this space was fitted to. */
  get key(): string {
    return this.header.key;
  }

  /** Fits a space to the images (deterministic given pixels and seed). */
  static fit(data: PixelBatch, opts: { seed?: number; dim?: number } = {}): FeatureSpace {
    checkBatch(data);
    if (data.count < 3) throw new AtelierError('invalid_input', 'The quality metric needs at least 3 training images.');
    const seed = opts.seed ?? 0;
    const rng = new Rng(seed);
    const [s0, s1, s2] = filterShapes().map((shape) => {
      const fanIn = shape[0] * shape[1] * shape[2];
      const v = rng.normals(shape.reduce((p, q) => p * q, 1));
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < v.length; i++) v[i] = v[i]! * std;
      return v;
    }) as [Float32Array, Float32Array, Float32Array];

    // A seeded subset bounds the cost on big datasets.
    let fit = data;
    if (data.count > MAX_FIT) {
      const per = data.size * data.size * data.channels;
      const pick = rng.shuffle(Array.from({ length: data.count }, (_, i) => i)).slice(0, MAX_FIT).sort((p, q) => p - q);
      const pixels = new Uint8Array(MAX_FIT * per);
      pick.forEach((img, i) => pixels.set(data.pixels.subarray(img * per, (img + 1) * per), i * per));
      fit = { pixels, count: MAX_FIT, size: data.size, channels: data.channels };
    }
    const n = fit.count;
    const raw = rawFeatures(fit, [s0, s1, s2]);

    // z-score each raw feature, then weight blocks to equal total variance so the 512 spatial features
    // do not drown the 48 colour ones.
    const rawMean = new Float32Array(RAW_DIM);
    const rawScale = new Float32Array(RAW_DIM);
    const std = new Float64Array(RAW_DIM);
    for (let j = 0; j < RAW_DIM; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += raw[i * RAW_DIM + j]!;
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (raw[i * RAW_DIM + j]! - m) ** 2;
      rawMean[j] = m;
      std[j] = Math.sqrt(v / (n - 1));
    }
    let meanStd = 0;
    for (const s of std) meanStd += s;
    meanStd /= RAW_DIM;
    let offset = 0;
    for (const len of BLOCKS) {
      for (let j = offset; j < offset + len; j++) rawScale[j] = 1 / (std[j]! + 1e-3 * meanStd + 1e-12) / Math.sqrt(len);
      offset += len;
    }
    const z = new Float64Array(n * RAW_DIM);
    for (let i = 0; i < n; i++) for (let j = 0; j < RAW_DIM; j++) z[i * RAW_DIM + j] = (raw[i * RAW_DIM + j]! - rawMean[j]!) * rawScale[j]!;

    const k = (opts.dim ?? FEATURE_DIM) - 2;
    const pca = fitPca(z, n, RAW_DIM, k, seed);
    let kept = 0;
    let meanVar = 0;
    for (let e = 0; e < k; e++) {
      if (pca.variances[e]! <= 0) continue;
      kept++;
      meanVar += pca.variances[e]!;
    }
    meanVar = kept > 0 ? meanVar / kept : 1;
    const projection = new Float32Array(k * RAW_DIM);
    for (let e = 0; e < k; e++) {
      const scale = 1 / Math.sqrt(pca.variances[e]! + WHITEN_FLOOR * meanVar);
      for (let j = 0; j < RAW_DIM; j++) projection[e * RAW_DIM + j] = pca.components[e * RAW_DIM + j]! * scale;
    }
    const arrays: Arrays = {
      w0: s0,
      w1: s1,
      w2: s2,
      rawMean,
      rawScale,
      pcaMean: Float32Array.from(pca.mean),
      components: Float32Array.from(pca.components.subarray(0, k * RAW_DIM)),
      projection,
      radial: Float32Array.of(1, 1),
    };
    // ν: the data's median ‖y‖. ρ: a high quantile of the residual of images the PCA has *not* seen
    // (half B under a PCA fitted on half A). The training images' own residuals are biased low (with
    // n ≤ k + 1 they are exactly 0), so measured on them every new image would look off-manifold.
    const norms = Array.from(project(raw, n, arrays, k, true).filter((_, i) => i % 2 === 0)).sort((p, q) => p - q);
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const half = Math.ceil(n / 2);
    const take = (rows: number[]) => {
      const out = new Float64Array(rows.length * RAW_DIM);
      rows.forEach((row, i) => out.set(z.subarray(row * RAW_DIM, (row + 1) * RAW_DIM), i * RAW_DIM));
      return out;
    };
    const pcaA = fitPca(take(order.slice(0, half)), half, RAW_DIM, k, seed);
    const resB = Array.from(residualNorms(pcaA, take(order.slice(half)), n - half)).sort((p, q) => p - q);
    arrays.radial = Float32Array.of(
      Math.max(1e-12, norms[Math.floor(n / 2)]!),
      Math.max(1e-12, resB[Math.min(resB.length - 1, Math.floor(RESIDUAL_QUANTILE * resB.length))]!),
    );
    const header: Header = {
      format: 'atelier-feature-space',
      version: FEATURE_SPACE_VERSION,
      seed,
      dim: k + 2,
      rawDim: RAW_DIM,
      key: featureSpaceKey(data, seed),
      fittedOn: n,
      arrays: [],
    };
    return new FeatureSpace(header, arrays);
  }

  /**
   * Features, count × dim: the whitened PCA coordinates, then the standardised size of what the PCA
   * leaves out (see top of file), for images of any size and channel count.
   */
  embed(pixels: Uint8Array, count: number, size: number, channels: number): Float32Array {
    const batch = { pixels, count, size, channels };
    checkBatch(batch);
    const raw = rawFeatures(batch, [this.a.w0, this.a.w1, this.a.w2]);
    return project(raw, count, this.a, this.header.dim - 2);
  }

  /** Writes the space atomically. */
  async save(file: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const header: Header = { ...this.header, arrays: ARRAY_NAMES.map((name) => ({ name, length: this.a[name].length })) };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length);
    // Pad so the float payload starts 4-byte aligned.
    const pad = Buffer.alloc((4 - ((MAGIC.length + 4 + json.length) % 4)) % 4, 0x20);
    const chunks: Uint8Array[] = [Buffer.from(MAGIC, 'ascii'), len, json, pad];
    for (const name of ARRAY_NAMES) {
      const arr = this.a[name];
      chunks.push(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    }
    await writeFileAtomic(file, chunks);
  }

  static async load(file: string): Promise<FeatureSpace> {
    const buf = await readFile(file);
    const bad = (why: string) => new AtelierError('invalid_input', `${path.basename(file)} is not a usable feature space (${why}).`);
    if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC) throw bad('wrong magic');
    const jsonLen = buf.readUInt32LE(MAGIC.length);
    const start = MAGIC.length + 4;
    let header: Header;
    try {
      header = JSON.parse(buf.toString('utf8', start, start + jsonLen)) as Header;
    } catch {
      throw bad('unreadable header');
    }
    if (header.format !== 'atelier-feature-space' || header.version !== FEATURE_SPACE_VERSION || header.rawDim !== RAW_DIM) throw bad('other version');
    let offset = start + jsonLen;
    offset += (4 - (offset % 4)) % 4;
    const arrays = {} as Arrays;
    for (const { name, length } of header.arrays) {
      if (offset + length * 4 > buf.length) throw bad('truncated');
      // Copy: the Buffer may be a slice of a shared pool with arbitrary alignment.
      arrays[name] = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + length * 4));
      offset += length * 4;
    }
    for (const name of ARRAY_NAMES) if (!arrays[name]) throw bad(`missing ${name}`);
    return new FeatureSpace(header, arrays);
  }
}

/**
 * The space for this dataset: loaded from the cache when present, else fitted and cached. A broken
 * cache file is replaced, never trusted.
 */
export async function loadOrFitFeatureSpace(
  data: PixelBatch,
  cacheDir: string,
  opts: { seed?: number } = {},
): Promise<{ space: FeatureSpace; key: string; fitted: boolean }> {
  const seed = opts.seed ?? 0;
  const key = featureSpaceKey(data, seed);
  const file = featureSpacePath(cacheDir, key);
  try {
    const space = await FeatureSpace.load(file);
    if (space.key === key) return { space, key, fitted: false };
  } catch {
    /* missing or unusable: fit afresh */
  }
  const space = FeatureSpace.fit(data, { seed });
  await space.save(file);
  return { space, key, fitted: true };
}

/**
 * Standardised raw descriptors → per image the whitened PCA coordinates y (k) and the residual norm r
 * (what the k components leave out), then [y/‖y‖, log(‖y‖/ν), log(max(1, r/ρ))] L2-normalised
 * (dim = k + 2), ν = median ‖y‖ and ρ = RESIDUAL_QUANTILE of r over the data. With `stats` the plain
 * (‖y‖, r) pairs are returned instead (used once, to fit ν and ρ).
 */
function project(raw: Float32Array, count: number, a: Arrays, k: number, stats = false): Float32Array {
  const { rawMean, rawScale, pcaMean, components, projection, radial } = a;
  const dim = k + 2;
  const out = new Float32Array(count * (stats ? 2 : dim));
  const z = new Float64Array(RAW_DIM);
  const y = new Float64Array(k);
  for (let i = 0; i < count; i++) {
    let energy = 0;
    for (let j = 0; j < RAW_DIM; j++) {
      const v = (raw[i * RAW_DIM + j]! - rawMean[j]!) * rawScale[j]! - pcaMean[j]!;
      z[j] = v;
      energy += v * v;
    }
    let ny = 0;
    for (let e = 0; e < k; e++) {
      const row = e * RAW_DIM;
      let w = 0;
      let c = 0;
      for (let j = 0; j < RAW_DIM; j++) {
        w += projection[row + j]! * z[j]!;
        c += components[row + j]! * z[j]!;
      }
      y[e] = w;
      ny += w * w;
      energy -= c * c;
    }
    ny = Math.sqrt(ny);
    const r = Math.sqrt(Math.max(0, energy));
    if (stats) {
      out[2 * i] = ny;
      out[2 * i + 1] = r;
      continue;
    }
    const o = i * dim;
    // An image exactly at the data mean has no direction: give it a fixed one.
    if (ny < 1e-12) out[o] = 1;
    else for (let e = 0; e < k; e++) out[o + e] = y[e]! / ny;
    out[o + k] = Math.log(Math.max(ny, 1e-6 * radial[0]!) / radial[0]!);
    out[o + k + 1] = RESIDUAL_WEIGHT * Math.log(Math.max(1, r / radial[1]!));
    let norm = 0;
    for (let e = 0; e < dim; e++) norm += out[o + e]! ** 2;
    norm = Math.sqrt(norm);
    for (let e = 0; e < dim; e++) out[o + e] = out[o + e]! / norm;
  }
  return out;
}

/** Raw (pre-PCA) descriptors, count × RAW_DIM, computed in chunks on the active tfjs backend. */
function rawFeatures(b: PixelBatch, weights: [Float32Array, Float32Array, Float32Array]): Float32Array {
  const { pixels, count, size, channels } = b;
  const per = size * size * channels;
  const out = new Float32Array(count * RAW_DIM);
  const shapes = filterShapes();
  for (let i0 = 0; i0 < count; i0 += EMBED_CHUNK) {
    const m = Math.min(EMBED_CHUNK, count - i0);
    const values = new Float32Array(m * per);
    for (let j = 0; j < m * per; j++) values[j] = pixels[i0 * per + j]! / 255;
    const feats = tf.tidy(() => {
      let x = tf.tensor4d(values, [m, size, size, channels]);
      x = resizeTo(convertChannels(x, 3), WORK_SIZE);
      x = tf.sub(tf.mul(x, 2), 1);
      const [f0, f1, f2] = weights.map((w, k) => tf.tensor4d(w, shapes[k]!));
      const colour = tf.reshape(tf.avgPool(x, WORK_SIZE / 4, WORK_SIZE / 4, 'valid'), [m, -1]);
      const h0 = tf.relu(tf.conv2d(x, f0 as tf.Tensor4D, 1, 'same'));
      const m0 = tf.mean(h0, [1, 2]);
      const h1 = tf.relu(tf.conv2d(tf.avgPool(h0, 2, 2, 'valid'), f1 as tf.Tensor4D, 1, 'same'));
      const m1 = tf.mean(h1, [1, 2]);
      const h2 = tf.relu(tf.conv2d(tf.avgPool(h1, 2, 2, 'valid'), f2 as tf.Tensor4D, 1, 'same'));
      const g2 = tf.reshape(tf.avgPool(h2, WORK_SIZE / 8, WORK_SIZE / 8, 'valid'), [m, -1]);
      return tf.concat([colour, m0, m1, g2], 1);
    });
    out.set(feats.dataSync() as Float32Array, i0 * RAW_DIM);
    feats.dispose();
  }
  return out;
}
