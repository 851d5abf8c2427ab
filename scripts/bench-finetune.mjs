#!/usr/bin/env node
/**
 * Fine-tuning benchmark (issue 15, "Fine-tuning that pays off"): on data the base model never saw (the
 * held-out fruit & vegetable emoji and sets from the quality benchmark), does fine-tuning from the base
 * beat training from scratch in the same minutes, on the external ruler? And do the fine-tuned samples
 * look like the new data rather than like the base? Prints a Markdown table and writes OUT/results.md,
 * OUT/results.json and one contact sheet per set (real | base | scratch | each fine-tuning arm).
 *
 *   npm run build && node scripts/bench-finetune.mjs [--sets produce,game-icons,tabler] [--minutes 5]
 *       [--arms scratch,finetune,finetune:freezeD=2,lr=0.5]
 *
 * Atelier is driven only through its public CLI (models list, projects create, import, train, runs show,
 * generate) in a fresh --data-dir per target, as a user would. The data, the process runner and the
 * contact sheets are the quality benchmark's (scripts/bench-quality/). See docs/bench-finetune.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETS, SET_NAMES, buildSet } from './bench-quality/datasets.mjs';
import { contactSheet, pngs, pick } from './bench-quality/sheet.mjs';
import { PRODUCE, BASE_DATA, HELDOUT } from './bench-finetune/sets.mjs';
import { markdown, resultsTable, summaryLines, beatsScratch } from './bench-finetune/report.mjs';
import { atelierCli, die, fmtEstimate, fmtMin, log, machineLine, parseFlags, preflightRuler, resultsHead, usageError } from './bench-quality/cli.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Sets the base was trained on (all of them but the held-out produce): no target for fine-tuning. */
const SEEN_BY_BASE = new Set(['twemoji', 'noto']);
const TARGETS = ['produce', ...SET_NAMES.filter((s) => !SEEN_BY_BASE.has(s))];
const OWN_SETS = { produce: PRODUCE, 'base-data': BASE_DATA };
const DEFAULT_BASE = 'Emoji base (32 px)';

const HELP = `Usage: npm run bench:finetune -- [options]   (or: node scripts/bench-finetune.mjs [options])

Trains, on each target set the base model never saw, Atelier's default model from scratch and the base
model fine-tuned (atelier train --from BASE) for the same minutes; scores every arm and the untrained base
with shared/eval/kid.py against the target and against the base's own training images, and prints a table
(also OUT/results.md, OUT/results.json, OUT/sheets/<set>.png).

Options:
  --sets LIST        comma-separated, from: ${TARGETS.join(', ')} (default: produce,game-icons,tabler)
                     produce = the ${HELDOUT.size} fruit & vegetable emoji held out of the base, Twemoji + Noto
  --base NAME        the base model, by name (default: "${DEFAULT_BASE}"; \`atelier models list\` lists them)
  --arms LIST        comma-separated (default: scratch,finetune):
                       scratch                     atelier train --model default --size <base size>
                       finetune[:K=V,…]            atelier train --from BASE, with K=V from
                                                   freezeD=N (--freeze-d), lr=X (--lr-scale), model=F (--model)
                     e.g. --arms scratch,finetune,finetune:freezeD=2,lr=0.5,finetune:lr=2
                     (a K=V item after a comma belongs to the arm before it)
  --minutes M        training minutes for every arm (default: 5)
  --samples N        samples generated per arm and for the base (default: 256)
  --seed S           training seed of every arm (default: 0)
  --backend NAME     Atelier backend (auto | wasm | cpu | …; default: Atelier's own choice)
  --parallel         train two arms side by side, --workers 1 each (default: one after the other,
                     Atelier's default workers)
  --out DIR          results folder (default: bench-results/finetune-<timestamp>)
  --keep-data        keep Atelier's data folders (catalog + checkpoints; large)
  -h, --help         this help

Environment: ATELIER_SHARED (default: ../shared beside the repo: eval/kid.py, eval/featnet.pt),
ATELIER_PYTHON (default: /usr/bin/python3, Debian's python3-torch), ATELIER_WASM_THREADS.`;

// ---------------------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const { o, num, usage } = parseFlags(argv, { valueFlags: ['sets', 'arms', 'base', 'minutes', 'samples', 'seed', 'backend', 'out'], boolFlags: ['parallel', 'keep-data'], help: HELP });
  const sets = [...new Set((o.sets ?? 'produce,game-icons,tabler').split(',').map((s) => s.trim()).filter(Boolean))];
  for (const s of sets) {
    if (SEEN_BY_BASE.has(s)) usage(`--sets: "${s}" is no target: the base was trained on it (all but the held-out produce, which is the "produce" set)`);
    if (!TARGETS.includes(s)) usage(`--sets: unknown "${s}" (one of ${TARGETS.join(', ')})`);
  }
  if (sets.length === 0) usage('--sets is empty');
  return {
    sets,
    arms: parseArms(o.arms ?? 'scratch,finetune'),
    base: o.base ?? DEFAULT_BASE,
    minutes: num('minutes', 5, { min: 0.01 }),
    samples: num('samples', 256, { min: 16, int: true }),
    seed: num('seed', 0, { int: true }),
    backend: o.backend ?? null,
    parallel: Boolean(o.parallel),
    keepData: Boolean(o['keep-data']),
    out: path.resolve(o.out ?? path.join(ROOT, 'bench-results', `finetune-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`)),
  };
}

/**
 * "scratch,finetune,finetune:freezeD=2,lr=0.5" → arm specs. A bare K=V item belongs to the arm before it,
 * so an arm's settings may be written with commas like the list itself.
 */
function parseArms(text) {
  const arms = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const head = /^(scratch|finetune)(?::(.*))?$/.exec(item);
    let arm;
    let settings;
    if (head) {
      arm = { kind: head[1], freezeD: null, lrScale: null, model: null };
      arms.push(arm);
      settings = head[2] ?? '';
    } else if (/^[A-Za-z-]+=/.test(item) && arms.length > 0) {
      arm = arms.at(-1);
      settings = item;
    } else usage(`--arms: "${item}" is no arm (scratch, finetune or finetune:K=V)`);
    for (const kv of settings.split(/[;:]/).map((s) => s.trim()).filter(Boolean)) {
      const m = /^([A-Za-z-]+)=(.+)$/.exec(kv);
      if (!m) usage(`--arms: "${kv}" is not K=V`);
      if (arm.kind === 'scratch') usage(`--arms: scratch takes no settings ("${kv}"): FreezeD and the learning-rate scale are fine-tuning's`);
      const key = m[1].toLowerCase().replace(/-/g, '');
      const v = m[2].trim();
      if (key === 'freezed') {
        if (!/^\d+$/.test(v)) usage(`--arms: freezeD must be a whole number ≥ 0, got "${v}"`);
        arm.freezeD = Number(v);
      } else if (key === 'lr' || key === 'lrscale') {
        if (!(Number(v) > 0)) usage(`--arms: lr must be a number > 0, got "${v}"`);
        arm.lrScale = Number(v);
      } else if (key === 'model') arm.model = v;
      else usage(`--arms: unknown setting "${m[1]}" (freezeD, lr, model)`);
    }
  }
  if (arms.length === 0) usage('--arms is empty');
  const seen = new Set();
  const out = [];
  for (const a of arms) {
    const bits = [a.model !== null ? `model=${a.model}` : null, a.freezeD !== null ? `freezeD=${a.freezeD}` : null, a.lrScale !== null ? `lr=${a.lrScale}` : null].filter(Boolean);
    a.label = bits.length ? `${a.kind} ${bits.join(' ')}` : a.kind;
    a.key = [a.kind, ...bits.map((b) => b.replace('=', ''))].join('-');
    if (seen.has(a.key)) continue;
    seen.add(a.key);
    out.push(a);
  }
  return out;
}

const usage = (msg) => usageError(HELP, msg);


// ------------------------------------------------------------------------------------------------- main

const opts = parseArgs(process.argv.slice(2));
const DATA = path.join(opts.out, 'data');

// Preflight: the ruler, Python with torch, the built CLI.
const ruler = preflightRuler();
const { shared: SHARED, kid: KID, featnet: FEATNET, py, hasLearned } = ruler;
fs.mkdirSync(opts.out, { recursive: true });
if (!hasLearned) log(`warning: ${FEATNET} is missing, so the ruler has no learned space; "beats scratch" is judged on random-conv alone.`);

const backendArgs = opts.backend ? ['--backend', opts.backend] : [];
const startedAt = new Date();
const backends = new Set();
const targets = [];

/** The CLI on one data folder, its output appended to one log. */
function cliFor(dataDir, logName) {
  return atelierCli(dataDir, path.join(opts.out, 'logs', `${logName}.log`));
}

// The base: found by name among the models a fresh data folder offers (the shipped base models register
// themselves on first use), sampled once without training.
const base = await prepareBase();
const baseData = await buildSet('base-data', base.size, DATA, BASE_DATA);
const baseDataDir = baseData.dirs[base.channels === 4 ? 'rgba' : 'rgb'];
log(`base data (the ruler's second reference): ${baseData.manifest.count} of the base's own training images in ${path.relative(opts.out, baseDataDir)}`);
base.vsBase = await kid(baseDataDir, base.samplesDir, 'base-vs-base-data');

const perArm = opts.minutes + 0.6;
const estimateMin = opts.sets.length * (opts.parallel ? Math.ceil(opts.arms.length / 2) * opts.minutes + opts.arms.length * 0.6 : opts.arms.length * perArm) + opts.sets.length * 0.5;
log(
  `${opts.sets.length} target set(s) (${opts.sets.join(', ')}) × ${opts.arms.length} arm(s) (${opts.arms.map((a) => a.label).join('; ')}), ${opts.minutes} min each, ` +
    `${opts.parallel ? 'two side by side (--workers 1 each)' : 'one after the other'}; expect about ${fmtEstimate(estimateMin)}. Results: ${opts.out}`,
);

for (const set of opts.sets) {
  const t0 = Date.now();
  const spec = OWN_SETS[set] ?? SETS[set];
  const mode = base.channels === 4 && spec.alpha ? 'rgba' : 'rgb';
  const t = { set, variant: `${mode}${base.size}`, arms: [] };
  targets.push(t);
  try {
    log(`── ${set}: building the data (${t.variant})`);
    const built = await buildSet(set, base.size, DATA, spec);
    t.data = built.manifest;
    t.realDir = built.dirs[mode];
    await atelierFor(t);
    t.realVsBase = await kid(baseDataDir, t.realDir, `${set}-target-vs-base-data`);
    t.base = { step: base.step, vsTarget: await kid(t.realDir, base.samplesDir, `${set}-base`), vsBase: base.vsBase };
    for (const a of t.arms) {
      if (!a.samplesDir) continue;
      a.vsTarget = await kid(t.realDir, a.samplesDir, `${set}-${a.key}`);
      a.vsBase = await kid(baseDataDir, a.samplesDir, `${set}-${a.key}-vs-base-data`);
    }
    const scratch = t.arms.find((a) => a.kind === 'scratch');
    for (const a of t.arms) if (a.kind === 'finetune') a.beatsScratch = beatsScratch(a, scratch);
    const fmt = (s) => (s ? `learned ${s.kid_learned ?? '—'}, randconv ${s.kid_randconv}, pixels ${s.kid_pixels}, memorised ${s.memorised}` : '—');
    log(`${set}: KID×10³ vs target: base ${fmt(t.base.vsTarget)}`);
    for (const a of t.arms) log(`${set}: KID×10³ vs target: ${a.label} ${fmt(a.vsTarget)}${a.beatsScratch === undefined ? '' : `; beats scratch: ${a.beatsScratch ?? '—'}`}`);
    t.sheet = await sheetFor(t);
  } catch (err) {
    t.error = err instanceof Error ? err.message : String(err);
    log(`${set} failed: ${t.error}`);
  }
  t.wallMs = Date.now() - t0;
  if (!opts.keepData && t.dataDir) fs.rmSync(t.dataDir, { recursive: true, force: true });
  log(`── ${set} done in ${fmtMin(t.wallMs)}`);
  writeResults(false);
}
if (!opts.keepData) fs.rmSync(base.dataDir, { recursive: true, force: true });
const { md } = writeResults(true);
console.log(md);

// ----------------------------------------------------------------------------------------------- base

/**
 * Find the base by name through `atelier models list` (a fresh data folder lists the shipped base models),
 * then sample it once, untrained: `atelier generate --model BASE --project P`, without a prompt (what a
 * conditional base gives for no label, as its fine-tuned arms do on unlabelled data).
 */
async function prepareBase() {
  const dir = path.join(opts.out, 'atelier', 'base');
  fs.rmSync(dir, { recursive: true, force: true });
  const dataDir = path.join(dir, 'data');
  const cli = cliFor(dataDir, 'base');
  const models = (await cli('models', 'list')).value;
  const m = models.find((x) => x.name.toLowerCase() === opts.base.toLowerCase());
  if (!m) {
    const offered = models.map((x) => `"${x.name}" (${x.family}, ${x.source})`).join(', ') || 'none';
    die(`there is no base model "${opts.base}". Atelier offers: ${offered} (resources/models/index.json; scripts/build-base-model.mjs builds the Emoji base). Choose one with --base.`);
  }
  const last = m.checkpoints.at(-1);
  if (!last) die(`the base model "${m.name}" has no checkpoint`);
  if (m.size === null || m.size === undefined) die(`the base model "${m.name}" has no image size (is it an image model?)`);
  const project = (await cli('projects', 'create', 'Fine-tune bench: base samples')).value;
  const samplesDir = path.join(dir, 'samples');
  log(`base: "${m.name}" (${m.family}, ${m.size} px, ${m.channels} channels, step ${last.step}, ${m.labels.length} labels); sampling ${opts.samples} images untrained`);
  const g = await cli('generate', '--model', m.name, '--project', project.id, '--count', opts.samples, '--seed', 0, '--batch', 32, '--out', samplesDir, ...backendArgs);
  return {
    name: m.name,
    family: m.family,
    size: m.size,
    channels: m.channels,
    labels: m.labels,
    step: last.step,
    sha256: last.sha256,
    attribution: m.attribution ?? null,
    dataDir,
    samplesDir,
    generateWallMs: g.ms,
  };
}

// -------------------------------------------------------------------------------------------- Atelier

/**
 * One target through the CLI: a fresh data folder and project, the set imported as one flat folder (no
 * labels: the model Atelier proposes for it is `default`), then every arm as one uninterrupted `train`
 * session of the same minutes and seed, each sampled with `generate` after training (never at the same
 * time as a training session).
 */
async function atelierFor(t) {
  const dir = path.join(opts.out, 'atelier', t.set);
  fs.rmSync(dir, { recursive: true, force: true });
  t.dataDir = path.join(dir, 'data');
  const cli = cliFor(t.dataDir, `${t.set}-atelier`);
  const project = (await cli('projects', 'create', `Fine-tune bench ${t.set}`)).value;
  const imp = (await cli('import', t.realDir, '--project', project.id, '--dataset', `${t.set} ${t.variant}`)).value;
  t.imported = { datasetId: imp.datasetId, imported: imp.imported, duplicates: imp.duplicates, skipped: imp.skipped?.length ?? 0 };
  log(`${t.set}: imported ${imp.imported} images (${imp.duplicates} duplicates, ${t.imported.skipped} skipped)`);
  // Registers the base models in this data folder before any arm starts (two --parallel arms would
  // otherwise both do it at once), and checks the base is there.
  const listed = (await cli('models', 'list', '--project', project.id)).value;
  if (!listed.some((m) => m.name === base.name)) throw new Error(`the base "${base.name}" is not offered in ${t.dataDir}`);

  const groups = opts.parallel ? chunk(opts.arms, 2) : opts.arms.map((a) => [a]);
  for (const group of groups) {
    const trained = await Promise.all(group.map((spec) => trainArm(t, spec, project.id, imp.datasetId)));
    for (const a of trained) {
      if (a.error) continue;
      try {
        const samplesDir = path.join(dir, 'samples', a.key);
        const g = await cliFor(t.dataDir, `${t.set}-${a.key}`)('generate', '--run', a.runId, '--checkpoint', a.checkpointId, '--count', opts.samples, '--seed', 0, '--batch', 32, '--out', samplesDir, ...backendArgs);
        a.generateWallMs = g.ms;
        a.samplesDir = samplesDir;
      } catch (err) {
        a.error = err instanceof Error ? err.message : String(err);
        log(`${t.set} ${a.label}: sampling failed: ${a.error}`);
      }
    }
  }
}

function chunk(list, n) {
  const out = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

/**
 * One arm: `atelier train` (scratch: --model default --size S; finetune: --from BASE …), then `runs show`.
 * With --parallel every arm trains with one worker, also the odd one out that runs alone, so the arms
 * differ only in the machine they share.
 */
async function trainArm(t, spec, projectId, datasetId) {
  const a = { key: spec.key, label: spec.label, kind: spec.kind, freezeD: spec.freezeD, lrScale: spec.lrScale, model: spec.model };
  t.arms.push(a);
  const cli = cliFor(t.dataDir, `${t.set}-${a.key}`);
  const armArgs =
    spec.kind === 'scratch'
      ? ['--model', 'default', '--size', base.size]
      : [
          '--from',
          base.name,
          ...(spec.model !== null ? ['--model', spec.model] : []),
          ...(spec.freezeD !== null ? ['--freeze-d', spec.freezeD] : []),
          ...(spec.lrScale !== null ? ['--lr-scale', spec.lrScale] : []),
        ];
  // Grids and checkpoints only at the end: the studio's own cadence would spend part of the box on them.
  const args = ['train', '--project', projectId, '--dataset', datasetId, ...armArgs, '--minutes', opts.minutes, '--seed', opts.seed, '--sample-every', 1000000, '--checkpoint-every', 1000000, ...(opts.parallel ? ['--workers', 1] : []), ...backendArgs];
  a.command = `atelier ${args.map((x) => (/\s/.test(String(x)) ? JSON.stringify(String(x)) : String(x))).join(' ')}`;
  log(`${t.set}: ${a.label}: ${opts.minutes} min${opts.parallel ? ' (1 worker, beside another arm)' : ''}`);
  try {
    const r = await cli(...args);
    a.trainWallMs = r.ms;
    if (r.value.status !== 'done' || !r.value.checkpoint) throw new Error(`atelier train ended "${r.value.status}" without a checkpoint (log: ${cli.logFile})`);
    a.runId = r.value.runId;
    a.checkpointId = r.value.checkpoint.id;
    const detail = (await cli('runs', 'show', a.runId)).value;
    Object.assign(a, {
      family: detail.run.family,
      steps: detail.run.step,
      imagesSeen: detail.run.imagesSeen,
      batchSize: detail.run.batchSize,
      trainMinutes: detail.run.trainMs / 60000,
      backend: detail.run.backend,
      backendReason: detail.run.backendReport?.reason ?? null,
      workers: detail.run.backendReport?.workers ?? 1,
      threads: detail.run.backendReport?.threads ?? null,
      parent: detail.run.parent ?? null,
      config: detail.config,
    });
    backends.add(`${a.backend}${a.backendReason ? ` (${a.backendReason})` : ''}`);
    if (spec.kind === 'finetune' && !a.parent) log(`${t.set}: warning: ${a.label}'s run names no parent model`);
    log(
      `${t.set}: ${a.label}: ${a.family}, ${a.steps} steps (${a.imagesSeen} images, batch ${a.batchSize}) in ${a.trainMinutes.toFixed(2)} min of training on ${a.backend}, ` +
        `${a.workers} worker(s); ${fmtMin(a.trainWallMs)} wall`,
    );
  } catch (err) {
    a.error = err instanceof Error ? err.message : String(err);
    log(`${t.set} ${a.label} failed: ${a.error}`);
  }
  return a;
}

// ------------------------------------------------------------------------------------------- scoring

function kid(realDir, genDir, name) {
  return ruler.score(realDir, genDir, path.join(opts.out, 'logs', `${name}-kid.log`));
}

// ----------------------------------------------------------------------------------------------- sheets

async function sheetFor(t) {
  const file = path.join(opts.out, 'sheets', `${t.set}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const real = pngs(t.realDir);
  const k = (s) => (s?.kid_learned ?? s?.kid_randconv ?? '—');
  const panels = [
    { label: `real (${real.length} images)`, files: pick(real, 64) },
    { label: `base, untrained (${k(t.base?.vsTarget)})`, files: pngs(base.samplesDir) },
    ...t.arms.map((a) => ({ label: `${a.label}, ${opts.minutes} min (${k(a.vsTarget)})`, files: pngs(a.samplesDir ?? '') })),
  ];
  const title = `${t.set} ${t.variant} · ${opts.minutes} min per arm from "${base.name}" · in brackets KID×10³ vs the target, ${hasLearned ? 'learned' : 'random-conv'} space`;
  await contactSheet(file, { title, panels, cell: base.size });
  return file;
}

// ---------------------------------------------------------------------------------------------- output

function attributionLines() {
  const lines = opts.sets.map((s) => {
    const spec = OWN_SETS[s] ?? SETS[s];
    return `**${s}**: ${spec.description}. ${spec.attribution}.`;
  });
  lines.push(`**base data**: ${BASE_DATA.description}. ${BASE_DATA.attribution}.`);
  if (base.attribution) lines.push(`**base model** "${base.name}": ${base.attribution}`);
  return lines;
}

function notes() {
  const lines = [
    machineLine(py),
    `Base: "${base.name}" (${base.family}, ${base.size} px, ${base.channels} channels, step ${base.step}, sha256 ${base.sha256.slice(0, 12)}…); its row is sampled untrained (\`atelier generate --model "${base.name}"\`, no prompt).`,
    `Arms: scratch = \`atelier train --model default --size ${base.size}\`; finetune = \`atelier train --from "${base.name}"\` (+ \`--freeze-d\`, \`--lr-scale\`, \`--model\` as the arm says); every arm \`--minutes ${opts.minutes} --seed ${opts.seed} --sample-every 1000000 --checkpoint-every 1000000\`${opts.backend ? ` --backend ${opts.backend}` : ''}, one uninterrupted session, ` +
      `${opts.parallel ? 'two side by side (an odd last one alone), `--workers 1` each (sharing the machine: fewer steps each)' : "one after the other with Atelier's default workers"}; backend ${[...backends].join('; ') || '—'}. ` +
      "`--minutes` counts Atelier's training-loop time, not start-up.",
    `Each target is imported as one flat folder (no labels) into a fresh data folder; a conditional base fine-tuned on it is sampled without a prompt.`,
    `Samples: ${opts.samples} per arm and for the base (\`atelier generate --seed 0 --count ${opts.samples}\`), scored with ${path.relative(ROOT, KID)} (KID ×10³, 50 subsets of min(real, samples, 100); lower is better; RGBA composited on white; everything at 32 px)${hasLearned ? '' : '; featnet.pt missing: no learned space'} ` +
      `against the target's images and against the base data (${baseData.manifest.count} of the base's training images). "beats scratch?": lower KID against the target than scratch in the ${hasLearned ? 'learned and random-conv spaces' : 'random-conv space'}.`,
  ];
  for (const t of targets) {
    const bits = [];
    if (t.imported) bits.push(`${t.imported.imported} images imported (${t.imported.duplicates} duplicates)`);
    for (const a of t.arms) {
      if (a.steps !== undefined) bits.push(`${a.label}: ${a.family}, ${a.steps} steps (batch ${a.batchSize}, ${a.imagesSeen} images), ${a.trainMinutes.toFixed(2)} min training, ${a.workers} worker(s), ${fmtMin(a.trainWallMs)} wall`);
      if (a.error) bits.push(`${a.label}: ERROR ${a.error.split('\n')[0]}`);
    }
    if (t.wallMs !== undefined) bits.push(`set ${fmtMin(t.wallMs)} in all`);
    if (t.sheet) bits.push(`sheet ${path.relative(opts.out, t.sheet)}`);
    if (t.error) bits.push(`ERROR: ${t.error.split('\n')[0]}`);
    lines.push(`${t.set} (${t.variant}): ${bits.join('; ')}.`);
  }
  return lines;
}

function writeResults(final) {
  const settings =
    `${opts.minutes} min per arm · ${opts.samples} samples · base "${base.name}" · seed ${opts.seed} · ${opts.parallel ? 'two arms side by side' : 'sequential'} · ` +
    `KID ×10³ (lower is better) · ${startedAt.toISOString()}${final ? '' : ' · (in progress)'}`;
  const done = targets.filter((t) => t.wallMs !== undefined);
  const md = markdown({ targets: done, armSpecs: opts.arms, minutes: opts.minutes, learned: hasLearned, settings, notes: notes(), attributions: attributionLines() });
  fs.writeFileSync(path.join(opts.out, 'results.md'), md);
  const json = {
    ...resultsHead('finetune', { final, startedAt, options: opts, shared: { dir: SHARED, ruler: KID, featnet: hasLearned ? FEATNET : null }, python: py }),
    base: { name: base.name, family: base.family, size: base.size, channels: base.channels, labels: base.labels, step: base.step, sha256: base.sha256, samples: path.relative(opts.out, base.samplesDir), vsBaseData: base.vsBase ?? null },
    baseData: { ...baseData.manifest, dir: path.relative(opts.out, baseDataDir) },
    targets: done.map((t) => ({
      set: t.set,
      variant: t.variant,
      data: t.data ? { ...t.data, dir: path.relative(opts.out, t.realDir) } : null,
      imported: t.imported ?? null,
      targetVsBaseData: t.realVsBase ?? null,
      base: t.base ? { vsTarget: t.base.vsTarget ?? null, vsBaseData: t.base.vsBase ?? null } : null,
      arms: t.arms.map((a) => ({
        arm: a.label,
        key: a.key,
        kind: a.kind,
        freezeD: a.freezeD,
        lrScale: a.lrScale,
        model: a.model,
        command: a.command ?? null,
        runId: a.runId ?? null,
        family: a.family ?? null,
        parent: a.parent ?? null,
        steps: a.steps ?? null,
        imagesSeen: a.imagesSeen ?? null,
        batchSize: a.batchSize ?? null,
        trainMinutes: a.trainMinutes ?? null,
        backend: a.backend ?? null,
        backendReason: a.backendReason ?? null,
        workers: a.workers ?? null,
        threads: a.threads ?? null,
        trainWallMs: a.trainWallMs ?? null,
        generateWallMs: a.generateWallMs ?? null,
        samples: a.samplesDir ? path.relative(opts.out, a.samplesDir) : null,
        vsTarget: a.vsTarget ?? null,
        vsBaseData: a.vsBase ?? null,
        beatsScratch: a.beatsScratch ?? null,
        config: a.config ?? null,
        error: a.error ?? null,
      })),
      sheet: t.sheet ? path.relative(opts.out, t.sheet) : null,
      wallMs: t.wallMs,
      error: t.error ?? null,
    })),
    attributions: attributionLines(),
  };
  fs.writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
  if (!final) return { md };
  const text = [
    resultsTable(done),
    '',
    ...summaryLines(done, opts.arms, opts.minutes, hasLearned),
    '',
    'Data:',
    ...attributionLines().map((l) => `- ${l}`),
    '',
    `Full notes: ${path.join(opts.out, 'results.md')} · ${path.join(opts.out, 'results.json')} · contact sheets in ${path.join(opts.out, 'sheets')}`,
  ].join('\n');
  return { md: text };
}
