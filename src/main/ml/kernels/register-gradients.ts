/**
 * Registers tfjs' gradient functions, which training needs and tfjs-core alone does not register.
 *
 * Why this is not a one-line import: the gradients live only in tfjs-core's ESM build
 * (dist/register_all_gradients.js and dist/gradients/*), which bundlers can load but plain Node
 * cannot: the files use extension-less relative imports ('./ops/add') inside a package without
 * "type": "module". The @tensorflow/tfjs union package bundles them; we depend on tfjs-core only.
 *
 * So when they are missing we install a Node module hook scoped to tfjs-core's dist folder that adds
 * the '.js' (or '/index.js') a bundler would, and marks those files as ESM; then we import the file.
 * That loads tfjs-core's ESM modules next to the CommonJS bundle the rest of the app uses. tfjs is
 * built for duplicate copies: the engine, the kernel and gradient registries and the environment live
 * on a global, and Tensor's instanceof is structural, so the gradients land in the registry our ops use.
 * Under a bundler or vitest the import is resolved without the hook and the hook never fires.
 */
import { register } from 'node:module';
import { getGradient } from '@tensorflow/tfjs-core';

const HOOKS = `
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const DIST = '/@tensorflow/tfjs-core/dist/';
const isEsmFile = (url) => url.includes(DIST) && url.endsWith('.js') && !/\\/dist\\/tf-core[^/]*\\.js$/.test(url);
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if (parent.includes(DIST) && /^\\.\\.?\\//.test(specifier) && !specifier.endsWith('.js')) {
    const path = fileURLToPath(new URL(specifier, parent));
    if (existsSync(path + '.js')) return next(specifier + '.js', context);
    if (existsSync(path) && statSync(path).isDirectory()) return next(specifier + '/index.js', context);
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  return isEsmFile(url) ? next(url, { ...context, format: 'module' }) : next(url, context);
}
`;

let pending: Promise<void> | null = null;

/**
 * Kernels whose gradients only tfjs' full set provides. Conv2D alone is no proof: ml/nn/gradients.ts
 * registers a partial set including it when the image models load, and the text models need more (Pack).
 */
const SENTINELS = ['Conv2D', 'Pack'];

/** Idempotent; resolves once Conv2D (and every other kernel tfjs knows) has a gradient. */
export function ensureGradientsRegistered(): Promise<void> {
  if (SENTINELS.every((k) => getGradient(k) !== undefined)) return Promise.resolve();
  pending ??= (async () => {
    if (typeof register === 'function') register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    if (getGradient('Conv2D') === undefined) {
      throw new Error('tfjs gradients did not register (two tfjs-core copies that do not share a global?)');
    }
  })();
  return pending;
}
