import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import type { ModelInfo, Run, RunDetail } from '../../shared/contract';
import { getRun, latestGridFile, latestRunOfModel, listGrids, listRuns, runScalars, setRunStatus, type RunRow } from '../catalog/runs';
import { getModel, listModels, type ModelRow } from '../catalog/models';
import { getCheckpoint, listModelCheckpoints, listRunCheckpoints, type CheckpointRow } from '../catalog/checkpoints';
import { resumeTraining, runPhase, startTraining } from '../jobs/train/start';
import { runParamsOf } from '../jobs/train/params';
import { AtelierError } from '../../shared/errors';
import { ensureBaseModels, isRetired } from '../jobs/train/base-models';
import { KID_MEASURES, KID_SCALE } from '../../shared/run-format';

/**
 * The quality probe records its KIDs as plain KID (and the catalog keeps them so); `metric` and
 * `bestMetric` are KID × 10³. Every door shows one scale, so the KIDs leave here × 10³ too.
 */
function displayMeasure(name: string, value: number): number {
  return KID_MEASURES.includes(name) ? value * KID_SCALE : value;
}

export function toCheckpointInfo(c: CheckpointRow) {
  const metrics = Object.fromEntries(Object.entries(c.metrics).map(([k, v]) => [k, displayMeasure(k, v)]));
  return { id: c.id, step: c.step, sha256: c.sha256, bytes: c.bytes, metric: c.metric, metrics, createdAt: c.createdAt };
}

/** A run's curves as the contract gives them: the probe's KIDs (`metric/kid`…) on the × 10³ scale. */
export function displayScalars(scalars: Record<string, Array<[number, number]>>): Record<string, Array<[number, number]>> {
  return Object.fromEntries(
    Object.entries(scalars).map(([name, points]) => {
      const measure = name.startsWith('metric/') ? name.slice('metric/'.length) : null;
      return [name, measure !== null && KID_MEASURES.includes(measure) ? points.map(([s, v]) => [s, displayMeasure(measure, v)] as [number, number]) : points];
    }),
  );
}

export function toRun(ctx: ServiceContext, r: RunRow): Run {
  const model = getModel(ctx.db, r.modelId);
  const params = runParamsOf(r);
  let parent: Run['parent'] = null;
  if (r.parentCheckpointId !== null) {
    const c = getCheckpoint(ctx.db, r.parentCheckpointId);
    const pm = getModel(ctx.db, c.modelId);
    parent = { checkpointId: c.id, sha256: c.sha256, modelName: pm.name, family: pm.family, step: c.step, source: pm.source };
  }
  const report = r.backendReport as { name: string; reason: string; threads: number | null; skipped: Array<{ name: string; reason: string }>; workers?: number } | null;
  return {
    id: r.id,
    projectId: r.projectId,
    modelId: r.modelId,
    datasetId: r.datasetId,
    name: r.name,
    family: model.family as Run['family'],
    status: r.status,
    backend: r.backend,
    backendReport: report ? { name: report.name, reason: report.reason, threads: report.threads ?? 0, skipped: report.skipped, ...(report.workers ? { workers: report.workers } : {}) } : null,
    step: r.step,
    targetSteps: 'steps' in params.length ? (params.sessionStartStep ?? 0) + params.length.steps : null,
    targetMinutes: 'minutes' in params.length ? params.length.minutes : null,
    batchSize: typeof model.config.batchSize === 'number' ? model.config.batchSize : (params.batchSize ?? null),
    imagesSeen: r.imagesSeen,
    trainMs: r.trainMs,
    bestMetric: r.bestMetric,
    latestGrid: latestGridFile(ctx.db, r.id),
    parent,
    error: r.error,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    endedAt: r.endedAt,
    phase: runPhase(ctx, r.id),
    jobId: r.jobId,
  };
}

export function toModelInfo(ctx: ServiceContext, m: ModelRow): ModelInfo {
  const run = latestRunOfModel(ctx.db, m.id);
  const meta = m.meta as { labels?: string[]; tags?: string[]; size?: number; channels?: number; attribution?: string | null };
  return {
    id: m.id,
    projectId: m.projectId,
    name: m.name,
    family: m.family as ModelInfo['family'],
    source: m.source,
    size: meta.size ?? null,
    channels: meta.channels ?? null,
    labels: meta.labels ?? [],
    tags: meta.tags ?? [],
    runId: run?.id ?? null,
    checkpoints: listModelCheckpoints(ctx.db, m.id).map(toCheckpointInfo),
    attribution: meta.attribution ?? null,
    createdAt: m.createdAt,
  };
}

export function runHandlers(ctx: ServiceContext): Pick<Handlers, 'runs.start' | 'runs.list' | 'runs.get' | 'runs.control' | 'runs.resume' | 'models.list'> {
  return {
    'runs.start': (input) => toRun(ctx, startTraining(ctx, input)),
    'runs.list': ({ projectId }) => listRuns(ctx.db, projectId).map((r) => toRun(ctx, r)),
    'runs.get': ({ id }) => {
      const r = getRun(ctx.db, id);
      const detail: RunDetail = {
        run: toRun(ctx, r),
        params: r.params,
        config: getModel(ctx.db, r.modelId).config,
        scalars: displayScalars(runScalars(ctx.db, id)),
        grids: listGrids(ctx.db, id).map((g) => ({ step: g.step, file: g.file })),
        checkpoints: listRunCheckpoints(ctx.db, id).map(toCheckpointInfo),
      };
      return detail;
    },
    'runs.control': ({ id, action }) => {
      const r = getRun(ctx.db, id);
      const job = r.jobId !== null ? ctx.jobs.get(r.jobId) : undefined;
      if (!job) throw new AtelierError('conflict', `Run ${id} is not running in this Atelier (status: ${r.status}).`);
      job.control(action);
      // Pause/resume are visible to every window (and survive a reload) through the run's own status.
      if (action === 'pause' || action === 'resume') {
        const status = action === 'pause' ? 'paused' : 'running';
        setRunStatus(ctx.db, id, status);
        ctx.events.emit('run.update', { runId: id, projectId: r.projectId, status });
      }
      return { ok: true as const };
    },
    'runs.resume': ({ id, length, backend, workers }) => toRun(ctx, resumeTraining(ctx, id, length, backend, workers)),
    'models.list': ({ projectId }) => {
      ensureBaseModels(ctx);
      return listModels(ctx.db, projectId ?? null)
        .filter((m) => !isRetired(m))
        .map((m) => toModelInfo(ctx, m));
    },
  };
}
