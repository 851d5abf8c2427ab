/**
 * Issue 16: a 2 KB SVG of nested <use> took about 20 s to import before librsvg gave up, and one with a
 * blurred rectangle drawn 4,096 times rasterised for minutes. The work of drawing an SVG is now measured
 * before rasterising and bounded; such files are skipped with a typed reason, ordinary SVGs import.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../src/main/service';
import { checkSvgWork, SVG_LIMITS } from '../../../src/main/datasets/svg';
import { tempDir } from '../support/tmp';

let service: Service | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="512" height="512">';

/** Level i draws level i-1 `fan` times: fan^levels instances of the first element. */
function nested(first: string, levels: number, fan: number, groupAttrs = ''): string {
  let s = `${HEAD}<defs>${first.replace('<rect', '<rect id="l0"')}`;
  for (let i = 1; i <= levels; i++) s += `<g id="l${i}"${groupAttrs}>${`<use xlink:href="#l${i - 1}"/>`.repeat(fan)}</g>`;
  return `${s}</defs><use xlink:href="#l${levels}"/></svg>`;
}

const BOMBS: Record<string, { svg: string; reason: string; detail: RegExp }> = {
  'uses.svg': { svg: nested('<rect width="1" height="1"/>', 7, 10), reason: 'too_large', detail: /elements once <use>/ },
  'blurs.svg': {
    svg: nested('<rect width="512" height="512" filter="url(#f)"/>', 4, 8).replace('<defs>', '<defs><filter id="f"><feGaussianBlur stdDeviation="40"/></filter>'),
    reason: 'too_large',
    detail: /filter runs/,
  },
  'layers.svg': { svg: nested('<rect width="512" height="512" fill="red"/>', 5, 8, ' opacity="0.9"'), reason: 'too_large', detail: /composited layers/ },
  'loop.svg': { svg: `${HEAD}<g id="a"><use xlink:href="#b"/></g><g id="b"><use xlink:href="#a"/></g></svg>`, reason: 'corrupt', detail: /loop/ },
  'markers.svg': {
    svg: `${HEAD}<defs><marker id="m">${'<circle r="1"/>'.repeat(200)}</marker></defs><path marker-mid="url(#m)" d="M0 0 ${'L1 1 '.repeat(2000)}"/></svg>`,
    reason: 'too_large',
    detail: /elements/,
  },
};

const GOOD = `${HEAD}<defs><filter id="f"><feGaussianBlur stdDeviation="2"/></filter><circle id="dot" r="20" fill="teal"/></defs>
<rect width="512" height="512" fill="#fed"/><g opacity="0.8" filter="url(#f)"><use xlink:href="#dot" x="100" y="100"/><use xlink:href="#dot" x="300" y="200"/></g>
${Array.from({ length: 500 }, (_, i) => `<polygon points="${i},0 ${i + 10},40 ${i},80" fill="#${(i * 997).toString(16).padStart(6, '0').slice(-6)}" opacity="0.5"/>`).join('')}</svg>`;

describe('SVG work bound', () => {
  it('measures what drawing would cost, counting every instance', () => {
    expect(Buffer.byteLength(BOMBS['uses.svg']!.svg)).toBeLessThan(2500);
    expect(() => checkSvgWork(BOMBS['uses.svg']!.svg)).toThrow(/elements/);
    const good = checkSvgWork(GOOD);
    expect(good.elements).toBeLessThan(SVG_LIMITS.elements);
    // One filtered, translucent group; the 500 translucent shapes draw straight onto the canvas.
    expect(good).toMatchObject({ filters: 1, layers: 1 });
  });

  it('skips SVGs that would take too long to draw, with a typed reason, and imports the rest', async () => {
    const dir = tempDir('svg-');
    const src = path.join(dir, 'svgs');
    fs.mkdirSync(src);
    for (const [name, b] of Object.entries(BOMBS)) fs.writeFileSync(path.join(src, name), b.svg);
    fs.writeFileSync(path.join(src, 'good.svg'), GOOD);
    service = createService({ dataDir: path.join(dir, 'data'), door: 'direct' });
    const s = service;
    const p = await s.call('projects.create', { name: 'Svg' });
    const { jobId } = await s.call('datasets.import', { projectId: p.id, paths: [src] });
    expect((await s.ctx.jobs.get(jobId)?.done)?.status).toBe('done');
    const report = (await s.call('datasets.importReport', { jobId }))!;
    expect(report.imported).toBe(1);
    for (const [name, b] of Object.entries(BOMBS)) {
      const skipped = report.skipped.find((x) => x.path === `svgs/${name}`);
      expect(skipped, name).toBeDefined();
      expect(skipped!.reason, name).toBe(b.reason);
      expect(skipped!.detail, name).toMatch(b.detail);
    }
  });
});
