/**
 * The datasets engine in-process: sniffing, SVG cleaning, sidecars and manifests, zip names, the
 * service's import / sample / edit / delete round trip, text datasets, previews.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { sniffImage } from '../../../src/main/datasets/sniff';
import { sanitizeSvg } from '../../../src/main/datasets/svg';
import { parseManifest, parseSidecar } from '../../../src/main/datasets/metadata';
import { safeEntryName } from '../../../src/main/datasets/sources';
import { hamming, hashWords } from '../../../src/main/datasets/phash';
import { augmentImage } from '../../../src/main/datasets/augment';
import { DEFAULT_AUGMENT } from '../../../src/shared/contract/datasets';
import { tempDir } from '../support/tmp';
import { importAndWait, makeZip, noisePng, writeNoiseImages } from './support';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});


describe('datasets engine pieces', () => {
  it('sniffs types from bytes, not names', async () => {
    expect(sniffImage(await noisePng(1, 8))).toBe('png');
    expect(sniffImage(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('svg');
    expect(sniffImage(Buffer.from('hello'))).toBeNull();
  });

  it('strips scripts, handlers and external references from SVGs, keeping local ones', () => {
    const { svg, removed } = sanitizeSvg(
      Buffer.from(
        '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg onload="x()"><script>1</script><use href="#a"/><image href="https://e.com/a.png"/><image href="data:image/png;base64,AAAA"/><rect style="fill:url(#g)"/><rect style="fill:url(http://e.com/p)"/></svg>',
      ),
    );
    expect(svg).not.toMatch(/script|onload|e\.com|ENTITY|passwd/);
    expect(svg).toContain('href="#a"');
    expect(svg).toContain('data:image/png;base64,AAAA');
    expect(svg).toContain('url(#g)');
    expect(removed.sort()).toEqual(['doctype', 'event handler', 'external reference', 'script']);
  });

  it('reads kohya sidecars and CSV/JSON manifests', () => {
    expect(parseSidecar('cat, orange, sleepy')).toEqual({ tags: ['cat', 'orange', 'sleepy'] });
    expect(parseSidecar('A sleepy cat\ncat, sleepy')).toEqual({ caption: 'A sleepy cat', tags: ['cat', 'sleepy'] });
    expect(parseSidecar('just a caption')).toEqual({ caption: 'just a caption' });
    const csv = parseManifest('file,label,tags,caption\na.png,cat,"x; y",hello\n', 'csv')!;
    expect(csv.get('a.png')).toEqual({ label: 'cat', tags: ['x', 'y'], caption: 'hello' });
    const json = parseManifest(JSON.stringify({ items: [{ file: 'b/c.png', label: 'dog', tags: ['t'] }] }), 'json')!;
    expect(json.get('b/c.png')).toEqual({ label: 'dog', tags: ['t'] });
    expect(parseManifest('name,age\nx,1', 'csv')).toBeNull();
  });

  it('refuses zip entry names that leave the archive', () => {
    expect(safeEntryName('a/b.png')).toBe('a/b.png');
    expect(safeEntryName('./a//b.png')).toBe('a/b.png');
    expect(safeEntryName('../b.png')).toBeNull();
    expect(safeEntryName('a/../../b.png')).toBeNull();
    expect(safeEntryName('/etc/passwd')).toBeNull();
    expect(safeEntryName('C:/x.png')).toBeNull();
    expect(safeEntryName('a\\..\\..\\b.png')).toBeNull();
  });

  it('measures dHash distance and augments deterministically', () => {
    expect(hamming(hashWords('ffffffffffffffff'), hashWords('fffffffffffffff0'))).toBe(4);
    const src = new Uint8Array(16 * 16 * 3).map((_, i) => (i * 37) % 256);
    const s = { ...DEFAULT_AUGMENT, flip: true, rotationDeg: 10, cropFraction: 0.8, colorJitter: 0.5 };
    const r1 = (() => {
      let x = 1;
      return () => ((x = (x * 48271) % 2147483647) / 2147483647);
    })();
    const r2 = (() => {
      let x = 1;
      return () => ((x = (x * 48271) % 2147483647) / 2147483647);
    })();
    expect(augmentImage(src, 16, 3, s, r1)).toEqual(augmentImage(src, 16, 3, s, r2));
    expect(augmentImage(src, 16, 3, DEFAULT_AUGMENT, () => 0.5)).toEqual(src);
  });
});

describe('datasets service', () => {
  it('imports folders and zips with labels, sidecars and manifests; edits; deletes files no one else uses', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'pets');
    await writeNoiseImages(src, 6, 16, ['cat', 'dog']);
    fs.writeFileSync(path.join(src, 'cat', 'img-0000.txt'), 'A cat\nsoft, orange');
    fs.writeFileSync(path.join(src, 'labels.csv'), 'file,label,tags\ndog/img-0001.png,wolf,wild\n');
    fs.copyFileSync(path.join(src, 'cat', 'img-0000.png'), path.join(src, 'copy.png'));
    const zip = path.join(dir, 'more.zip');
    fs.writeFileSync(zip, await makeZip([{ name: 'more/bird/a.png', data: await noisePng(77, 16) }]));

    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const s = service;
    const p = await s.call('projects.create', { name: 'P' });
    const { datasetId, report } = await importAndWait(s, { projectId: p.id, paths: [src, zip] });
    expect(report.imported).toBe(7);
    expect(report.duplicates).toBe(1);
    expect(report.duplicateOf).toEqual([{ path: 'pets/copy.png', of: 'pets/cat/img-0000.png' }]);
    const d = await s.call('datasets.get', { id: datasetId });
    expect(d.name).toBe('pets');
    expect(d.labels).toEqual([
      { name: 'bird', count: 1 },
      { name: 'cat', count: 3 },
      { name: 'dog', count: 2 },
      { name: 'wolf', count: 1 },
    ]);
    const { items, total } = await s.call('datasets.items', { datasetId });
    expect(total).toBe(7);
    const first = items.find((i) => i.originalName === 'pets/cat/img-0000.png')!;
    expect(first).toMatchObject({ caption: 'A cat', tags: ['orange', 'soft'], mime: 'image/png', width: 16, height: 16 });
    expect(fs.existsSync(path.join(s.ctx.dataDir, first.thumb!))).toBe(true);

    // Label and tag editing, one and many.
    await s.call('datasets.updateItems', { datasetId, itemIds: items.map((i) => i.id), addTags: ['pet'] });
    await s.call('datasets.updateItems', { datasetId, itemIds: [first.id], label: 'kitten', removeTags: ['soft'] });
    const after = (await s.call('datasets.items', { datasetId })).items.find((i) => i.id === first.id)!;
    expect(after).toMatchObject({ label: 'kitten', tags: ['orange', 'pet'] });

    // Importing again adds nothing.
    const again = await importAndWait(s, { projectId: p.id, datasetId, paths: [src] });
    expect(again.report.imported).toBe(0);
    expect(again.report.alreadyPresent).toBe(7); // the six images and the copy of one

    // A second dataset shares one file: deleting the first keeps it, deleting the second removes it.
    const other = await importAndWait(s, { projectId: p.id, paths: [path.join(src, 'cat', 'img-0000.png')] });
    const shared = first.file;
    await s.call('datasets.delete', { id: datasetId });
    expect(fs.existsSync(path.join(s.ctx.dataDir, shared))).toBe(true);
    const onlyInFirst = items.find((i) => i.id !== first.id)!;
    expect(fs.existsSync(path.join(s.ctx.dataDir, onlyInFirst.file))).toBe(false);
    expect(fs.existsSync(path.join(s.ctx.dataDir, onlyInFirst.thumb!))).toBe(false);
    await s.call('datasets.delete', { id: other.datasetId });
    expect(fs.existsSync(path.join(s.ctx.dataDir, shared))).toBe(false);
  });

  it('adds the built-in sample with labels, tags and attribution, once', async () => {
    service = createService({ dataDir: path.join(tempDir(), 'data'), door: 'direct' });
    const s = service;
    const p = await s.call('projects.create', { name: 'S' });
    const d = await s.call('datasets.addSample', { projectId: p.id });
    expect(d).toMatchObject({ name: 'Twemoji faces, animals & food', source: 'sample:twemoji-faces-animals-food', itemCount: 315, hasAlpha: true });
    expect(d.attribution).toContain('CC-BY 4.0');
    expect(d.labels).toEqual([
      { name: 'animal', count: 122 },
      { name: 'face', count: 108 },
      { name: 'food', count: 85 },
    ]);
    const ant = (await s.call('datasets.items', { datasetId: d.id, limit: 1000 })).items.find((i) => i.originalName.endsWith('animal/ant.png'))!;
    expect(ant).toMatchObject({ label: 'animal', caption: 'ant', tags: ['ant'] });
    expect((await s.call('datasets.addSample', { projectId: p.id })).id).toBe(d.id);
    const preview = await s.call('datasets.preview', { id: d.id, size: 32, count: 3 });
    expect(preview.images).toHaveLength(3);
    expect(preview.images[0]!.dataUrl).toMatch(/^data:image\/png;base64,/);
    const aug = await s.call('datasets.preview', { id: d.id, mode: 'augment', count: 4, augment: { flip: true, rotationDeg: 15 } });
    expect(aug.images).toHaveLength(4);
  });

  it('imports text datasets, refusing files that are not UTF-8', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'names.txt'), 'apple\nbanana\ncuraçao\n');
    fs.writeFileSync(path.join(dir, 'notes.md'), '# Notes\nsome text');
    fs.writeFileSync(path.join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const s = service;
    const p = await s.call('projects.create', { name: 'T' });
    const { datasetId, report } = await importAndWait(s, { projectId: p.id, paths: [path.join(dir, 'names.txt'), path.join(dir, 'notes.md'), path.join(dir, 'latin1.txt')] });
    expect((await s.call('datasets.get', { id: datasetId })).kind).toBe('text');
    expect(report.imported).toBe(2);
    expect(report.skipped).toEqual([{ path: 'latin1.txt', reason: 'invalid_utf8', detail: expect.any(String) }]);
    const { items } = await s.call('datasets.items', { datasetId });
    expect(items.every((i) => i.mime === 'text/plain' && i.thumb === null)).toBe(true);
  });
});
