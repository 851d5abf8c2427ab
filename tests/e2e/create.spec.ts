import type { Page } from '@playwright/test';
import { test, expect, type Studio } from './support/studio';

/**
 * The Create view on its own: an unconditional model says its prompt changes nothing; the shipped base
 * (conditional over the emoji categories) knows its labels and at ψ 0.5 still draws; placeholders fill as images stream; earlier batches stay one click away; a
 * conditional model (proposed by `atelier train` for the labelled sample) completes prompt words as
 * they are typed and flags unknown ones, and its monitor shows prompt adherence; interpolation frames
 * say where they lie; two labels at one seed draw different images, the same label the same bytes.
 */
const lastJson = <T>(out: string): T => JSON.parse(out.trim().split('\n').pop()!) as T;

/** A contract call through the studio's own door (the CLI has no flag for config overrides). */
async function call<T>(studio: Studio, method: string, input: unknown): Promise<T> {
  if (studio.door === 'electron') {
    return studio.page.evaluate(([m, i]) => (window as unknown as { atelier: { call(m: unknown, i: unknown): Promise<T> } }).atelier.call(m, i), [method, input] as const);
  }
  const res = await fetch(`${studio.baseUrl}/api/call`, {
    method: 'POST',
    headers: { authorization: `Bearer ${studio.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ method, input }),
  });
  const body = (await res.json()) as { ok: boolean; value?: T; error?: unknown };
  if (!body.ok) throw new Error(`${method} failed: ${JSON.stringify(body.error)}`);
  return body.value as T;
}

/** The shown tiles, in order: the SHA-256 of each file as served, and its decoded RGBA pixels. */
async function tiles(page: Page): Promise<{ id: string; sha: string; pixels: number[] }[]> {
  return page.getByTestId('create-result').evaluateAll((els) =>
    Promise.all(
      els.map(async (el) => {
        const img = el.querySelector('img')!;
        await img.decode();
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const sha = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const g = canvas.getContext('2d')!;
        g.drawImage(img, 0, 0);
        return { id: el.getAttribute('data-id')!, sha, pixels: Array.from(g.getImageData(0, 0, canvas.width, canvas.height).data) };
      }),
    ),
  );
}

/** Mean absolute difference of two tiles' pixels, in 0–255 levels. */
const meanAbsDiff = (a: number[], b: number[]): number => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;

test('create: honest prompts, streaming tiles, a history of batches, completion from the vocabulary', async ({ studio }) => {
  test.setTimeout(600_000);
  const page = studio.page;
  const { id: projectId } = lastJson<{ id: number }>(await studio.cli('projects', 'create', 'Pets', '--json'));
  const { datasetId } = lastJson<{ datasetId: number }>(await studio.cli('datasets', 'add-sample', '--project', 'Pets', '--json'));
  await page.goto(`${page.url().split('#')[0]}#/p/${projectId}/create`);
  await page.reload();

  // ---- An unconditional model says its prompt changes nothing -----------------------------------------
  const plain = lastJson<{ status: string }>(await studio.cli('train', '--project', 'Pets', '--model', 'default', '--steps', '1', '--size', '32', '--json'));
  expect(plain.status).toBe('done');
  await page.reload();
  const modelSelect = page.getByTestId('create-model');
  await expect(modelSelect).toBeVisible();
  await modelSelect.selectOption({ label: (await modelSelect.locator('option', { hasText: '(default)' }).first().textContent())!.trim() });
  await expect(page.getByTestId('prompt-unconditional')).toContainText('This model ignores prompts');
  await page.getByTestId('create-prompt').fill('smileys-emotion');
  await expect(page.getByTestId('prompt-span')).toHaveCount(0);
  await expect(page.getByTestId('vocab-label')).toHaveCount(0);

  // ---- The shipped base: conditional over the emoji categories; at ψ 0.5 it still draws ------------------
  await modelSelect.selectOption({ label: (await modelSelect.locator('option', { hasText: 'base' }).first().textContent())!.trim() });
  await expect(page.getByTestId('prompt-unconditional')).toHaveCount(0);
  await expect(page.getByTestId('vocab-label')).not.toHaveCount(0);
  await page.getByTestId('create-prompt').fill('smileys-emotion');
  await expect(page.getByTestId('prompt-span').first()).toHaveAttribute('data-status', 'exact');

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

  // ---- Prompts that steer -------------------------------------------------------------------------
  // The run above is conditioned with strength λ = step/condRampSteps (cgan.ts): after 3 steps that is
  // about 0.001, so its labels move pixels by at most one level. The comparison needs a model whose
  // labels already count: one step with the ramp off (started now; the monitor is checked meanwhile).
  const steering = await call<{ id: number }>(studio, 'runs.start', {
    projectId,
    datasetId,
    family: 'cgan',
    size: 32,
    length: { steps: 1 },
    seed: 1,
    name: 'Fully conditional',
    config: { condRampSteps: 0 },
  });

  // The proposed run's monitor: its probe ran at steps 0 and 3, so prompt adherence is there.
  const base = page.url().split('#')[0];
  await page.goto(`${base}#/p/${projectId}/train/${trained.runId}`);
  const monitor = page.getByTestId('run-monitor');
  await expect(monitor).toHaveAttribute('data-run-id', String(trained.runId));
  await expect(monitor.getByTestId('adherence-chart')).toBeVisible();
  await expect(monitor.getByTestId('adherence-summary')).toContainText(/adherence \d+ %.*chance 33 %/);
  await expect(monitor.getByTestId('adherence-labels').locator('tbody tr')).toHaveCount(3);
  await monitor.getByTestId('adherence-labels').scrollIntoViewIfNeeded();
  await studio.screenshot('create-monitor-adherence');

  await page.goto(`${base}#/p/${projectId}/train/${steering.id}`);
  await expect(monitor.getByTestId('run-status')).toHaveText('finished', { timeout: 120_000 });
  await monitor.getByTestId('adherence-labels').scrollIntoViewIfNeeded();
  await studio.screenshot('create-monitor-adherence-steering');
  await page.goto(`${base}#/p/${projectId}/create`);
  await page.reload();
  await modelSelect.selectOption({ label: (await modelSelect.locator('option', { hasText: 'Fully conditional' }).textContent())!.trim() });
  await page.getByTestId('create-mode-sample').click();
  await page.getByTestId('create-truncation').fill('1');
  let shownIds: string[] = [];
  const generate = async (label: string, screenshot?: string) => {
    await prompt.fill(label);
    await expect(page.getByTestId('prompt-span').first()).toHaveAttribute('data-status', 'exact');
    await page.getByTestId('create-seed').fill('7');
    await page.getByTestId('create-count').fill('8');
    await page.getByTestId('create-generate').click();
    // A new batch: eight tiles, none of the last batch's.
    await expect
      .poll(async () => {
        const ids = await page.getByTestId('create-result').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')!));
        return ids.length === 8 && ids.every((id) => !shownIds.includes(id));
      }, { timeout: 60_000 })
      .toBe(true);
    await expect(page.getByTestId('create-pending')).toHaveCount(0);
    const shown = await tiles(page);
    shownIds = shown.map((t) => t.id);
    if (screenshot) await studio.screenshot(screenshot);
    return shown;
  };
  const animal = await generate('animal', 'create-prompt-animal');
  const face = await generate('face', 'create-prompt-face');
  const again = await generate('animal');
  // Same prompt and seed: the same files, byte for byte.
  expect(again.map((t) => t.sha)).toEqual(animal.map((t) => t.sha));
  // Another label at that seed: visibly other images, tile by tile (not one changed pixel somewhere).
  const diffs = animal.map((t, i) => meanAbsDiff(t.pixels, face[i]!.pixels));
  expect(animal.filter((t, i) => t.sha !== face[i]!.sha).length).toBe(8);
  expect(diffs.filter((d) => d > 8).length, `mean |Δ| per tile: ${diffs.map((d) => d.toFixed(1)).join(', ')}`).toBeGreaterThanOrEqual(6);
});
