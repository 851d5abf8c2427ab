/** Tensor images in [-1, 1] → 8-bit pixels, single images and square grids. */
import * as tf from '@tensorflow/tfjs-core';

export interface PixelImage {
  /** Row-major, `channels` bytes per pixel. */
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** [n, h, w, c] in [-1, 1] → n images (one readback). Rounds half up after clamping. */
export function toPixelImages(x: tf.Tensor4D): PixelImage[] {
  const [n, h, w, c] = x.shape;
  const bytes = tf.tidy(() => tf.cast(tf.floor(tf.add(tf.mul(tf.clipByValue(x, -1, 1), 127.5), 128)), 'int32'));
  const all = bytes.dataSync();
  bytes.dispose();
  const per = h * w * c;
  const out: PixelImage[] = [];
  for (let i = 0; i < n; i++) {
    const pixels = new Uint8Array(per);
    for (let j = 0; j < per; j++) pixels[j] = Math.min(255, all[i * per + j]!);
    out.push({ pixels, width: w, height: h, channels: c });
  }
  return out;
}

/**
 * Tiles images into a side×side grid with `pad` pixels between and around them. The padding is mid
 * grey (opaque) for grey/RGB and transparent for RGBA; missing cells stay padding.
 */
export function tileGrid(images: PixelImage[], side: number, pad = 2): PixelImage {
  const first = images[0];
  if (!first) throw new Error('tileGrid needs at least one image');
  const { width: w, height: h, channels: c } = first;
  const width = side * w + (side + 1) * pad;
  const height = side * h + (side + 1) * pad;
  const pixels = new Uint8Array(width * height * c).fill(c === 4 ? 0 : 128);
  images.slice(0, side * side).forEach((img, k) => {
    const x0 = pad + (k % side) * (w + pad);
    const y0 = pad + Math.floor(k / side) * (h + pad);
    for (let y = 0; y < h; y++) {
      pixels.set(img.pixels.subarray(y * w * c, (y + 1) * w * c), ((y0 + y) * width + x0) * c);
    }
  });
  return { pixels, width, height, channels: c };
}
