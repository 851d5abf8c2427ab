import fs from 'node:fs';
import path from 'node:path';
import extractChunks from 'png-chunks-extract';
import type { Page } from '@playwright/test';
import { test, expect } from './support/studio';

/**
 * Fine-tuning from the shipped base model, end to end in the browser: a small dataset makes the Train
 * form propose "fine-tune a base model" by default; a from-scratch run works from the same form; the
 * fine-tuned model's generations and exported PNGs carry the lineage back to the base.
 */
async function startFromForm(page: Page, opts: { fineTune: boolean; name: string }): Promise<number> {
  const form = page.getByTestId('train-form');
  await expect(form.getByTestId('train-dataset')).toContainText(/[1-9]\d* images/);
  const fineTune = form.getByTestId('train-finetune');
  if (opts.fineTune) {
    // Few images: fine-tuning is the default, and the shipped base model is offered.
    await expect(fineTune).toBeChecked();
    await expect(form.getByTestId('train-base-model')).toContainText('Emoji base');
  } else {
    await fineTune.uncheck();
    await form.getByTestId('train-family-default').check({ force: true });
    await form.getByTestId('train-size-32').check({ force: true });
  }
  await form.getByTestId('train-batch').fill('8');
  // The form proposes a time box; these runs are sized in steps.
  await form.getByTestId('train-length-unit').selectOption('steps');
  await form.getByTestId('train-steps').fill('4');
  await form.locator('details.advanced summary').click();
  await form.getByTestId('train-sample-every').fill('2');
  await form.getByTestId('train-name').fill(opts.name);
  await form.getByTestId('train-start').click();
  const monitor = page.getByTestId('run-monitor');
  await expect(monitor.getByTestId('run-title')).toHaveText(opts.name, { timeout: 30_000 });
  await expect(monitor.getByTestId('run-status')).toHaveText('finished', { timeout: 120_000 });
  return Number(await monitor.getAttribute('data-run-id'));
}

test('fine-tune from the base model and train from scratch, from the UI; lineage reaches generations and PNGs', async ({ studio }) => {
  test.setTimeout(360_000);
  const page = studio.page;
  await page.getByTestId('project-name-input').fill('Produce');
  await page.getByTestId('project-create').click();
  await expect(page).toHaveURL(/#\/p\/1\/datasets$/);
  await studio.cli('datasets', 'add-sample', '--project', '1', '--sample', 'twemoji-heldout-produce');
  await page.getByTestId('nav-train').click();
  await expect(page.getByTestId('train-form')).toBeVisible();

  const tuned = await startFromForm(page, { fineTune: true, name: 'Produce from base' });
  // Two bases are shipped (32 and 64 px); the form picks the one whose size fits this small set.
  await expect(page.getByTestId('run-parent')).toContainText('Emoji base (32 px)');
  await studio.screenshot('finetune-finished');

  await page.getByTestId('train-new').click();
  const scratch = await startFromForm(page, { fineTune: false, name: 'Produce from scratch' });
  expect(scratch).not.toBe(tuned);

  // The fine-tuned model's images carry base → fine-tune lineage, in the catalog and in exported PNGs.
  const out = path.join(studio.dataDir, 'out');
  const gen = JSON.parse((await studio.cli('generate', '--run', String(tuned), '--seed', '7', '--count', '2', '--out', out, '--json')).trim().split('\n').at(-1)!) as { generationIds: number[] };
  const exportDir = path.join(studio.dataDir, 'export');
  const exp = JSON.parse((await studio.cli('export', '--ids', gen.generationIds.join(','), '--format', 'png', '--out', exportDir, '--json')).trim().split('\n').at(-1)!) as { files: string[] };
  const png = fs.readFileSync(exp.files[0]!);
  const text = extractChunks(new Uint8Array(png))
    .filter((c) => c.name === 'iTXt' || c.name === 'tEXt')
    .map((c) => Buffer.from(c.data).toString('utf8'))
    .join('\n');
  const models = JSON.parse((await studio.cli('models', 'list', '--json')).trim().split('\n').at(-1)!) as Array<{ source: string; size: number | null; checkpoints: Array<{ sha256: string }> }>;
  const bases = models.filter((m) => m.source === 'base');
  expect(bases.map((m) => m.size).sort()).toEqual([32, 64]);
  const baseSha = bases.find((m) => m.size === 32)!.checkpoints[0]!.sha256;
  expect(text).toContain(baseSha);
  expect(text).not.toContain(bases.find((m) => m.size === 64)!.checkpoints[0]!.sha256);
  expect(text).toContain('Emoji base (32 px)');
});
