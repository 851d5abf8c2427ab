import { defineConfig } from '@playwright/test';

/**
 * End-to-end specs drive the real studio: the built renderer served by the web host, in Debian's
 * Chromium. Where an Electron binary is installed, the `electron` project runs the same specs through
 * Playwright's Electron launcher (see tests/e2e/support/studio.ts).
 */
export const CHROMIUM_PATH = process.env.ATELIER_CHROMIUM ?? '/usr/bin/chromium';

const chromiumLaunch = {
  executablePath: CHROMIUM_PATH,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/artifacts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    viewport: { width: 1360, height: 860 },
    colorScheme: 'dark',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: chromiumLaunch,
      },
    },
    {
      name: 'electron',
      metadata: { door: 'electron' },
      // The fixture skips this project where no Electron binary exists; its worker still starts a
      // browser fixture, so point it at the same system Chromium rather than a Playwright download.
      use: { browserName: 'chromium', launchOptions: chromiumLaunch },
    },
  ],
});
