import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CSP } from '../../../src/shared/csp';

/**
 * The page declares its icon inline, so browsers never ask the web host for /favicon.ico (a 404 on every
 * load before). It must be a real image and allowed by both content security policies.
 */
const html = fs.readFileSync(path.resolve('src/renderer/index.html'), 'utf8');

describe('the studio page’s icon', () => {
  const link = /<link\s+rel="icon"[^>]*href="([^"]+)"/.exec(html);

  it('is declared, inline', () => {
    expect(link).not.toBeNull();
    expect(link![1]).toMatch(/^data:image\/svg\+xml,/);
  });

  it('is an image that renders', async () => {
    const svg = decodeURIComponent(link![1]!.slice('data:image/svg+xml,'.length));
    const { width, height } = await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true }).then((r) => r.info);
    expect([width, height]).toEqual([32, 32]);
  });

  it('is allowed by the page’s CSP and the web host’s', () => {
    const imgSrc = (policy: string) => policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('img-src'))!.split(/\s+/);
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)![1]!;
    expect(imgSrc(meta)).toContain('data:');
    expect(imgSrc(CSP)).toContain('data:');
  });
});
