/**
 * The feature space the sample-quality metrics (KID, precision/recall) and the memorisation guard work in.
 *
 * Why not Inception (the FID/KID standard): its weights are a ~100 MB download, Atelier is offline by
 * design, and an ImageNet classifier's features are a poor ruler for 300 pixel-art sprites or emoji at
 * 32–64 px anyway. So the space is built from the dataset itself, deterministically, in well under a
 * second on a 2-core CPU:
 *
 *   image → RGB (RGBA composited over white), 32×32, [0, 1]
 *     ├─ layout:  4×4 average-pooled colours                                            (48)
 *     ├─ edges:   per channel, the mean gradient magnitude at 32, 16 and 8 px;
 *     │           histograms of the gradient magnitude at those scales; a 4×4 map of it   (43)
 *     ├─ colours: a 3×3×3 colour histogram                                               (27)
 *     ├─ palette: distinct colours, shares of flat and of soft neighbour steps            (3)
 *     └─ texture: a fixed random 3×3 conv (32 filters): mean |response − its image mean| (32)
 *   → each value standardised on the training images, squashed per block (see BLOCKS), weighted so
 *     every block counts as set, concatenated: 153 values. KID's kernel scale comes with the space.
 *
 * What each block is for, measured on the calibration sets (tests/unit/ml/metrics/calibration.test.ts,
 * docs/quality-metric.md): layout sees shapes and where the background is (a grey background, flat colour
 * squares); edges see sharpness at three scales, so blur (too few edges) and speckle, grids and noise (far
 * too many) move away from the data; colours see a palette the data never uses (uniform noise); palette
 * sees smeared or noisy colour (an untrained GAN's blobs have hundreds of colours and soft steps where
 * flat-shaded art has a few dozen and crisp ones); texture is a second, learned-free look at local
 * contrast.
 *
 * Why squash: a plain z-score lets one kind of failure run away with the number. Speckle has ~20× the
 * data's fine-scale edge energy, so on a linear scale it would outrank everything, while a set that is
 * wrong in several moderate ways (a grey noisy background) would look small next to it. Layout and colour values are soft-clipped
 * (c·tanh(z/c): "more unusual than c standard deviations" all counts about the same) and edge values are
 * log-compressed (10× too sharp costs more than 2× too sharp, but not 5× more), so each block can add at
 * most a bounded, comparable amount, and how many ways a set is wrong decides its rank. The clip levels
 * and weights were chosen by measurement on the calibration sets and checked on both halves, two seeds,
 * RGBA and RGB.
 *
 * Why not unit vectors (version 1 of this file L2-normalised a PCA of random conv features): on the sphere
 * an image far outside the data lands on the same sphere as the data, contrast differences vanish, and
 * with a bounded kernel KID mostly measured variety: uniform noise and speckle scored precision 1, a 2-px
 * grid ranked ahead of a grey noisy background and noise ahead of one image repeated. Here distances keep
 * their size.
 *
 * Limits (also in docs/quality-metric.md): numbers are comparable only within one dataset (the space is
 * fitted to it), not across datasets or with published FID/KID; the space sees 32×32 structure, so fine
 * detail at 128 px barely registers; the descriptors are statistics a person would check (layout, edges,
 * palette), not semantics: a sample with the right layout, palette and sharpness but a meaningless
 * shape scores well.
 *
 * Everything needed to embed is stored (filters, statistics, block settings), so a saved space embeds
 * the same on any backend up to float rounding. Cached as cacheDir/features/<key>.bin with
 * key = sha256(version, seed, size, channels, pixels): all checkpoints of all runs on the same data
 * share one space, which is what makes their numbers comparable.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import { Rng } from '../rng';
import { convertChannels, fromBytes, resizeTo } from '../image';
import { writeFileAtomic } from '../checkpoint';

export const FEATURE_SPACE_VERSION = 2;
/** Images are embedded at this side. */
const WORK_SIZE = 32;
/** Random texture filters (3×3 over RGB). */
const TEXTURE_FILTERS = 32;
/** At most this many images fit the statistics (a seeded subset of bigger datasets). */
const MAX_FIT = 1024;
/** Images per pass while embedding (bounds memory). */
const EMBED_CHUNK = 64;
/** Upper edges of the gradient-magnitude histogram bins (values in [0, 1] per pixel step). */
const GRADIENT_BINS = [0.02, 0.05, 0.1, 0.2, 0.4];
/** Colour histogram bins per channel. */
const COLOUR_BINS = 3;
const MAGIC = 'ATLRFEAT';

/**
 * How a block's raw values become features.
 * - scale 'value': each value divided by its own standard deviation over the training images (plus a
 *   floor of 0.1× the block's RMS deviation, so a value that never varies, such as an always-white
 *   corner, is not blown up without bound); 'block': all values by the block's RMS deviation (keeps
 *   the relative size of the values, for the random filters whose spread differs for no reason).
 * - squash: `clip` c·tanh(z/c); `log` sign(z)·c·log(1 + |z|/c); `none`.
 * - weight: the block's share; each block is also divided by sqrt(its length), so a typical training
 *   image has squared norm ≈ Σ weight² whatever the block sizes.
 */
interface BlockSpec {
  name: 'layout' | 'edges' | 'colours' | 'palette' | 'texture';
  length: number;
  scale: 'value' | 'block';
  squash: { kind: 'clip' | 'log'; c: number } | { kind: 'none' };
  weight: number;
}

const BLOCKS: readonly BlockSpec[] = [
  { name: 'layout', length: 4 * 4 * 3, scale: 'value', squash: { kind: 'clip', c: 3 }, weight: 1 },
  { name: 'edges', length: 3 * 3 + 3 * (GRADIENT_BINS.length + 1) + 16, scale: 'value', squash: { kind: 'log', c: 1 }, weight: 1 },
  { name: 'colours', length: COLOUR_BINS ** 3, scale: 'value', squash: { kind: 'clip', c: 2 }, weight: 1.4 },
  { name: 'palette', length: 3, scale: 'value', squash: { kind: 'log', c: 1 }, weight: 0.4 },
  { name: 'texture', length: TEXTURE_FILTERS, scale: 'block', squash: { kind: 'none' }, weight: 1 },
];
const RAW_DIM = BLOCKS.reduce((a, b) => a + b.length, 0);
/** Output dimension. */
export const FEATURE_DIM = RAW_DIM;

/** Square images as the engine stores them: row-major NHWC bytes. */
export interface PixelBatch {
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: number;
}

interface Arrays {
  /** Texture filters, [3, 3, 3, TEXTURE_FILTERS]. */
  filters: Float32Array;
  /** Per raw value: subtract `mean`, multiply by `invScale` (then squash and weight per block). */
  mean: Float32Array;
  invScale: Float32Array;
}

interface Header {
  format: 'atelier-feature-space';
  version: number;
  seed: number;
  dim: number;
  /** Dataset this space was fitted to (the cache key). */
  key: string;
  fittedOn: number;
  blocks: BlockSpec[];
  arrays: { name: keyof Arrays; length: number }[];
}

const ARRAY_NAMES: (keyof Arrays)[] = ['filters', 'mean', 'invScale'];

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

  /** Output dimension. */
  get dim(): number {
    return this.header.dim;
  }

  /** The dataset key this space was fitted to. */
  get key(): string {
    return this.header.key;
  }

  /**
   * γ for KID's cubic kernel (γ·x·y + 1)³: 1 / (a typical training image's squared norm), so the kernel
   * sees x·y on the scale of the data whatever the blocks' weights.
   */
  get kidGamma(): number {
    return 1 / this.header.blocks.reduce((s, b) => s + b.weight * b.weight, 0);
  }

  /** Fits a space to the images (deterministic given pixels and seed). */
  static fit(data: PixelBatch, opts: { seed?: number } = {}): FeatureSpace {
    checkBatch(data);
    if (data.count < 3) throw new AtelierError('invalid_input', 'The quality metric needs at least 3 training images.');
    const seed = opts.seed ?? 0;
    const rng = new Rng(seed);
    // He-initialised, never trained: random filters are a fixed, generic set of local contrast detectors.
    const filters = rng.normals(3 * 3 * 3 * TEXTURE_FILTERS);
    const std = Math.sqrt(2 / 27);
    for (let i = 0; i < filters.length; i++) filters[i] = filters[i]! * std;

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
    const raw = rawDescriptors(fit, filters);

    const mean = new Float32Array(RAW_DIM);
    const invScale = new Float32Array(RAW_DIM);
    const sd = new Float64Array(RAW_DIM);
    for (let j = 0; j < RAW_DIM; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += raw[i * RAW_DIM + j]!;
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (raw[i * RAW_DIM + j]! - m) ** 2;
      mean[j] = m;
      sd[j] = Math.sqrt(v / Math.max(1, n - 1));
    }
    let offset = 0;
    for (const b of BLOCKS) {
      let ms = 0;
      for (let j = offset; j < offset + b.length; j++) ms += sd[j]! ** 2;
      const rms = Math.sqrt(ms / b.length) + 1e-12;
      for (let j = offset; j < offset + b.length; j++) invScale[j] = 1 / (b.scale === 'block' ? rms : sd[j]! + 0.1 * rms);
      offset += b.length;
    }
    const header: Header = {
      format: 'atelier-feature-space',
      version: FEATURE_SPACE_VERSION,
      seed,
      dim: RAW_DIM,
      key: featureSpaceKey(data, seed),
      fittedOn: n,
      blocks: BLOCKS.map((b) => ({ ...b })),
      arrays: [],
    };
    return new FeatureSpace(header, { filters, mean, invScale });
  }

  /** Features, count × dim, for images of any size and channel count. */
  embed(pixels: Uint8Array, count: number, size: number, channels: number): Float32Array {
    const batch = { pixels, count, size, channels };
    checkBatch(batch);
    const raw = rawDescriptors(batch, this.a.filters);
    const out = new Float32Array(count * RAW_DIM);
    const { mean, invScale } = this.a;
    for (let i = 0; i < count; i++) {
      let offset = 0;
      for (const b of this.header.blocks) {
        const w = b.weight / Math.sqrt(b.length);
        for (let j = offset; j < offset + b.length; j++) {
          const z = (raw[i * RAW_DIM + j]! - mean[j]!) * invScale[j]!;
          out[i * RAW_DIM + j] = squash(z, b.squash) * w;
        }
        offset += b.length;
      }
    }
    return out;
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
    if (header.format !== 'atelier-feature-space' || header.version !== FEATURE_SPACE_VERSION || header.dim !== RAW_DIM) throw bad('other version');
    if (!Array.isArray(header.blocks) || header.blocks.map((b) => `${b.name}:${b.length}`).join() !== BLOCKS.map((b) => `${b.name}:${b.length}`).join()) {
      throw bad('other blocks');
    }
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
    if (arrays.mean.length !== RAW_DIM || arrays.invScale.length !== RAW_DIM || arrays.filters.length !== 27 * TEXTURE_FILTERS) throw bad('wrong sizes');
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

function squash(z: number, s: BlockSpec['squash']): number {
  if (s.kind === 'clip') return s.c * Math.tanh(z / s.c);
  if (s.kind === 'log') return Math.sign(z) * s.c * Math.log1p(Math.abs(z) / s.c);
  return z;
}

/**
 * Raw descriptors, count × RAW_DIM in BLOCKS order. Images are converted and resized on the active tfjs
 * backend (the same conversion training uses), the texture filters run there too; the statistics are
 * plain loops over the 32×32 pixels.
 */
function rawDescriptors(b: PixelBatch, filters: Float32Array): Float32Array {
  const { pixels, count, size, channels } = b;
  const per = size * size * channels;
  const out = new Float32Array(count * RAW_DIM);
  const S = WORK_SIZE;
  for (let i0 = 0; i0 < count; i0 += EMBED_CHUNK) {
    const m = Math.min(EMBED_CHUNK, count - i0);
    const [rgbT, textureT] = tf.tidy(() => {
      const x = resizeTo(convertChannels(fromBytes(pixels.subarray(i0 * per, (i0 + m) * per), [m, size, size, channels]), 3), S);
      const response = tf.conv2d(tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D, tf.tensor4d(filters, [3, 3, 3, TEXTURE_FILTERS]), 1, 'same');
      const texture = tf.mean(tf.abs(tf.sub(response, tf.mean(response, [1, 2], true))), [1, 2]);
      return [x, texture];
    });
    const rgb = rgbT.dataSync() as Float32Array;
    const texture = textureT.dataSync() as Float32Array;
    tf.dispose([rgbT, textureT]);
    for (let i = 0; i < m; i++) {
      const img = rgb.subarray(i * S * S * 3, (i + 1) * S * S * 3);
      const o = out.subarray((i0 + i) * RAW_DIM, (i0 + i + 1) * RAW_DIM);
      let k = layout(img, S, o, 0);
      k = edges(img, S, o, k);
      k = colours(img, S, o, k);
      k = palette(img, S, o, k);
      o.set(texture.subarray(i * TEXTURE_FILTERS, (i + 1) * TEXTURE_FILTERS), k);
    }
  }
  return out;
}

/** s×s RGB → (s/f)×(s/f) RGB block means. */
function pool(img: Float32Array, s: number, f: number): Float32Array {
  const t = s / f;
  const out = new Float32Array(t * t * 3);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const o = (Math.floor(y / f) * t + Math.floor(x / f)) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = out[o + c]! + img[(y * s + x) * 3 + c]! / (f * f);
    }
  }
  return out;
}

/** 4×4 colour layout. Returns the next write offset. */
function layout(img: Float32Array, s: number, out: Float32Array, k: number): number {
  out.set(pool(img, s, s / 4), k);
  return k + 48;
}

/**
 * Edge statistics at 32, 16 and 8 px: per channel the mean gradient magnitude (forward differences),
 * the histogram of the channel-averaged magnitude over GRADIENT_BINS, and at 32 px a 4×4 map of it.
 */
function edges(img: Float32Array, s: number, out: Float32Array, k: number): number {
  const levels = [img, pool(img, s, 2), pool(img, s, 4)];
  const nb = GRADIENT_BINS.length + 1;
  const means = k;
  const hist = k + 9;
  const map = hist + 3 * nb;
  for (let j = k; j < map + 16; j++) out[j] = 0;
  levels.forEach((L, li) => {
    const t = s >> li;
    const area = t * t;
    const cell = t / 4;
    for (let y = 0; y < t; y++) {
      for (let x = 0; x < t; x++) {
        let g = 0;
        for (let c = 0; c < 3; c++) {
          const v = L[(y * t + x) * 3 + c]!;
          const dx = x + 1 < t ? L[(y * t + x + 1) * 3 + c]! - v : 0;
          const dy = y + 1 < t ? L[((y + 1) * t + x) * 3 + c]! - v : 0;
          const mag = Math.sqrt(dx * dx + dy * dy);
          out[means + li * 3 + c] = out[means + li * 3 + c]! + mag / area;
          g += mag / 3;
        }
        let bin = 0;
        while (bin < GRADIENT_BINS.length && g > GRADIENT_BINS[bin]!) bin++;
        out[hist + li * nb + bin] = out[hist + li * nb + bin]! + 1 / area;
        if (li === 0) {
          const o = map + Math.floor(y / cell) * 4 + Math.floor(x / cell);
          out[o] = out[o]! + g / (cell * cell);
        }
      }
    }
  });
  return map + 16;
}

/**
 * How designed the colours are: the number of distinct colours (8 levels per channel, /64), the share
 * of neighbouring pixel pairs that are flat (max channel step < 0.01) and of those that change softly
 * (< 0.12). Flat-shaded art has a small palette, many flat pairs and crisp edges; smeared or noisy
 * output has hundreds of colours and soft transitions.
 */
function palette(img: Float32Array, s: number, out: Float32Array, k: number): number {
  const seen = new Uint8Array(512);
  let distinct = 0;
  let flat = 0;
  let soft = 0;
  let pairs = 0;
  const pair = (p: number, q: number) => {
    const d = Math.max(Math.abs(img[p]! - img[q]!), Math.abs(img[p + 1]! - img[q + 1]!), Math.abs(img[p + 2]! - img[q + 2]!));
    pairs++;
    if (d < 0.01) flat++;
    else if (d < 0.12) soft++;
  };
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const p = (y * s + x) * 3;
      const c = Math.min(7, Math.floor(img[p]! * 8)) * 64 + Math.min(7, Math.floor(img[p + 1]! * 8)) * 8 + Math.min(7, Math.floor(img[p + 2]! * 8));
      if (seen[c] === 0) {
        seen[c] = 1;
        distinct++;
      }
      if (x + 1 < s) pair(p, p + 3);
      if (y + 1 < s) pair(p, p + 3 * s);
    }
  }
  out[k] = distinct / 64;
  out[k + 1] = flat / pairs;
  out[k + 2] = soft / pairs;
  return k + 3;
}

/** COLOUR_BINS³ colour histogram (fractions of the pixels). */
function colours(img: Float32Array, s: number, out: Float32Array, k: number): number {
  const B = COLOUR_BINS;
  for (let j = k; j < k + B * B * B; j++) out[j] = 0;
  for (let p = 0; p < s * s; p++) {
    const bin = (c: number) => Math.min(B - 1, Math.floor(img[p * 3 + c]! * B));
    const o = k + (bin(0) * B + bin(1)) * B + bin(2);
    out[o] = out[o]! + 1 / (s * s);
  }
  return k + B * B * B;
}
