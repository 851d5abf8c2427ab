/**
 * The engine side of training: turns a `runs.start` / `runs.resume` request into catalog rows and a
 * worker, and the worker's messages into curves, grids, checkpoints and events. The main thread is the
 * catalog's only writer; every file a message names is already complete on disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EngineContext } from '../../engine/context';
import type { JobsContext } from '../context';
import type { RunPhase, StartTraining, TrainLength } from '../../../shared/contract';
import { AtelierError } from '../../../shared/errors';
import { familyLabel } from '../../../shared/run-format';
import { isTextFamily } from '../../../shared/families';
import { canFineTune } from '../../../shared/conditioning';
import { getDatasetSettings, getDataset, listTrainingItems } from '../../catalog/datasets';
import { getProject } from '../../catalog/projects';
import { getModel, updateModelConfig } from '../../catalog/models';
import {
  getRun,
  insertGrid,
  insertRunWithModel,
  recordScalars,
  recordStep,
  setBestMetric,
  setRunBackend,
  setRunParams,
  setRunStatus,
  truncateRunAfter,
  type RunRow,
} from '../../catalog/runs';
import {
  checkpointsToPrune,
  deleteCheckpointRow,
  findCheckpointBySha,
  getCheckpoint,
  insertCheckpoint,
  listRunCheckpoints,
  setCheckpointMetrics,
  type CheckpointRow,
} from '../../catalog/checkpoints';
import { containedPath } from '../../files/contain';
import { layout } from '../../files/data-dir';
import type { TextSamplesMessage, TrainMessage, TrainWorkerData } from './messages';
import { writeFileAtomicSync } from '../../files/atomic';
import type { JobHandle, JobOutcome } from '../../engine/runner';
import type { WorkerMessage } from '../../engine/protocol';
import { listJobs, liveForeignJobs } from '../../catalog/jobs';
import { chooseWorkers } from './parallel';
import { runParamsOf, type RunParams } from './params';
import { checkOverrides } from '../../ml/model-session';
import { imageConfigShape } from '../../ml/models';
import { textConfigShape } from '../../ml/text/families';
import type { ImageFamily, TextFamily } from '../../../shared/families';

/** What a running run is doing between steps (see RunPhase), for views that open late. */
export function runPhase(ctx: JobsContext, runId: number): RunPhase | null {
  return ctx.runPhases.get(runId) ?? null;
}

function setPhase(ctx: JobsContext, run: RunRow, phase: RunPhase | null): void {
  if (phase === null && !ctx.runPhases.has(run.id)) return;
  if (phase) ctx.runPhases.set(run.id, phase);
  else ctx.runPhases.delete(run.id);
  ctx.events.emit('run.update', { runId: run.id, projectId: run.projectId, phase });
}

/** Default sizes per family: the classic presets are fixed, the others follow the user's choice. */
const FIXED_SIZE: Record<string, number> = { mlpgan: 28, dcgan: 32 };
const DEFAULT_KEEP_LAST = 3;

export function startTraining(ctx: JobsContext, input: StartTraining): RunRow {
  const { db } = ctx;
  const project = getProject(db, input.projectId);
  const dataset = getDataset(db, input.datasetId);
  if (dataset.projectId !== project.id) throw new AtelierError('bad_request', `Dataset ${dataset.id} does not belong to project ${project.id}.`);
  const isText = isTextFamily(input.family);
  if (isText !== (dataset.kind === 'text')) {
    throw new AtelierError('bad_request', isText ? `${input.family} trains on text datasets; "${dataset.name}" holds images.` : `${input.family} trains on images; "${dataset.name}" is a text dataset.`);
  }
  // Refused here, before a run exists, as well as by the session that builds the model.
  if (input.config) checkOverrides(input.family, input.config, isText ? textConfigShape(input.family as TextFamily) : imageConfigShape(input.family as ImageFamily));
  const items = listTrainingItems(db, dataset.id);
  if (items.length === 0) throw new AtelierError('bad_request', `The dataset "${dataset.name}" is empty: import some ${dataset.kind === 'text' ? 'text' : 'images'} first.`);

  let parent: CheckpointRow | null = null;
  let parentSize: number | undefined;
  if (input.from) {
    parent = getCheckpoint(db, input.from.checkpointId);
    const pm = getModel(db, parent.modelId);
    if (!canFineTune(pm.family, input.family)) {
      throw new AtelierError('bad_request', `Checkpoint ${parent.id} belongs to a ${familyLabel(pm.family)} (${pm.family}) model; a ${familyLabel(input.family)} (${input.family}) run cannot start from it.`);
    }
    const s = (pm.meta as { size?: unknown }).size ?? pm.config.size;
    if (typeof s === 'number') parentSize = s;
  }

  const seed = input.seed ?? (Date.now() % 2 ** 31);
  // Fine-tuning keeps the base's size unless told otherwise.
  const size = FIXED_SIZE[input.family] ?? input.size ?? parentSize ?? 64;
  const params: RunParams = {
    family: input.family,
    size,
    length: input.length,
    batchSize: input.batchSize,
    seed,
    backend: input.backend,
    config: input.config,
    from: input.from,
    sampleEvery: input.sampleEvery,
    checkpointEvery: input.checkpointEvery,
    keepLast: input.keepLast ?? DEFAULT_KEEP_LAST,
    sessionStartStep: 0,
    workers: input.workers,
  };
  const runName = input.name ?? `${familyLabel(input.family)} on ${dataset.name}`;
  const parentModel = parent ? getModel(db, parent.modelId) : null;
  const model = {
    projectId: project.id,
    name: runName,
    family: input.family,
    config: {},
    source: 'trained' as const,
    meta: {
      datasetId: dataset.id,
      attribution: dataset.attribution ?? null,
      lineage: parent
        ? [
            ...(((parentModel?.meta.lineage as unknown[]) ?? []) as unknown[]),
            { checkpointId: parent.id, sha256: parent.sha256, modelName: parentModel?.name ?? '?', family: parentModel?.family ?? '?', step: parent.step, source: parentModel?.source ?? '?' },
          ]
        : [],
    },
  };
  const runId = insertRunWithModel(db, model, { projectId: project.id, datasetId: dataset.id, name: runName, params, parentCheckpointId: parent?.id ?? null });
  launch(ctx, getRun(db, runId), { initFrom: parent ?? undefined });
  ctx.events.emit('catalog.changed', { entity: 'run', projectId: project.id, id: runId });
  return getRun(db, runId);
}

/**
 * Continue a run from its last good checkpoint: what was recorded after that checkpoint is dropped, the
 * step count and curves continue from there. Without a length, it trains to the original target.
 */
export function resumeTraining(ctx: JobsContext, runId: number, length?: TrainLength, backend?: string, workers?: number): RunRow {
  const { db } = ctx;
  const run = getRun(db, runId);
  if (['running', 'paused', 'queued'].includes(run.status) && ctx.jobs.get(run.jobId ?? -1)) {
    throw new AtelierError('conflict', `Run ${runId} is already running.`);
  }
  const last = lastGoodCheckpoint(ctx, runId);
  if (!last) throw new AtelierError('not_found', `Run ${runId} has no checkpoint to resume from; start a new run instead.`);
  const params = runParamsOf(run);
  let resumeLength = length;
  if (!resumeLength) {
    const original = params.length;
    if ('steps' in original) {
      const target = (params.sessionStartStep ?? 0) + original.steps;
      if (last.step >= target) throw new AtelierError('bad_request', `Run ${runId} already reached its ${original.steps} steps; give a length to train further.`);
      resumeLength = { steps: target - last.step };
    } else {
      const usedMinutes = run.trainMs / 60_000;
      resumeLength = { minutes: Math.max(0.25, original.minutes - usedMinutes) };
    }
  }
  truncateRunAfter(db, runId, last.step);
  const used = (run.backendReport as { workers?: number } | null)?.workers;
  const newParams: RunParams = { ...params, length: resumeLength, backend: backend ?? params.backend, sessionStartStep: last.step, workers: workers ?? params.workers ?? used };
  setRunParams(db, runId, newParams);
  launch(ctx, getRun(db, runId), { resumeFrom: last });
  return getRun(db, runId);
}

/** The newest checkpoint whose file is still on disk, whole (size matches the catalog). */
export function lastGoodCheckpoint(ctx: EngineContext, runId: number): CheckpointRow | null {
  const all = listRunCheckpoints(ctx.db, runId);
  for (let i = all.length - 1; i >= 0; i--) {
    const c = all[i]!;
    try {
      if (fs.statSync(containedPath(ctx.dataDir, c.file)).size === c.bytes) return c;
    } catch {
      // missing: try an older one
    }
  }
  return null;
}

function launch(ctx: JobsContext, run: RunRow, from: { resumeFrom?: CheckpointRow; initFrom?: CheckpointRow }): JobHandle {
  const { db } = ctx;
  const params = runParamsOf(run);
  const dataset = getDataset(db, run.datasetId!);
  const settings = getDatasetSettings(db, dataset.id);
  const items = listTrainingItems(db, dataset.id);
  const abs = (file: string) => containedPath(ctx.dataDir, file);
  const workerData: TrainWorkerData = {
    dataDir: ctx.dataDir,
    projectId: run.projectId,
    runId: run.id,
    family: params.family,
    size: params.size,
    prepare: settings.prepare,
    augment: settings.augment,
    items,
    datasetKind: dataset.kind,
    seed: params.seed,
    batchSize: params.batchSize,
    config: params.config,
    backend: params.backend,
    length: params.length,
    resumeFrom: from.resumeFrom ? abs(from.resumeFrom.file) : undefined,
    initFrom: from.initFrom
      ? { file: checkpointPath(ctx, from.initFrom), freezeDiscriminatorLayers: params.from?.freezeDiscriminatorLayers, lrScale: params.from?.lrScale }
      : undefined,
    sampleEvery: params.sampleEvery,
    checkpointEvery: params.checkpointEvery,
    cacheDir: path.join(ctx.dataDir, layout.cacheDir()),
    workers: chooseWorkers({ requested: params.workers, busyCores: busyCores(ctx), text: dataset.kind === 'text' }),
  };

  let lastEmit = 0;
  const job = ctx.jobs.start({
    kind: 'train',
    projectId: run.projectId,
    params: { runId: run.id },
    worker: 'train',
    workerData,
    onMessage: (msg: WorkerMessage) => onTrainMessage(ctx, run, msg as TrainMessage | TextSamplesMessage, () => {
      const now = Date.now();
      if (now - lastEmit < 200) return false;
      lastEmit = now;
      return true;
    }),
    onEnd: (outcome: JobOutcome) => onTrainEnd(ctx, run, outcome),
  });
  setRunStatus(db, run.id, 'running', { jobId: job.id, error: null });
  ctx.events.emit('run.update', { runId: run.id, projectId: run.projectId, status: 'running' });
  setPhase(ctx, run, { code: 'starting', message: 'Starting the training engine…' });
  return job;
}

/**
 * Cores other work already uses: every running job of this and of any other live Atelier process on
 * this data folder (a training run counts its data-parallel workers; sampling, import and the rest one each).
 */
function busyCores(ctx: EngineContext): number {
  const foreign = new Set(liveForeignJobs(ctx.db).map((j) => j.id));
  let busy = 0;
  for (const j of listJobs(ctx.db, { active: true })) {
    if (j.status !== 'running' || !(ctx.jobs.get(j.id) || foreign.has(j.id))) continue;
    const runId = j.kind === 'train' ? (j.params as { runId?: number } | null)?.runId : undefined;
    let workers = 1;
    if (runId !== undefined) {
      try {
        workers = (getRun(ctx.db, runId).backendReport as { workers?: number } | null)?.workers ?? 1;
      } catch {
        // the run row is gone: count the job as one
      }
    }
    busy += workers;
  }
  return busy;
}

/** Base models live in resources/; everything else in the data folder. */
export function checkpointPath(ctx: EngineContext, c: CheckpointRow): string {
  if (c.file.startsWith('resources:')) return containedPath(ctx.resourcesDir, c.file.slice('resources:'.length));
  return containedPath(ctx.dataDir, c.file);
}

function onTrainMessage(ctx: JobsContext, run: RunRow, msg: TrainMessage | TextSamplesMessage, emitNow: () => boolean): void {
  const { db } = ctx;
  const ids = { runId: run.id, projectId: run.projectId };
  switch (msg.type) {
    case 'backend':
      setRunBackend(db, run.id, msg.report.name, msg.report);
      ctx.backend = { name: msg.report.name, reason: msg.report.reason, threads: msg.report.threads ?? 0, skipped: msg.report.skipped };
      break;
    case 'setup': {
      const model = getModel(db, run.modelId);
      updateModelConfig(db, run.modelId, msg.config, { ...model.meta, labels: msg.labels, tags: msg.tags, size: msg.size, channels: msg.channels, trainCount: msg.count });
      break;
    }
    case 'step': {
      const current = getRun(db, run.id);
      const trainMs = sessionTrainMs(run, msg.trainMs);
      recordStep(db, run.id, msg.step, { ...prefix(msg.losses), imgPerSec: msg.imgPerSec }, {
        imagesSeen: current.imagesSeen + msg.images,
        trainMs,
      });
      setPhase(ctx, run, null);
      if (emitNow()) ctx.events.emit('run.step', { ...ids, step: msg.step, losses: msg.losses, imgPerSec: msg.imgPerSec, etaMs: msg.etaMs, memory: msg.memory, trainMs });
      break;
    }
    case 'phase':
      setPhase(ctx, run, msg.phase);
      break;
    case 'grid':
      insertGrid(db, run.id, msg.step, msg.file);
      if (msg.diversity !== null) recordScalars(db, run.id, msg.step, { diversity: msg.diversity });
      ctx.events.emit('run.update', { ...ids, grid: { step: msg.step, file: msg.file } });
      break;
    case 'checkpoint': {
      const id = insertCheckpoint(db, { modelId: run.modelId, runId: run.id, step: msg.step, file: msg.file, sha256: msg.sha256, bytes: msg.bytes });
      prune(ctx, run);
      ctx.events.emit('run.update', { ...ids, checkpoint: { id, step: msg.step, metric: null } });
      break;
    }
    case 'metric': {
      const c = findCheckpointBySha(db, msg.sha256);
      if (c) setCheckpointMetrics(db, c.id, msg.metric, msg.metrics);
      recordScalars(db, run.id, msg.step, Object.fromEntries(Object.entries(msg.metrics).map(([k, v]) => [`metric/${k}`, v])));
      if (msg.metric !== null) setBestMetric(db, run.id, msg.metric);
      prune(ctx, run);
      if (c) ctx.events.emit('run.update', { ...ids, checkpoint: { id: c.id, step: msg.step, metric: msg.metric } });
      break;
    }
    case 'text-samples': {
      // Text runs' "sample grid": the fixed-seed samples, kept as a small JSON file in the run folder.
      const file = `${layout.runDir(run.projectId, run.id)}/samples/step-${String(msg.step).padStart(8, '0')}.json`;
      writeFileAtomicSync(path.join(ctx.dataDir, file), JSON.stringify({ step: msg.step, samples: msg.samples, distinct2: msg.distinct2 }));
      insertGrid(db, run.id, msg.step, file);
      recordScalars(db, run.id, msg.step, { diversity: msg.distinct2 });
      ctx.events.emit('run.update', { ...ids, grid: { step: msg.step, file } });
      break;
    }
    case 'warning':
      recordScalars(db, run.id, msg.step, { [`warning/${msg.code}`]: 1 });
      ctx.events.emit('run.update', { ...ids, warning: { code: msg.code, message: msg.message, step: msg.step } });
      break;
  }
}

/** Training time adds up across sessions: `run` is the row as it was when this session launched. */
function sessionTrainMs(run: RunRow, msThisSession: number): number {
  return run.trainMs + msThisSession;
}

function prefix(losses: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(losses).map(([k, v]) => [`loss/${k}`, v]));
}

function prune(ctx: EngineContext, run: RunRow): void {
  const keepLast = runParamsOf(run).keepLast ?? DEFAULT_KEEP_LAST;
  for (const c of checkpointsToPrune(ctx.db, run.id, keepLast)) {
    deleteCheckpointRow(ctx.db, c.id);
    fs.rmSync(containedPath(ctx.dataDir, c.file), { force: true });
  }
}

function onTrainEnd(ctx: JobsContext, run: RunRow, outcome: JobOutcome): void {
  ctx.runPhases.delete(run.id);
  const status = outcome.status === 'done' || outcome.status === 'interrupted' || outcome.status === 'cancelled' || outcome.status === 'diverged' ? outcome.status : 'failed';
  setRunStatus(ctx.db, run.id, status, { error: outcome.error?.message ?? null });
  ctx.events.emit('run.update', { runId: run.id, projectId: run.projectId, status });
  ctx.events.emit('catalog.changed', { entity: 'run', projectId: run.projectId, id: run.id });
}
