import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * One build for every door: the Electron shell, the CLI / web host and the engine's worker threads
 * (main), the sandboxed preload (CommonJS: sandboxed preloads cannot be ES modules) and the renderer.
 */
/** Every file in src/main/jobs/workers/ is a worker thread entry, built to out/main/<name>.js. */
const workers = Object.fromEntries(
  (existsSync('src/main/jobs/workers') ? readdirSync('src/main/jobs/workers') : [])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f.replace(/\.ts$/, ''), resolve('src/main/jobs/workers', f)]),
);

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: {
          electron: resolve('src/main/shell/electron.ts'),
          cli: resolve('src/main/cli/main.ts'),
          ...workers,
        },
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    build: {
      rolldownOptions: { input: resolve('src/renderer/index.html') },
    },
    plugins: [svelte()],
  },
});
