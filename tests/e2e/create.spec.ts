import { test, expect } from './support/studio';

/**
 * The Create view on its own: the shipped base (unconditional) says its prompt changes nothing; at
 * ψ 0.5 it still draws; placeholders fill as images stream; earlier batches stay one click away; a
 * conditional model (proposed by `atelier train` for the labelled sample) completes prompt words as
 * they are typed and flags unknown ones; interpolation frames say where they lie.
 */
const lastJson = <T>(out: string): T => JSON.parse(out.trim().split('\n').pop()!) as T;

test('create: honest prompts, streaming tiles, a history of batches, completion from the vocabulary', async ({ studio }) => {
  test.setTimeout(600_000);
  const page = studio.page;
  const { id: projectId } = lastJson<{ id: number }>(await studio.cli('projects', 'create', 'Pets', '--json'));
  await studio.cli('datasets', 'add-sample', '--project', 'Pets', '--json');
  await page.goto(`${page.url().split('#')[0]}#/p/${projectId}/create`);
  await page.reload();

  // ---- The shipped base: unconditional ------------------------------------------------------------
  const modelSelect = page.getByTestId('create-model');
  await expect(modelSelect).toBeVisible();
  await modelSelect.selectOption({ label: (await modelSelect.locator('option', { hasText: 'base' }).first().textContent())!.trim() });
  await expect(page.getByTestId('prompt-unconditional')).toContainText('This model ignores prompts');
  await page.getByTestId('create-prompt').fill('smileys-emotion');
  await expect(page.getByTestId('prompt-span')).toHaveCount(0);
  await expect(page.getByTestId('vocab-label')).toHaveCount(0);

  await page.getByTestId('create-truncation').fill('0.5');
  await page.getByTestId('create-seed').fill('7');
  await page.getByTestId('create-count').fill('8');
  await page.getByTestId('create-generate').click();
  await expect(page.getByTestId('create-result')).toHaveCount(8, { timeout: 120_000 });
  await expect(page.getByTestId('create-pending')).toHaveCount(0);
  await expect(page.getByTestId('create-status')).toContainText('8 images');
  await expect(page.getByTestId('create-status')).not.toContainText('empty');
  await studio.screenshot('create-base-psi05');
  const firstIds = await page.getByTestId('create-result').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));

  // A second batch replaces the view, not the first: the strip brings it back.
  await page.getByTestId('create-truncation').fill('1');
  await page.getByTestId('create-count').fill('4');
  await page.getByTestId('create-generate').click();
  await expect(page.getByTestId('create-result')).toHaveCount(4, { timeout: 60_000 });
  await expect(page.getByTestId('create-strip-batch')).toHaveCount(2);
  await page.getByTestId('create-strip-batch').nth(1).click();
  await expect(page.getByTestId('create-result')).toHaveCount(8);
  expect(await page.getByTestId('create-result').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(firstIds);
  await studio.screenshot('create-history');

  // Interpolation frames are captioned by where they lie, not by the shared seed.
  const results = page.getByTestId('create-result');
  await results.nth(0).getByRole('button', { name: 'From', exact: true }).click();
  await results.nth(1).getByRole('button', { name: 'To', exact: true }).click();
  await page.getByTestId('create-frames').fill('4');
  await page.getByTestId('create-generate').click();
  await expect(page.getByTestId('create-result-caption')).toHaveText([/→.*1\/4/, /→.*2\/4/, /→.*3\/4/, /→.*4\/4/], { timeout: 60_000 });

  // ---- A conditional model: `atelier train` without --model proposes it for the labelled sample ------
  const trained = lastJson<{ runId: number; status: string }>(await studio.cli('train', '--project', 'Pets', '--steps', '3', '--size', '32', '--json'));
  expect(trained.status).toBe('done');
  await page.reload();
  await expect(modelSelect.locator('option:checked')).toContainText('cgan');
  await expect(page.getByTestId('prompt-unconditional')).toHaveCount(0);
  await expect(page.getByTestId('vocab-label')).not.toHaveCount(0);
  const prompt = page.getByTestId('create-prompt');
  await prompt.fill('');
  await prompt.pressSequentially('ani');
  await expect(page.getByTestId('prompt-complete-option').first()).toContainText('animal');
  await studio.screenshot('create-complete');
  await prompt.press('Enter');
  await expect(prompt).toHaveValue('animal');
  await prompt.pressSequentially(':0.7, zebra');
  await expect(page.getByTestId('prompt-span').first()).toHaveAttribute('data-status', 'exact');
  await expect(page.getByTestId('prompt-span').last()).toHaveAttribute('data-status', 'unknown');
});
