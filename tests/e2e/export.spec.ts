import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test, expect } from './support/studio';
import { makeFixture } from '../unit/export/fixtures';
import { readPngText } from '../../src/main/export/png-metadata';

/**
 * Export from the Export view through the web host: generations are inserted straight into the catalog
 * (as the Create capability would leave them), exported as a sprite sheet and as 2× PNGs, and downloaded
 * the way a browser user gets them. The CLI exports the same generations as a ZIP pack.
 */
test('export: pick generations, export a sprite sheet and PNGs with metadata, download; the CLI exports a zip', async ({ studio }) => {
  test.skip(studio.door !== 'web', 'Downloads are the browser path; the desktop app reveals/copies/drags instead.');
  const fx = await makeFixture(studio.dataDir, 6);
  fx.db.close();
  const page = studio.page;
  await page.reload();
  await page.getByTestId('project-open').click();
  await page.getByTestId('nav-export').click();
  await expect(page).toHaveURL(/#\/p\/1\/export$/);
  await expect(page.getByTestId('export-item')).toHaveCount(6);

  // Sprite sheet of four, picked in order.
  const items = page.getByTestId('export-item');
  for (const i of [0, 1, 2, 3]) await items.nth(i).click();
  await expect(page.getByTestId('export-selected-count')).toHaveText('4 of 6 selected');
  await page.getByTestId('export-format').selectOption('sheet');
  await page.getByTestId('export-scale-2').click();
  await page.getByTestId('export-padding').fill('4');
  await page.getByTestId('export-run').click();
  const results = page.getByTestId('export-results');
  await expect(results.getByTestId('export-file')).toHaveCount(2);
  await expect(results).toContainText('-sheet.png');
  await expect(results).toContainText('-sheet.json');
  await expect(results).toContainText('need the desktop app');

  const [download] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-download').first().click()]);
  const sheetFile = path.join(os.tmpdir(), `atelier-e2e-sheet-${process.pid}.png`);
  await download.saveAs(sheetFile);
  const meta = await sharp(sheetFile).metadata();
  expect(meta.format).toBe('png');
  // 2 columns × 64 px + 3 × 4 px padding.
  expect([meta.width, meta.height]).toEqual([140, 140]);
  fs.rmSync(sheetFile, { force: true });
  await studio.screenshot('export-sheet');

  // All six as 2× PNG with metadata.
  await page.getByTestId('export-select-all').click();
  await page.getByTestId('export-format').selectOption('png');
  await page.getByTestId('export-run').click();
  await expect(results.getByTestId('export-file')).toHaveCount(6);
  const [png] = await Promise.all([page.waitForEvent('download'), results.getByTestId('export-download').first().click()]);
  const pngFile = path.join(os.tmpdir(), `atelier-e2e-png-${process.pid}.png`);
  await png.saveAs(pngFile);
  const texts = readPngText(fs.readFileSync(pngFile));
  expect(texts.find((t) => t.keyword === 'parameters')?.text).toMatch(/\nSteps: 1200, Sampler: Atelier default, Seed: 10\d, Size: 32x32, Model hash: a1b2c3d4, Model: Pixel pets v1/);
  expect(texts.some((t) => t.keyword === 'XML:com.adobe.xmp')).toBe(true);
  expect((await sharp(pngFile).metadata()).width).toBe(64);
  fs.rmSync(pngFile, { force: true });

  // Training timeline from the run's sample grids.
  await page.getByTestId('timeline-export').click();
  await expect(results).toContainText('timeline.gif');
  await studio.screenshot('export');

  // The CLI sees the same catalog.
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-zip-'));
  const stdout = await studio.cli('export', '--ids', fx.generationIds.slice(0, 3).join(','), '--format', 'zip', '--out', out, '--json');
  const last = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(last.files).toHaveLength(1);
  expect(last.files[0]).toMatch(/\.zip$/);
  expect(fs.existsSync(last.files[0])).toBe(true);
  fs.rmSync(out, { recursive: true, force: true });
});
