import { describe, expect, it } from 'vitest';
import { augmentImage } from '../../../src/main/datasets/augment';
import { ImageSource, disposeBatch } from '../../../src/main/ml/train/batches';
import { Rng } from '../../../src/main/ml/rng';
import type { AugmentSettings } from '../../../src/shared/contract/datasets';

/**
 * The Datasets preview must show what training does: the same image, settings and draws give the same
 * pixels through the preview (datasets/augment.ts) and through a training batch (ml/train/batches.ts).
 */
function trainingView(pixels: Uint8Array, size: number, channels: 1 | 3 | 4, s: AugmentSettings, seed: number): Uint8Array {
  const source = new ImageSource({ kind: 'image', size, channels, count: 1, pixels }, { size, channels }, { labelNames: [], tagNames: [] });
  const batch = source.batch([0], s, new Rng(seed));
  const out = Uint8Array.from(batch.x.dataSync(), (v) => Math.round(((v + 1) / 2) * 255));
  disposeBatch(batch);
  return out;
}

function preview(pixels: Uint8Array, size: number, channels: number, s: AugmentSettings, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return augmentImage(pixels, size, channels, s, () => rng.next());
}

const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('augmentation preview', () => {
  const size = 16;
  const settings: AugmentSettings[] = [
    { flip: true, rotationDeg: 20, cropFraction: 0.7, colorJitter: 1 },
    { flip: false, rotationDeg: 45, cropFraction: 1, colorJitter: 0 },
    { flip: false, rotationDeg: 0, cropFraction: 1, colorJitter: 0.8 },
  ];
  it.each([1, 3, 4] as const)('shows what training does (%i channels)', (channels) => {
    const pixels = new Uint8Array(size * size * channels).map((_, i) => (i * 37 + ((i * i) % 11)) % 256);
    for (const s of settings) {
      for (const seed of [1, 7, 1234]) {
        const shown = preview(pixels, size, channels, s, seed);
        expect(maxDiff(shown, pixels)).toBeGreaterThan(8); // it did augment
        expect(maxDiff(shown, trainingView(pixels, size, channels, s, seed))).toBeLessThanOrEqual(1);
      }
    }
  });

  it('is the identity with augmentation off', () => {
    const pixels = new Uint8Array(size * size * 3).map((_, i) => (i * 37) % 256);
    expect(preview(pixels, size, 3, { flip: false, rotationDeg: 0, cropFraction: 1, colorJitter: 0 }, 3)).toEqual(pixels);
  });
});
