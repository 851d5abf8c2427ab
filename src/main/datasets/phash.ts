import type { Sharp } from 'sharp';

/**
 * dHash: shrink to 9×8 grey, one bit per horizontal neighbour comparison → 64 bits as 16 hex digits.
 * Robust to scaling and small colour changes; two images within Hamming distance 4 look nearly the same.
 */
export async function dHashOf(image: Sharp): Promise<string> {
  const raw = await image.clone().flatten({ background: '#ffffff' }).greyscale().resize(9, 8, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
  return dHashFromGrey9x8(raw);
}

/**
 * An image's fingerprint for near-duplicate search: its dHash (16 hex digits: shape, in grey) followed by
 * its colour layout (54 hex digits: the mean colour of each cell of a 3×3 grid, composited onto white).
 * The dHash alone sees a red and a blue heart as the same image; the colour part tells them apart.
 * Fingerprints stored before the colour part existed are 16 digits long and compare by shape alone.
 */
export function fingerprintFromRgba(data: Uint8Array, width: number, height: number): string {
  return dHashFromRgba(data, width, height) + colourLayoutFromRgba(data, width, height);
}

/** Mean colour per cell of a 3×3 grid (RGBA composited onto white), as 27 bytes in hex. */
export function colourLayoutFromRgba(data: Uint8Array, width: number, height: number): string {
  const sums = new Float64Array(9 * 3);
  const counts = new Float64Array(9);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(2, Math.floor((y * 3) / height));
    for (let x = 0; x < width; x++) {
      const g = gy * 3 + Math.min(2, Math.floor((x * 3) / width));
      const o = (y * width + x) * 4;
      const a = data[o + 3]! / 255;
      for (let k = 0; k < 3; k++) sums[g * 3 + k] = sums[g * 3 + k]! + data[o + k]! * a + 255 * (1 - a);
      counts[g] = counts[g]! + 1;
    }
  }
  let hex = '';
  for (let i = 0; i < 27; i++) hex += Math.round(counts[Math.floor(i / 3)]! > 0 ? sums[i]! / counts[Math.floor(i / 3)]! : 255).toString(16).padStart(2, '0');
  return hex;
}

/** The colour layout of a fingerprint, or null for a shape-only (older) one. */
export function colourOf(fingerprint: string): Uint8Array | null {
  if (fingerprint.length !== 16 + 54) return null;
  const out = new Uint8Array(27);
  for (let i = 0; i < 27; i++) out[i] = Number.parseInt(fingerprint.slice(16 + 2 * i, 18 + 2 * i), 16);
  return out;
}

/** The largest difference of one channel of one cell (0–255). */
export function colourDistance(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < 27; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** dHash straight from RGBA pixels (composited onto white, area-averaged to 9×8), without another decode. */
export function dHashFromRgba(data: Uint8Array, width: number, height: number): string {
  const grey = new Float64Array(9 * 8);
  const counts = new Float64Array(9 * 8);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(7, Math.floor((y * 8) / height));
    for (let x = 0; x < width; x++) {
      const gx = Math.min(8, Math.floor((x * 9) / width));
      const o = (y * width + x) * 4;
      const a = data[o + 3]! / 255;
      const lum = 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
      const k = gy * 9 + gx;
      grey[k] = grey[k]! + lum * a + 255 * (1 - a);
      counts[k] = counts[k]! + 1;
    }
  }
  const cells = new Uint8Array(72);
  for (let i = 0; i < 72; i++) cells[i] = counts[i]! > 0 ? Math.round(grey[i]! / counts[i]!) : 255;
  return dHashFromGrey9x8(cells);
}

export function dHashFromGrey9x8(raw: Uint8Array): string {
  let hex = '';
  for (let y = 0; y < 8; y++) {
    let byte = 0;
    for (let x = 0; x < 8; x++) byte = (byte << 1) | (raw[y * 9 + x]! > raw[y * 9 + x + 1]! ? 1 : 0);
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

/** A dHash as two 32-bit words, for fast comparisons. */
export function hashWords(hex: string): [number, number] {
  return [Number.parseInt(hex.slice(0, 8), 16) >>> 0, Number.parseInt(hex.slice(8, 16), 16) >>> 0];
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

export function hamming(a: [number, number], b: [number, number]): number {
  return popcount((a[0] ^ b[0]) >>> 0) + popcount((a[1] ^ b[1]) >>> 0);
}

export const NEAR_DUPLICATE_DISTANCE = 4;
/**
 * Two images are near-duplicates only if no cell's mean colour differs by more than this in any channel:
 * re-encoding or resizing moves cell means by a few levels; a heart recoloured from red to orange moves
 * them by 40 or more.
 */
export const NEAR_DUPLICATE_COLOUR = 24;
