/**
 * The memorisation guard's threshold on real feature spaces (issue 18: after a 1-minute fine-tune on 10
 * shapes, noisy blobs were flagged "may be a copy" at 0.79 < 0.85). On 10 images and on a few hundred:
 * noise of every kind is never flagged; exact copies and lightly jittered copies always are.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/ml/backend';
import { FeatureSpace } from '../../../../src/main/ml/metrics/feature-space';
import { memorisationThreshold, nearestNeighbours, trainingNeighbourDistances } from '../../../../src/main/ml/metrics/nearest';
import { Rng } from '../../../../src/main/ml/rng';
import * as S from './calibration-sets';
import * as Y from './synthetic';

type Set = S.ImageSet;

/** Brightness × (1 ± amp), a per-image tint of ± `tint` levels per channel, Gaussian pixel noise σ. */
function jitter(img: Set, seed: number, o: { amp?: number; tint?: number; sigma?: number }): Set {
  const { size, channels: c, count } = img;
  const rng = new Rng(seed);
  const out = img.pixels.slice();
  for (let i = 0; i < count; i++) {
    const b = 1 + (rng.next() * 2 - 1) * (o.amp ?? 0);
    const t = [0, 1, 2].map(() => (rng.next() * 2 - 1) * (o.tint ?? 0));
    for (let p = 0; p < size * size; p++) {
      for (let k = 0; k < 3; k++) {
        const at = (i * size * size + p) * c + k;
        out[at] = Math.max(0, Math.min(255, Math.round(img.pixels[at]! * b + t[k]! + rng.normal() * (o.sigma ?? 0))));
      }
    }
  }
  return { ...img, pixels: out };
}

/** Shifted by (dx, dy) pixels, edges repeated. */
function shift(img: Set, dx: number, dy: number): Set {
  const { size, channels: c, count } = img;
  const out = new Uint8Array(img.pixels.length);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const yy = Math.min(size - 1, Math.max(0, y - dy));
        const xx = Math.min(size - 1, Math.max(0, x - dx));
        for (let k = 0; k < c; k++) out[((i * size + y) * size + x) * c + k] = img.pixels[((i * size + yy) * size + xx) * c + k]!;
      }
    }
  }
  return { ...img, pixels: out };
}

/** Smooth random colour fields with pixel noise: what a GAN draws in its first minute. */
function noisyBlobs(count: number, channels: 3 | 4, seed: number): Set {
  const size = 32;
  const g = 4;
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * size * size * channels);
  for (let i = 0; i < count; i++) {
    const grid = Array.from({ length: (g + 1) * (g + 1) * 3 }, () => rng.int(256));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const fx = (x / size) * g;
        const fy = (y / size) * g;
        const x0 = Math.floor(fx);
        const y0 = Math.floor(fy);
        const tx = fx - x0;
        const ty = fy - y0;
        const o = ((i * size + y) * size + x) * channels;
        for (let k = 0; k < 3; k++) {
          const at = (xx: number, yy: number) => grid[(yy * (g + 1) + xx) * 3 + k]!;
          const v = (1 - tx) * (1 - ty) * at(x0, y0) + tx * (1 - ty) * at(x0 + 1, y0) + (1 - tx) * ty * at(x0, y0 + 1) + tx * ty * at(x0 + 1, y0 + 1);
          pixels[o + k] = Math.max(0, Math.min(255, Math.round(v + rng.normal() * 25)));
        }
        if (channels === 4) pixels[o + 3] = 255;
      }
    }
  }
  return { pixels, count, size, channels };
}

interface Guarded {
  threshold: number;
  oldThreshold: number;
  /** The nearest-training-image distance of each image of a set. */
  distances(s: Set): number[];
}

function guard(train: Set): Guarded {
  const space = FeatureSpace.fit(train, { seed: 0 });
  const f = space.embed(train.pixels, train.count, train.size, train.channels);
  const threshold = memorisationThreshold(f, space.dim);
  const nn = Array.from(trainingNeighbourDistances(f, space.dim)).sort((a, b) => a - b);
  const pos = 0.05 * (nn.length - 1);
  const oldThreshold = nn[Math.floor(pos)]! + (nn[Math.ceil(pos)]! - nn[Math.floor(pos)]!) * (pos - Math.floor(pos));
  return { threshold, oldThreshold, distances: (s) => nearestNeighbours(f, space.embed(s.pixels, s.count, s.size, s.channels), space.dim).map((n) => n.distance) };
}

function expectFlagged(g: Guarded, s: Set, what: string): void {
  const d = g.distances(s);
  expect(Math.max(...d), `${what}: every one flagged (threshold ${g.threshold.toFixed(3)})`).toBeLessThan(g.threshold);
}

function expectClear(g: Guarded, s: Set, what: string): void {
  const d = g.distances(s);
  expect(Math.min(...d), `${what}: none flagged (threshold ${g.threshold.toFixed(3)})`).toBeGreaterThan(g.threshold);
}

describe('memorisation guard on real feature spaces', () => {
  let twemoji: Set & { labels: string[] };
  let half: number[];
  let model: Set;
  let modelOnWhite: Set;
  beforeAll(async () => {
    await initBackend('wasm', { threads: 2 });
    twemoji = await S.loadTwemoji(32, 'rgba');
    half = S.splitHalves(twemoji.labels, 1)[0];
    model = await S.baseModelSamples(32, 5, 'rgba', twemoji.labels);
    modelOnWhite = await S.baseModelSamples(32, 5, 'white', twemoji.labels);
  }, 120_000);

  const noiseSets = (channels: 3 | 4, seed: number): Record<string, Set> => ({
    'uniform noise': S.uniformNoise(32, 32, channels, seed),
    'noisy blobs': noisyBlobs(32, channels, seed + 1),
  });

  it('10 flat shapes: the threshold is far below the old one; noise, blobs and the base model are never flagged; copies always are', () => {
    for (const seed of [1, 2, 3]) {
      const train = Y.shapes(10, seed);
      const g = guard(train);
      console.log(`[figure] 10 shapes (seed ${seed}): threshold ${g.threshold.toFixed(3)}; the old rule (5th percentile of nearest-other distances) gave ${g.oldThreshold.toFixed(3)}`);
      // The blobs sat at 0.79 under a threshold of 0.85.
      expect(g.threshold).toBeLessThan(0.6);
      expect(g.threshold).toBeGreaterThan(0.2);
      for (const [name, s] of Object.entries(noiseSets(3, seed))) expectClear(g, s, name);
      expectClear(g, modelOnWhite, 'base model samples');
      expectFlagged(g, train, 'exact copies');
      expectFlagged(g, jitter(train, seed, { amp: 0.02 }), '±2 % brightness');
      expectFlagged(g, jitter(train, seed + 1, { tint: 4 }), '±4-level tint');
    }
  });

  for (const [name, rows] of [
    ['10 Twemoji', () => half.slice(0, 10)],
    ['another 10 Twemoji', () => half.slice(50, 60)],
    ['158 Twemoji', () => half],
  ] as const) {
    it(`${name}: noise is never flagged; copies and lightly jittered copies always are`, () => {
      const train = S.pick(twemoji, rows());
      const g = guard(train);
      console.log(`[figure] ${name}: threshold ${g.threshold.toFixed(3)}`);
      for (const [what, s] of Object.entries(noiseSets(4, 7))) expectClear(g, s, what);
      expectClear(g, model, 'base model samples (blobs)');
      expectFlagged(g, train, 'exact copies');
      expectFlagged(g, jitter(train, 1, { amp: 0.01 }), '±1 % brightness');
      expectFlagged(g, jitter(train, 2, { tint: 2 }), '±2-level tint');
      expectFlagged(g, jitter(train, 3, { sigma: 1 }), 'σ=1 pixel noise');
      expectFlagged(g, shift(train, 1, 0), '1-pixel shift right');
      expectFlagged(g, shift(train, 0, 1), '1-pixel shift down');
    });
  }
});
