import type { Command } from 'commander';
import { fail, printResult, progressBar, type GlobalOptions } from './output';
import { openService } from './context';
import { AtelierError } from '../../shared/errors';
import { ConfigValue, ModelFamily, type Dataset, type Run, type StartTraining, type TrainLength } from '../../shared/contract';
import { canFineTune, proposedImageFamily } from '../../shared/conditioning';
import { KID_MEASURES, familyLabel, formatBestMetric, formatKid, formatMeasure, formatStarted } from '../../shared/run-format';
import { isTextFamily } from '../../shared/families';
import type { Service } from '../service';

interface TrainFlags {
  project?: string;
  dataset?: string;
  model?: string;
  size?: string;
  steps?: string;
  minutes?: string;
  backend?: string;
  batch?: string;
  seed?: string;
  resume?: string;
  from?: string;
  freezeD?: string;
  lrScale?: string;
  sampleEvery?: string;
  checkpointEvery?: string;
  workers?: string;
  config?: string;
}

export function registerTrainCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('train')
    .description('Train a model on a dataset, or continue a run (--resume). Ctrl-C stops it, resumable.')
    .option('--project <project>', 'project id or name')
    .option('--dataset <dataset>', 'dataset id or name (default: the project\'s only dataset of the right kind)')
    .option('--model <family>', 'mlpgan | dcgan | default | cgan | vae | charlstm | chartransformer (with --from: the base\'s own; without: cgan for an image dataset with labels or tags, else default)')
    .option('--size <px>', 'image size: 32, 64 or 128 (image families; mlpgan is 28, dcgan 32)')
    .option('--steps <n>', 'train for n steps')
    .option('--minutes <m>', 'train for m minutes of training time')
    .option('--batch <n>', 'batch size')
    .option('--seed <n>', 'random seed (default: from the clock, recorded in the run)')
    .option('--backend <name>', 'auto | tensorflow-gpu | tensorflow | webgpu | wasm | cpu')
    .option('--resume <runId>', 'continue this run from its last checkpoint')
    .option('--from <checkpoint>', 'fine-tune from a checkpoint id, a checkpoint sha256, a run id ("run:ID") or a base model name')
    .option('--freeze-d <layers>', 'fine-tuning: freeze the first n discriminator layers (FreezeD)')
    .option('--lr-scale <x>', 'fine-tuning: multiply the learning rate')
    .option('--sample-every <steps>', 'save a sample grid every n steps')
    .option('--checkpoint-every <steps>', 'save a checkpoint every n steps')
    .option('--config <json>', 'advanced: overrides of the model\'s config as a JSON object of numbers, booleans and strings, e.g. \'{"width":16,"lr":0.0002}\' (checked by the model)')
    .option('--workers <n>', 'data-parallel training workers (image models; default: one per free core, or ATELIER_TRAIN_WORKERS; --resume: the run\'s own)')
    .action(async (flags: TrainFlags) => {
      const opts = globals();
      const service = openService(opts);
      try {
        const run = flags.resume ? resume(service, flags) : start(service, flags);
        const result = await follow(service, run, opts);
        printResult(opts, result, () =>
          `Run ${result.runId} ${result.status} at step ${result.steps} on ${result.backend ?? '?'}${result.workers > 1 ? `, ${result.workers} workers` : ''}` +
          (result.checkpoint ? `; checkpoint ${result.checkpoint.id} (step ${result.checkpoint.step})` : ''),
        );
        await service.close();
        process.exit(result.status === 'done' ? 0 : 1);
      } catch (err) {
        await service.close().catch(() => {});
        fail(err, opts);
      }
    });

  const runs = program.command('runs').description('List and inspect training runs.');
  runs
    .command('list')
    .option('--project <project>', 'project id or name')
    .description('Runs of a project, newest first.')
    .action(async (flags: { project?: string }) => {
      const opts = globals();
      const service = openService(opts);
      try {
        const projectId = (await service.call('projects.resolve', { ref: required(flags.project, '--project') })).id;
        const list = await service.call('runs.list', { projectId });
        printResult(opts, list, () => (list.length === 0 ? 'No runs yet.' : list.map(describeRun).join('\n')));
        await service.close();
      } catch (err) {
        fail(err, opts);
      }
    });
  runs
    .command('show')
    .argument('<runId>', 'run id')
    .description('A run with its losses, sample grids and checkpoints.')
    .action(async (runId: string) => {
      const opts = globals();
      const service = openService(opts);
      try {
        const detail = await service.call('runs.get', { id: parseId(runId, 'run id') });
        printResult(opts, detail, () => {
          const r = detail.run;
          const workers = r.backendReport?.workers ?? 1;
          const lines = [describeRun(r), `backend: ${r.backend ?? '—'}${workers > 1 ? `, ${workers} workers` : ''}${r.backendReport ? ` (${r.backendReport.reason})` : ''}`];
          for (const [name, points] of Object.entries(detail.scalars)) {
            const last = points[points.length - 1];
            if (last) lines.push(`${name}: ${describeScalar(name, last[1])} at step ${last[0]} (${points.length} points)`);
          }
          lines.push(`sample grids: ${detail.grids.map((g) => g.step).join(', ') || 'none'}`);
          lines.push(`checkpoints: ${detail.checkpoints.map((c) => describeCheckpoint(r, c)).join(', ') || 'none'}`);
          return lines.join('\n');
        });
        await service.close();
      } catch (err) {
        fail(err, opts);
      }
    });

  program
    .command('models')
    .description('Models: list (base models included).')
    .command('list')
    .option('--project <project>', 'project id or name (default: base and imported models only)')
    .action(async (flags: { project?: string }) => {
      const opts = globals();
      const service = openService(opts);
      try {
        const projectId = flags.project ? (await service.call('projects.resolve', { ref: flags.project })).id : undefined;
        const list = await service.call('models.list', { projectId });
        printResult(opts, list, () =>
          list.length === 0 ? 'No models yet.' : list.map((m) => `${String(m.id).padStart(4)}  ${m.name}  [${m.family}, ${m.source}]  ${m.checkpoints.length} checkpoints`).join('\n'),
        );
        await service.close();
      } catch (err) {
        fail(err, opts);
      }
    });
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new AtelierError('bad_request', `${flag} is required.`);
  return value;
}

function parseId(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new AtelierError('bad_request', `${what} must be a positive integer, got "${text}".`);
  return n;
}

function parseLength(flags: TrainFlags, requiredLength: boolean): TrainLength | undefined {
  if (flags.steps && flags.minutes) throw new AtelierError('bad_request', 'Give either --steps or --minutes, not both.');
  if (flags.steps) return { steps: parseId(flags.steps, '--steps') };
  if (flags.minutes) {
    const m = Number(flags.minutes);
    if (!(m > 0)) throw new AtelierError('bad_request', `--minutes must be a positive number, got "${flags.minutes}".`);
    return { minutes: m };
  }
  if (requiredLength) throw new AtelierError('bad_request', 'Say how long to train: --steps N or --minutes M.');
  return undefined;
}

function optionalInt(v: string | undefined, what: string): number | undefined {
  return v === undefined ? undefined : parseId(v, what);
}

async function start(service: Service, flags: TrainFlags): Promise<Run> {
  return service.call('runs.start', await startInput(service, flags));
}

/**
 * The `runs.start` request a `train` command line asks for. Fine-tuning (--from) takes the family and
 * size from the checkpoint it starts from, so --model and --size may be left out; given, they must
 * agree with it (a DCGAN cannot continue a small-data GAN's weights).
 */
export async function startInput(service: Service, flags: TrainFlags): Promise<StartTraining> {
  const project = await service.call('projects.resolve', { ref: required(flags.project, '--project') });
  const base = flags.from ? await resolveBase(service, flags.from, project.id) : null;
  const all = await service.call('datasets.list', { projectId: project.id });
  const family = base ? familyFromBase(base, flags.model) : flags.model !== undefined ? parseFamily(flags.model) : proposedFamily(all, flags.dataset);
  const isText = isTextFamily(family);
  const datasets = all.filter((d) => d.kind === (isText ? 'text' : 'image'));
  let datasetId: number;
  if (flags.dataset) {
    const match = datasets.find((d) => String(d.id) === flags.dataset || d.name.toLowerCase() === flags.dataset!.toLowerCase());
    if (!match) throw new AtelierError('not_found', `Project "${project.name}" has no ${isText ? 'text' : 'image'} dataset "${flags.dataset}".`);
    datasetId = match.id;
  } else if (datasets.length === 1) {
    datasetId = datasets[0]!.id;
  } else {
    throw new AtelierError(
      'bad_request',
      datasets.length === 0
        ? `Project "${project.name}" has no ${isText ? 'text' : 'image'} dataset yet: import one (atelier import) or add the built-in sample (atelier datasets add-sample).`
        : `Project "${project.name}" has ${datasets.length} ${isText ? 'text' : 'image'} datasets; choose one with --dataset.`,
    );
  }
  let size = flags.size === undefined ? undefined : (Number(flags.size) as StartTraining['size']);
  if (base?.size != null && !isText) {
    if (size !== undefined && size !== base.size) {
      throw new AtelierError('bad_request', `"${base.name}" makes ${base.size}×${base.size} images; fine-tuning keeps that size. Leave out --size, or train from scratch with --model.`);
    }
    size = base.size as StartTraining['size'];
  }
  return {
    projectId: project.id,
    datasetId,
    family,
    size,
    length: parseLength(flags, true)!,
    batchSize: optionalInt(flags.batch, '--batch'),
    seed: flags.seed === undefined ? undefined : Number(flags.seed),
    backend: flags.backend as StartTraining['backend'],
    from: base
      ? {
          checkpointId: base.checkpointId,
          freezeDiscriminatorLayers: flags.freezeD === undefined ? undefined : Number(flags.freezeD),
          lrScale: flags.lrScale === undefined ? undefined : Number(flags.lrScale),
        }
      : undefined,
    sampleEvery: optionalInt(flags.sampleEvery, '--sample-every'),
    checkpointEvery: optionalInt(flags.checkpointEvery, '--checkpoint-every'),
    workers: optionalInt(flags.workers, '--workers'),
    config: parseConfig(flags.config),
  };
}

/** --config: a JSON object of overrides (the contract checks the shape; the model the names and values). */
function parseConfig(text: string | undefined): StartTraining['config'] {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AtelierError('bad_request', `--config must be a JSON object such as '{"width":16}'; got ${JSON.stringify(text)}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AtelierError('bad_request', `--config must be a JSON object such as '{"width":16}'.`);
  for (const [k, v] of Object.entries(value)) {
    if (!ConfigValue.safeParse(v).success) throw new AtelierError('bad_request', `--config: "${k}" must be a number, a boolean, a string or a list of them (e.g. {"diffAugment":["translation"]}).`);
  }
  return value as StartTraining['config'];
}

/**
 * No --model and no --from: the family the Train form proposes for the image dataset (conditional when
 * it has labels or tags: shared/conditioning.ts). A text dataset still needs --model.
 */
function proposedFamily(all: Dataset[], dataset: string | undefined): StartTraining['family'] {
  const pick = (kind: 'image' | 'text') => {
    const list = all.filter((d) => d.kind === kind);
    return dataset === undefined ? (list.length === 1 ? list[0] : undefined) : list.find((d) => String(d.id) === dataset || d.name.toLowerCase() === dataset.toLowerCase());
  };
  const image = pick('image');
  if (image) return proposedImageFamily(image);
  if (pick('text')) required(undefined, '--model (a text model: charlstm or chartransformer)');
  // No image dataset to look at: the dataset lookup that follows says what is missing.
  return 'default';
}

function parseFamily(text: string): StartTraining['family'] {
  const parsed = ModelFamily.safeParse(text);
  if (!parsed.success) throw new AtelierError('bad_request', `--model must be one of ${ModelFamily.options.join(', ')}; got "${text}".`);
  return parsed.data;
}

/** What fine-tuning starts from: the checkpoint and what its model is. */
interface Base {
  checkpointId: number;
  name: string;
  family: StartTraining['family'];
  size: number | null;
}

/** --from: a checkpoint id, a sha256, "run:ID" (its last checkpoint) or a base/imported (or the project's) model name. */
async function resolveBase(service: Service, ref: string, projectId: number): Promise<Base> {
  const c = await service.call('checkpoints.resolve', { ref, projectId });
  return { checkpointId: c.checkpointId, name: c.modelName, family: parseFamily(c.family), size: c.size };
}

function familyFromBase(base: Base, asked: string | undefined): StartTraining['family'] {
  if (asked === undefined) return base.family;
  const family = parseFamily(asked);
  if (!canFineTune(base.family, family)) {
    throw new AtelierError(
      'bad_request',
      `"${base.name}" is a ${familyLabel(base.family)} (${base.family}) model; a ${familyLabel(family)} (${family}) run cannot start from it. ` +
        `Leave out --model to fine-tune it as ${base.family}, or leave out --from to train a ${family} model from scratch.`,
    );
  }
  return family;
}

function resume(service: Service, flags: TrainFlags): Promise<Run> {
  return service.call('runs.resume', { id: parseId(flags.resume!, '--resume'), length: parseLength(flags, false), backend: flags.backend, workers: optionalInt(flags.workers, '--workers') });
}

interface TrainOutput {
  runId: number;
  status: string;
  steps: number;
  backend: string | null;
  /** Data-parallel training workers the run used. */
  workers: number;
  checkpoint: { id: number; step: number; sha256: string; file: string } | null;
}

/** Wait for the run's job, drawing progress on a terminal; Ctrl-C stops it at a step boundary (resumable). */
async function follow(service: Service, runPromise: Promise<Run>, opts: GlobalOptions): Promise<TrainOutput> {
  const run = await runPromise;
  const jobId = run.jobId;
  if (jobId === null || jobId === undefined) throw new AtelierError('internal', `Run ${run.id} did not start.`);
  const bar = progressBar(opts);
  const off = service.events.onAny((event, payload) => {
    if (event === 'job.progress') {
      const p = payload as { jobId: number; done: number; total: number | null; message?: string };
      if (p.jobId === jobId) bar(p.done, p.total, p.message);
    }
  });
  const onSignal = () => {
    process.stderr.write('\nStopping at the next step and saving a checkpoint…\n');
    void service.call('jobs.control', { id: jobId, action: 'stop' }).catch(() => {});
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await service.call('jobs.wait', { id: jobId });
  off();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const { run: final, checkpoints } = await service.call('runs.get', { id: run.id });
  const last = checkpoints[checkpoints.length - 1];
  if (final.error && !opts.json) process.stderr.write(`atelier: ${final.error}\n`);
  return {
    runId: final.id,
    status: final.status,
    steps: final.step,
    backend: final.backend,
    workers: final.backendReport?.workers ?? 1,
    checkpoint: last ? { id: last.id, step: last.step, sha256: last.sha256, file: (await service.call('checkpoints.resolve', { ref: String(last.id) })).file } : null,
  };
}

/**
 * One run per line, told apart from its siblings by number, family and start time:
 * "#3  Small-data GAN on Pets  (Small-data GAN, started 2026-11-23 14:05)  done  step 600/600  best KID×10³ 338".
 */
export function describeRun(r: Run): string {
  const target = r.targetSteps !== null ? `/${r.targetSteps}` : r.targetMinutes !== null ? ` (${r.targetMinutes} min)` : '';
  const tag = `${familyLabel(r.family)}, started ${formatStarted(r.createdAt)}`;
  const best = formatBestMetric(r);
  const from = r.parent ? `  from ${r.parent.modelName}` : '';
  return `${`#${r.id}`.padStart(4)}  ${r.name}  (${tag})  ${r.status}  step ${r.step}${target}${best ? `  best ${best}` : ''}${from}`;
}

/** A curve's last value as people read it: the probe's KIDs on the × 10³ scale, named so. */
function describeScalar(name: string, value: number): string {
  const measure = name.startsWith('metric/') ? name.slice('metric/'.length) : null;
  if (measure !== null && KID_MEASURES.includes(measure)) return `${formatKid(value)} (KID×10³)`;
  return formatMeasure(value);
}

function describeCheckpoint(r: Run, c: { id: number; step: number; metric: number | null }): string {
  if (c.metric === null) return `${c.id}@${c.step}`;
  return `${c.id}@${c.step} (${isTextFamily(r.family) ? `val loss ${formatMeasure(c.metric)}` : `KID×10³ ${formatKid(c.metric)}`})`;
}
