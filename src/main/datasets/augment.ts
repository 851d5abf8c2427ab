/**
 * Training-time augmentation on prepared pixels (size×size×channels bytes): horizontal flip, small
 * rotation, random crop (zoom), colour jitter. Pure and seeded: the same rng state gives the same image.
 * Used by the augmentation preview, and usable by training on its prepared blocks.
 */
import type { AugmentSettings } from '../../shared/contract/datasets';

export function augmentImage(src: Uint8Array, size: number, channels: number, s: AugmentSettings, rand: () => number): Uint8Array {
  const flip = s.flip && rand() < 0.5;
  const angle = ((rand() * 2 - 1) * s.rotationDeg * Math.PI) / 180;
  const scale = s.cropFraction >= 1 ? 1 : s.cropFraction + rand() * (1 - s.cropFraction);
  const maxShift = (1 - scale) / 2;
  const cx = 0.5 + (rand() * 2 - 1) * maxShift;
  const cy = 0.5 + (rand() * 2 - 1) * maxShift;
  const j = s.colorJitter;
  const brightness = 1 + (rand() * 2 - 1) * 0.4 * j;
  const contrast = 1 + (rand() * 2 - 1) * 0.4 * j;
  const saturation = 1 + (rand() * 2 - 1) * 0.6 * j;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const out = new Uint8Array(src.length);
  const edge = (x: number) => Math.min(size - 1, Math.max(0, x));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Output pixel → normalised coords in the crop window → rotate about its centre → source pixel.
      let u = (x + 0.5) / size - 0.5;
      const v = (y + 0.5) / size - 0.5;
      if (flip) u = -u;
      const ru = (u * cos - v * sin) * scale + cx;
      const rv = (u * sin + v * cos) * scale + cy;
      // Bilinear sample with edge clamping (reflect-free: keeps borders plain).
      const fx = ru * size - 0.5;
      const fy = rv * size - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const ax = fx - x0;
      const ay = fy - y0;
      const xa = edge(x0);
      const xb = edge(x0 + 1);
      const ya = edge(y0);
      const yb = edge(y0 + 1);
      for (let c = 0; c < channels; c++) {
        const p00 = src[(ya * size + xa) * channels + c]!;
        const p10 = src[(ya * size + xb) * channels + c]!;
        const p01 = src[(yb * size + xa) * channels + c]!;
        const p11 = src[(yb * size + xb) * channels + c]!;
        out[(y * size + x) * channels + c] = Math.round(p00 * (1 - ax) * (1 - ay) + p10 * ax * (1 - ay) + p01 * (1 - ax) * ay + p11 * ax * ay);
      }
    }
  }
  if (j > 0 && channels >= 3) {
    let mean = 0;
    for (let p = 0; p < size * size; p++) mean += (out[p * channels]! + out[p * channels + 1]! + out[p * channels + 2]!) / 3;
    mean /= size * size;
    for (let p = 0; p < size * size; p++) {
      const o = p * channels;
      const grey = 0.299 * out[o]! + 0.587 * out[o + 1]! + 0.114 * out[o + 2]!;
      for (let c = 0; c < 3; c++) {
        let val = grey + (out[o + c]! - grey) * saturation;
        val = (val - mean) * contrast + mean;
        out[o + c] = Math.max(0, Math.min(255, Math.round(val * brightness)));
      }
    }
  } else if (j > 0 && channels === 1) {
    for (let p = 0; p < size * size; p++) out[p] = Math.max(0, Math.min(255, Math.round(out[p]! * brightness)));
  }
  return out;
}
