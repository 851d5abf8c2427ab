import type { Locator, Page } from '@playwright/test';
import { test, expect, type Studio } from './support/studio';

/**
 * The training monitor, end to end through the web host: tiny runs (32×32, batch 8, a grid every few
 * steps) on the built-in sample dataset, so the whole file stays within a few minutes on 2 cores.
 */

async function createProjectWithSample(studio: Studio, name = 'Sprites'): Promise<void> {
  const page = studio.page;
  await page.getByTestId('project-name-input').fill(name);
  await page.getByTestId('project-create').click();
  // A new project opens straight away.
  await expect(page).toHaveURL(/#\/p\/1\/datasets$/);
  await page.getByTestId('nav-train').click();
  await expect(page).toHaveURL(/#\/p\/1\/train/);
  // The empty state offers the sample dataset (datasets.addSample); the CLI is the fallback door.
  await page.getByTestId('train-add-sample').click();
  try {
    await expect(page.getByTestId('train-form')).toBeVisible({ timeout: 20_000 });
  } catch {
    await studio.cli('datasets', 'add-sample', '--project', '1');
    await page.reload();
    await expect(page.getByTestId('train-form')).toBeVisible();
  }
}

interface RunChoice {
  steps: number;
  sampleEvery: number;
  checkpointEvery?: number;
  name: string;
  /** Data-parallel workers chosen in the form (absent: Automatic). */
  workers?: number;
}

async function startRun(page: Page, choice: RunChoice): Promise<number> {
  const form = page.getByTestId('train-form');
  await expect(form).toBeVisible();
  // The sample may still be landing: wait until the form knows all its images (defaults follow the count).
  await expect(form.getByTestId('train-dataset')).toContainText('315 images');
  // Train from scratch with the small-data GAN, whatever fine-tuning the form proposes.
  const fineTune = form.getByTestId('train-finetune');
  if (await fineTune.isVisible()) await fineTune.uncheck();
  await form.getByTestId('train-family-default').check({ force: true });
  await form.getByTestId('train-size-32').check({ force: true });
  await form.getByTestId('train-batch').fill('8');
  // The form proposes a time box; these runs are sized in steps.
  await form.getByTestId('train-length-unit').selectOption('steps');
  await form.getByTestId('train-steps').fill(String(choice.steps));
  await form.locator('details.advanced summary').click();
  await form.getByTestId('train-sample-every').fill(String(choice.sampleEvery));
  if (choice.checkpointEvery) await form.getByTestId('train-checkpoint-every').fill(String(choice.checkpointEvery));
  if (choice.workers) await form.getByTestId('train-workers').selectOption(String(choice.workers));
  await form.getByTestId('train-name').fill(choice.name);
  await expect(form.getByTestId('train-estimate')).not.toContainText('Estimating');
  await form.getByTestId('train-start').click();
  const monitor = page.getByTestId('run-monitor');
  // Either the monitor opens or the engine said why not (shown as an error toast).
  await expect(monitor.getByTestId('run-title').or(page.getByTestId('toast-error'))).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('toast-error')).toHaveCount(0);
  await expect(monitor.getByTestId('run-title')).toHaveText(choice.name);
  return Number(await monitor.getAttribute('data-run-id'));
}

async function stepOf(monitor: Locator): Promise<number> {
  return Number(await monitor.getByTestId('run-step').getAttribute('data-step'));
}

async function points(chart: Locator): Promise<number> {
  return Number((await chart.getAttribute('data-points')) ?? 0);
}

async function expectGridsLoaded(scope: Locator, testid: string): Promise<void> {
  const imgs = scope.getByTestId(testid);
  for (let i = 0; i < (await imgs.count()); i++) {
    await expect.poll(() => imgs.nth(i).evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0)).toBe(true);
  }
}

test('start a run from the UI, watch it live, pause and resume, finish, then compare two runs', async ({ studio }) => {
  test.setTimeout(180_000);
  const page = studio.page;
  await createProjectWithSample(studio);
  await expect(page.getByTestId('train-dataset')).toContainText(/[1-9]\d* images/);
  await expect(page.getByTestId('train-estimate')).not.toContainText('Estimating');
  await studio.screenshot('train-form');

  await startRun(page, { steps: 400, sampleEvery: 2, checkpointEvery: 50, name: 'First run', workers: 2 });
  const monitor = page.getByTestId('run-monitor');
  await expect(monitor).toHaveAttribute('data-status', 'running', { timeout: 30_000 });

  // The loss chart and the sample timeline update while it runs.
  const chart = monitor.getByTestId('loss-chart');
  await expect.poll(() => points(chart), { timeout: 60_000 }).toBeGreaterThan(1);
  const before = await points(chart);
  await expect.poll(() => points(chart), { timeout: 30_000 }).toBeGreaterThan(before);
  const timeline = monitor.getByTestId('sample-timeline');
  await expect.poll(async () => Number(await timeline.getAttribute('data-count')), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  await expectGridsLoaded(timeline, 'sample-grid-img');
  await expect(monitor.getByTestId('run-backend')).not.toHaveText('starting…');
  // The form's Workers choice reaches the run (batch 8 splits into two shares of 4).
  await expect(monitor.getByTestId('run-threads')).toContainText('2 workers');
  await expect(monitor.getByTestId('run-speed')).not.toHaveText('—');
  await expect(monitor.getByTestId('run-memory')).toContainText('tensors');
  await studio.screenshot('train-running');

  // Pause: the step stops moving. Resume: it moves again.
  await monitor.getByTestId('run-pause').click();
  await expect(monitor.getByTestId('run-status')).toHaveText('paused');
  // A step (or sample grid) in flight when pausing still lands; after that the count stands still.
  await expect
    .poll(
      async () => {
        const at = await stepOf(monitor);
        await page.waitForTimeout(6000);
        return (await stepOf(monitor)) === at;
      },
      { timeout: 40_000, intervals: [0] },
    )
    .toBe(true);
  const pausedAt = await stepOf(monitor);
  await studio.screenshot('train-paused');
  await monitor.getByTestId('run-resume').click();
  await expect(monitor.getByTestId('run-status')).toHaveText('running');
  await expect.poll(() => stepOf(monitor), { timeout: 30_000 }).toBeGreaterThan(pausedAt);

  // Scrubbing the timeline shows an earlier grid; comparing two steps shows both.
  const scrubber = timeline.getByTestId('timeline-scrubber');
  await scrubber.fill('0');
  await expect(timeline.getByTestId('sample-grid-img')).toHaveAttribute('data-step', '0');
  await timeline.getByTestId('timeline-compare-toggle').click();
  await expect(timeline.getByTestId('timeline-compare-a')).toBeVisible();
  await expect(timeline.getByTestId('timeline-compare-b')).toBeVisible();
  await timeline.getByTestId('timeline-compare-toggle').click();

  // Finish: stop now and keep the model.
  await monitor.getByTestId('run-finish').click();
  await expect(monitor.getByTestId('run-status')).toHaveText('finished', { timeout: 60_000 });
  await expect(monitor.getByTestId('run-create-with')).toHaveAttribute('href', /#\/p\/1\/create\?run=\d+/);
  await studio.screenshot('train-finished');

  // A second, shorter run; then the two side by side.
  await page.getByTestId('train-new').click();
  await startRun(page, { steps: 6, sampleEvery: 3, name: 'Second run' });
  await expect(monitor.getByTestId('run-status')).toHaveText('finished', { timeout: 90_000 });
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('Second run');
  await expect(rows.first()).toContainText('finished');
  // Alike runs are told apart by number and start time.
  await expect(rows.getByTestId('run-number')).toHaveText(['#2', '#1']);
  await expect(rows.first().getByTestId('run-meta')).toHaveText('Small-data GAN · 6 / 6 steps');
  await expect(rows.first().getByTestId('run-started')).toContainText(/^started .*\d:\d\d/);
  await expect(rows.first().getByTestId('run-started')).toHaveAttribute('title', /^Started \d{4}-\d\d-\d\d \d\d:\d\d$/);
  await rows.nth(0).getByTestId('run-compare-check').check();
  await rows.nth(1).getByTestId('run-compare-check').check();
  await page.getByTestId('run-compare-selected').click();
  const compare = page.getByTestId('run-compare');
  await expect(compare.getByTestId('compare-side')).toHaveCount(2);
  await expect(compare.getByTestId('compare-grid')).toHaveCount(2);
  await expectGridsLoaded(compare, 'compare-grid');
  await expect(compare).toContainText('same latent points');
  await studio.screenshot('train-compare');
});

test('a run interrupted by stopping Atelier shows as interrupted and Resume continues its curve', async ({ studio }) => {
  test.setTimeout(150_000);
  const page = studio.page;
  await createProjectWithSample(studio);
  const runId = await startRun(page, { steps: 400, sampleEvery: 4, checkpointEvery: 4, name: 'Interrupted run' });
  const monitor = page.getByTestId('run-monitor');
  await expect.poll(() => stepOf(monitor), { timeout: 60_000 }).toBeGreaterThanOrEqual(6);
  const firstStep = Number(await monitor.getByTestId('loss-chart').getAttribute('data-first-step'));

  // Quit the engine mid-run and start it again on the same data folder.
  await studio.stop();
  await studio.start();
  await studio.page.goto(`${studio.baseUrl}/#/p/1/train/${runId}`);
  const after = studio.page.getByTestId('run-monitor');
  await expect(after.getByTestId('run-status')).toHaveText('interrupted');
  await expect(after.getByTestId('run-interrupted')).toBeVisible();
  await expect(studio.page.getByTestId('run-row').first()).toContainText('interrupted');
  const stoppedAt = await stepOf(after);
  expect(stoppedAt).toBeGreaterThanOrEqual(6);
  await studio.screenshot('train-interrupted');

  await after.getByTestId('run-resume-interrupted').click();
  await expect(after.getByTestId('run-status')).toHaveText('running', { timeout: 30_000 });
  await expect.poll(() => stepOf(after), { timeout: 60_000 }).toBeGreaterThan(stoppedAt + 1);
  // The same curve, continued: it still starts where the run started and now reaches past the stop.
  const chart = after.getByTestId('loss-chart');
  expect(Number(await chart.getAttribute('data-first-step'))).toBe(firstStep);
  await expect.poll(async () => Number(await chart.getAttribute('data-last-step'))).toBeGreaterThan(stoppedAt);
  await studio.screenshot('train-resumed');
  await after.getByTestId('run-finish').click();
  await expect(after.getByTestId('run-status')).toHaveText('finished', { timeout: 60_000 });
});
