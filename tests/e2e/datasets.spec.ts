import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { test, expect } from './support/studio';

/** A small ImageFolder: two labels of coloured shapes, plus files the import must refuse. */
async function makeFolder(): Promise<string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-pets-'));
  const dir = path.join(root, 'pets');
  const shapes: Record<string, string[]> = {
    cat: ['#e76f51', '#f4a261', '#e9c46a', '#2a9d8f', '#264653', '#d62828'],
    dog: ['#8ecae6', '#219ebc', '#023047', '#ffb703', '#fb8500', '#6a4c93'],
  };
  for (const [label, colours] of Object.entries(shapes)) {
    fs.mkdirSync(path.join(dir, label), { recursive: true });
    for (const [i, c] of colours.entries()) {
      const shape = label === 'cat' ? `<circle cx="32" cy="32" r="${14 + i * 2}" fill="${c}"/>` : `<rect x="${10 + i}" y="${12 + i}" width="${40 - i * 2}" height="${36 - i}" fill="${c}"/>`;
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">${shape}<rect x="${4 * i}" y="2" width="6" height="6" fill="#fff"/></svg>`;
      fs.writeFileSync(path.join(dir, label, `${label}-${i + 1}.png`), await sharp(Buffer.from(svg)).png().toBuffer());
    }
  }
  fs.writeFileSync(path.join(dir, 'cat', 'cat-1.txt'), 'an orange cat\nround, warm');
  fs.writeFileSync(path.join(dir, 'broken.png'), 'not really a png');
  // A PNG signature followed by garbage: the decoder refuses it with a message of its own.
  fs.writeFileSync(path.join(dir, 'damaged.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 0x5a)]));
  fs.writeFileSync(path.join(dir, 'empty.jpg'), '');
  return dir;
}

test('datasets: sample in one click, import a folder, see the report and grid, edit labels, previews, upload', async ({ studio }) => {
  test.skip(studio.door !== 'web', 'Uploads and folder paths are exercised through the web host.');
  const page = studio.page;
  const folder = await makeFolder();

  await page.getByTestId('project-name-input').fill('Pets');
  await page.getByTestId('project-create').click();
  await expect(page).toHaveURL(/#\/p\/1\/datasets$/);

  // Empty state offers the sample prominently; one click adds it, with its attribution shown.
  await expect(page.getByTestId('empty-state')).toContainText('No datasets yet');
  await studio.screenshot('datasets-empty');
  await page.getByTestId('add-sample').click();
  await expect(page.getByTestId('dataset-title')).toHaveText('Twemoji faces, animals & food', { timeout: 60_000 });
  await expect(page.getByTestId('dataset-row')).toContainText(['315 images'], { timeout: 60_000 });
  await expect(page.getByTestId('import-progress')).toHaveCount(0);
  await expect(page.getByTestId('dataset-attribution')).toContainText('CC-BY 4.0');
  await expect(page.getByTestId('dataset-labels')).toContainText('animal');
  await expect(page.getByTestId('item-cell').first()).toBeVisible();
  await expect(page.getByTestId('item-cell').first().locator('img')).toHaveJSProperty('complete', true);
  await studio.screenshot('datasets-sample');
  // Virtualised: far fewer cells in the DOM than the 315 items.
  expect(await page.getByTestId('item-cell').count()).toBeLessThan(200);

  // Import a folder by path.
  await page.getByTestId('import-path').fill(folder);
  await page.getByTestId('import-path-submit').click();
  await expect(page.getByTestId('dataset-title')).toHaveText('pets');
  await expect(page.getByTestId('import-summary')).toContainText('12 imported', { timeout: 60_000 });
  await expect(page.getByTestId('import-skipped')).toContainText('broken.png');
  await expect(page.getByTestId('import-skipped')).toContainText('wrong type behind the extension');
  await expect(page.getByTestId('import-skipped')).toContainText('empty.jpg');
  // Every column has a header; reasons are plain words, the decoder's own message one click away.
  await expect(page.getByTestId('import-skipped').locator('th')).toHaveText(['Not imported', 'Why', 'Details']);
  const damaged = page.getByTestId('skipped-row').filter({ hasText: 'damaged.png' });
  await expect(damaged).toHaveAttribute('data-reason', 'corrupt');
  await expect(damaged.getByTestId('skipped-detail')).toContainText('the image data is damaged, so it cannot be opened');
  await expect(damaged.getByTestId('skipped-technical')).toBeHidden();
  await expect(damaged.getByTestId('skipped-detail')).toHaveAttribute('title', /^Technical detail: ./);
  await expect(page.getByTestId('item-cell')).toHaveCount(12);
  await expect(page.getByTestId('item-label').first()).toHaveText('cat');
  await studio.screenshot('datasets-import-report');

  // Edit one label…
  await page.getByTestId('item-cell').nth(0).click();
  await expect(page.getByTestId('selection-count')).toHaveText('1 selected');
  await expect(page.getByTestId('tag-chip')).toContainText(['round', 'warm']);
  await page.getByTestId('label-input').fill('kitten');
  await page.getByTestId('label-apply').click();
  await expect(page.getByTestId('item-label').nth(0)).toHaveText('kitten');
  // …then several at once (shift-click a range) and tag them.
  await page.getByTestId('item-cell').nth(6).click();
  await page.getByTestId('item-cell').nth(8).click({ modifiers: ['Shift'] });
  await expect(page.getByTestId('selection-count')).toHaveText('3 selected');
  await page.getByTestId('label-input').fill('puppy');
  await page.getByTestId('label-apply').click();
  await page.getByTestId('tag-input').fill('fluffy');
  await page.getByTestId('tag-add').click();
  await expect(page.getByTestId('item-label').nth(6)).toHaveText('puppy');
  await expect(page.getByTestId('item-label').nth(8)).toHaveText('puppy');
  await expect(page.getByTestId('dataset-labels')).toContainText('kitten');
  await expect(page.getByTestId('tag-chip')).toContainText(['fluffy']);
  await studio.screenshot('datasets-labels');

  // The CLI sees the same catalog.
  const shown = JSON.parse((await studio.cli('datasets', 'show', 'pets', '--project', 'Pets', '--json')).trim().split('\n').pop()!) as {
    labels: Array<{ name: string; count: number }>;
    lastImport: { imported: number; skipped: Array<{ reason: string }> };
  };
  expect(shown.labels).toEqual([
    { name: 'cat', count: 5 },
    { name: 'dog', count: 3 },
    { name: 'kitten', count: 1 },
    { name: 'puppy', count: 3 },
  ]);
  expect(shown.lastImport.skipped.map((s) => s.reason).sort()).toEqual(['corrupt', 'empty', 'wrong_type']);

  // Crop and augmentation previews.
  await page.getByTestId('tab-settings').click();
  await expect(page.getByTestId('prepare-preview').locator('img')).toHaveCount(8, { timeout: 30_000 });
  await page.getByTestId('prepare-fit').selectOption('pad');
  await page.getByTestId('augment-flip').check();
  await expect(page.getByTestId('augment-preview').locator('img')).toHaveCount(8);
  await page.getByTestId('settings-save').click();
  await expect(page.getByTestId('settings-save')).toBeDisabled();
  await studio.screenshot('datasets-settings');

  // Upload through the file picker (the same path drag-and-drop uses): the files go into the selected
  // dataset, as the import panel says, not into a new "Uploaded files" one (issue 18).
  await page.getByTestId('tab-items').click();
  await expect(page.getByTestId('import-into')).toContainText('“pets”');
  const bird = path.join(path.dirname(folder), 'bird.png');
  fs.writeFileSync(bird, await sharp({ create: { width: 64, height: 64, channels: 3, background: '#7b2cbf' } }).png().toBuffer());
  await page.getByTestId('import-files-input').setInputFiles([bird, path.join(folder, 'dog', 'dog-1.png'), path.join(folder, 'broken.png')]);
  await expect(page.getByTestId('import-summary')).toContainText('1 imported', { timeout: 60_000 });
  await expect(page.getByTestId('import-summary')).toContainText('1 already there');
  await expect(page.getByTestId('dataset-title')).toHaveText('pets');
  await expect(page.getByTestId('dataset-row')).toHaveCount(2);
  await expect(page.getByTestId('item-cell')).toHaveCount(13);
  await studio.screenshot('datasets-upload');
  fs.rmSync(path.dirname(folder), { recursive: true, force: true });
});
