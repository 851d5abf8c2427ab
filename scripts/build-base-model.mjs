#!/usr/bin/env node
/**
 * Rebuilds Atelier's shipped base image generator, with the exact recipe recorded next to it:
 *
 *   npm run build && node scripts/build-base-model.mjs [--steps 1200] [--seed 1] [--backend wasm]
 *
 * Data: every Twemoji image (64×64 RGBA) of the npm package emoji-datasource-twitter (a devDependency)
 * except the fruit & vegetable subcategories held out in resources/samples/twemoji-heldout.json, so the
 * fine-tuning evaluation uses images the base never saw. Label = Unicode category.
 * Model: the 'default' small-data GAN at 32 px, trained through the public CLI (import, then train),
 * exactly as a user would. Output: resources/models/<id>.ckpt, a preview grid, and index.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'atelier.js');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const recipe = {
  family: 'default',
  size: Number(flag('size', '32')),
  steps: Number(flag('steps', '1200')),
  batch: Number(flag('batch', '16')),
  seed: Number(flag('seed', '1')),
  backend: flag('backend', 'wasm'),
};
const ID = `twemoji-base-${recipe.size}`;
const OUT = path.join(ROOT, 'resources', 'models');

function cli(dataDir, ...a) {
  const r = spawnSync(process.execPath, [BIN, ...a, '--json', '--data-dir', dataDir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`atelier ${a.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const require = createRequire(import.meta.url);
const pkgDir = path.dirname(require.resolve('emoji-datasource-twitter/package.json'));
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const emoji = JSON.parse(fs.readFileSync(path.join(pkgDir, 'emoji.json'), 'utf8'));
const heldout = JSON.parse(fs.readFileSync(path.join(ROOT, 'resources', 'samples', 'twemoji-heldout.json'), 'utf8'));
const exclude = new Set(heldout.exclude);

// ImageFolder layout: <category>/<image>.png → label = category.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-base-'));
const staging = path.join(work, 'twemoji');
let count = 0;
for (const e of emoji) {
  if (!e.has_img_twitter || exclude.has(e.image) || e.category === 'Component') continue;
  const src = path.join(pkgDir, 'img', 'twitter', '64', e.image);
  if (!fs.existsSync(src)) continue;
  const label = e.category.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  fs.mkdirSync(path.join(staging, label), { recursive: true });
  fs.copyFileSync(src, path.join(staging, label, e.image));
  count++;
}
console.log(`base model data: ${count} Twemoji images (${exclude.size} held out)`);

const dataDir = path.join(work, 'data');
const project = cli(dataDir, 'projects', 'create', 'Base model');
const imported = cli(dataDir, 'import', staging, '--project', String(project.id), '--dataset', 'Twemoji (all but produce)');
console.log(`imported ${imported.imported} (${imported.duplicates} duplicates, ${imported.skipped.length} skipped)`);

const t0 = Date.now();
const train = spawn(
  process.execPath,
  [BIN, 'train', '--project', String(project.id), '--model', recipe.family, '--size', String(recipe.size), '--steps', String(recipe.steps), '--batch', String(recipe.batch), '--seed', String(recipe.seed), '--backend', recipe.backend, '--sample-every', '250', '--checkpoint-every', '250', '--json', '--data-dir', dataDir],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
// Ctrl-C here stops training at a step boundary; the base is then built from what was trained.
process.on('SIGINT', () => train.kill('SIGINT'));
let stdout = '';
train.stdout.on('data', (d) => (stdout += d));
await new Promise((r) => train.once('exit', r));
const result = JSON.parse(stdout.trim().split('\n').at(-1));
if (!result.checkpoint) throw new Error(`training produced no checkpoint: ${stdout}`);
const minutes = (Date.now() - t0) / 60000;
const detail = cli(dataDir, 'runs', 'show', String(result.runId));
const model = cli(dataDir, 'models', 'list', '--project', String(project.id)).find((m) => m.runId === result.runId);

fs.mkdirSync(OUT, { recursive: true });
const file = `${ID}.ckpt`;
const bytes = fs.readFileSync(path.join(dataDir, result.checkpoint.file));
fs.writeFileSync(path.join(OUT, file), bytes);
const lastGrid = detail.grids.at(-1);
if (lastGrid) fs.copyFileSync(path.join(dataDir, lastGrid.file), path.join(OUT, `${ID}.png`));
const metric = detail.checkpoints.at(-1)?.metric ?? null;
const entry = {
  id: ID,
  name: `Twemoji base (${recipe.size} px)`,
  family: recipe.family,
  file,
  sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  bytes: bytes.length,
  step: result.steps,
  size: recipe.size,
  channels: model?.channels ?? 4,
  labels: model?.labels ?? [],
  tags: [],
  attribution:
    'Trained by the Atelier project on Twemoji graphics © Twitter, Inc and other contributors, CC-BY 4.0 ' +
    `(https://creativecommons.org/licenses/by/4.0/), from ${pkg.name} ${pkg.version}.`,
  recipe: {
    ...recipe,
    steps: result.steps,
    data: `${pkg.name}@${pkg.version} img/twitter/64, ${count} images, all categories except Component; fruit & vegetables held out (resources/samples/twemoji-heldout.json)`,
    command: `ATELIER_WASM_THREADS=${process.env.ATELIER_WASM_THREADS ?? 1} node scripts/build-base-model.mjs --size ${recipe.size} --steps ${result.steps} --batch ${recipe.batch} --seed ${recipe.seed} --backend ${recipe.backend}`,
    backendUsed: result.backend,
    trainMinutes: Math.round(minutes * 10) / 10,
    finalMetric: metric,
    builtAt: new Date().toISOString(),
  },
  config: detail.config,
};
const indexFile = path.join(OUT, 'index.json');
const index = fs.existsSync(indexFile) ? JSON.parse(fs.readFileSync(indexFile, 'utf8')) : { models: [] };
index.models = [...index.models.filter((m) => m.id !== ID), entry];
fs.writeFileSync(indexFile, `${JSON.stringify(index, null, 2)}\n`);
fs.rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify({ id: ID, step: entry.step, bytes: entry.bytes, sha256: entry.sha256, metric, minutes: entry.recipe.trainMinutes }));
