#!/usr/bin/env node
/**
 * Sample-quality benchmark (issue 14, part 2): Atelier's default model against the seed-000 PyTorch DCGAN
 * peer on several public image sets from npm, each trained for the same minutes on the same machine and
 * scored with the external ruler (KID in three feature spaces). Prints a Markdown table and writes
 * OUT/results.md, OUT/results.json and one contact sheet per set (real | peer | Atelier).
 *
 *   npm run build && npm run bench:quality -- [--sets twemoji,tabler] [--variants rgb32,rgba32] [--minutes 10]
 *
 * Atelier is driven only through its public CLI (projects create, import, train, runs show, generate) in
 * a fresh --data-dir per set, as a user would. See docs/bench-quality.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETS, SET_NAMES, VARIANTS, parseVariant, hasVariant, hasLabels, buildSet, buildLabelled } from './bench-quality/datasets.mjs';
import { contactSheet, pngs, pick } from './bench-quality/sheet.mjs';
import { runJson } from './bench-quality/run.mjs';
import { markdown, resultsTable, curveTable, goalLine, ratio, meetsGoal, adherenceFrom, adherenceTable } from './bench-quality/report.mjs';
import { atelierCli, fmtEstimate, fmtMin, log, machineLine, parseFlags, preflightRuler, resultsHead } from './bench-quality/cli.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `Usage: npm run bench:quality -- [options]   (or: node scripts/bench-quality.mjs [options])

Trains Atelier's default model and the PyTorch DCGAN peer on public image sets for the same minutes,
scores both with shared/eval/kid.py and prints a table (also OUT/results.md, OUT/results.json, OUT/sheets/).

Options:
  --sets LIST               comma-separated, from: ${SET_NAMES.join(', ')} (default: all)
  --variants LIST           from: ${VARIANTS.join(', ')} (default: rgb32,rgba32; mnist has RGB only)
  --minutes M               training minutes for each model (default: 10)
  --checkpoint-minutes C    score Atelier every C training minutes, to find when it reaches the peer's
                            final score (default: 1; 0 = one uninterrupted run, final checkpoint only)
  --samples N               samples generated per model and checkpoint (default: 256)
  --seed S                  Atelier's training seed (default: 0; the peer's is fixed at 0)
  --config JSON             overrides of Atelier's model config, passed to \`atelier train --config\`
                            (e.g. '{"width":16}'), to compare recipes on the same sets
  --backend NAME            Atelier backend (auto | wasm | cpu | …; default: Atelier's own choice)
  --peer-threads T          torch threads for the peer (default: 2)
  --parallel                train the peer and Atelier side by side (default: one after the other)
  --atelier-only            skip the peer      --peer-only    skip Atelier
  --out DIR                 results folder (default: bench-results/quality-<timestamp>)
  --keep-data               keep Atelier's data folders (catalog + checkpoints; large)
  --adherence               prompt adherence: sets with categories (${SET_NAMES.filter(hasLabels).join(', ')}) are imported
                            with their categories as labels and Atelier trains the conditional model
                            (cgan) on them; its quality probe's per-label adherence (a classifier trained on
                            the labelled images judges samples prompted with each label) is reported next
                            to KID. Other sets train as usual.
  --build-only              only build the image sets into OUT/data (with preview sheets) and stop
  -h, --help                this help

Environment: ATELIER_SHARED (default: ../shared beside the repo: bench/torch_dcgan_quality_peer.py and
eval/kid.py), ATELIER_PYTHON (default: /usr/bin/python3, Debian's python3-torch), ATELIER_WASM_THREADS.`;

// ---------------------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const { o, num, usage } = parseFlags(argv, { valueFlags: ['sets', 'variants', 'minutes', 'checkpoint-minutes', 'samples', 'seed', 'config', 'backend', 'peer-threads', 'out'], boolFlags: ['parallel', 'atelier-only', 'peer-only', 'keep-data', 'build-only', 'adherence'], help: HELP });
  const list = (name, all, dflt) => {
    const items = (o[name] ?? dflt.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
    for (const s of items) if (!all.includes(s)) usage(`--${name}: unknown "${s}" (one of ${all.join(', ')})`);
    return [...new Set(items)];
  };
  const opts = {
    sets: list('sets', SET_NAMES, SET_NAMES),
    variants: list('variants', VARIANTS, ['rgb32', 'rgba32']),
    minutes: num('minutes', 10, { min: 0.01 }),
    checkpointMinutes: num('checkpoint-minutes', 1),
    samples: num('samples', 256, { min: 16, int: true }),
    seed: num('seed', 0, { int: true }),
    backend: o.backend ?? null,
    config: o.config ?? null,
    peerThreads: num('peer-threads', 2, { min: 1, int: true }),
    parallel: Boolean(o.parallel),
    atelier: !o['peer-only'],
    peer: !o['atelier-only'],
    keepData: Boolean(o['keep-data']),
    buildOnly: Boolean(o['build-only']),
    adherence: Boolean(o.adherence),
    out: path.resolve(o.out ?? path.join(ROOT, 'bench-results', `quality-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`)),
  };
  if (!opts.atelier && !opts.peer) usage('--atelier-only and --peer-only exclude each other');
  if (opts.config !== null) {
    let c;
    try {
      c = JSON.parse(opts.config);
    } catch {
      usage(`--config: not JSON: ${opts.config}`);
    }
    if (typeof c !== 'object' || c === null || Array.isArray(c)) usage('--config: a JSON object, e.g. \'{"width":16}\'');
  }
  return opts;
}


/** Checkpoint marks in training minutes: C, 2C, … up to M (always ending at M). */
function marksFor(minutes, every) {
  if (!(every > 0) || every >= minutes) return [minutes];
  const marks = [];
  for (let k = 1; k * every < minutes - 1e-9; k++) marks.push(Math.round(k * every * 1e4) / 1e4);
  marks.push(minutes);
  return marks;
}

// ------------------------------------------------------------------------------------------------- main

const opts = parseArgs(process.argv.slice(2));
const DATA = path.join(opts.out, 'data');

const rows = [];
for (const set of opts.sets) {
  for (const variant of opts.variants) {
    if (!hasVariant(set, variant)) continue;
    const { mode, size } = parseVariant(variant);
    // --adherence: the sets with categories train Atelier's conditional model on them (see atelierFor).
    const conditional = opts.adherence && hasLabels(set);
    rows.push({ set, variant, mode, size, key: `${set}-${variant}`, model: conditional ? 'cgan' : 'default', conditional });
  }
}
const skipped = opts.sets.flatMap((s) => opts.variants.filter((v) => !hasVariant(s, v)).map((v) => `${s}-${v}`));

if (opts.buildOnly) {
  await buildOnly();
  process.exit(0);
}

// Preflight: the peer, the ruler, Python with torch, the built CLI.
const ruler = preflightRuler({ extra: [['the PyTorch peer', 'bench/torch_dcgan_quality_peer.py']], needCli: opts.atelier });
const { shared: SHARED, kid: KID, featnet: FEATNET, py, hasLearned } = ruler;
const PEER = path.join(SHARED, 'bench', 'torch_dcgan_quality_peer.py');
fs.mkdirSync(opts.out, { recursive: true });
if (!hasLearned) log(`warning: ${FEATNET} is missing, so the ruler has no learned space; the goal is judged on random-conv alone.`);

const peerRuns = new Set(rows.map((r) => `${r.set}-${r.size}`)).size;
const marks = marksFor(opts.minutes, opts.checkpointMinutes);
// Rough: each model trains M minutes; Atelier adds ~25 s per checkpoint (restart, generate, score).
const estimateMin = (opts.peer ? peerRuns * opts.minutes : 0) + (opts.atelier ? rows.length * (opts.minutes + marks.length * 0.45) : 0);
log(
  `${rows.length} set/variant rows (${rows.map((r) => r.key).join(', ')})${skipped.length ? `; skipped ${skipped.join(', ')} (no alpha)` : ''}; ` +
    `${opts.minutes} min per model, ${opts.parallel ? 'peer and Atelier side by side' : 'one model at a time'}; expect about ${fmtEstimate(opts.parallel ? estimateMin * 0.6 : estimateMin)} in all. Results: ${opts.out}`,
);

const startedAt = new Date();
const peerCache = new Map();
const peerScoreCache = new Map();
const backends = new Set();
const atelierThreads = new Set();

for (const row of rows) {
  const t0 = Date.now();
  log(`── ${row.key}: building the data`);
  try {
    const built = await buildSet(row.set, row.size, DATA);
    row.data = built.manifest;
    row.realDir = built.dirs[row.mode];
    if (row.conditional) {
      const labelled = await buildLabelled(row.set, row.size, row.mode, DATA);
      row.labelledDir = labelled.dir;
      row.labelCounts = labelled.counts;
      log(`${row.key}: ${Object.keys(labelled.counts).length} labels (${Object.entries(labelled.counts).map(([l, n]) => `${l} ${n}`).join(', ')})`);
    }
    row.peerInput = built.dirs.rgb;
    row.minutes = opts.minutes;
    const jobs = [];
    if (opts.peer) jobs.push(() => peerFor(row));
    if (opts.atelier) jobs.push(() => atelierFor(row));
    if (opts.parallel) await Promise.all(jobs.map((j) => j()));
    else for (const j of jobs) await j();
    await scoreRow(row);
    row.sheet = await sheetFor(row);
  } catch (err) {
    row.error = err instanceof Error ? err.message : String(err);
    log(`${row.key} failed: ${row.error}`);
  }
  row.wallMs = Date.now() - t0;
  if (!opts.keepData && row.atelier?.dataDir) fs.rmSync(row.atelier.dataDir, { recursive: true, force: true });
  log(`── ${row.key} done in ${fmtMin(row.wallMs)}${row.goal === null || row.goal === undefined ? '' : `; goal ${row.goal ? 'met' : 'not met'}`}`);
  writeResults(false);
}
const { md } = writeResults(true);
console.log(md);

// ----------------------------------------------------------------------------------------------- peer

/** The peer trains once per set and size, on the RGB (flattened on white) images: it reads no alpha. */
function peerFor(row) {
  const key = `${row.set}-${row.size}`;
  if (!peerCache.has(key)) {
    peerCache.set(
      key,
      (async () => {
        const dir = path.join(opts.out, 'peer', key);
        fs.rmSync(dir, { recursive: true, force: true });
        const samplesDir = path.join(dir, 'samples');
        log(`${row.key}: PyTorch peer, ${opts.minutes} min on ${opts.peerThreads} threads (${path.relative(opts.out, row.peerInput)})`);
        const r = await runJson(py.python, [PEER, row.peerInput, samplesDir, String(opts.minutes), String(opts.samples), String(opts.peerThreads)], {
          log: path.join(opts.out, 'logs', `${key}-peer.log`),
        });
        log(`${row.key}: peer did ${r.value.steps} steps (${r.value.images_seen} images) in ${opts.minutes} min of training, ${fmtMin(r.ms)} wall`);
        return { key, input: path.relative(opts.out, row.peerInput), steps: r.value.steps, imagesSeen: r.value.images_seen, minutes: opts.minutes, threads: opts.peerThreads, wallMs: r.ms, samplesDir };
      })(),
    );
  }
  return peerCache.get(key).then((p) => (row.peer = { ...p }));
}

// -------------------------------------------------------------------------------------------- Atelier

/**
 * Atelier through its CLI: a fresh data folder, a project, the set imported, then `train` for the first
 * checkpoint's minutes and `train --resume` for each next one (a resumed run continues exactly: weights,
 * optimiser, RNG and data order come from the checkpoint), sampling every checkpoint with `generate`.
 * Conditional rows (--adherence) import the labelled copy (one subfolder per category) and train cgan;
 * each session's final checkpoint is measured by the run's own quality probe, whose `metric/adherence*`
 * curves `runs show` returns (the samples for KID are then drawn by `generate` without a prompt, i.e.
 * the unlabelled condition).
 */
async function atelierFor(row) {
  const base = path.join(opts.out, 'atelier', row.key);
  const dataDir = path.join(base, 'data');
  fs.rmSync(base, { recursive: true, force: true });
  const logFile = path.join(opts.out, 'logs', `${row.key}-atelier.log`);
  const cli = atelierCli(dataDir, logFile);
  const backendArgs = opts.backend ? ['--backend', opts.backend] : [];
  const a = (row.atelier = { dataDir, marks: [], sessions: 0, trainWallMs: 0, generateWallMs: 0 });

  const project = (await cli('projects', 'create', `Quality bench ${row.key}`)).value;
  const imp = (await cli('import', row.labelledDir ?? row.realDir, '--project', project.id)).value;
  a.imported = { datasetId: imp.datasetId, imported: imp.imported, duplicates: imp.duplicates, skipped: imp.skipped?.length ?? 0 };
  log(`${row.key}: Atelier imported ${imp.imported} images (${imp.duplicates} duplicates, ${a.imported.skipped} skipped); training ${opts.minutes} min at ${row.size} px, checkpoints at ${marks.join(', ')} min`);

  let runId = null;
  let prev = 0;
  for (const mark of marks) {
    const length = String(Math.round((mark - prev) * 1e4) / 1e4);
    const args =
      runId === null
        ? // Grids and checkpoints only where the bench asks for them (each session's end): the studio's
          // own cadence would spend part of the box on sample grids and quality measurements, which
          // count toward --minutes. Resumed sessions keep these settings.
          ['train', '--project', project.id, '--dataset', imp.datasetId, '--model', row.model, '--size', row.size, '--minutes', length, '--seed', opts.seed, '--sample-every', '1000000', '--checkpoint-every', '1000000', ...(opts.config ? ['--config', opts.config] : []), ...backendArgs]
        : ['train', '--resume', runId, '--minutes', length, ...backendArgs];
    const t = await cli(...args);
    a.sessions++;
    a.trainWallMs += t.ms;
    if (t.value.status !== 'done' || !t.value.checkpoint) throw new Error(`atelier train ended "${t.value.status}" without a checkpoint (log: ${logFile})`);
    runId = t.value.runId;
    const detail = (await cli('runs', 'show', runId)).value;
    const samplesDir = path.join(base, 'samples', `min-${mark.toFixed(2).padStart(6, '0')}`);
    for (const p of promptPlan(row.conditional ? row.labelCounts : null, opts.samples)) {
      const prompt = p.label === null ? [] : ['--prompt', p.label];
      const g = await cli('generate', '--run', runId, '--checkpoint', t.value.checkpoint.id, '--count', p.count, '--seed', p.seed, '--batch', 32, '--out', samplesDir, ...prompt, ...backendArgs);
      a.generateWallMs += g.ms;
    }
    a.marks.push({
      minutes: mark,
      trainMinutes: detail.run.trainMs / 60000,
      step: detail.run.step,
      imagesSeen: detail.run.imagesSeen,
      checkpointId: t.value.checkpoint.id,
      samplesDir,
      // The probe's prompt adherence at this checkpoint (conditional rows; null when not measured).
      adherence: row.conditional ? adherenceFrom(detail.scalars, detail.run.step) : null,
    });
    Object.assign(a, {
      runId,
      backend: detail.run.backend,
      backendReason: detail.run.backendReport?.reason ?? null,
      threads: detail.run.backendReport?.threads ?? null,
      steps: detail.run.step,
      imagesSeen: detail.run.imagesSeen,
      batchSize: detail.run.batchSize,
      trainMinutes: detail.run.trainMs / 60000,
      config: detail.config,
    });
    prev = mark;
  }
  a.final = a.marks.at(-1);
  backends.add(`${a.backend}${a.backendReason ? ` (${a.backendReason})` : ''}`);
  if (a.threads !== null) atelierThreads.add(a.threads);
  log(
    `${row.key}: Atelier did ${a.steps} steps (${a.imagesSeen} images, batch ${a.batchSize}) in ${a.trainMinutes.toFixed(2)} min of training on ${a.backend}` +
      `${a.threads ? ` (${a.threads} thread${a.threads > 1 ? 's' : ''})` : ''}; ${a.sessions} session(s), ${fmtMin(a.trainWallMs)} wall training, ${fmtMin(a.generateWallMs)} sampling`,
  );
}

/**
 * The samples for KID: one unprompted call, or for a conditional row one call per label with counts in
 * the data's label proportions (as the quality probe samples), seeds 0…N−1 across the calls.
 */
function promptPlan(labelCounts, samples) {
  if (!labelCounts) return [{ label: null, count: samples, seed: 0 }];
  const expanded = Object.keys(labelCounts).sort().flatMap((l) => new Array(labelCounts[l]).fill(l));
  const plan = [];
  for (let i = 0; i < samples; i++) {
    const label = expanded[Math.floor((i * expanded.length) / samples)];
    const last = plan.at(-1);
    if (last && last.label === label) last.count++;
    else plan.push({ label, count: 1, seed: i });
  }
  return plan;
}

// ------------------------------------------------------------------------------------------- scoring

function kid(realDir, genDir, name) {
  return ruler.score(realDir, genDir, path.join(opts.out, 'logs', `${name}-kid.log`));
}

async function scoreRow(row) {
  if (row.peer) {
    const key = row.peer.key;
    // The peer's samples are scored against its own input (the RGB images); kid.py composites RGBA on
    // white, so that is the same real set as the RGBA variant's.
    if (!peerScoreCache.has(key)) peerScoreCache.set(key, kid(row.peerInput, row.peer.samplesDir, `${key}-peer`));
    row.peer.score = await peerScoreCache.get(key);
  }
  if (row.atelier) {
    for (const m of row.atelier.marks) m.score = await kid(row.realDir, m.samplesDir, `${row.key}-atelier-min${m.minutes}`);
  }
  const p = row.peer?.score;
  const a = row.atelier?.final?.score;
  row.ratios = {
    learned: ratio(a?.kid_learned, p?.kid_learned),
    randconv: ratio(a?.kid_randconv, p?.kid_randconv),
    pixels: ratio(a?.kid_pixels, p?.kid_pixels),
  };
  row.goal = meetsGoal(row);
  if (p && row.atelier?.marks?.length) {
    const reached = row.atelier.marks.find((m) => m.score.kid_randconv <= p.kid_randconv && (p.kid_learned === undefined || m.score.kid_learned <= p.kid_learned));
    row.minutesToPeer = reached ? reached.minutes : null;
  }
  const fmt = (s) => (s ? `learned ${s.kid_learned ?? '—'}, randconv ${s.kid_randconv}, pixels ${s.kid_pixels}, memorised ${s.memorised}` : '—');
  log(`${row.key}: KID×10³ peer: ${fmt(p)} | Atelier: ${fmt(a)}`);
}

// ----------------------------------------------------------------------------------------------- sheets

async function sheetFor(row) {
  const file = path.join(opts.out, 'sheets', `${row.key}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const real = pngs(row.realDir);
  const panels = [{ label: `real (${real.length} images)`, files: pick(real, 64) }];
  if (opts.peer) panels.push({ label: `PyTorch peer, ${opts.minutes} min`, files: pngs(row.peer?.samplesDir ?? '') });
  if (opts.atelier) panels.push({ label: `Atelier ${row.model}, ${opts.minutes} min`, files: pngs(row.atelier?.final?.samplesDir ?? '') });
  const k = (s, space) => (s?.[space] === undefined ? '—' : s[space]);
  const p = row.peer?.score;
  const a = row.atelier?.final?.score;
  const title = `${row.key} · KID×10³ learned ${k(p, 'kid_learned')} vs ${k(a, 'kid_learned')} · randconv ${k(p, 'kid_randconv')} vs ${k(a, 'kid_randconv')} (peer vs Atelier)`;
  await contactSheet(file, { title, panels, cell: row.size });
  return file;
}

// ---------------------------------------------------------------------------------------------- output

function attributionLines() {
  return opts.sets.map((s) => `**${s}**: ${SETS[s].description}. ${SETS[s].attribution}.`);
}

function notes() {
  const lines = [
    machineLine(py),
    `Models were trained ${opts.parallel ? 'side by side (--parallel), sharing the machine' : 'one after the other, each with the whole machine'}.`,
    `Peer: ${path.relative(ROOT, PEER)} (32×32 RGB DCGAN, seed 0, batch 64, ${opts.peerThreads} torch threads), ${opts.minutes} min wall-clock training (its data loading excluded); it reads no alpha, so it trains on each set's RGB (flattened on white) images, once per set and size, and the RGB and RGBA rows share it.`,
    `Atelier: \`atelier train --model ${opts.adherence ? 'default (cgan for the rows with categories, --adherence)' : 'default'} --seed ${opts.seed}${opts.config ? ` --config '${opts.config}'` : ''}${opts.backend ? ` --backend ${opts.backend}` : ''}\` on backend ${[...backends].join('; ') || '—'}${atelierThreads.size ? `, ${[...atelierThreads].join('/')} thread(s)` : ''}; \`--minutes\` counts Atelier's training-loop time (steps, sample grids, checkpoints; not start-up or its own metric). ` +
      (marks.length > 1
        ? `Checkpoints at ${marks.join(', ')} min: the run is trained in ${marks.length} sessions (\`train\`, then \`train --resume RUN --minutes ${opts.checkpointMinutes}\`), sampled between sessions.`
        : 'One uninterrupted run; only its final checkpoint is scored.'),
    `Samples: ${opts.samples} per model (${opts.atelier ? `\`atelier generate --seed 0 --count ${opts.samples}\`` : ''}${opts.atelier && opts.peer ? '; ' : ''}${opts.peer ? `the peer's ${opts.samples}` : ''}), scored against the set's images with ${path.relative(ROOT, KID)} (KID ×10³, 50 subsets of min(real, samples, 100); lower is better; RGBA composited on white; everything at 32 px)${hasLearned ? '' : '; featnet.pt missing: no learned space'}.`,
    ...(opts.adherence
      ? [
          `Prompt adherence (--adherence): the sets with categories were imported one subfolder per category (labels) and trained with \`--model cgan\`; their KID samples were generated per label in the data's label proportions. Adherence is Atelier's own quality probe at each session's last checkpoint (\`runs show\`, \`metric/adherence*\`): a small CNN trained on the labelled images (stratified 20 % held out) classifies images generated with each label; "samples" is the share classified as the label prompted (mean over labels), "real" the same classifier on the held-out real images, chance 1/labels.`,
        ]
      : []),
    `Ratios are Atelier / peer; the goal is ≤ ⅓ in the learned and the random-conv spaces. "Atelier min to peer's score" is the first checkpoint whose learned and random-conv KID are both at or below the peer's final ones.`,
  ];
  for (const row of rows) {
    const bits = [];
    if (row.peer?.steps !== undefined) bits.push(`peer ${row.peer.steps} steps, ${row.peer.imagesSeen} images, ${fmtMin(row.peer.wallMs)} wall`);
    if (row.atelier?.steps !== undefined)
      bits.push(`Atelier ${row.atelier.steps} steps (batch ${row.atelier.batchSize}), ${row.atelier.imagesSeen} images, ${row.atelier.trainMinutes.toFixed(2)} min training in ${row.atelier.sessions} session(s), ${fmtMin(row.atelier.trainWallMs)} wall training + ${fmtMin(row.atelier.generateWallMs)} sampling`);
    if (row.wallMs !== undefined) bits.push(`row ${fmtMin(row.wallMs)} in all`);
    if (row.sheet) bits.push(`sheet ${path.relative(opts.out, row.sheet)}`);
    if (row.error) bits.push(`ERROR: ${row.error.split('\n')[0]}`);
    lines.push(`${row.key}: ${bits.join('; ')}.`);
  }
  return lines;
}

function writeResults(final) {
  const settings =
    `${opts.minutes} min per model · ${opts.samples} samples · Atelier \`default\`${opts.adherence ? ' (`cgan` on the sets with categories)' : ''}${opts.config ? ` with \`${opts.config}\`` : ''}, seed ${opts.seed} · peer seed 0, ${opts.peerThreads} threads · ` +
    `${opts.parallel ? 'side by side' : 'sequential'} · KID ×10³ (lower is better) · ${startedAt.toISOString()}${final ? '' : ' · (in progress)'}`;
  const done = rows.filter((r) => r.wallMs !== undefined);
  const md = markdown({ rows: done, settings, notes: notes(), attributions: attributionLines() });
  fs.writeFileSync(path.join(opts.out, 'results.md'), md);
  const json = {
    ...resultsHead('quality', { final, startedAt, options: { ...opts, out: opts.out }, shared: { dir: SHARED, peer: PEER, ruler: KID, featnet: hasLearned ? FEATNET : null }, python: py }),
    checkpointMarks: marks,
    goal: { ratio: 1 / 3, spaces: hasLearned ? ['kid_learned', 'kid_randconv'] : ['kid_randconv'], met: done.filter((r) => r.goal).length, judged: done.filter((r) => r.goal !== null && r.goal !== undefined).length, rows: done.length },
    rows: done.map((r) => ({
      set: r.set,
      variant: r.variant,
      size: r.size,
      data: r.data ? { ...r.data, dir: path.relative(opts.out, r.realDir) } : null,
      peer: r.peer ? { input: r.peer.input, minutes: r.peer.minutes, threads: r.peer.threads, steps: r.peer.steps, imagesSeen: r.peer.imagesSeen, wallMs: r.peer.wallMs, samples: path.relative(opts.out, r.peer.samplesDir), ...r.peer.score } : null,
      atelier: r.atelier
        ? {
            runId: r.atelier.runId ?? null,
            backend: r.atelier.backend ?? null,
            backendReason: r.atelier.backendReason ?? null,
            threads: r.atelier.threads ?? null,
            batchSize: r.atelier.batchSize ?? null,
            steps: r.atelier.steps ?? null,
            imagesSeen: r.atelier.imagesSeen ?? null,
            trainMinutes: r.atelier.trainMinutes ?? null,
            sessions: r.atelier.sessions,
            trainWallMs: r.atelier.trainWallMs,
            generateWallMs: r.atelier.generateWallMs,
            imported: r.atelier.imported ?? null,
            ...(r.atelier.final?.score ?? {}),
            model: r.model,
            adherence: r.atelier.final?.adherence ?? null,
            checkpoints: r.atelier.marks.map((m) => ({ minutes: m.minutes, trainMinutes: m.trainMinutes, step: m.step, imagesSeen: m.imagesSeen, samples: path.relative(opts.out, m.samplesDir), ...m.score, adherence: m.adherence })),
            config: r.atelier.config ?? null,
          }
        : null,
      ratios: r.ratios ?? null,
      minutesToPeerScore: r.minutesToPeer ?? null,
      meetsGoal: r.goal ?? null,
      sheet: r.sheet ? path.relative(opts.out, r.sheet) : null,
      wallMs: r.wallMs,
      error: r.error ?? null,
    })),
    attributions: opts.sets.map((s) => ({ set: s, source: SETS[s].source(), description: SETS[s].description, attribution: SETS[s].attribution })),
  };
  fs.writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
  if (!final) return { md };
  const text = [
    resultsTable(done, opts.minutes),
    '',
    goalLine(done),
    '',
    curveTable(done),
    '',
    ...(adherenceTable(done) ? [adherenceTable(done), ''] : []),
    'Data:',
    ...attributionLines().map((l) => `- ${l}`),
    '',
    `Full notes: ${path.join(opts.out, 'results.md')} · ${path.join(opts.out, 'results.json')} · contact sheets in ${path.join(opts.out, 'sheets')}`,
  ].join('\n');
  return { md: text };
}

// ------------------------------------------------------------------------------------------ build only

async function buildOnly() {
  const sizes = [...new Set(opts.variants.map((v) => parseVariant(v).size))];
  for (const set of opts.sets) {
    for (const size of sizes) {
      const t0 = Date.now();
      const { dirs, manifest } = await buildSet(set, size, DATA);
      const panels = Object.entries(dirs)
        .filter(([, d]) => d)
        .map(([mode, d]) => ({ label: `${mode}${size}${mode === 'rgba' ? ' (on a checkerboard)' : ''}`, files: pick(pngs(d), 64), checker: mode === 'rgba' }));
      const sheet = path.join(DATA, set, `preview-${size}.png`);
      await contactSheet(sheet, { title: `${set} ${size} px: ${manifest.count} images from ${manifest.source}`, panels, cell: set === 'mnist' ? 28 : size });
      console.log(`${set} ${size}px: ${manifest.count} images in ${Object.values(dirs).filter(Boolean).map((d) => path.relative(ROOT, d)).join(', ')} (${Date.now() - t0} ms); sha256 ${manifest.sha256.slice(0, 16)}…; preview ${path.relative(ROOT, sheet)}`);
      if (opts.adherence && hasLabels(set)) {
        for (const mode of ['rgb', 'rgba']) {
          const labelled = await buildLabelled(set, size, mode, DATA);
          if (labelled) console.log(`  labelled ${mode}${size}: ${path.relative(ROOT, labelled.dir)} (${Object.entries(labelled.counts).map(([l, n]) => `${l} ${n}`).join(', ')})`);
        }
      }
    }
  }
  console.log('\nData:');
  for (const l of attributionLines()) console.log(`- ${l}`);
}
