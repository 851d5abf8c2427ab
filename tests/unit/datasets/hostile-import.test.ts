/**
 * The import engine against a folder built to hurt it, through the CLI in a child process (so its peak
 * memory is its own): every bad file is reported with its reason, every good one imported, memory stays
 * bounded, and no SVG reaches outside its own bytes.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp';
import { lastJson, makeZip, noise, noisePng, pngDeclaring, runCli, writeNoiseImages } from './support';

interface ImportOut {
  datasetId: number;
  imported: number;
  duplicates: number;
  alreadyPresent: number;
  skipped: Array<{ path: string; reason: string; detail: string }>;
  warnings: Array<{ path: string; message: string }>;
  nearDuplicates: unknown[];
  status: string;
  elapsedMs: number;
  peakRssMb: number;
}

describe('hostile import', () => {
  it('reports every bad file with its reason, imports every good one, and stays under 1 GiB', async () => {
    const base = tempDir('atelier-hostile-');
    const root = path.join(base, 'hostile');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(root, { recursive: true });
    fs.mkdirSync(outside, { recursive: true });

    // A local server that must never be contacted by the SVG rasteriser.
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;

    try {
      // 1,000 small valid images in four label folders.
      const good = await writeNoiseImages(root, 1000, 16);
      // One of each other format (distinct content).
      const raw = (seed: number) => sharp(noise(seed, 24 * 24 * 3), { raw: { width: 24, height: 24, channels: 3 } });
      fs.writeFileSync(path.join(root, 'photo.jpg'), await raw(5001).jpeg().toBuffer());
      fs.writeFileSync(path.join(root, 'pic.webp'), await raw(5002).webp({ lossless: true }).toBuffer());
      fs.writeFileSync(path.join(root, 'anim.gif'), await raw(5003).gif().toBuffer());
      fs.writeFileSync(path.join(root, 'scan.tiff'), await raw(5004).tiff().toBuffer());
      fs.writeFileSync(path.join(root, 'modern.avif'), await raw(5005).avif({ effort: 0 }).toBuffer());

      // The hostile ones.
      const big = await noisePng(9001, 64);
      fs.writeFileSync(path.join(root, 'truncated.png'), big.subarray(0, Math.floor(big.length / 2)));
      fs.writeFileSync(path.join(root, 'bomb.png'), pngDeclaring(30000, 30000));
      fs.writeFileSync(path.join(root, 'empty.png'), Buffer.alloc(0));
      fs.writeFileSync(path.join(root, 'notes.png'), 'This is a text file wearing a .png extension.\n');
      fs.writeFileSync(path.join(root, 'tiny.png'), await noisePng(9002, 4));
      fs.writeFileSync(
        path.join(root, 'hostile.svg'),
        `<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="32" height="32" onload="alert(1)">
  <script>fetch('http://127.0.0.1:${port}/script')</script>
  <rect width="32" height="32" fill="#3a8"/>
  <image href="http://127.0.0.1:${port}/href.png" width="32" height="32"/>
  <image xlink:href="file:///etc/passwd" width="32" height="32"/>
  <use xlink:href="http://127.0.0.1:${port}/use.svg#x"/>
  <rect width="8" height="8" style="fill: url(http://127.0.0.1:${port}/css.svg#p)"/>
</svg>`,
      );
      fs.writeFileSync(path.join(outside, 'secret.png'), await noisePng(9003, 16));
      fs.symlinkSync(path.join(outside, 'secret.png'), path.join(root, 'escape.png'));
      fs.writeFileSync(
        path.join(root, 'archive.zip'),
        await makeZip([
          { name: 'inside/ok.png', data: await noisePng(9004, 16) },
          { name: '../evil.png', data: await noisePng(9005, 16) },
          { name: 'inside/bomb.bin', data: Buffer.alloc(64 * 1024 * 1024) },
        ]),
      );

      const data = path.join(base, 'data');
      const created = await runCli(['projects', 'create', 'Hostile', '--json'], data);
      expect(created.code, created.stderr).toBe(0);
      const r = await runCli(['import', root, '--project', 'Hostile', '--json'], data);
      expect(r.code, r.stderr).toBe(0);
      const out = lastJson<ImportOut>(r.stdout);
      const reasons = Object.fromEntries(out.skipped.map((s) => [s.path, s.reason]));
      console.log(`hostile import: ${out.imported} imported in ${out.elapsedMs} ms (${((1000 * out.imported) / out.elapsedMs).toFixed(0)} files/s), peak RSS ${out.peakRssMb} MB`);

      expect(reasons).toEqual({
        'hostile/truncated.png': 'truncated',
        'hostile/bomb.png': 'over_pixel_limit',
        'hostile/empty.png': 'empty',
        'hostile/notes.png': 'wrong_type',
        'hostile/tiny.png': 'too_small',
        'hostile/escape.png': 'escapes_root',
        'hostile/archive.zip:../evil.png': 'escapes_root',
        'hostile/archive.zip:inside/bomb.bin': 'archive_limit',
      });
      // 1,000 noise PNGs + 5 other formats + the cleaned SVG + the good zip entry.
      expect(out.imported).toBe(1000 + 5 + 1 + 1);
      expect(out.duplicates).toBe(0);
      expect(out.status).toBe('done');
      expect(out.warnings.some((w) => w.path === 'hostile/hostile.svg' && /script/.test(w.message) && /external reference/.test(w.message))).toBe(true);
      expect(hits).toBe(0);
      expect(out.peakRssMb).toBeLessThan(1024);

      const db = new Database(path.join(data, 'catalog.db'), { readonly: true });
      try {
        const names = new Set((db.prepare('SELECT original_name AS n FROM item').all() as Array<{ n: string }>).map((x) => x.n));
        for (const rel of good) expect(names.has(`hostile/${rel}`)).toBe(true);
        for (const n of ['hostile/photo.jpg', 'hostile/pic.webp', 'hostile/anim.gif', 'hostile/scan.tiff', 'hostile/modern.avif', 'hostile/hostile.svg', 'hostile/archive.zip:inside/ok.png']) {
          expect(names.has(n), n).toBe(true);
        }
        const labels = db.prepare('SELECT label, count(*) AS n FROM item WHERE label IS NOT NULL GROUP BY label ORDER BY label').all();
        expect(labels).toEqual([
          { label: 'a', n: 250 },
          { label: 'b', n: 250 },
          { label: 'c', n: 250 },
          { label: 'd', n: 250 },
        ]);
        // The stored SVG has nothing left that points outside itself.
        const svg = db.prepare("SELECT file FROM item WHERE mime = 'image/svg+xml'").get() as { file: string };
        const text = fs.readFileSync(path.join(data, svg.file), 'utf8');
        expect(text).not.toMatch(/<script|onload|127\.0\.0\.1|file:/i);
      } finally {
        db.close();
      }
    } finally {
      server.close();
    }
  });
});
