/**
 * The fine-tuning benchmark's emoji sets, built with the quality benchmark's builder (bench-quality's
 * buildSet, with a spec of our own): the held-out fruit & vegetable emoji (`produce`, a target the base
 * never saw) and a fixed sample of the base's own training images (`base-data`, the ruler's second
 * reference). Both come from Twemoji and Noto, the two vendors scripts/build-base-model.mjs trains on,
 * split by resources/samples/twemoji-heldout.json's `exclude` list exactly as that script splits them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETS, spread, emojiImages, resizePng } from '../bench-quality/datasets.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const HELDOUT_FILE = path.join(ROOT, 'resources', 'samples', 'twemoji-heldout.json');
/** Image file names (e.g. 1f34e.png) held out of the base model, in both vendors. */
export const HELDOUT = new Set(JSON.parse(fs.readFileSync(HELDOUT_FILE, 'utf8')).exclude);
const VENDORS = [
  ['twitter', 'twemoji'],
  ['google', 'noto'],
];

/**
 * A set of Twemoji + Noto images chosen by `keep` (an emojiImages entry → boolean), named
 * `<twemoji|noto>-<code points>`, sorted by that name and spread evenly to at most 400 (bench-quality's
 * cap), drawn as bench-quality draws its emoji sets (64 px PNG resized with sharp, RGBA).
 */
function emojiSubset(description, keep) {
  return {
    description,
    attribution: `${SETS.twemoji.attribution}; ${SETS.noto.attribution}`,
    alpha: true,
    list() {
      const items = [];
      for (const [vendor, prefix] of VENDORS) {
        for (const e of emojiImages(vendor)) if (keep(e)) items.push({ name: `${prefix}-${e.image.replace(/\.png$/, '')}`, file: e.file, category: e.category });
      }
      return spread(items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
    },
    render: (item, size) => resizePng(item.file, size),
    source: () => `${SETS.twemoji.source()} + ${SETS.noto.source()}`,
  };
}

export const PRODUCE = emojiSubset(
  `Fruit & vegetable emoji: the ${HELDOUT.size} fruit & vegetable emoji held out of the base model (resources/samples/twemoji-heldout.json \`exclude\`), each from Twemoji (img/twitter/64) and Noto (img/google/64)`,
  (e) => HELDOUT.has(e.image),
);

export const BASE_DATA = emojiSubset(
  'Twemoji + Noto emoji (img/*/64, every category except Component) that are not held out, i.e. the base model\'s training images; 400 evenly spread over the sorted names',
  (e) => !HELDOUT.has(e.image),
);
