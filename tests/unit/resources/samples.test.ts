import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

/**
 * The built-in samples (resources/samples, built by scripts/build-samples.mjs). The counts below are the
 * ones documented in resources/samples/README.md; changing the selection means changing both on purpose.
 */

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SAMPLES = path.join(ROOT, 'resources', 'samples');
const SAMPLE_DIR = path.join(SAMPLES, 'twemoji-faces-animals-food');
const HELDOUT_DIR = path.join(SAMPLES, 'twemoji-heldout-produce');

const EXPECTED_LABELS: Record<string, number> = { face: 108, animal: 122, food: 85 };
const EXPECTED_HELDOUT = { label: 'produce', count: 39, finetune: 30, eval: 9 };

interface Item {
  file: string;
  label: string;
  name: string;
  tags: string[];
  image: string;
  unified: string;
  subcategory: string;
  sha256: string;
  split?: 'finetune' | 'eval';
}
interface Manifest {
  id: string;
  name: string;
  kind: 'image';
  size: number;
  channels: number;
  count: number;
  license: string;
  attribution: string;
  labels: { label: string; count: number; category: string; subcategories: string[]; exclude: string[] }[];
  items: Item[];
}
interface Heldout {
  id: string;
  label: string;
  category: string;
  subcategories: string[];
  count: number;
  imagesDir: string;
  exclude: string[];
  finetune: string[];
  eval: string[];
}
interface Index {
  samples: { id: string; name: string; kind: 'image' | 'text'; path: string; count: number; role: string; attribution: string }[];
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const sample = readJson<Manifest>(path.join(SAMPLE_DIR, 'manifest.json'));
const heldoutManifest = readJson<Manifest>(path.join(HELDOUT_DIR, 'manifest.json'));
const heldout = readJson<Heldout>(path.join(SAMPLES, 'twemoji-heldout.json'));
const index = readJson<Index>(path.join(SAMPLES, 'index.json'));

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** All files under dir, as paths relative to it with forward slashes, sorted. */
function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

function countBy(items: Item[], key: (i: Item) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of items) counts[key(i)] = (counts[key(i)] ?? 0) + 1;
  return counts;
}

async function checkImages(dir: string, manifest: Manifest) {
  for (const item of manifest.items) {
    const file = path.join(dir, item.file);
    expect(fs.existsSync(file), item.file).toBe(true);
    const bytes = fs.readFileSync(file);
    expect(sha256(bytes), `${item.file} differs from the source image`).toBe(item.sha256);
    const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels], item.file).toEqual([64, 64, 4]);
    // An emoji on a transparent background: some pixels see-through, some opaque.
    let transparent = 0;
    let opaque = 0;
    for (let p = 3; p < data.length; p += 4) {
      if (data[p] === 0) transparent++;
      else if (data[p] === 255) opaque++;
    }
    expect(transparent, item.file).toBeGreaterThan(0);
    expect(opaque, item.file).toBeGreaterThan(0);
  }
}

function checkManifestShape(dir: string, manifest: Manifest) {
  expect(manifest.kind).toBe('image');
  expect([manifest.size, manifest.channels]).toEqual([64, 4]);
  expect(manifest.count).toBe(manifest.items.length);
  expect(manifest.license).toBe('CC-BY-4.0');
  expect(manifest.attribution).toMatch(/Twitter, Inc and other contributors.*CC-BY 4\.0/);
  const declared = manifest.labels.map((l) => l.label);
  for (const item of manifest.items) {
    expect(declared, item.file).toContain(item.label);
    expect(item.file).toBe(`${item.label}/${path.basename(item.file)}`);
    expect(item.image).toMatch(/^[0-9a-f]+(-[0-9a-f]+)*\.png$/);
    expect(item.name, item.file).toBe(item.name.toLowerCase());
    expect(item.name.length, item.file).toBeGreaterThan(0);
    expect(item.tags.length, item.file).toBeGreaterThan(0);
    for (const tag of item.tags) {
      expect(tag, item.file).toBe(tag.toLowerCase());
      expect(tag.trim(), item.file).toBe(tag);
      expect(tag.length, item.file).toBeGreaterThan(0);
    }
    expect(new Set(item.tags).size, `${item.file} has duplicate tags`).toBe(item.tags.length);
  }
  // The catalog stores files by content hash: a duplicate would silently shrink the dataset.
  expect(new Set(manifest.items.map((i) => i.sha256)).size).toBe(manifest.items.length);
  expect(new Set(manifest.items.map((i) => i.image)).size).toBe(manifest.items.length);
  const files = manifest.items.map((i) => i.file);
  expect(files).toEqual([...files].sort());
  // Nothing in the folder that the manifest does not list (a stale emoji from an older build).
  expect(listFiles(dir)).toEqual(['manifest.json', ...files].sort());
  const declaredCounts = Object.fromEntries(manifest.labels.map((l) => [l.label, l.count]));
  expect(countBy(manifest.items, (i) => i.label)).toEqual(declaredCounts);
}

describe('image sample dataset (twemoji-faces-animals-food)', () => {
  it('has the documented labels and counts', () => {
    checkManifestShape(SAMPLE_DIR, sample);
    expect(countBy(sample.items, (i) => i.label)).toEqual(EXPECTED_LABELS);
    expect(sample.count).toBe(315);
  });

  it('lists files that exist and decode as 64x64 RGBA PNGs identical to the source', async () => {
    await checkImages(SAMPLE_DIR, sample);
  });

  it('takes each label only from its declared subcategories, without the excluded emoji', () => {
    for (const l of sample.labels) {
      const items = sample.items.filter((i) => i.label === l.label);
      for (const i of items) expect(l.subcategories, i.file).toContain(i.subcategory);
      for (const name of l.exclude) expect(items.map((i) => path.basename(i.file, '.png'))).not.toContain(name);
    }
  });

  it('documents its counts in the README', () => {
    const readme = fs.readFileSync(path.join(SAMPLES, 'README.md'), 'utf8');
    for (const [label, count] of Object.entries(EXPECTED_LABELS)) expect(readme).toContain(`| \`${label}\` | ${count} |`);
    expect(readme).toContain(`(${sample.count} images)`);
    expect(readme).toContain('node scripts/build-samples.mjs');
  });
});

describe('held-out category (the base model must not see it)', () => {
  it('is described, split 30 + 9, and shipped as images', async () => {
    expect(heldout.label).toBe(EXPECTED_HELDOUT.label);
    expect(heldout.count).toBe(EXPECTED_HELDOUT.count);
    expect(heldout.finetune).toHaveLength(EXPECTED_HELDOUT.finetune);
    expect(heldout.eval).toHaveLength(EXPECTED_HELDOUT.eval);
    expect(heldout.finetune.filter((f) => heldout.eval.includes(f))).toEqual([]);
    // This category has no skin-tone variants, so the excluded images are exactly the split ones.
    expect([...heldout.finetune, ...heldout.eval].sort()).toEqual([...heldout.exclude].sort());

    expect(path.join(SAMPLES, heldout.imagesDir)).toBe(HELDOUT_DIR);
    checkManifestShape(HELDOUT_DIR, heldoutManifest);
    expect(heldoutManifest.count).toBe(EXPECTED_HELDOUT.count);
    for (const item of heldoutManifest.items) {
      expect(item.label).toBe(heldout.label);
      expect(heldout.subcategories).toContain(item.subcategory);
      expect(item.split === 'eval' ? heldout.eval : heldout.finetune, item.file).toContain(item.image);
    }
    await checkImages(HELDOUT_DIR, heldoutManifest);
  });

  it('does not appear in the image sample dataset (by design)', () => {
    const excluded = new Set(heldout.exclude);
    const heldoutHashes = new Set(heldoutManifest.items.map((i) => i.sha256));
    for (const item of sample.items) {
      expect(heldout.subcategories, item.file).not.toContain(item.subcategory);
      expect(excluded.has(item.image), item.file).toBe(false);
      expect(heldoutHashes.has(item.sha256), item.file).toBe(false);
    }
    for (const l of sample.labels) for (const s of l.subcategories) expect(heldout.subcategories).not.toContain(s);
  });

  it('is documented together with the sample dataset', () => {
    const readme = fs.readFileSync(path.join(SAMPLES, 'README.md'), 'utf8');
    expect(readme).toContain('twemoji-heldout.json');
    for (const s of heldout.subcategories) expect(readme).toContain(s);
    expect(readme).toContain(`\`${heldout.label}\` (${heldout.count} images)`);
  });
});

describe('text sample (twemoji-names.txt)', () => {
  const bytes = fs.readFileSync(path.join(SAMPLES, 'twemoji-names.txt'));

  it('is valid UTF-8, one lower-case phrase per line, no empty lines, no duplicates', () => {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    expect(text.startsWith('\uFEFF')).toBe(false);
    expect(text).not.toContain('\r');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines.length).toBeGreaterThan(2000);
    expect(lines.length).toBeLessThan(5000);
    for (const line of lines) {
      expect(line.trim().length, JSON.stringify(line)).toBeGreaterThan(0);
      expect(line).toBe(line.trim());
      expect(line).toBe(line.toLowerCase());
      expect(line).toBe(line.normalize('NFC'));
    }
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines).toEqual([...lines].sort());
    // Derived from the full emoji list, not only the image sample.
    for (const phrase of ['grinning face', 'rocket', 'japan flag', 'pile of poo']) expect(lines).toContain(phrase);
    const entry = index.samples.find((s) => s.id === 'twemoji-names');
    expect(entry?.count).toBe(lines.length);
  });
});

describe('attribution and index', () => {
  it('names the CC-BY 4.0 licence for Twemoji and the MIT licence for emoji-data', () => {
    const text = fs.readFileSync(path.join(SAMPLES, 'ATTRIBUTION.md'), 'utf8');
    expect(text).toContain('Copyright 2019 Twitter, Inc and other contributors');
    expect(text).toContain('CC-BY 4.0');
    expect(text).toContain('Creative Commons Attribution 4.0 International');
    expect(text).toContain('https://creativecommons.org/licenses/by/4.0/');
    expect(text).toMatch(/Changes made/i);
    expect(text).toContain('MIT License');
    expect(text).toContain('Copyright (c) 2013 Cal Henderson');
    expect(text).toContain('https://github.com/iamcal/emoji-data');
    expect(text).toContain('twemoji-names.txt');
    expect(text).toContain('emoji-datasource-twitter@16.0.0');
  });

  it('lists every sample with a path that exists and the right count', () => {
    expect(index.samples.map((s) => s.id)).toEqual(['twemoji-faces-animals-food', 'twemoji-heldout-produce', 'twemoji-names']);
    for (const s of index.samples) {
      expect(fs.existsSync(path.join(SAMPLES, s.path)), s.path).toBe(true);
      expect(s.attribution.length).toBeGreaterThan(0);
    }
    expect(index.samples[0]?.count).toBe(sample.count);
    expect(index.samples[1]?.count).toBe(heldoutManifest.count);
  });
});

// The shipped files must be exactly what the script builds (so nobody edits them by hand and the build is
// deterministic). Needs the source package: node_modules (a devDependency) or EMOJI_DATASOURCE_DIR.
const sourceAvailable =
  fs.existsSync(path.join(ROOT, 'node_modules', 'emoji-datasource-twitter', 'package.json')) ||
  Boolean(process.env.EMOJI_DATASOURCE_DIR && fs.existsSync(path.join(process.env.EMOJI_DATASOURCE_DIR, 'package.json')));

describe.skipIf(!sourceAvailable)('build script', () => {
  it('rebuilds byte-identical files, twice', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-samples-'));
    try {
      const script = path.join(ROOT, 'scripts', 'build-samples.mjs');
      for (let run = 0; run < 2; run++) {
        execFileSync(process.execPath, [script, '--out', out], { cwd: ROOT, stdio: 'pipe' });
        const built = listFiles(out);
        expect(built).toEqual(listFiles(SAMPLES));
        for (const f of built) {
          expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(SAMPLES, f))), f).toBe(true);
        }
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
