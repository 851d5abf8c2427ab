import sharp from 'sharp';

/** Raw 8-bit pixels (1, 3 or 4 channels) → PNG bytes. Deterministic: same pixels, same bytes. */
export async function encodePng(img: { pixels: Uint8Array; width: number; height: number; channels: number }): Promise<Buffer> {
  return sharp(Buffer.from(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4 },
  })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}
