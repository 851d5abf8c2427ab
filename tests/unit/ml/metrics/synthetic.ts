/** Small procedural image sets for the metric tests: coloured shapes on plain backgrounds. */
import { Rng } from '../../../../src/main/ml/rng';

export interface Images {
  pixels: Uint8Array;
  count: number;
  size: number;
  channels: 3;
}

const PALETTE: [number, number, number][] = [
  [230, 60, 50],
  [250, 200, 40],
  [60, 160, 70],
  [50, 110, 220],
  [150, 70, 200],
  [30, 30, 30],
];

/** `count` images of one shape (disc, square or diamond) in a palette colour on a light background. */
export function shapes(count: number, seed: number, size = 32): Images {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < count; i++) {
    const kind = rng.int(3);
    const col = PALETTE[rng.int(PALETTE.length)]!;
    const bg = 200 + rng.int(56);
    const r = size * (0.18 + 0.17 * rng.next());
    const cx = r + (size - 2 * r) * rng.next();
    const cy = r + (size - 2 * r) * rng.next();
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const inside = kind === 0 ? dx * dx + dy * dy <= r * r : kind === 1 ? Math.max(Math.abs(dx), Math.abs(dy)) <= r : Math.abs(dx) + Math.abs(dy) <= r;
        const o = ((i * size + y) * size + x) * 3;
        for (let c = 0; c < 3; c++) pixels[o + c] = inside ? col[c]! : bg;
      }
    }
  }
  return { pixels, count, size, channels: 3 };
}

/** Uniform noise images. */
export function noise(count: number, seed: number, size = 32): Images {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(256);
  return { pixels, count, size, channels: 3 };
}

/** Box blur of radius r (clamped at the borders). */
export function blur(img: Images, r = 1): Images {
  const { count, size } = img;
  const out = new Uint8Array(img.pixels.length);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          let n = 0;
          for (let v = -r; v <= r; v++) {
            for (let u = -r; u <= r; u++) {
              const yy = Math.min(size - 1, Math.max(0, y + v));
              const xx = Math.min(size - 1, Math.max(0, x + u));
              s += img.pixels[((i * size + yy) * size + xx) * 3 + c]!;
              n++;
            }
          }
          out[((i * size + y) * size + x) * 3 + c] = Math.round(s / n);
        }
      }
    }
  }
  return { ...img, pixels: out };
}

/** Rows [from, to) of an image set. */
export function slice(img: Images, from: number, to: number): Images {
  const per = img.size * img.size * 3;
  return { ...img, pixels: img.pixels.slice(from * per, to * per), count: to - from };
}
