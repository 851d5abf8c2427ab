/**
 * Raster → SVG by colour tracing (imagetracerjs): the image is quantised to `colors` colours, each colour
 * region is traced into straight lines and quadratic curves, and each region becomes one <path>.
 *
 * The palette is ours, not the tracer's: imagetracerjs re-seeds sparse palette entries with Math.random,
 * so we pass a palette computed deterministically (frequency-seeded k-means in RGB) and run one
 * quantisation cycle. Transparent pixels (alpha < 128) form their own layer, which is dropped, so the SVG's
 * shape is the image's alpha mask. The SVG scales cleanly; `scale` only sets its default width/height.
 */
import sharp from 'sharp';
import ImageTracer, { type TracerPaletteColor } from 'imagetracerjs';
import { AtelierError } from '../../shared/errors';
import type { Provenance } from './png-metadata';

export interface TraceOptions {
  /** Colours in the traced image, 2–64 (transparency does not count). */
  colors?: number;
  /** Width/height attributes = pixels × scale (the viewBox stays in source pixels). */
  scale?: number;
  /** Drop regions smaller than this many pixels (speckle); 0 keeps everything. */
  minArea?: number;
}

export const MAX_TRACE_PIXELS = 512 * 512;

/** Deterministic k-means palette over opaque pixels. */
export function computePalette(rgba: Uint8Array | Uint8ClampedArray, pixelCount: number, k: number): TracerPaletteColor[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < pixelCount; i++) {
    const o = i * 4;
    if (rgba[o + 3]! < 128) continue;
    const key = (rgba[o]! << 16) | (rgba[o + 1]! << 8) | rgba[o + 2]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return [];
  const colours = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([key, n]) => ({ r: key >> 16, g: (key >> 8) & 255, b: key & 255, n }));
  if (colours.length <= k) return colours.map(({ r, g, b }) => ({ r, g, b, a: 255 }));
  // Farthest-point initialisation from the most frequent colour: deterministic and spread out.
  const centres = [{ ...colours[0]! }];
  const dist = colours.map((c) => d2(c, centres[0]!));
  while (centres.length < k) {
    let best = 0;
    for (let i = 1; i < colours.length; i++) if (dist[i]! * Math.sqrt(colours[i]!.n) > dist[best]! * Math.sqrt(colours[best]!.n)) best = i;
    centres.push({ ...colours[best]! });
    colours.forEach((c, i) => (dist[i] = Math.min(dist[i]!, d2(c, centres[centres.length - 1]!))));
  }
  for (let iter = 0; iter < 10; iter++) {
    const acc = centres.map(() => ({ r: 0, g: 0, b: 0, n: 0 }));
    for (const c of colours) {
      let bi = 0;
      let bd = Infinity;
      centres.forEach((m, j) => {
        const d = d2(c, m);
        if (d < bd) [bd, bi] = [d, j];
      });
      const a = acc[bi]!;
      a.r += c.r * c.n;
      a.g += c.g * c.n;
      a.b += c.b * c.n;
      a.n += c.n;
    }
    acc.forEach((a, j) => {
      if (a.n > 0) centres[j] = { r: Math.round(a.r / a.n), g: Math.round(a.g / a.n), b: Math.round(a.b / a.n), n: a.n };
    });
  }
  return centres.map(({ r, g, b }) => ({ r, g, b, a: 255 }));
}

function d2(a: { r: number; g: number; b: number }, b: { r: number; g: number; b: number }): number {
  return (a.r - b.r) ** 2 + (a.g - b.g) ** 2 + (a.b - b.b) ** 2;
}

function xmlEscape(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export async function traceToSvg(input: Buffer, provenance: Provenance | null, opts: TraceOptions = {}): Promise<string> {
  const colors = opts.colors ?? 8;
  if (!Number.isInteger(colors) || colors < 2 || colors > 64) throw new AtelierError('bad_request', 'SVG colours must be a whole number from 2 to 64.');
  const scale = opts.scale ?? 1;
  const { data, info } = await sharp(input).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  if (width * height > MAX_TRACE_PIXELS) throw new AtelierError('bad_request', `Tracing is limited to ${MAX_TRACE_PIXELS} pixels; this image has ${width * height}.`);
  const pixels = new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength);
  let transparent = false;
  for (let i = 0; i < width * height; i++) {
    const o = i * 4;
    if (pixels[o + 3]! < 128) {
      pixels[o] = pixels[o + 1] = pixels[o + 2] = pixels[o + 3] = 0;
      transparent = true;
    } else pixels[o + 3] = 255;
  }
  const palette = computePalette(pixels, width * height, colors);
  const pal: TracerPaletteColor[] = transparent ? [{ r: 0, g: 0, b: 0, a: 0 }, ...palette] : palette;
  if (pal.length === 0) pal.push({ r: 0, g: 0, b: 0, a: 0 });
  const options = {
    ltres: 1,
    qtres: 1,
    pathomit: opts.minArea ?? 0,
    rightangleenhance: true,
    pal,
    numberofcolors: pal.length,
    colorquantcycles: 1,
    mincolorratio: 0,
    layering: 0,
    strokewidth: 0,
    linefilter: false,
    scale: 1,
    roundcoords: 2,
    viewbox: true,
    desc: false,
    blurradius: 0,
  };
  const trace = ImageTracer.imagedataToTracedata({ width, height, data: pixels }, options);
  // Drop the transparent layer: its paths would be invisible anyway.
  trace.layers = trace.layers.map((layer, i) => (trace.palette[i]?.a === 0 ? [] : layer));
  const body = ImageTracer.getsvgstring(trace, options)
    .replace(/^<svg[^>]*>/, '')
    .replace(/<\/svg>\s*$/, '')
    // The tracer writes `opacity="1"` and a zero stroke on every path; drop them to halve the file.
    .replace(/ stroke="[^"]*" stroke-width="0" opacity="1"/g, '');
  const title = provenance ? xmlEscape(provenance.prompt || `Atelier generation ${provenance.generationId}`) : 'Atelier export';
  const metadata = provenance ? `<metadata id="atelier-provenance">${xmlEscape(JSON.stringify(provenance))}</metadata>` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width * scale}" height="${height * scale}" viewBox="0 0 ${width} ${height}">` +
    `<title>${title}</title>${metadata}${body}</svg>\n`
  );
}
