import { test, expect } from './support/studio';

test('projects: create, survive a restart, rename, delete; the CLI sees the same catalog', async ({ studio }) => {
  const page = studio.page;
  await expect(page.getByRole('heading', { name: 'Projects', exact: true })).toBeVisible();
  await expect(page.getByTestId('empty-state')).toContainText('No projects yet');

  await expect(page.getByTestId('sidebar-project')).toHaveText('No project open');
  await page.getByTestId('project-name-input').fill('Pixel pets');
  await page.getByTestId('project-create').click();
  // A new project opens: its datasets, and the sidebar names it.
  await expect(page).toHaveURL(/#\/p\/1\/datasets$/);
  await expect(page.getByTestId('sidebar-project')).toContainText('Pixel pets');
  await page.getByTestId('nav-projects').click();
  await expect(page.getByTestId('project-name')).toHaveText(['Pixel pets']);

  // The CLI opens the same catalog and sees the project the UI created.
  expect(JSON.parse(await studio.cli('projects', 'list', '--json'))).toEqual([{ id: 1, name: 'Pixel pets' }]);

  // Stop the engine and start it again on the same data folder: the project is still there.
  await studio.stop();
  await studio.start();
  await expect(studio.page.getByTestId('project-name')).toHaveText(['Pixel pets']);

  // And what the CLI creates shows up in the UI.
  expect(JSON.parse(await studio.cli('projects', 'create', 'Made in a terminal', '--json'))).toEqual({ id: 2, name: 'Made in a terminal' });
  await studio.page.reload();
  await expect(studio.page.getByTestId('project-name')).toHaveCount(2);
  await expect(studio.page.getByTestId('project-name')).toContainText(['Made in a terminal', 'Pixel pets']);
  await studio.screenshot('projects');

  // Rename; Esc cancels it.
  const row = studio.page.getByTestId('project-row').filter({ hasText: 'Pixel pets' });
  await row.getByTestId('project-rename').click();
  await studio.page.getByTestId('project-rename-input').fill('Not this');
  await studio.page.getByTestId('project-rename-input').press('Escape');
  await expect(studio.page.getByTestId('project-rename-input')).toHaveCount(0);
  await expect(studio.page.getByTestId('project-name')).toContainText(['Made in a terminal', 'Pixel pets']);
  await row.getByTestId('project-rename').click();
  await studio.page.getByTestId('project-rename-input').fill('Pixel pals');
  await studio.page.getByTestId('project-rename-save').click();
  await expect(studio.page.getByTestId('project-name')).toContainText(['Pixel pals']);

  // Delete asks for the name before it does anything.
  await studio.page.getByTestId('project-row').filter({ hasText: 'Pixel pals' }).getByTestId('project-delete').click();
  const dialog = studio.page.getByTestId('confirm-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('confirm-button')).toBeDisabled();
  // "Type Pixel pals to confirm" is one line of text, not three.
  const prompt = dialog.locator('.prompt');
  const lineHeight = await prompt.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 20);
  expect((await prompt.boundingBox())!.height).toBeLessThan(lineHeight * 1.5);
  await studio.screenshot('projects-delete-dialog');
  await dialog.getByTestId('confirm-input').fill('Pixel pals');
  await dialog.getByTestId('confirm-button').click();
  await expect(studio.page.getByTestId('project-name')).toHaveText(['Made in a terminal']);
  expect(JSON.parse(await studio.cli('projects', 'list', '--json'))).toEqual([{ id: 2, name: 'Made in a terminal' }]);
});

test('every section has an honest empty state and navigation works', async ({ studio }) => {
  const page = studio.page;
  // Nothing the page asks for is missing (the browser's favicon request was a 404 on every load).
  const notFound: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 404) notFound.push(r.url());
  });
  await page.reload();
  await expect(page.locator('link[rel="icon"]')).toHaveAttribute('href', /^data:image\/svg\+xml,/);
  await page.getByTestId('project-name-input').fill('Empty one');
  await page.getByTestId('project-create').click();
  await expect(page).toHaveURL(/#\/p\/1\/datasets$/);
  for (const view of ['datasets', 'train', 'create', 'gallery', 'export']) {
    await page.getByTestId(`nav-${view}`).click();
    await expect(page).toHaveURL(new RegExp(`#/p/1/${view}$`));
    if (view === 'create') {
      // A new project can already create with the shipped base model; nothing else is pretended.
      await expect(page.getByTestId('create-form')).toBeVisible();
      await expect(page.getByTestId('create-form')).toContainText('Emoji base');
    } else {
      await expect(page.getByTestId('empty-state')).toBeVisible();
    }
  }
  await page.getByTestId('nav-about').click();
  await expect(page.getByTestId('about-info')).toContainText('web studio');
  await expect(page.getByText('CC-BY 4.0').first()).toBeVisible();
  expect(notFound).toEqual([]);
});
