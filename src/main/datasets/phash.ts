import type { Sharp } from 'sharp';

/**
 * dHash: shrink to 9×8 grey, one bit per horizontal neighbour comparison → 64 bits as 16 hex digits.
 * Robust to scaling and small colour changes; two images within Hamming distance 4 look nearly the same.
 */
export async function dHashOf(image: Sharp): Promise<string> {
  const raw = await image.clone().flatten({ background: '#ffffff' }).greyscale().resize(9, 8, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer();
  return dHashFromGrey9x8(raw);
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
