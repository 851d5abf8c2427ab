/**
 * Contact sheets: side-by-side 8×8 grids (real | peer | Atelier), every image composited on white,
 * labelled, then upscaled 2× with nearest-neighbour so small images are easy to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };
const PAD = 2;
const GAP = 12;
const LABEL_H = 14;

function escapeXml(s) {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);
}

/** The PNG files of a folder, sorted. */
export function pngs(dir) {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort().map((f) => path.join(dir, f)) : [];
}

/** `n` files spread evenly over the list (the real set is sorted by name; this shows all of it). */
export function pick(files, n) {
  if (files.length <= n) return files;
  return Array.from({ length: n }, (_, i) => files[Math.floor((i * files.length) / n)]);
}

/** A cell×cell grey checkerboard (4 px squares), to show where an image is transparent. */
function checkerboard(cell) {
  const px = Buffer.alloc(cell * cell * 3);
  for (let y = 0; y < cell; y++) for (let x = 0; x < cell; x++) px.fill(((x >> 2) + (y >> 2)) % 2 ? 200 : 150, (y * cell + x) * 3, (y * cell + x) * 3 + 3);
  return sharp(px, { raw: { width: cell, height: cell, channels: 3 } }).png().toBuffer();
}

/** One side×side grid of cell×cell images, composited on white (or a checkerboard), as a PNG buffer. */
async function grid(files, side, cell, checker = false) {
  const w = side * cell + (side + 1) * PAD;
  const board = checker ? await checkerboard(cell) : null;
  const place = async (f) => {
    const scaled = sharp(f).ensureAlpha().resize(cell, cell, { kernel: 'nearest', fit: 'fill' });
    if (!board) return scaled.flatten({ background: WHITE }).png().toBuffer();
    return sharp(board).composite([{ input: await scaled.png().toBuffer() }]).png().toBuffer();
  };
  const tiles = await Promise.all(
    files.slice(0, side * side).map(async (f, k) => ({
      // Each image is composited first (RGBA samples and real images), then scaled nearest to the cell.
      input: await place(f),
      left: PAD + (k % side) * (cell + PAD),
      top: PAD + Math.floor(k / side) * (cell + PAD),
    })),
  );
  return sharp({ create: { width: w, height: w, channels: 3, background: { r: 224, g: 224, b: 224 } } }).composite(tiles).png().toBuffer();
}

function text(s, width, height, size = 11, weight = 'normal') {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="0" y="${height - 3}" font-family="DejaVu Sans, sans-serif" font-size="${size}" font-weight="${weight}" fill="#222">${escapeXml(s)}</text></svg>`,
  );
}

/**
 * panels: [{ label, files, checker? }] drawn left to right; cell: pixel size of one image before the 2× upscale.
 * Empty panels (a part that did not run) are drawn as an empty grid with their label.
 */
export async function contactSheet(out, { title, panels, cell, side = 8 }) {
  const gw = side * cell + (side + 1) * PAD;
  const width = Math.max(panels.length * gw + (panels.length + 1) * GAP, Math.ceil(title.length * 7.5) + 2 * GAP);
  const top = GAP + LABEL_H + 4 + LABEL_H;
  const height = top + gw + GAP;
  const layers = [{ input: text(title, width - 2 * GAP, LABEL_H + 2, 12, 'bold'), left: GAP, top: GAP - 2 }];
  for (const [i, p] of panels.entries()) {
    const left = GAP + i * (gw + GAP);
    layers.push({ input: text(p.label, gw, LABEL_H), left, top: GAP + LABEL_H + 4 });
    layers.push({ input: await grid(p.files, side, cell, p.checker), left, top });
  }
  const sheet = await sharp({ create: { width, height, channels: 3, background: WHITE } }).composite(layers).png().toBuffer();
  await sharp(sheet).resize(width * 2, height * 2, { kernel: 'nearest' }).png({ compressionLevel: 9 }).toFile(out);
  return out;
}
