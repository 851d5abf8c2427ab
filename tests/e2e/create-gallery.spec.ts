import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { test, expect } from './support/studio';

/**
 * Create and Gallery end to end: a tiny training run made through the CLI, 16 images generated from the
 * UI (streaming in), their metadata, the CLI reproducing them byte for byte, then curation (star,
 * search, tags, boards, compare, trash with undo/restore/empty) and a 10,000-item gallery.
 */
const lastJson = <T>(out: string): T => JSON.parse(out.trim().split('\n').pop()!) as T;

test('create 16 images from a trained model, then curate them in the gallery', async ({ studio }) => {
  test.setTimeout(900_000);
  const page = studio.page;
  const { id: projectId } = lastJson<{ id: number }>(await studio.cli('projects', 'create', 'Pets', '--json'));
  await studio.cli('datasets', 'add-sample', '--project', 'Pets', '--json');
  // The training loop does not create its checkpoints folder yet (reported); the first run's id is 1.
  const trained = lastJson<{ runId: number; status: string }>(
    await studio.cli('train', '--project', 'Pets', '--model', 'default', '--size', '32', '--steps', '30', '--seed', '1', '--json'),
  );
  expect(trained.status).toBe('done');

  // ---- Create ------------------------------------------------------------------------------------
  // The project was made by another process (the CLI): reload so the studio lists it.
  await page.goto(`${page.url().split('#')[0]}#/p/${projectId}/create`);
  await page.reload();
  await expect(page.getByTestId('create-model')).toBeVisible();
  // The project's own trained model is chosen first (the shipped base model is listed after it).
  await expect(page.getByTestId('create-model').locator('option:checked')).toContainText('Small-data GAN');
  const labels = await page.getByTestId('vocab-label').allTextContents();
  const prompt = labels.length ? `${labels[0]}:0.8, shiny` : 'shiny';
  await page.getByTestId('create-prompt').fill(prompt);
  if (labels.length) {
    await expect(page.getByTestId('prompt-span').first()).toHaveAttribute('data-status', 'exact');
    await expect(page.getByTestId('prompt-span').last()).toHaveAttribute('data-status', 'unknown');
  } else {
    // The small-data GAN is unconditional: Create says the prompt does not steer it, and shows no chips.
    await expect(page.getByTestId('prompt-unconditional')).toBeVisible();
    await expect(page.getByTestId('prompt-span')).toHaveCount(0);
  }
  await page.getByTestId('create-seed').fill('42');
  await page.getByTestId('create-count').fill('16');
  await page.getByTestId('create-generate').click();
  // Images stream in as they are made (batches of 8), then all 16 are there.
  await expect(page.getByTestId('create-result').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('create-result')).toHaveCount(16, { timeout: 120_000 });
  await expect(page.getByTestId('create-status')).toContainText('16 images');
  await studio.screenshot('create');
  const uiIds = (await page.getByTestId('create-result').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id')))));

  // The prompt is in the history, and the history is searchable.
  await page.getByTestId('create-history-search').fill('shiny');
  await expect(page.getByTestId('create-history-item')).toHaveText([prompt]);

  // ---- Same seed and settings from the CLI: byte-identical PNGs ----------------------------------
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-gen-out-'));
  const cli = lastJson<{ generationIds: number[]; files: string[] }>(
    await studio.cli('generate', '--run', String(trained.runId), '--prompt', prompt, '--seed', '42', '--count', '16', '--out', outDir, '--json'),
  );
  expect(cli.generationIds).toHaveLength(16);
  const uiFile = (id: number) => path.join(studio.dataDir, 'projects', String(projectId), 'generations', String(Math.floor(id / 1000)), `${id}.png`);
  cli.files.forEach((f, i) => expect(fs.readFileSync(f).equals(fs.readFileSync(uiFile(uiIds[i]!)))).toBe(true));
  fs.rmSync(outDir, { recursive: true, force: true });

  // ---- Gallery -----------------------------------------------------------------------------------
  await page.getByTestId('nav-gallery').click();
  await expect(page.getByTestId('gallery-count')).toHaveText('32 images');
  const cells = page.getByTestId('gallery-cell');
  await cells.first().click();
  const detail = page.getByTestId('gallery-detail');
  await expect(detail).toBeVisible();
  await expect(detail.getByTestId('detail-prompt')).toHaveText(prompt);
  await expect(detail.getByTestId('detail-seed')).toHaveText(/^\d+$/);
  await expect(detail.getByTestId('detail-model')).toContainText('Small-data GAN');
  await expect(detail.getByTestId('detail-backend')).not.toHaveText('');
  await expect(detail.getByTestId('detail-nearest')).toContainText('distance');
  await studio.screenshot('gallery-detail');

  // Star from the detail panel; the cell shows it and the Starred view holds it.
  await detail.getByTestId('detail-star').click();
  await expect(cells.first().getByTestId('cell-star')).toBeVisible();
  await page.getByTestId('gallery-starred').click();
  await expect(page.getByTestId('gallery-count')).toHaveText('1 image');
  await page.getByTestId('gallery-all').click();

  // Tag it, and find it by full-text search (tags, prompts, model names).
  await detail.getByTestId('detail-tag-input').fill('keeper');
  await detail.getByTestId('detail-tag-add').click();
  await expect(detail.getByTestId('detail-tag')).toHaveText(['keeper×']);
  await page.getByTestId('gallery-search').fill('keeper');
  await expect(page.getByTestId('gallery-count')).toHaveText('1 image');
  await page.getByTestId('gallery-search').fill('small gan');
  await expect(page.getByTestId('gallery-count')).toHaveText('32 images');
  await page.getByTestId('gallery-search').fill('zebra');
  await expect(page.getByTestId('gallery-none')).toBeVisible();
  await page.getByTestId('gallery-search').fill('');
  await expect(page.getByTestId('gallery-count')).toHaveText('32 images');

  // Multi-select two, put them on a new board, compare them.
  await cells.nth(1).click();
  await cells.nth(2).click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-count')).toHaveText('2');
  await page.getByTestId('board-name').fill('Favourites');
  await page.getByTestId('board-create').click();
  await expect(page.getByTestId('board').filter({ hasText: 'Favourites' }).getByTestId('board-count')).toHaveText('2');
  await page.getByTestId('action-compare').click();
  await expect(page.getByTestId('compare')).toBeVisible();
  await page.getByTestId('compare-slider').click();
  await page.getByTestId('compare-range').fill('30');
  await studio.screenshot('compare');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('compare')).toBeHidden();
  await page.getByTestId('board').filter({ hasText: 'Favourites' }).click();
  await expect(page.getByTestId('gallery-count')).toHaveText('2 images');
  await studio.screenshot('gallery-board');
  await page.getByTestId('gallery-all').click();

  // Trash with undo, then restore from the trash, then empty it (the file goes too).
  await cells.first().click();
  await page.getByTestId('action-trash').click();
  await expect(page.getByTestId('gallery-count')).toHaveText('31 images');
  await page.getByTestId('action-undo').click();
  await expect(page.getByTestId('gallery-count')).toHaveText('32 images');
  await cells.nth(3).click();
  await cells.nth(4).click({ modifiers: ['Shift'] });
  await page.getByTestId('action-trash').click();
  await expect(page.getByTestId('gallery-count')).toHaveText('30 images');
  await page.getByTestId('gallery-trash').click();
  await expect(page.getByTestId('gallery-count')).toHaveText('2 in the trash');
  await cells.first().click();
  await page.getByTestId('action-restore').click();
  await expect(page.getByTestId('gallery-count')).toHaveText('1 in the trash');
  const trashedId = Number(await cells.first().getAttribute('data-id'));
  await studio.screenshot('gallery-trash');
  await page.getByTestId('action-empty-trash').click();
  await page.getByTestId('confirm-dialog').getByTestId('confirm-button').click();
  await expect(page.getByTestId('gallery-none')).toBeVisible();
  expect(fs.existsSync(uiFile(trashedId))).toBe(false);
  const search = lastJson<{ total: number; items: Array<{ id: number }> }>(await studio.cli('gallery', 'search', 'keeper', '--json'));
  expect(search.total).toBe(1);
  const all = lastJson<{ total: number; items: Array<{ id: number; file: string }> }>(await studio.cli('gallery', 'search', '', '--json'));
  expect(all.total).toBe(31);
  expect(all.items.some((i) => i.id === trashedId)).toBe(false);
  await page.getByTestId('gallery-all').click();
  await expect(page.getByTestId('gallery-count')).toHaveText('31 images');
});

test('the gallery stays fast with 10,000 generations: only visible cells exist', async ({ studio }) => {
  test.setTimeout(300_000);
  const { id: projectId } = lastJson<{ id: number }>(await studio.cli('projects', 'create', 'Big', '--json'));
  // Fill the catalog directly (10,000 rows through the same SQL the engine uses would take a model and
  // minutes of sampling); every row points at one small PNG.
  await studio.stop();
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(path.join(studio.dataDir, 'catalog.db'));
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');
  const rel = `projects/${projectId}/generations/0/shared.png`;
  fs.mkdirSync(path.dirname(path.join(studio.dataDir, rel)), { recursive: true });
  fs.writeFileSync(path.join(studio.dataDir, rel), png);
  const insert = db.prepare(
    `INSERT INTO generation (project_id, kind, checkpoint_sha256, step, seed, prompt, params_json, backend, app_version, file, width, height, created_at)
     VALUES (?, 'image', 'x', ?, ?, ?, '{}', 'wasm', '0.1.0', ?, 2, 2, ?)`,
  );
  const fts = db.prepare("INSERT INTO search_fts (body, kind, ref_id, project_id) VALUES (?, 'generation', ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < 10_000; i++) {
      const prompt = i % 10 === 0 ? 'rare comet' : 'common cloud';
      const id = Number(insert.run(projectId, i % 7, i, prompt, rel, 1_700_000_000_000 + i).lastInsertRowid);
      fts.run(prompt, id, projectId);
    }
  })();
  db.close();
  await studio.start();

  const page = studio.page;
  await page.goto(`${page.url().split('#')[0]}#/p/${projectId}/gallery`);
  await expect(page.getByTestId('gallery-count')).toHaveText('10,000 images');
  const cellCount = await page.getByTestId('gallery-cell').count();
  expect(cellCount).toBeGreaterThan(10);
  expect(cellCount).toBeLessThan(400);
  // Scroll to the end: the last items load and the DOM still holds only a screenful.
  await page.getByTestId('gallery-grid').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.locator('[data-testid="gallery-cell"][data-id="1"]')).toBeVisible();
  expect(await page.getByTestId('gallery-cell').count()).toBeLessThan(400);
  await studio.screenshot('gallery-10k');

  await page.getByTestId('gallery-search').fill('comet');
  await expect(page.getByTestId('gallery-count')).toHaveText('1,000 images');
});
