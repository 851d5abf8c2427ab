/**
 * Issue 18: text files become a text dataset without a flag (a file, several, a folder); a mixed folder
 * says what happened to each kind; near-duplicate detection sees colour (recoloured copies of one drawing
 * are different images, true near-copies are still found); the CLI's human report caps its lists.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { countSourceKinds, inferDatasetKind } from '../../../src/main/datasets/kind';
import { colourDistance, colourOf, fingerprintFromRgba, hamming, hashWords } from '../../../src/main/datasets/phash';
import { humanReport } from '../../../src/main/cli/import';
import type { ImportReport } from '../../../src/shared/contract';
import { tempDir } from '../support/tmp';
import { importAndWait, noisePng } from './support';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});


const HEART = 'M32 56 C10 40 4 28 4 18 C4 9 11 4 18 4 C24 4 29 8 32 13 C35 8 40 4 46 4 C53 4 60 9 60 18 C60 28 54 40 32 56 Z';
const heart = (fill: string, size = 64, format: 'png' | 'jpeg' = 'png') => {
  const img = sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><path d="${HEART}" fill="${fill}"/></svg>`)).resize(size, size);
  return format === 'png' ? img.png().toBuffer() : img.flatten({ background: '#ffffff' }).jpeg({ quality: 85 }).toBuffer();
};
/** Twemoji's heart colours: red, blue, purple, brown, orange. */
const HEART_COLOURS = { red: '#DD2E44', blue: '#5DADEC', purple: '#AA8ED6', brown: '#C1694F', orange: '#F4900C' };

describe('text files make a text dataset by themselves', () => {
  it('counts kinds by name: sidecars are not text, hidden files are ignored', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'pets', 'cat'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pets', 'cat', 'a.png'), '');
    fs.writeFileSync(path.join(dir, 'pets', 'cat', 'a.txt'), 'sidecar');
    fs.writeFileSync(path.join(dir, 'pets', '.notes.txt'), 'hidden');
    expect(countSourceKinds([path.join(dir, 'pets')])).toEqual({ images: 1, texts: 0, partial: false });
    fs.mkdirSync(path.join(dir, 'names'));
    fs.writeFileSync(path.join(dir, 'names', 'a.txt'), 'x');
    fs.writeFileSync(path.join(dir, 'names', 'b.md'), 'x');
    expect(inferDatasetKind([path.join(dir, 'names')])).toBe('text');
    expect(inferDatasetKind([path.join(dir, 'names'), path.join(dir, 'pets')])).toBe('image');
    expect(inferDatasetKind([path.join(dir, 'names', 'a.txt')])).toBe('text');
    expect(inferDatasetKind([path.join(dir, 'missing')])).toBe('image');
  });

  it('a .txt file, and a folder of them, import as text datasets without --text', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'names.txt'), 'Biscuit\nPepper\nMochi\n');
    fs.mkdirSync(path.join(dir, 'more-names'));
    fs.writeFileSync(path.join(dir, 'more-names', 'cats.txt'), 'Tom\nFelix\n');
    fs.writeFileSync(path.join(dir, 'more-names', 'dogs.txt'), 'Rex\nFido\n');
    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const p = await service.call('projects.create', { name: 'P' });
    const one = await importAndWait(service, { projectId: p.id, paths: [path.join(dir, 'names.txt')] });
    // Named after the file without its extension (the tile showed "pet-names.tx / t").
    expect(one.dataset).toMatchObject({ kind: 'text', name: 'names', itemCount: 1 });
    expect(one.report.skipped).toEqual([]);
    const items = await service.call('datasets.items', { datasetId: one.dataset.id });
    const lines = await service.call('datasets.textLines', { datasetId: one.dataset.id, itemIds: [items.items[0]!.id], lines: 2 });
    expect(lines.items).toEqual([{ itemId: items.items[0]!.id, lines: ['Biscuit', 'Pepper'], lineCount: 3 }]);
    const folder = await importAndWait(service, { projectId: p.id, paths: [path.join(dir, 'more-names')] });
    expect(folder.dataset).toMatchObject({ kind: 'text', name: 'more-names', itemCount: 2 });
    // Lines are for text datasets only.
    const images = await service.call('datasets.create', { projectId: p.id, name: 'pics' });
    await expect(service.call('datasets.textLines', { datasetId: images.id, itemIds: [1] })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('a mixed folder imports its images and says, per file and once in a note, what happened to the text', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'mixed');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'a.png'), await noisePng(1, 16));
    fs.writeFileSync(path.join(src, 'b.png'), await noisePng(2, 16));
    fs.writeFileSync(path.join(src, 'a.txt'), 'a caption\nround, warm');
    fs.writeFileSync(path.join(src, 'names.txt'), 'Biscuit\nPepper\n');
    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const p = await service.call('projects.create', { name: 'P' });
    const { dataset, report } = await importAndWait(service, { projectId: p.id, paths: [src] });
    expect(dataset).toMatchObject({ kind: 'image', itemCount: 2 });
    // The sidecar gave its caption; the other text file is listed, in words that say what to do.
    expect(report.skipped).toEqual([{ path: 'mixed/names.txt', reason: 'other_kind', detail: expect.stringMatching(/text file.*image dataset.*on their own.*text dataset/) }]);
    expect(report.warnings[0]!.message).toMatch(/^One text file was not imported: this is an image dataset \(2 images imported\)\. Import the text files on their own/);
  });
});

describe('near-duplicates see colour', () => {
  it('fingerprints: one shape in five colours has one dHash but five colour layouts', async () => {
    const prints: Record<string, string> = {};
    for (const [name, fill] of Object.entries(HEART_COLOURS)) {
      const { data, info } = await sharp(await heart(fill)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      prints[name] = fingerprintFromRgba(data, info.width, info.height);
    }
    const names = Object.keys(prints);
    for (const a of names) {
      for (const b of names) {
        if (a >= b) continue;
        expect(hamming(hashWords(prints[a]!), hashWords(prints[b]!)), `${a}/${b} shapes`).toBeLessThanOrEqual(4);
        expect(colourDistance(colourOf(prints[a]!)!, colourOf(prints[b]!)!), `${a}/${b} colours`).toBeGreaterThan(24);
      }
    }
    // A stored shape-only fingerprint (before colour) still reads, with no colour part.
    expect(colourOf(prints.red!.slice(0, 16))).toBeNull();
  });

  it('recoloured copies are not near-duplicates; a resized copy and a JPEG of the same heart are', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'hearts');
    fs.mkdirSync(src);
    for (const [name, fill] of Object.entries(HEART_COLOURS)) fs.writeFileSync(path.join(src, `${name}.png`), await heart(fill));
    fs.writeFileSync(path.join(src, 'red-small.png'), await heart(HEART_COLOURS.red, 48));
    fs.writeFileSync(path.join(src, 'red-photo.jpg'), await heart(HEART_COLOURS.red, 64, 'jpeg'));
    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const p = await service.call('projects.create', { name: 'P' });
    const { report } = await importAndWait(service, { projectId: p.id, paths: [src] });
    expect(report.imported).toBe(7);
    const pairs = report.nearDuplicates.map((n) => [n.a, n.b].map((x) => path.basename(x)).sort().join(' ≈ ')).sort();
    expect(pairs).toEqual(['red-photo.jpg ≈ red-small.png', 'red-photo.jpg ≈ red.png', 'red-small.png ≈ red.png']);
  });
});

describe("the CLI's human report", () => {
  it('caps long lists and says how many more there are', () => {
    const report: ImportReport = {
      datasetId: 3,
      jobId: 9,
      status: 'done',
      seen: 40,
      imported: 40,
      duplicates: 0,
      alreadyPresent: 0,
      skipped: [],
      duplicateOf: [],
      nearDuplicates: Array.from({ length: 30 }, (_, i) => ({ a: `x/${i}.png`, b: `y/${i}.png`, distance: 0 })),
      warnings: [],
      elapsedMs: 10,
    };
    const lines = humanReport(report, 'image').split('\n');
    expect(lines[0]).toBe('Dataset 3 (image): 40 images imported, 0 duplicates merged, 0 already there, 0 skipped (done).');
    expect(lines.filter((l) => l.includes('near-duplicate:'))).toHaveLength(10);
    expect(lines.at(-1)).toBe('  … and 20 more near-duplicate pairs (--json lists them all)');
  });
});
