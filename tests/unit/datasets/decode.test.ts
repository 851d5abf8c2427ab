import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { cleanImage, decodeImage, removedWarning, SkipError } from '../../../src/main/datasets/decode';
import { createService, type Service } from '../../../src/main/service';
import { ImportReport } from '../../../src/shared/contract';
import { tempDir } from '../support/tmp';
import { noisePng } from './support';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const DAMAGED_PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 0x5a)]);

/** A refused image says why in plain words; the decoder's own message is kept apart, for bug reports. */
async function refusal(bytes: Buffer, ext: string): Promise<SkipError> {
  const err = await decodeImage(bytes, ext).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SkipError);
  return err as SkipError;
}

describe('decodeImage refusals', () => {
  it('a damaged PNG: plain words in detail, the library message in technical', async () => {
    const e = await refusal(DAMAGED_PNG, '.png');
    expect(e.reason).toBe('corrupt');
    expect(e.detail).toBe('the image data is damaged, so it cannot be opened');
    expect(e.technical).toBeTruthy();
    expect(e.detail).not.toContain(e.technical!);
    expect(e.detail).not.toMatch(/buffer|header|vips|libpng|:/i);
  });

  it('a PNG cut short: incomplete, in plain words, with the technical message kept', async () => {
    const whole = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 10, b: 10 } } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const e = await refusal(whole.subarray(0, Math.floor(whole.length / 2)), '.png');
    expect(e.reason).toBe('truncated');
    expect(e.detail).not.toMatch(/buffer|vips|libpng/i);
    expect(e.technical).toBeTruthy();
  });
});

describe('the import report', () => {
  it('carries the plain detail and, apart from it, the technical message', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'good.png'), await noisePng(1, 16));
    fs.writeFileSync(path.join(src, 'broken.png'), DAMAGED_PNG);
    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const p = await service.call('projects.create', { name: 'P' });
    const { jobId } = await service.call('datasets.import', { projectId: p.id, paths: [src] });
    await service.ctx.jobs.get(jobId)?.done;
    const report = (await service.call('datasets.importReport', { jobId }))!;
    expect(ImportReport.safeParse(report).success).toBe(true);
    expect(report.imported).toBe(1);
    expect(report.skipped).toEqual([{ path: 'src/broken.png', reason: 'corrupt', detail: 'the image data is damaged, so it cannot be opened', technical: expect.any(String) }]);
  });
});

describe('SVG cleaning', () => {
  it('happens once: decodeImage keeps the bytes it is handed cleaned, and the removal is reported once', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" onload="x()"><script>1</script><rect width="16" height="16" fill="red"/></svg>');
    const cleaned = cleanImage(svg);
    expect(cleaned.type).toBe('svg');
    expect(cleaned.removed.length).toBeGreaterThan(0);
    const fromCleaned = await decodeImage(cleaned, '.svg');
    expect(fromCleaned.bytes).toBe(cleaned.bytes); // the same buffer: not sniffed and cleaned again
    expect(fromCleaned.warnings).toEqual([]);
    const fromRaw = await decodeImage(svg, '.svg');
    expect(fromRaw.bytes.equals(cleaned.bytes)).toBe(true);
    expect(fromRaw.warnings).toEqual([removedWarning(cleaned.removed)]);
  });
});
