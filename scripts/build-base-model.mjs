#!/usr/bin/env node
/**
 * Builds (or continues building) one of Atelier's shipped base image generators, with the recipe
 * recorded next to it:
 *
 *   npm run build && node scripts/build-base-model.mjs --size 32 --steps 8000 [--minutes 60] [--seed 1]
 *
 * - Data: every Twemoji image (emoji-datasource-twitter, CC-BY 4.0) and every Noto emoji image
 *   (emoji-datasource-google, Apache-2.0), 64×64 RGBA, all categories except Component, except the
 *   fruit & vegetable subcategories held out in resources/samples/twemoji-heldout.json (in both sets),
 *   so the fine-tuning evaluation uses images the base never saw. Label = Unicode category, so the
 *   model is conditional (family 'cgan') and a prompt such as "animals-nature" steers it.
 * - Training goes only through the public CLI (projects create, import, train / train --resume), as a
 *   user would, with the default design (the conditional family extends it).
 * - A long build resumes across sittings: the work folder `.base-build/<id>/` (git-ignored) keeps the
 *   catalog and checkpoints. Each sitting trains for `--minutes` (default: until `--steps` is reached),
 *   then publishes the newest checkpoint to resources/models/<id>.ckpt with its sample grid
 *   (<id>.png) and its entry in resources/models/index.json (steps, training minutes so far, the one
 *   command that reproduces it). Ctrl-C stops at a step boundary and still publishes. Resumed runs are
 *   bit-exact continuations, so the same --steps and --seed give the same model on the same backend.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'atelier.js');
const { values: opt } = parseArgs({
  options: {
    size: { type: 'string', default: '32' },
    steps: { type: 'string' },
    minutes: { type: 'string' },
    batch: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    // Data-parallel workers: fixed, because a run is bit-exact only at a fixed count (resume keeps it).
    workers: { type: 'string', default: '2' },
    'publish-only': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log('node scripts/build-base-model.mjs --size 32|64 --steps TOTAL [--minutes THIS_SITTING] [--batch 16] [--seed 1] [--backend wasm] [--workers 2] [--publish-only]');
  process.exit(0);
}
const size = Number(opt.size);
if (size !== 32 && size !== 64) throw new Error('--size must be 32 or 64');
// Defaults measured to give recognisable categories (see the entry's recipe.samples): more at 64 px.
const recipe = {
  family: 'cgan',
  size,
  steps: Number(opt.steps ?? (size === 32 ? 8000 : 12000)),
  batch: Number(opt.batch),
  seed: Number(opt.seed),
  backend: opt.backend,
  workers: Number(opt.workers),
};
const ID = `emoji-base-${size}`;
const OUT = path.join(ROOT, 'resources', 'models');
const WORK = path.join(ROOT, '.base-build', ID);
const DATA_DIR = path.join(WORK, 'data');
const STATE = path.join(WORK, 'state.json');

function cli(...a) {
  const r = spawnSync(process.execPath, [BIN, ...a, '--json', '--data-dir', DATA_DIR], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`atelier ${a.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const require = createRequire(import.meta.url);
const SOURCES = [
  { pkg: 'emoji-datasource-twitter', dir: 'twitter', flag: 'has_img_twitter', prefix: 'twemoji' },
  { pkg: 'emoji-datasource-google', dir: 'google', flag: 'has_img_google', prefix: 'noto' },
].map((s) => {
  const dir = path.dirname(require.resolve(`${s.pkg}/package.json`));
  return { ...s, root: dir, version: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version };
});
const ATTRIBUTION =
  'Trained by the Atelier project on Twemoji graphics © Twitter, Inc and other contributors, CC-BY 4.0 ' +
  `(https://creativecommons.org/licenses/by/4.0/), from emoji-datasource-twitter ${SOURCES[0].version}, and on Noto Emoji ` +
  `images © Google, Apache License 2.0 (https://github.com/googlefonts/noto-emoji/blob/main/LICENSE), from emoji-datasource-google ${SOURCES[1].version}.`;

/** ImageFolder layout: <category>/<source>-<image>.png → label = category. */
function stage(into) {
  const heldout = JSON.parse(fs.readFileSync(path.join(ROOT, 'resources', 'samples', 'twemoji-heldout.json'), 'utf8'));
  const exclude = new Set(heldout.exclude);
  const counts = {};
  for (const s of SOURCES) {
    const emoji = JSON.parse(fs.readFileSync(path.join(s.root, 'emoji.json'), 'utf8'));
    for (const e of emoji) {
      if (!e[s.flag] || exclude.has(e.image) || e.category === 'Component') continue;
      const src = path.join(s.root, 'img', s.dir, '64', e.image);
      if (!fs.existsSync(src)) continue;
      const label = e.category.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      fs.mkdirSync(path.join(into, label), { recursive: true });
      fs.copyFileSync(src, path.join(into, label, `${s.prefix}-${e.image}`));
      counts[s.prefix] = (counts[s.prefix] ?? 0) + 1;
    }
  }
  return { counts, held: exclude.size };
}

function loadState() {
  return fs.existsSync(STATE) ? JSON.parse(fs.readFileSync(STATE, 'utf8')) : null;
}
function saveState(s) {
  fs.writeFileSync(`${STATE}.tmp`, JSON.stringify(s, null, 2));
  fs.renameSync(`${STATE}.tmp`, STATE);
}

function train(a) {
  const child = spawn(process.execPath, [BIN, 'train', ...a, '--json', '--data-dir', DATA_DIR], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Ctrl-C here stops training at a step boundary (the CLI saves a checkpoint); the sitting then publishes.
  const stop = () => child.kill('SIGINT');
  process.on('SIGINT', stop);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  return new Promise((resolve) => {
    child.once('exit', () => {
      process.off('SIGINT', stop);
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

fs.mkdirSync(WORK, { recursive: true });
let state = loadState();
if (!state) {
  const staging = path.join(WORK, 'staging');
  fs.rmSync(staging, { recursive: true, force: true });
  const { counts, held } = stage(staging);
  const project = cli('projects', 'create', 'Base model');
  const imported = cli('import', staging, '--project', String(project.id), '--dataset', 'Emoji (all but produce)');
  fs.rmSync(staging, { recursive: true, force: true });
  state = { projectId: project.id, counts, held, imported: imported.imported, runId: null, trainMinutes: 0 };
  saveState(state);
  console.log(`base model data: ${JSON.stringify(counts)} images (${held} held-out emoji excluded), ${imported.imported} imported`);
}

const stepsDone = () => (state.runId ? (cli('runs', 'show', String(state.runId)).checkpoints.at(-1)?.step ?? 0) : 0);
if (!opt['publish-only'] && stepsDone() < recipe.steps) {
  const length = opt.minutes ? ['--minutes', opt.minutes] : ['--steps', String(recipe.steps - stepsDone())];
  const every = ['--sample-every', '500', '--checkpoint-every', '500', '--backend', recipe.backend];
  const t0 = Date.now();
  const result = state.runId
    ? await train(['--resume', String(state.runId), ...length, ...every])
    : await train(['--project', String(state.projectId), '--model', recipe.family, '--size', String(size), '--batch', String(recipe.batch), '--seed', String(recipe.seed), '--workers', String(recipe.workers), ...length, ...every]);
  if (!result.checkpoint) throw new Error(`training produced no checkpoint: ${JSON.stringify(result)}`);
  state.runId = result.runId;
  state.checkpoint = result.checkpoint;
  state.trainMinutes += (Date.now() - t0) / 60000;
  state.backend = result.backend;
  saveState(state);
}

// Publish the newest checkpoint (a partial build is usable, and says how far it got).
if (!state.checkpoint) throw new Error(`run ${state.runId} has no checkpoint yet`);
const detail = cli('runs', 'show', String(state.runId));
// A sitting bounded by --minutes can run past --steps (session 9's ran to 8,244 of 8,000): the recipe's
// model is then its checkpoint at exactly --steps (--checkpoint-every 500 divides both sizes' defaults),
// with the training time scaled to it.
const exact = state.checkpoint.step > recipe.steps ? detail.checkpoints.find((c) => c.step === recipe.steps) : undefined;
if (exact) {
  state.trainMinutes *= recipe.steps / state.checkpoint.step;
  state.checkpoint = { id: exact.id, step: exact.step, sha256: exact.sha256, file: path.posix.join(path.posix.dirname(state.checkpoint.file), `step-${String(exact.step).padStart(8, '0')}.ckpt`) };
  saveState(state);
}
const last = { ...state.checkpoint, ...detail.checkpoints.find((c) => c.id === state.checkpoint.id) };
const model = cli('models', 'list', '--project', String(state.projectId)).find((m) => m.runId === state.runId);
fs.mkdirSync(OUT, { recursive: true });
const file = `${ID}.ckpt`;
const bytes = fs.readFileSync(path.join(DATA_DIR, last.file));
fs.writeFileSync(path.join(OUT, file), bytes);
const lastGrid = detail.grids.find((g) => g.step === last.step) ?? detail.grids.at(-1);
if (lastGrid) fs.copyFileSync(path.join(DATA_DIR, lastGrid.file), path.join(OUT, `${ID}.png`));
const total = Object.values(state.counts).reduce((a, b) => a + b, 0);
const entry = {
  id: ID,
  name: `Emoji base (${size} px)`,
  family: recipe.family,
  file,
  sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  bytes: bytes.length,
  step: last.step,
  size,
  channels: model?.channels ?? 4,
  labels: model?.labels ?? [],
  tags: [],
  attribution: ATTRIBUTION,
  samples: lastGrid ? `${ID}.png` : null,
  recipe: {
    ...recipe,
    complete: last.step >= recipe.steps,
    data:
      `emoji-datasource-twitter@${SOURCES[0].version} img/twitter/64 (${state.counts.twemoji} images) + emoji-datasource-google@${SOURCES[1].version} ` +
      `img/google/64 (${state.counts.noto} images), ${total} in all, every category except Component; the ${state.held} fruit & vegetable emoji ` +
      'of resources/samples/twemoji-heldout.json held out of both. Label = Unicode category.',
    command: `ATELIER_WASM_THREADS=${process.env.ATELIER_WASM_THREADS ?? 1} node scripts/build-base-model.mjs --size ${size} --steps ${recipe.steps} --batch ${recipe.batch} --seed ${recipe.seed} --backend ${recipe.backend} --workers ${recipe.workers}`,
    backendUsed: state.backend ?? null,
    trainMinutes: Math.round(state.trainMinutes * 10) / 10,
    finalMetric: last.metric ?? null,
    builtAt: new Date().toISOString(),
  },
  config: detail.config,
};
const indexFile = path.join(OUT, 'index.json');
const index = fs.existsSync(indexFile) ? JSON.parse(fs.readFileSync(indexFile, 'utf8')) : { models: [] };
index.models = [...index.models.filter((m) => m.id !== ID), entry];
fs.writeFileSync(`${indexFile}.tmp`, `${JSON.stringify(index, null, 2)}\n`);
fs.renameSync(`${indexFile}.tmp`, indexFile);
console.log(JSON.stringify({ id: ID, step: entry.step, of: recipe.steps, bytes: entry.bytes, sha256: entry.sha256, minutes: entry.recipe.trainMinutes }));
