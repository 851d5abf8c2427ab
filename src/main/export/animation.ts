/**
 * Animations from frames: an interpolation walk (generations passed in order) or a training timeline
 * (a run's sample grids, step by step). GIF and animated WebP through sharp (libvips/cgif, libwebp);
 * APNG through upng-js, lossless. Frames of different sizes are fitted into the first frame's size.
 */
import sharp from 'sharp';
import UPNG from 'upng-js';
import extractChunks from 'png-chunks-extract';
import { AtelierError } from '../../shared/errors';
import { resizeImage, targetSize, type ResizeOptions } from './raster';

export type AnimationFormat = 'gif' | 'apng' | 'webp';

export interface AnimationOptions extends ResizeOptions {
  format: AnimationFormat;
  /** Frames per second (0.5–60). */
  fps?: number;
  /** Repeat count; 0 = forever. */
  loop?: number;
  /** Hold the last frame this much longer (timelines end on the final result). */
  holdLastMs?: number;
}

export const MAX_FRAMES = 600;

async function normaliseFrames(frames: Buffer[], opts: ResizeOptions): Promise<{ raw: Buffer[]; width: number; height: number }> {
  if (frames.length === 0) throw new AtelierError('bad_request', 'An animation needs at least one frame.');
  if (frames.length > MAX_FRAMES) throw new AtelierError('bad_request', `Animations are limited to ${MAX_FRAMES} frames.`);
  const first = await sharp(frames[0]).metadata();
  if (!first.width || !first.height) throw new AtelierError('invalid_input', 'The first frame has no size.');
  const size = targetSize(first.width, first.height, opts);
  const raw: Buffer[] = [];
  for (const f of frames) {
    const img = await resizeImage(f, { ...opts, width: size.width, height: size.height, scale: undefined });
    raw.push(await img.raw().toBuffer());
  }
  return { raw, width: size.width, height: size.height };
}

export async function renderAnimation(frames: Buffer[], opts: AnimationOptions): Promise<Buffer> {
  const fps = opts.fps ?? 8;
  if (!(fps >= 0.5 && fps <= 60)) throw new AtelierError('bad_request', 'Frames per second must be between 0.5 and 60.');
  const loop = opts.loop ?? 0;
  if (!Number.isInteger(loop) || loop < 0 || loop > 65535) throw new AtelierError('bad_request', 'Loop must be 0 (forever) or a repeat count.');
  const { raw, width, height } = await normaliseFrames(frames, opts);
  const delay = Math.round(1000 / fps);
  const delays = raw.map((_, i) => (i === raw.length - 1 ? delay + (opts.holdLastMs ?? 0) : delay));
  switch (opts.format) {
    case 'apng': {
      const buffers = raw.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      const png = Buffer.from(UPNG.encode(buffers, width, height, 0, delays));
      return raw.length > 1 ? setApngLoop(png, loop) : png;
    }
    case 'gif':
    case 'webp': {
      // Stack the frames vertically as one tall raw image; pageHeight splits it back into frames.
      const stacked = sharp(Buffer.concat(raw), { raw: { width, height: height * raw.length, channels: 4, pageHeight: height } });
      return opts.format === 'gif'
        ? stacked.gif({ delay: delays, loop, effort: 7, dither: 0.5 }).toBuffer()
        : stacked.webp({ delay: delays, loop, lossless: true }).toBuffer();
    }
    default:
      throw new AtelierError('bad_request', `Unknown animation format ${String(opts.format)}.`);
  }
}

/** upng-js always writes num_plays = 0 (forever); patch acTL when a finite loop count is asked for. */
function setApngLoop(png: Buffer, loop: number): Buffer {
  if (loop === 0) return png;
  const idx = png.indexOf(Buffer.from('acTL', 'latin1'));
  if (idx < 0) return png;
  png.writeUInt32BE(loop, idx + 8);
  // Recompute the chunk CRC over type + data (8 bytes of data).
  png.writeUInt32BE(crc32(png.subarray(idx, idx + 12)), idx + 12);
  return png;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** APNG facts from its chunks: declared frame count, fcTL count, loop count. */
export function apngInfo(png: Uint8Array): { declaredFrames: number; fctl: number; plays: number } | null {
  const chunks = extractChunks(png);
  const actl = chunks.find((c) => c.name === 'acTL');
  if (!actl) return null;
  const dv = Buffer.from(actl.data);
  return { declaredFrames: dv.readUInt32BE(0), plays: dv.readUInt32BE(4), fctl: chunks.filter((c) => c.name === 'fcTL').length };
}

export const ANIMATION_EXTENSION: Record<AnimationFormat, string> = { gif: '.gif', apng: '.png', webp: '.webp' };
