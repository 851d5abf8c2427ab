import { test, expect } from './support/studio';
import { distinctN } from '../../src/main/ml/text/metrics';

/**
 * Text generation end to end: the emoji-names sample, a short char-LSTM run through the CLI, texts from
 * the CLI (diversity at two temperatures, the same seed giving the same texts), texts from Create in the
 * studio (the same as the CLI's for the same settings), text cards in the gallery (search, star), and the
 * run monitor showing the run's text samples.
 */
const lastJson = <T>(out: string): T => JSON.parse(out.trim().split('\n').pop()!) as T;

test('train a text model, write texts from the CLI and from Create, and find them in the gallery', async ({ studio }) => {
  test.setTimeout(900_000);
  const page = studio.page;
  const { id: projectId } = lastJson<{ id: number }>(await studio.cli('projects', 'create', 'Names', '--json'));
  const ds = lastJson<{ datasetId: number }>(await studio.cli('datasets', 'add-sample', '--project', 'Names', '--sample', 'twemoji-names', '--json'));
  const trained = lastJson<{ runId: number; status: string }>(
    await studio.cli('train', '--project', 'Names', '--dataset', String(ds.datasetId), '--model', 'charlstm', '--steps', '30', '--seed', '1', '--json'),
  );
  expect(trained.status).toBe('done');
  const run = String(trained.runId);

  // ---- CLI: diversity against temperature, and the same seed giving the same texts ----------------
  type Texts = { generationIds: number[]; texts: string[] };
  const gen = async (...args: string[]) => lastJson<Texts>(await studio.cli('generate', '--run', run, '--count', '16', '--seed', '3', '--json', ...args));
  const cold = await gen('--temperature', '0.3');
  const hot = await gen('--temperature', '1.5');
  expect(cold.texts).toHaveLength(16);
  expect(cold.generationIds).toHaveLength(16);
  const d2 = (t: string[]) => distinctN(t, 2);
  console.log(`[figure] distinct-2 over 16 texts, charlstm 30 steps: T=0.3 → ${d2(cold.texts).toFixed(3)}, T=1.5 → ${d2(hot.texts).toFixed(3)}`);
  expect(d2(hot.texts)).toBeGreaterThan(d2(cold.texts));
  expect((await gen('--temperature', '0.3')).texts).toEqual(cold.texts);

  // ---- Create: a text model switches Create to its text mode -------------------------------------
  await page.goto(`${page.url().split('#')[0]}#/p/${projectId}/create`);
  await page.reload();
  await expect(page.getByTestId('create-text-prefix')).toBeVisible();
  await expect(page.getByTestId('create-truncation')).toHaveCount(0);
  await page.getByTestId('create-text-prefix').fill('cat ');
  await page.getByTestId('create-seed').fill('42');
  await page.getByTestId('create-count').fill('8');
  await page.getByTestId('create-length').fill('40');
  await page.getByTestId('create-generate').click();
  const results = page.locator('[data-testid="create-result"][data-kind="text"]');
  await expect(results).toHaveCount(8, { timeout: 120_000 });
  await expect(page.getByTestId('create-status')).toContainText('8 texts');
  const uiTexts = await page.getByTestId('create-result-text').allTextContents();
  for (const t of uiTexts) expect(t.startsWith('cat ')).toBe(true);
  await studio.screenshot('text-create');

  // The same settings from the CLI give the same texts.
  const cli = lastJson<Texts>(
    await studio.cli('generate', '--run', run, '--prompt', 'cat ', '--temperature', '0.8', '--length', '40', '--seed', '42', '--count', '8', '--json'),
  );
  expect(cli.texts).toEqual(uiTexts);

  // ---- Gallery: text cards, searchable by their text, starred like images -------------------------
  await page.goto(`${page.url().split('#')[0]}#/p/${projectId}/gallery`);
  const cells = page.locator('[data-testid="gallery-cell"][data-kind="text"]');
  await expect(cells.first()).toBeVisible({ timeout: 30_000 });
  // 3 × 16 from the CLI, 8 from Create, 8 from the CLI again.
  await expect(page.getByTestId('gallery-count')).toContainText('64');
  // The 16 that start with "cat ", and any other whose text has a word starting with "cat".
  await page.getByTestId('gallery-search').fill('cat');
  const count = async () => Number((await page.getByTestId('gallery-count').textContent())?.match(/\d+/)?.[0] ?? NaN);
  await expect.poll(count).toBeLessThan(64);
  expect(await count()).toBeGreaterThanOrEqual(16);
  for (const t of await page.getByTestId('cell-text').allTextContents()) expect(t.toLowerCase()).toContain('cat');
  await cells.first().click();
  await cells.first().dblclick();
  const detail = page.getByTestId('gallery-detail');
  await expect(detail.getByTestId('detail-text')).toContainText('cat ');
  await detail.getByTestId('detail-star').click();
  await expect(cells.first().getByTestId('cell-star')).toBeVisible();
  await studio.screenshot('text-gallery');

  // ---- The run monitor shows the run's text samples, not images ----------------------------------
  await page.goto(`${page.url().split('#')[0]}#/p/${projectId}/train/${run}`);
  const timeline = page.locator('[data-testid="sample-timeline"][data-kind="text"]');
  await expect(timeline).toBeVisible({ timeout: 30_000 });
  await expect(timeline.getByTestId('text-sample').first()).toBeVisible({ timeout: 30_000 });
  await timeline.scrollIntoViewIfNeeded();
  await studio.screenshot('text-monitor');
});
