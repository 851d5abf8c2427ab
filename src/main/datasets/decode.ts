/**
 * One candidate image → what the catalog stores: checked type, size, alpha, a thumbnail and a
 * perceptual hash. Runs in the import worker. Every refusal is a SkipError with a stable reason.
 */
import sharp, { type Metadata } from 'sharp';
import type { SkipReason } from '../../shared/contract/datasets';
import { PIXEL_LIMIT } from './prepare';
import { fingerprintFromRgba } from './phash';
import { EXT_OF, IMAGE_EXTENSIONS, MIME, describeBytes, sniffImage, type ImageType } from './sniff';
import { sanitizeSvg, SvgRefusedError } from './svg';

export class SkipError extends Error {
  constructor(
    readonly reason: SkipReason,
    /** Plain words for the person importing. */
    readonly detail: string,
    /** The library's or the system's own words, when there are any (kept for bug reports). */
    readonly technical?: string,
  ) {
    super(detail);
  }
}

/** Images smaller than this on either side cannot teach a model anything. */
export const MIN_SIDE = 8;
export const THUMB_SIZE = 128;
/** Bytes per image file (a 64-megapixel JPEG is far smaller). */
export const MAX_IMAGE_BYTES = 100 * 1024 * 1024;

export interface DecodedImage {
  type: ImageType;
  mime: string;
  ext: string;
  /** What is stored: the original bytes, or the sanitised SVG. */
  bytes: Buffer;
  width: number;
  height: number;
  hasAlpha: boolean;
  thumb: Buffer;
  /** dHash + colour layout (phash.ts: fingerprintFromRgba). */
  phash: string;
  warnings: string[];
}

/**
 * Whether a PNG or JPEG lacks its end marker (IEND chunk / EOI): the file was cut short. Checked on the
 * bytes, because libvips words the same failure differently from run to run (its threads race to report).
 */
function endsEarly(bytes: Buffer, type: string): boolean {
  if (type === 'png') {
    // A real PNG (its first chunk is IHDR) whose last chunk is not IEND; junk after the signature is damage.
    const header = bytes.length >= 16 && bytes.subarray(12, 16).toString('latin1') === 'IHDR';
    return header && bytes.subarray(bytes.length - 8, bytes.length - 4).toString('latin1') !== 'IEND';
  }
  if (type === 'jpeg') return !(bytes.length >= 2 && bytes[bytes.length - 2] === 0xff && bytes[bytes.length - 1] === 0xd9);
  return false;
}

function classifyDecodeError(err: unknown, cutShort: boolean): SkipError {
  const msg = ((err as Error)?.message ?? String(err)).split('\n')[0]!.slice(0, 200);
  if (/pixel limit|exceeds.*limit/i.test(msg)) return new SkipError('over_pixel_limit', `larger than the ${PIXEL_LIMIT / 1024 / 1024} megapixel limit`);
  if (cutShort || /truncat|premature end|unexpected end|end of (file|stream)|not enough data|read error|Corrupt JPEG data: premature/i.test(msg)) {
    return new SkipError('truncated', 'the file ends early: it may not have finished copying or downloading', msg);
  }
  return new SkipError('corrupt', 'the image data is damaged, so it cannot be opened', msg);
}

/**
 * A file's bytes as Atelier stores them, sniffed once: an SVG cleaned of scripts, handlers and external
 * references (what was removed is listed), anything else as it came. The import hashes these bytes, so
 * a stored file always matches its hash, and hands them on to decodeImage, which does not look again.
 */
export interface CleanedImage {
  /** What the bytes are; null when no image format Atelier reads. */
  type: ImageType | null;
  bytes: Buffer;
  /** What the SVG sanitiser took out. */
  removed: string[];
}

/** Sniffs the bytes and cleans an SVG; refuses an SVG too costly to clean or draw (SkipError). */
export function cleanImage(input: Buffer): CleanedImage {
  const type = sniffImage(input);
  if (type !== 'svg') return { type, bytes: input, removed: [] };
  let cleaned;
  try {
    cleaned = sanitizeSvg(input);
  } catch (err) {
    throw new SkipError(err instanceof SvgRefusedError ? err.reason : 'too_large', (err as Error).message);
  }
  return { type, bytes: Buffer.from(cleaned.svg, 'utf8'), removed: cleaned.removed };
}

/** The warning for what cleaning an SVG removed. */
export const removedWarning = (removed: string[]): string => `removed before rasterising: ${removed.join(', ')}`;

/**
 * Checks and decodes one image. Given raw bytes it cleans them first (cleanImage) and warns about what
 * was removed; given a CleanedImage (the import, which noted the removals itself) it uses it as it is.
 */
export async function decodeImage(input: Buffer | CleanedImage, ext: string): Promise<DecodedImage> {
  const raw = Buffer.isBuffer(input);
  if ((raw ? input : input.bytes).length === 0) throw new SkipError('empty', 'zero bytes');
  const { type, bytes, removed } = raw ? cleanImage(input) : input;
  const expected = IMAGE_EXTENSIONS[ext] ?? null;
  const warnings: string[] = [];
  if (!type) {
    if (expected) throw new SkipError('wrong_type', `named ${ext} but the contents are ${describeBytes(bytes)}`);
    throw new SkipError('unsupported', `not an image Atelier reads (${describeBytes(bytes)})`);
  }
  if (expected && expected !== type) warnings.push(`named ${ext} but is a ${type.toUpperCase()} image; stored as ${EXT_OF[type]}`);
  if (raw && removed.length) warnings.push(removedWarning(removed));

  const open = () => sharp(bytes, { limitInputPixels: PIXEL_LIMIT, failOn: 'truncated', animated: false, pages: 1 });
  let meta: Metadata;
  try {
    meta = await open().metadata();
  } catch (err) {
    throw classifyDecodeError(err, endsEarly(bytes, type));
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  // Checked from the header, before any pixel is decoded: a 30000×30000 PNG never allocates.
  if (width * height > PIXEL_LIMIT) {
    throw new SkipError('over_pixel_limit', `${width}×${height} is over the ${PIXEL_LIMIT / 1024 / 1024} megapixel limit`);
  }
  if (width < MIN_SIDE || height < MIN_SIDE) throw new SkipError('too_small', `${width}×${height}; images need at least ${MIN_SIDE} px on each side`);

  let thumb: Buffer;
  let phash: string;
  let hasAlpha = false;
  try {
    // Decode once to a bounded raw copy; thumbnail, hash and alpha all come from it.
    const scale = Math.min(1, 512 / Math.max(width, height));
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const { data, info } = await open()
      .rotate()
      .resize(w, h, { fit: 'fill', kernel: 'lanczos3' })
      .ensureAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (meta.hasAlpha) {
      for (let i = 3; i < data.length; i += 4) {
        if (data[i]! < 255) {
          hasAlpha = true;
          break;
        }
      }
    }
    const raw = sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } });
    thumb = await raw
      .clone()
      .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true, kernel: info.width <= 64 ? 'nearest' : 'lanczos3' })
      .webp({ quality: 82, alphaQuality: 90 })
      .toBuffer();
    phash = fingerprintFromRgba(data, info.width, info.height);
  } catch (err) {
    throw classifyDecodeError(err, endsEarly(bytes, type));
  }
  return { type, mime: MIME[type], ext: EXT_OF[type], bytes, width, height, hasAlpha, thumb, phash, warnings };
}
