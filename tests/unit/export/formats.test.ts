import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import UPNG from 'upng-js';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp';
import { makeFixture, spritePng, type Fixture } from './fixtures';
import { exportGenerations, exportTimeline } from '../../../src/main/export/exporter';
import { readPngText } from '../../../src/main/export/png-metadata';
import { apngInfo } from '../../../src/main/export/animation';
import { traceToSvg } from '../../../src/main/export/svg-trace';
import { unzipEntries } from '../../../src/main/export/pack';
import type { Atlas } from '../../../src/main/export/sheet';

let fx: Fixture | undefined;
afterEach(() => {
  fx?.db.close();
  fx = undefined;
});

async function setup() {
  const dataDir = tempDir();
  fx = await makeFixture(dataDir);
  return { fx, env: { db: fx.db, dataDir, appVersion: '0.1.0' }, out: path.join(tempDir(), 'out') };
}

describe('PNG with metadata', () => {
  it('writes an A1111 parameters chunk, the provenance JSON and an XMP packet', async () => {
    const { fx, env, out } = await setup();
    const r = await exportGenerations(env, out, { ids: fx.generationIds.slice(0, 2), format: 'png' });
    expect(r.files.map((f) => f.name)).toEqual([`${fx.generationIds[0]}-red-fox-0-pixel-art-seed100.png`, `${fx.generationIds[1]}-chat-souriant-unicode-seed101.png`]);
    const texts = readPngText(fs.readFileSync(r.files[0]!.path));
    const params = texts.find((t) => t.keyword === 'parameters')!;
    expect(params.type).toBe('tEXt');
    expect(params.text).toBe('red fox 0, pixel art\nSteps: 1200, Sampler: Atelier default, Seed: 100, Size: 32x32, Model hash: a1b2c3d4, Model: Pixel pets v1, Truncation: 0.8');
    const prov = JSON.parse(texts.find((t) => t.keyword === 'atelier')!.text);
    expect(prov).toMatchObject({ app: 'Atelier', seed: 100, prompt: 'red fox 0, pixel art', model: { name: 'Pixel pets v1', family: 'default' }, checkpoint: { step: 1200 } });
    expect(prov.dataset.attribution).toContain('CC-BY 4.0');
    expect(prov.lineage[0]).toMatchObject({ modelName: 'Base faces', step: 5000 });
    const xmp = texts.find((t) => t.keyword === 'XML:com.adobe.xmp')!;
    expect(xmp.type).toBe('iTXt');
    expect(xmp.text).toContain('<?xpacket begin=');
    expect(xmp.text).toContain('<dc:title><rdf:Alt><rdf:li xml:lang="x-default">red fox 0, pixel art</rdf:li>');
    expect(xmp.text).toContain('xmp:CreatorTool="Atelier 0.1.0"');
    expect(xmp.text).toContain('atelier:Seed="100"');
    expect(xmp.text).toContain('<atelier:Provenance>{&quot;app&quot;:&quot;Atelier&quot;');
    // Non-Latin-1 prompts go into an iTXt "parameters" (UTF-8), as A1111 does.
    const uni = readPngText(fs.readFileSync(r.files[1]!.path)).find((t) => t.keyword === 'parameters')!;
    expect(uni.type).toBe('iTXt');
    expect(uni.text.split('\n')[0]).toBe('chat souriant — ünïcode ✨');
    // The pixels are untouched.
    const a = await sharp(r.files[0]!.path).ensureAlpha().raw().toBuffer();
    const b = await sharp(await spritePng(0)).ensureAlpha().raw().toBuffer();
    expect(a.equals(b)).toBe(true);
  });

  it('JPEG and WebP carry EXIF and XMP; WebP keeps alpha', async () => {
    const { fx, env, out } = await setup();
    const jpeg = await exportGenerations(env, out, { ids: [fx.generationIds[0]!], format: 'jpeg' });
    const jm = await sharp(jpeg.files[0]!.path).metadata();
    expect(jm.format).toBe('jpeg');
    expect(jm.exif!.toString('latin1')).toContain('Seed: 100');
    expect(jm.xmpAsString).toContain('atelier:Seed="100"');
    const webp = await exportGenerations(env, out, { ids: [fx.generationIds[0]!], format: 'webp' });
    const wm = await sharp(webp.files[0]!.path).metadata();
    expect(wm.format).toBe('webp');
    expect(wm.hasAlpha).toBe(true);
    expect(wm.exif!.toString('latin1')).toContain('Model hash: a1b2c3d4');
    expect(wm.xmpAsString).toContain('Pixel pets v1');
  });

  it('resizes 4× with nearest neighbour for pixel art, keeping transparency; exact sizes fit inside', async () => {
    const { fx, env, out } = await setup();
    const r = await exportGenerations(env, out, { ids: [fx.generationIds[0]!], format: 'png', scale: 4 });
    const { data, info } = await sharp(r.files[0]!.path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([128, 128]);
    const src = await sharp(await spritePng(0)).ensureAlpha().raw().toBuffer();
    // Every output pixel equals its source pixel exactly (nearest), alpha included.
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) {
      const o = (y * 128 + x) * 4;
      const s = (Math.floor(y / 4) * 32 + Math.floor(x / 4)) * 4;
      if (data[o + 3] !== src[s + 3] || data[o] !== src[s]) throw new Error(`pixel ${x},${y} differs`);
    }
    expect(data[3]).toBe(0);
    const lanczos = await exportGenerations(env, out, { ids: [fx.generationIds[0]!], format: 'png', width: 100, height: 50, resample: 'lanczos' });
    const m = await sharp(lanczos.files[0]!.path).metadata();
    expect([m.width, m.height, m.hasAlpha]).toEqual([100, 50, true]);
  });
});

describe('sprite sheet + atlas', () => {
  it('every frame lies inside the sheet, frames do not overlap, padding is kept, pixels match', async () => {
    const { fx, env, out } = await setup();
    const r = await exportGenerations(env, out, { ids: fx.generationIds, format: 'sheet', padding: 3, scale: 2 });
    const sheet = r.files.find((f) => f.name.endsWith('.png'))!;
    const atlas = JSON.parse(fs.readFileSync(r.files.find((f) => f.name.endsWith('.json'))!.path, 'utf8')) as Atlas;
    const meta = await sharp(sheet.path).metadata();
    expect(atlas.meta).toMatchObject({ app: 'Atelier', image: sheet.name, format: 'RGBA8888', size: { w: meta.width, h: meta.height }, scale: '1' });
    const frames = Object.entries(atlas.frames);
    expect(frames).toHaveLength(fx.generationIds.length);
    for (const [, f] of frames) {
      expect(f.frame.x).toBeGreaterThanOrEqual(3);
      expect(f.frame.y).toBeGreaterThanOrEqual(3);
      expect(f.frame.x + f.frame.w).toBeLessThanOrEqual(meta.width! - 3);
      expect(f.frame.y + f.frame.h).toBeLessThanOrEqual(meta.height! - 3);
      expect([f.frame.w, f.frame.h]).toEqual([64, 64]);
      expect(f).toMatchObject({ rotated: false, trimmed: false, spriteSourceSize: { x: 0, y: 0, w: 64, h: 64 }, sourceSize: { w: 64, h: 64 } });
    }
    for (let i = 0; i < frames.length; i++)
      for (let j = i + 1; j < frames.length; j++) {
        const a = frames[i]![1].frame;
        const b = frames[j]![1].frame;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${frames[i]![0]} overlaps ${frames[j]![0]}`).toBe(false);
        // At least `padding` pixels apart on one axis.
        expect(Math.max(b.x - (a.x + a.w), a.x - (b.x + b.w), b.y - (a.y + a.h), a.y - (b.y + b.h))).toBeGreaterThanOrEqual(3);
      }
    // The frame's pixels are the 2× (nearest) source image.
    const [name, f] = frames[0]!;
    expect(name).toBe(`${fx.generationIds[0]}-red-fox-0-pixel-art-seed100`);
    const crop = await sharp(sheet.path).extract({ left: f.frame.x, top: f.frame.y, width: f.frame.w, height: f.frame.h }).ensureAlpha().raw().toBuffer();
    const want = await sharp(await spritePng(0)).resize(64, 64, { kernel: 'nearest' }).ensureAlpha().raw().toBuffer();
    expect(crop.equals(want)).toBe(true);
  });
});

describe('SVG tracing', () => {
  it('an icon traced to SVG and rasterised again matches the source alpha mask (IoU > 0.9)', async () => {
    const icon = await sharp(
      Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="26" fill="#f4c542"/>
        <circle cx="23" cy="26" r="5" fill="#222"/><circle cx="41" cy="26" r="5" fill="#222"/><rect x="20" y="40" width="24" height="5" fill="#c0392b"/></svg>`),
    )
      .png()
      .toBuffer();
    const svg = await traceToSvg(icon, null, { colors: 4 });
    expect(svg).toMatch(/^<\?xml[^]*<svg[^>]*viewBox="0 0 64 64"/);
    expect((svg.match(/<path /g) ?? []).length).toBeGreaterThanOrEqual(3);
    const back = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([back.info.width, back.info.height]).toEqual([64, 64]);
    const src = await sharp(icon).ensureAlpha().raw().toBuffer();
    let inter = 0;
    let union = 0;
    for (let i = 0; i < 64 * 64; i++) {
      const a = src[i * 4 + 3]! >= 128;
      const b = back.data[i * 4 + 3]! >= 128;
      if (a && b) inter++;
      if (a || b) union++;
    }
    expect(inter / union).toBeGreaterThan(0.9);
    // Deterministic: the same image gives the same SVG.
    expect(await traceToSvg(icon, null, { colors: 4 })).toBe(svg);
  });

  it('exports one SVG per generation with the provenance inside', async () => {
    const { fx, env, out } = await setup();
    const r = await exportGenerations(env, out, { ids: fx.generationIds.slice(0, 2), format: 'svg', colors: 3 });
    const svg = fs.readFileSync(r.files[0]!.path, 'utf8');
    expect(svg).toContain('<title>red fox 0, pixel art</title>');
    expect(svg).toContain('<metadata id="atelier-provenance">');
  });
});

describe('animations', () => {
  it('GIF, APNG and animated WebP have one frame per generation', async () => {
    const { fx, env, out } = await setup();
    const gif = await exportGenerations(env, out, { ids: fx.generationIds, format: 'gif', fps: 5 });
    const gm = await sharp(gif.files[0]!.path, { animated: true }).metadata();
    expect([gm.format, gm.pages, gm.loop]).toEqual(['gif', fx.generationIds.length, 0]);
    expect(gm.delay).toEqual(Array(fx.generationIds.length).fill(200));

    const apng = await exportGenerations(env, out, { ids: fx.generationIds, format: 'apng', loop: 3, scale: 2 });
    const bytes = fs.readFileSync(apng.files[0]!.path);
    expect(apngInfo(bytes)).toEqual({ declaredFrames: fx.generationIds.length, fctl: fx.generationIds.length, plays: 3 });
    const decoded = UPNG.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    expect([decoded.width, decoded.height, decoded.frames.length]).toEqual([64, 64, fx.generationIds.length]);
    // sharp reads the (static) default image: the file is a valid PNG too.
    expect((await sharp(bytes).metadata()).format).toBe('png');

    const webp = await exportGenerations(env, out, { ids: fx.generationIds, format: 'webp-animated' });
    const wm = await sharp(webp.files[0]!.path, { animated: true }).metadata();
    expect([wm.format, wm.pages]).toEqual(['webp', fx.generationIds.length]);
  });

  it("a training timeline animates the run's sample grids in step order", async () => {
    const { fx, env, out } = await setup();
    const r = await exportTimeline(env, out, { runId: fx.runId, format: 'gif' });
    const m = await sharp(r.files[0]!.path, { animated: true }).metadata();
    expect(m.pages).toBe(3);
    expect(m.delay![2]).toBeGreaterThan(m.delay![0]!);
    expect(r.files[0]!.name).toBe(`pets-run-${fx.runId}-timeline.gif`);
  });
});

describe('ZIP asset pack', () => {
  it('holds the images, a sheet + atlas and a manifest with prompts, seeds, model, attribution and lineage', async () => {
    const { fx, env, out } = await setup();
    const r = await exportGenerations(env, out, { ids: fx.generationIds, format: 'zip', packSheet: true });
    expect(r.files).toHaveLength(1);
    const entries = await unzipEntries(fs.readFileSync(r.files[0]!.path), { maxEntries: 100, maxEntryBytes: 1e8, maxTotalBytes: 1e9 });
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest).toMatchObject({ format: 'atelier-asset-pack', version: 1, app: 'Atelier' });
    const images = manifest.files.filter((f: { generationId: number | null }) => f.generationId !== null);
    expect(images.map((f: { seed: number }) => f.seed)).toEqual([100, 101, 102, 103]);
    expect(images[0]).toMatchObject({ prompt: 'red fox 0, pixel art', model: 'Pixel pets v1', step: 1200, width: 32, height: 32 });
    for (const f of manifest.files) expect(entries.has(f.file), f.file).toBe(true);
    expect([...entries.keys()].sort()).toEqual([...manifest.files.map((f: { file: string }) => f.file), 'manifest.json'].sort());
    expect(manifest.attribution.map((a: { text: string }) => a.text)).toEqual(
      expect.arrayContaining(['Twemoji by Twitter, Inc and other contributors, CC-BY 4.0', 'Base model trained on Twemoji (CC-BY 4.0)']),
    );
    expect(manifest.models[0]).toMatchObject({ name: 'Pixel pets v1', family: 'default', step: 1200 });
    expect(manifest.models[0].lineage[0]).toMatchObject({ modelName: 'Base faces', checkpointSha256: 'b'.repeat(64) });
    // Images inside the pack carry their metadata too.
    const first = entries.get(images[0].file)!;
    expect(readPngText(first).some((t) => t.keyword === 'parameters')).toBe(true);
  });
});
