/**
 * Single images: PNG (with A1111 parameters, provenance JSON and XMP), JPEG and WebP (EXIF + XMP),
 * optionally resized 1×/2×/4× or to an exact size. Pixel art is scaled with nearest neighbour so its
 * pixels stay crisp; everything else with Lanczos. Transparency is kept (PNG, WebP); JPEG has no alpha,
 * so it is flattened onto a background colour.
 */
import sharp, { type Sharp } from 'sharp';
import { AtelierError } from '../../shared/errors';
import { embedPngMetadata, exifFor, xmpPacket, type Provenance } from './png-metadata';

export type RasterFormat = 'png' | 'jpeg' | 'webp';
export type Resample = 'auto' | 'nearest' | 'lanczos';

export interface ResizeOptions {
  /** Integer upscale (1, 2 or 4); ignored when width/height are given. */
  scale?: number;
  /** Exact output size; the image is fitted inside it (aspect kept, transparent letterbox). */
  width?: number;
  height?: number;
  resample?: Resample;
}

export interface RasterOptions extends ResizeOptions {
  format: RasterFormat;
  /** 1–100 for JPEG and lossy WebP. */
  quality?: number;
  /** WebP: lossless (default) keeps pixel art exact. */
  lossless?: boolean;
  /** JPEG background for transparent pixels (CSS colour). */
  background?: string;
  /** Embed metadata (default true). */
  metadata?: boolean;
}

export const MAX_EXPORT_SIDE = 8192;

/** Few distinct colours means pixel art (or flat icons): scale those with nearest neighbour. */
export async function looksLikePixelArt(input: Buffer): Promise<boolean> {
  const { data, info } = await sharp(input).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  for (let i = 0; i < info.width * info.height; i++) {
    const o = i * 4;
    colours.add(data[o + 3] === 0 ? -1 : ((data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!) >>> 0);
    if (colours.size > 64) return false;
  }
  return true;
}

/** The output size for a resize request, checked against MAX_EXPORT_SIDE. */
export function targetSize(width: number, height: number, opts: ResizeOptions): { width: number; height: number } {
  let w = width;
  let h = height;
  if (opts.width !== undefined || opts.height !== undefined) {
    w = opts.width ?? Math.round((width * opts.height!) / height);
    h = opts.height ?? Math.round((height * opts.width!) / width);
  } else if (opts.scale !== undefined && opts.scale !== 1) {
    if (!Number.isInteger(opts.scale) || opts.scale < 1) throw new AtelierError('bad_request', 'Scale must be a whole number such as 1, 2 or 4.');
    w = width * opts.scale;
    h = height * opts.scale;
  }
  if (!(w >= 1 && h >= 1) || w > MAX_EXPORT_SIDE || h > MAX_EXPORT_SIDE) {
    throw new AtelierError('bad_request', `Exported images can be at most ${MAX_EXPORT_SIDE}×${MAX_EXPORT_SIDE} pixels (asked for ${w}×${h}).`);
  }
  return { width: w, height: h };
}

/** Resize (or not) to RGBA, keeping transparency. */
export async function resizeImage(input: Buffer, opts: ResizeOptions): Promise<Sharp> {
  const meta = await sharp(input).metadata();
  if (!meta.width || !meta.height) throw new AtelierError('invalid_input', 'The image has no size.');
  const size = targetSize(meta.width, meta.height, opts);
  let img = sharp(input).ensureAlpha();
  if (size.width !== meta.width || size.height !== meta.height) {
    const resample = opts.resample ?? 'auto';
    const nearest = resample === 'nearest' || (resample === 'auto' && (await looksLikePixelArt(input)));
    img = img.resize(size.width, size.height, {
      kernel: nearest ? 'nearest' : 'lanczos3',
      fit: 'contain',
      background: { r: 0, g: 0, b: 0, alpha: 0 },
    });
  }
  return img;
}

/** One exported image's bytes. */
export async function renderRaster(input: Buffer, provenance: Provenance | null, opts: RasterOptions): Promise<Buffer> {
  const img = await resizeImage(input, opts);
  const withMeta = opts.metadata !== false && provenance !== null;
  switch (opts.format) {
    case 'png': {
      const png = await img.png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer();
      return withMeta ? embedPngMetadata(png, provenance) : png;
    }
    case 'jpeg': {
      let out = img.flatten({ background: opts.background ?? '#ffffff' }).jpeg({ quality: opts.quality ?? 92, mozjpeg: true });
      if (withMeta) out = out.withExif(exifFor(provenance)).withXmp(xmpPacket(provenance));
      return out.toBuffer();
    }
    case 'webp': {
      const lossless = opts.lossless ?? true;
      let out = img.webp(lossless ? { lossless: true } : { quality: opts.quality ?? 90, alphaQuality: 100 });
      if (withMeta) out = out.withExif(exifFor(provenance)).withXmp(xmpPacket(provenance));
      return out.toBuffer();
    }
    default:
      throw new AtelierError('bad_request', `Unknown image format ${String(opts.format)}.`);
  }
}

export const EXTENSION: Record<RasterFormat, string> = { png: '.png', jpeg: '.jpg', webp: '.webp' };
