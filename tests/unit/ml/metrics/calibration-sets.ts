/**
 * Image sets for calibrating the quality probe on real data: the built-in Twemoji sample, split in two
 * halves (one fits the probe, the other is the "real" side of every comparison), and sets that a person
 * would rank from "like the data" to "noise". See calibration.test.ts and docs/quality-metric.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareImage } from '../../../../src/main/datasets/prepare';
import { Rng } from '../../../../src/main/ml/rng';
import { loadSampler } from '../../../../src/main/ml/sample/sampler';
import { DEFAULT_PREPARE } from '../../../../src/shared/contract/datasets';

export interface ImageSet {
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: 3 | 4;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const SAMPLE_DIR = path.join(ROOT, 'resources', 'samples', 'twemoji-faces-animals-food');
export const BASE_MODEL = path.join(ROOT, 'resources', 'models', 'emoji-base-32.ckpt');

/** The Twemoji sample at `size` px: RGBA as trained (transparent background) or RGB composited on white. */
export async function loadTwemoji(size: number, mode: 'rgba' | 'white'): Promise<ImageSet & { labels: string[] }> {
  const manifest = JSON.parse(fs.readFileSync(path.join(SAMPLE_DIR, 'manifest.json'), 'utf8')) as { items: { file: string; label: string }[] };
  const channels = mode === 'rgba' ? 4 : 3;
  const prepare = { ...DEFAULT_PREPARE, alpha: mode === 'rgba' ? ('keep' as const) : ('composite' as const) };
  const per = size * size * channels;
  const pixels = new Uint8Array(manifest.items.length * per);
  for (let i = 0; i < manifest.items.length; i++) {
    pixels.set(await prepareImage(path.join(SAMPLE_DIR, manifest.items[i]!.file), size, prepare, channels), i * per);
  }
  return { pixels, count: manifest.items.length, size, channels, labels: manifest.items.map((it) => it.label) };
}

/** Rows of a set, in the given order. */
export function pick(img: ImageSet, rows: number[]): ImageSet {
  const per = img.size * img.size * img.channels;
  const pixels = new Uint8Array(rows.length * per);
  rows.forEach((r, i) => pixels.set(img.pixels.subarray(r * per, (r + 1) * per), i * per));
  return { pixels, count: rows.length, size: img.size, channels: img.channels };
}

/** Two halves: a seeded shuffle split within each label, so both halves hold every class in proportion. */
export function splitHalves(labels: string[], seed: number): [number[], number[]] {
  const rng = new Rng(seed);
  const a: number[] = [];
  const b: number[] = [];
  for (const label of [...new Set(labels)].sort()) {
    const rows = rng.shuffle(labels.flatMap((l, i) => (l === label ? [i] : [])));
    rows.forEach((r, i) => (i % 2 === 0 ? a : b).push(r));
  }
  return [a.sort((p, q) => p - q), b.sort((p, q) => p - q)];
}

/** Premultiplied box blur of radius r (clamped borders): colour under transparency does not bleed in. */
export function blur(img: ImageSet, r: number): ImageSet {
  const { count, size, channels: c } = img;
  const out = new Uint8Array(img.pixels.length);
  const acc = new Float64Array(4);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        acc.fill(0);
        let n = 0;
        for (let v = -r; v <= r; v++) {
          for (let u = -r; u <= r; u++) {
            const yy = Math.min(size - 1, Math.max(0, y + v));
            const xx = Math.min(size - 1, Math.max(0, x + u));
            const o = ((i * size + yy) * size + xx) * c;
            const a = c === 4 ? img.pixels[o + 3]! / 255 : 1;
            for (let k = 0; k < 3; k++) acc[k] = acc[k]! + img.pixels[o + k]! * a;
            acc[3] = acc[3]! + a;
            n++;
          }
        }
        const o = ((i * size + y) * size + x) * c;
        const alpha = acc[3]! / n;
        for (let k = 0; k < 3; k++) out[o + k] = alpha > 0 ? Math.round(acc[k]! / acc[3]!) : 0;
        if (c === 4) out[o + 3] = Math.round(alpha * 255);
      }
    }
  }
  return { ...img, pixels: out };
}

/** Normal(0, 1) from the seeded generator, as a number. */
const gauss = (rng: Rng) => rng.normal();

/** The images composited onto mid grey with Gaussian noise (σ in 0..255 units), opaque. */
export function greyNoisyBackground(img: ImageSet, sigma: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const { count, size, channels: c } = img;
  const out = new Uint8Array(img.pixels.length);
  for (let p = 0; p < count * size * size; p++) {
    const a = c === 4 ? img.pixels[p * c + 3]! / 255 : whiteness(img.pixels, p * c);
    for (let k = 0; k < 3; k++) {
      const bg = 128 + sigma * gauss(rng);
      const fg = img.pixels[p * c + k]!;
      out[p * c + k] = clampByte(fg * a + bg * (1 - a));
    }
    if (c === 4) out[p * c + 3] = 255;
  }
  return { ...img, pixels: out };
}

/** RGB-on-white data: treat near-white pixels as background (the alpha was flattened away). */
function whiteness(px: Uint8Array, o: number): number {
  const m = Math.min(px[o]!, px[o + 1]!, px[o + 2]!);
  return m >= 250 ? 0 : 1;
}

const clampByte = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** Pixels (all channels) drawn from the set: the data's colour distribution, transparency included. */
function pixelPool(img: ImageSet): (rng: Rng) => number {
  const n = img.count * img.size * img.size;
  return (rng) => rng.int(n);
}

function copyPixel(src: ImageSet, p: number, dst: Uint8Array, o: number): void {
  const c = src.channels;
  for (let k = 0; k < c; k++) dst[o + k] = src.pixels[p * c + k]!;
}

/** Speckle: every pixel drawn independently from the data's pixels (same colour histogram, no structure). */
export function speckle(data: ImageSet, count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const draw = pixelPool(data);
  const { size, channels: c } = data;
  const pixels = new Uint8Array(count * size * size * c);
  for (let p = 0; p < count * size * size; p++) copyPixel(data, draw(rng), pixels, p * c);
  return { pixels, count, size, channels: c };
}

/**
 * 2-pixel grid: grid lines on every second row and column in one colour, the cells between in another,
 * both drawn per image from the data's pixels (transparent background included, like speckle): the
 * regular pattern of a broken upsampler.
 */
export function grid(data: ImageSet, count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const draw = pixelPool(data);
  const { size, channels: c } = data;
  const pixels = new Uint8Array(count * size * size * c);
  for (let i = 0; i < count; i++) {
    const line = draw(rng);
    const cell = draw(rng);
    const phase = rng.int(2);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const onLine = (x + phase) % 2 === 0 || (y + phase) % 2 === 0;
        copyPixel(data, onLine ? line : cell, pixels, ((i * size + y) * size + x) * c);
      }
    }
  }
  return { pixels, count, size, channels: c };
}

/** One image repeated `count` times (total mode collapse onto a real image). */
export function repeated(img: ImageSet, row: number, count: number): ImageSet {
  return pick(img, new Array<number>(count).fill(row));
}

/** Uniform noise: every pixel an independent uniformly random opaque colour. */
export function uniformNoise(count: number, size: number, channels: 3 | 4, seed: number): ImageSet {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * size * size * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = channels === 4 && i % 4 === 3 ? 255 : rng.int(256);
  return { pixels, count, size, channels };
}

/** The Twemoji sample's labels and the base model's categories they come from. */
const BASE_CATEGORY: Record<string, string> = { animal: 'animals-nature', face: 'smileys-emotion', food: 'food-drink' };

/**
 * Samples of the shipped base model, prompted as the data is labelled and in its proportions (the base
 * is conditional over every emoji category; unprompted it draws all of them, flags and symbols
 * included, which is not this data), in the data's format: RGBA as is, or composited on white.
 */
export async function baseModelSamples(count: number, seed: number, mode: 'rgba' | 'white', dataLabels: string[]): Promise<ImageSet> {
  const g = await loadSampler(BASE_MODEL);
  try {
    const sorted = [...dataLabels].sort();
    const prompts = Array.from({ length: count }, (_, i) => BASE_CATEGORY[sorted[Math.floor((i * sorted.length) / count)]!]);
    const images: ReturnType<typeof g.sample>['images'] = [];
    for (const prompt of [...new Set(prompts)]) {
      const k = prompts.filter((p) => p === prompt).length;
      const condition = prompt && g.labelNames.includes(prompt) ? { labels: { [prompt]: 1 } } : undefined;
      images.push(...g.sample({ seed: seed + images.length, count: k, condition }).images);
    }
    const size = g.size;
    const c = mode === 'rgba' ? 4 : 3;
    const pixels = new Uint8Array(count * size * size * c);
    images.forEach((im, i) => {
      for (let p = 0; p < size * size; p++) {
        const a = im.channels === 4 ? im.pixels[p * 4 + 3]! / 255 : 1;
        for (let k = 0; k < 3; k++) {
          const v = im.pixels[p * im.channels + Math.min(k, im.channels - 1)]!;
          pixels[(i * size * size + p) * c + k] = mode === 'rgba' ? v : clampByte(v * a + 255 * (1 - a));
        }
        if (c === 4) pixels[(i * size * size + p) * 4 + 3] = Math.round(a * 255);
      }
    });
    return { pixels, count, size, channels: c as 3 | 4 };
  } finally {
    g.dispose();
  }
}
