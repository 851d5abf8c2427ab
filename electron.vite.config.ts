import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * One build for every door: the Electron shell, the CLI / web host and the engine's worker threads
 * (main), the sandboxed preload (CommonJS: sandboxed preloads cannot be ES modules) and the renderer.
 */
export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: {
          electron: resolve('src/main/shell/electron.ts'),
          cli: resolve('src/main/cli/main.ts'),
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
