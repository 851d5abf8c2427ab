import { test, expect } from './support/studio';

test('projects: create, survive a restart, rename, delete; the CLI sees the same catalog', async ({ studio }) => {
  const page = studio.page;
  await expect(page.getByRole('heading', { name: 'Projects', exact: true })).toBeVisible();
  await expect(page.getByTestId('empty-state')).toContainText('No projects yet');

  await page.getByTestId('project-name-input').fill('Pixel pets');
  await page.getByTestId('project-create').click();
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

  // Rename.
  const row = studio.page.getByTestId('project-row').filter({ hasText: 'Pixel pets' });
  await row.getByTestId('project-rename').click();
  await studio.page.getByTestId('project-rename-input').fill('Pixel pals');
  await studio.page.getByTestId('project-rename-save').click();
  await expect(studio.page.getByTestId('project-name')).toContainText(['Pixel pals']);

  // Delete asks for the name before it does anything.
  await studio.page.getByTestId('project-row').filter({ hasText: 'Pixel pals' }).getByTestId('project-delete').click();
  const dialog = studio.page.getByTestId('confirm-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('confirm-button')).toBeDisabled();
  await dialog.getByTestId('confirm-input').fill('Pixel pals');
  await dialog.getByTestId('confirm-button').click();
  await expect(studio.page.getByTestId('project-name')).toHaveText(['Made in a terminal']);
  expect(JSON.parse(await studio.cli('projects', 'list', '--json'))).toEqual([{ id: 2, name: 'Made in a terminal' }]);
});

test('every section has an honest empty state and navigation works', async ({ studio }) => {
  const page = studio.page;
  await page.getByTestId('project-name-input').fill('Empty one');
  await page.getByTestId('project-create').click();
  await page.getByTestId('project-open').click();
  for (const view of ['datasets', 'train', 'create', 'gallery', 'export']) {
    await page.getByTestId(`nav-${view}`).click();
    await expect(page).toHaveURL(new RegExp(`#/p/1/${view}$`));
    if (view === 'create') {
      // A new project can already create with the shipped base model; nothing else is pretended.
      await expect(page.getByTestId('create-form')).toBeVisible();
      await expect(page.getByTestId('create-form')).toContainText('Twemoji base');
    } else {
      await expect(page.getByTestId('empty-state')).toBeVisible();
    }
  }
  await page.getByTestId('nav-about').click();
  await expect(page.getByTestId('about-info')).toContainText('web studio');
  await expect(page.getByText('CC-BY 4.0').first()).toBeVisible();
});
