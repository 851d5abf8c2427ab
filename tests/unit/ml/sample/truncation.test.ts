import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSampler } from '../../../../src/main/ml/sample/sampler';
import type { PixelImage } from '../../../../src/main/ml/sample/images';
import { EMPTY_CONTENT, decodeKeepingContent, imageContent, truncateLatent } from '../../../../src/main/ml/sample/truncation';
import { Rng } from '../../../../src/main/ml/rng';
import { useTestBackend } from '../train/helpers';

const ROOT = path.resolve(__dirname, '../../../..');
const norm = (v: Float32Array) => Math.sqrt(v.reduce((a, b) => a + b * b, 0));
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b));

/** An RGBA image whose first `drawn` pixels are opaque. */
function rgba(drawn: number, side = 4): PixelImage {
  const pixels = new Uint8Array(side * side * 4);
  for (let i = 0; i < drawn; i++) pixels.set([200, 100, 50, 255], i * 4);
  return { pixels, width: side, height: side, channels: 4 };
}

describe('truncation towards a data-supported centre', () => {
  it('measures what an image shows: coverage for RGBA, contrast for grey and RGB', () => {
    expect(imageContent(rgba(0))).toBe(0);
    expect(imageContent(rgba(8))).toBe(0.5);
    const flat = { pixels: new Uint8Array(16 * 3).fill(90), width: 4, height: 4, channels: 3 };
    expect(imageContent(flat)).toBe(0);
    const checker = { pixels: Uint8Array.from({ length: 16 }, (_, i) => (i % 2 ? 255 : 0)), width: 4, height: 4, channels: 1 };
    expect(imageContent(checker)).toBeCloseTo(0.5, 5);
  });

  it('moves a latent along the shell: ψ 1 keeps it, ψ → 0 reaches the centre, the norm never collapses', () => {
    const d = 64;
    const rng = new Rng(5);
    const centre = rng.normals(d);
    const z = rng.normals(d);
    expect(Array.from(truncateLatent(z, 1, centre))).toEqual(Array.from(z));
    expect(cos(truncateLatent(z, 1e-6, centre), centre)).toBeCloseTo(1, 4);
    const lo = Math.min(norm(z), norm(centre));
    let last = cos(z, centre);
    for (const psi of [0.9, 0.7, 0.5, 0.3, 0.1]) {
      const t = truncateLatent(z, psi, centre);
      // Scaling towards 0 (the old rule) would give ψ·|z|; here the norm stays on the shell.
      expect(norm(t)).toBeGreaterThan(0.99 * lo);
      const c = cos(t, centre);
      expect(c).toBeGreaterThan(last);
      last = c;
    }
  });

  it('draws a thin image again closer to the centre, only where allowed, and flags what stays empty', () => {
    // A fake model: an image shows as much as its latent points towards the centre (first value).
    const d = 2;
    const centre = Float32Array.from([1, 0]);
    const decode = (z: Float32Array) => Array.from({ length: z.length / d }, (_, i) => rgba(Math.round(16 * Math.max(0, z[i * d]!))));
    const raw = [Float32Array.from([0.05, 1]), Float32Array.from([1, 0.1]), Float32Array.from([-1, 0.01])];
    const build = (i: number, psi: number) => truncateLatent(raw[i]!, psi, centre);
    const kept = decodeKeepingContent(3, d, 0.8, build, decode, 0.5, (i) => i !== 2);
    expect(kept.psis[0]).toBeLessThan(0.8); // thin: redrawn nearer the centre until it shows enough
    expect(imageContent(kept.images[0]!)).toBeGreaterThanOrEqual(0.5);
    expect(kept.psis[1]).toBe(0.8); // full already
    expect(kept.psis[2]).toBe(0.8); // not allowed (a stored latent): left as it is, flagged empty
    expect(kept.empty).toEqual([false, false, true]);
    expect(Array.from(kept.latents.subarray(0, d))).toEqual(Array.from(build(0, kept.psis[0]!)));
    // ψ = 1 (no truncation asked) never redraws; an empty image is still flagged.
    const plain = decodeKeepingContent(3, d, 1, (i) => raw[i]!, decode, 0.5);
    expect(plain.psis).toEqual([1, 1, 1]);
    expect(plain.empty).toEqual([imageContent(decode(raw[0]!)[0]!) < EMPTY_CONTENT, false, true]);
  });
});

/** Every shipped base model (32 and 64 px): each must keep its images at ψ = 0.5. */
const SHIPPED_BASES = (JSON.parse(fs.readFileSync(path.join(ROOT, 'resources/models/index.json'), 'utf8')) as { models: Array<{ id: string; file: string }> }).models;

describe.each(SHIPPED_BASES)('ψ = 0.5 keeps images (the shipped RGBA base $id on its own kind of data)', (base) => {
  const basePath = path.join(ROOT, 'resources/models', base.file);
  beforeAll(async () => {
    await useTestBackend();
  });

  it('makes no more near-empty images (alpha or contrast below the data’s 1st percentile) than the data has', async () => {
    const g = await loadSampler(basePath);
    try {
      // The data: the built-in Twemoji sample, prepared at the model's size and channels.
      const root = path.join(ROOT, 'resources/samples/twemoji-faces-animals-food');
      const files = fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.png'));
      const data: number[] = [];
      for (const f of files) {
        const img = sharp(path.join(f.parentPath, f.name)).resize(g.size, g.size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } });
        const { data: px, info } = await (g.channels === 4 ? img.ensureAlpha() : img.removeAlpha()).raw().toBuffer({ resolveWithObject: true });
        data.push(imageContent({ pixels: px, width: info.width, height: info.height, channels: info.channels }));
      }
      data.sort((a, b) => a - b);
      const p1 = data[Math.floor(0.01 * data.length)]!;
      const dataShare = data.filter((c) => c < p1).length / data.length;

      const count = 96;
      const out = g.sample({ seed: 7, count, truncation: 0.5 });
      const share = out.images.filter((im) => imageContent(im) < p1).length / count;
      expect(files.length).toBeGreaterThan(100);
      expect(share).toBeLessThanOrEqual(dataShare);
      expect(out.empty.every((e) => !e)).toBe(true);
    } finally {
      g.dispose();
    }
  });
});
