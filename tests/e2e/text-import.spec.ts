import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './support/studio';

/**
 * Issue 18, the text path in the studio: a .txt picked in Datasets becomes a text dataset by itself (no
 * flag), with text tiles and a preview of its lines; picked files go into the selected dataset when they
 * are of its kind; every upload request finishes; Train offers the text models for it, the proposed one
 * trains from the form, and Create writes names with it.
 */
test('a picked .txt becomes a text dataset with its own tiles and preview; Train proposes a text model that writes names in Create', async ({ studio }) => {
  test.skip(studio.door !== 'web', 'Uploads are exercised through the web host.');
  test.setTimeout(600_000);
  const page = studio.page;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-e2e-text-'));
  const names = ['Biscuit', 'Pepper', 'Mochi', 'Noodle', 'Waffles', 'Pickle', 'Sprout', 'Bean', 'Tofu', 'Ziggy'];
  fs.writeFileSync(path.join(dir, 'pet-names.txt'), `${names.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'more-names.txt'), 'Clover\nPudding\n');

  const uploads = { started: 0, finished: 0 };
  page.on('request', (r) => void (r.url().includes('/api/upload') && uploads.started++));
  page.on('requestfinished', (r) => void (r.url().includes('/api/upload') && uploads.finished++));

  await page.getByTestId('project-name-input').fill('Names');
  await page.getByTestId('project-create').click();
  await expect(page).toHaveURL(/#\/p\/\d+\/datasets$/);
  // The empty state offers the text sample too.
  await expect(page.getByTestId('add-sample-twemoji-names')).toBeVisible();

  await page.getByTestId('import-files-input').setInputFiles(path.join(dir, 'pet-names.txt'));
  await expect(page.getByTestId('dataset-title')).toHaveText('pet-names', { timeout: 60_000 });
  await expect(page.getByTestId('import-summary')).toContainText('1 imported');
  const tile = page.getByTestId('item-cell').first();
  await expect(tile).toHaveAttribute('data-kind', 'text');
  await expect(tile.getByTestId('text-tile-name')).toContainText('pet-names.txt');
  await expect(tile.getByTestId('text-tile-name')).toContainText('10 lines');
  await expect(tile.getByTestId('text-tile')).toContainText('Biscuit');
  await expect(page.getByTestId('items-hint')).toContainText('Click a text file to see its lines');
  // Every upload request finished (they used to stay pending long after the import).
  await expect.poll(() => uploads.finished).toBe(uploads.started);
  await studio.screenshot('text-dataset-tiles');

  await tile.click();
  await expect(page.getByTestId('text-preview-lines').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('text-preview-count')).toContainText('10 lines');
  await studio.screenshot('text-dataset-preview');

  // Another text file goes into the selected text dataset.
  await expect(page.getByTestId('import-into')).toContainText('“pet-names”');
  await page.getByTestId('import-files-input').setInputFiles(path.join(dir, 'more-names.txt'));
  await expect(page.getByTestId('item-cell')).toHaveCount(2, { timeout: 60_000 });
  await expect(page.getByTestId('dataset-row')).toHaveCount(1);

  // Train: the text dataset is listed, and with it the text model cards and a time-boxed run.
  await page.getByTestId('nav-train').click();
  const form = page.getByTestId('train-text-form');
  await expect(form).toBeVisible();
  await expect(form.getByTestId('train-dataset')).toContainText('pet-names — text, 2 files');
  await expect(form.getByTestId('train-family-charlstm')).toBeChecked();
  await expect(form.getByTestId('train-family-chartransformer')).toBeVisible();
  await expect(form.getByTestId('train-why')).toContainText('12 lines');
  await expect(form.getByTestId('train-estimate')).toContainText('Time box: 3 min');
  await studio.screenshot('text-train-form');

  // Start the proposed text model (with a shorter box for the test), then write names in Create.
  await form.getByTestId('train-minutes').fill('0.3');
  await form.getByTestId('train-start').click();
  const monitor = page.getByTestId('run-monitor');
  await expect(monitor).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  await expect(monitor.getByTestId('run-status')).toHaveText('finished', { timeout: 180_000 });
  await studio.screenshot('text-trained');
  await monitor.getByTestId('run-create-with').click();
  await expect(page.getByTestId('create-text-prefix')).toBeVisible();
  await page.getByTestId('create-count').fill('8');
  await page.getByTestId('create-generate').click();
  const results = page.locator('[data-testid="create-result"][data-kind="text"]');
  await expect(results).toHaveCount(8, { timeout: 120_000 });
  const texts = await page.getByTestId('create-result-text').allTextContents();
  // Names, not nothing: none is empty (a short run used to end some lines at once), and after 18 s of
  // training on 12 lines most are name-like words.
  for (const t of texts) expect(t.trim()).not.toBe('');
  expect(texts.filter((t) => /\p{L}{2}/u.test(t)).length).toBeGreaterThanOrEqual(6);
  await studio.screenshot('text-names');
  fs.rmSync(dir, { recursive: true, force: true });
});
