/**
 * Sprite sheets and contact sheets: images laid out on a grid with `padding` pixels between cells and
 * around the edge, plus a TexturePacker "JSON (Hash)" atlas that game engines (Phaser, PixiJS, Godot and
 * Unity importers) read:
 *
 *   { "frames": { "<name>": { "frame": {x,y,w,h}, "rotated": false, "trimmed": false,
 *                             "spriteSourceSize": {x,y,w,h}, "sourceSize": {w,h} } },
 *     "meta": { "app", "version", "image", "format": "RGBA8888", "size": {w,h}, "scale": "1" } }
 *
 * Each frame sits at the top-left of its cell (cells are as large as the largest image), nothing is
 * rotated or trimmed, and frames never overlap.
 */
import sharp, { type OverlayOptions } from 'sharp';
import { AtelierError } from '../../shared/errors';
import { resizeImage, type ResizeOptions } from './raster';

export interface SheetInput {
  /** Frame name in the atlas (unique). */
  name: string;
  image: Buffer;
}

export interface SheetOptions extends ResizeOptions {
  /** Pixels between cells and around the edge (0–64). */
  padding?: number;
  /** Cells per row (default: a square-ish grid). */
  columns?: number;
  /** Background behind the cells; transparent by default (sprite sheet), a colour for a contact sheet. */
  background?: string;
  /** The file name the atlas points at. */
  imageName: string;
  appVersion: string;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface AtlasFrame {
  frame: Rect;
  rotated: false;
  trimmed: false;
  spriteSourceSize: Rect;
  sourceSize: { w: number; h: number };
}

export interface Atlas {
  frames: Record<string, AtlasFrame>;
  meta: {
    app: string;
    version: string;
    image: string;
    format: 'RGBA8888';
    size: { w: number; h: number };
    scale: string;
  };
}

export const MAX_SHEET_SIDE = 16384;

export async function buildSheet(inputs: SheetInput[], opts: SheetOptions): Promise<{ png: Buffer; atlas: Atlas }> {
  if (inputs.length === 0) throw new AtelierError('bad_request', 'A sheet needs at least one image.');
  const padding = opts.padding ?? 2;
  if (!Number.isInteger(padding) || padding < 0 || padding > 64) throw new AtelierError('bad_request', 'Padding must be a whole number from 0 to 64.');
  const names = new Set<string>();
  const frames: Array<{ name: string; data: Buffer; w: number; h: number }> = [];
  for (const input of inputs) {
    if (names.has(input.name)) throw new AtelierError('bad_request', `Two frames are called ${input.name}.`);
    names.add(input.name);
    const { data, info } = await (await resizeImage(input.image, opts)).png().toBuffer({ resolveWithObject: true });
    frames.push({ name: input.name, data, w: info.width, h: info.height });
  }
  const cellW = Math.max(...frames.map((f) => f.w));
  const cellH = Math.max(...frames.map((f) => f.h));
  const columns = Math.max(1, Math.min(frames.length, opts.columns ?? Math.ceil(Math.sqrt(frames.length))));
  const rows = Math.ceil(frames.length / columns);
  const width = columns * cellW + (columns + 1) * padding;
  const height = rows * cellH + (rows + 1) * padding;
  if (width > MAX_SHEET_SIDE || height > MAX_SHEET_SIDE) {
    throw new AtelierError('bad_request', `The sheet would be ${width}×${height} pixels; the limit is ${MAX_SHEET_SIDE}. Use fewer images, a smaller scale or more columns.`);
  }
  const atlas: Atlas = {
    frames: {},
    meta: { app: 'Atelier', version: opts.appVersion, image: opts.imageName, format: 'RGBA8888', size: { w: width, h: height }, scale: '1' },
  };
  const composites: OverlayOptions[] = [];
  frames.forEach((f, i) => {
    const x = padding + (i % columns) * (cellW + padding);
    const y = padding + Math.floor(i / columns) * (cellH + padding);
    composites.push({ input: f.data, left: x, top: y });
    atlas.frames[f.name] = {
      frame: { x, y, w: f.w, h: f.h },
      rotated: false,
      trimmed: false,
      spriteSourceSize: { x: 0, y: 0, w: f.w, h: f.h },
      sourceSize: { w: f.w, h: f.h },
    };
  });
  const background = opts.background ? opts.background : { r: 0, g: 0, b: 0, alpha: 0 };
  const png = await sharp({ create: { width, height, channels: 4, background } })
    .composite(composites)
    .png({ compressionLevel: 9 })
    .toBuffer();
  return { png, atlas };
}
