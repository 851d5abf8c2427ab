/**
 * References as people type them, resolved once for every door (the CLI's flags are the main reader):
 * the same catalog lookups the studio's lists use, scoped to the project, so a name never finds a row
 * the studio would not show there.
 */
import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import type { CheckpointRef } from '../../shared/contract';
import { AtelierError } from '../../shared/errors';
import { findProject, getProject } from '../catalog/projects';
import { findDataset } from '../catalog/datasets';
import { findRunByName, getRun, type RunRow } from '../catalog/runs';
import { findModelByName, getModel, newestCheckpointOfModelNamed, type ModelRow } from '../catalog/models';
import { findCheckpointBySha, getCheckpoint, listRunCheckpoints, type CheckpointRow } from '../catalog/checkpoints';
import { ensureBaseModels, isRetired, readBaseModels } from '../jobs/train/base-models';
import { toModelInfo, toRun } from './runs';

const ID = /^\d+$/;
const SHA256 = /^[0-9a-f]{64}$/i;

function runOf(ctx: ServiceContext, ref: string, projectId: number | undefined): RunRow {
  if (ID.test(ref)) {
    const run = getRun(ctx.db, Number(ref));
    if (projectId !== undefined && run.projectId !== projectId) throw new AtelierError('not_found', `Run ${run.id} is not a run of project ${projectId}.`);
    return run;
  }
  if (projectId === undefined) throw new AtelierError('bad_request', `Name the project to find the run "${ref}" by its name.`);
  const run = findRunByName(ctx.db, projectId, ref);
  if (!run) throw new AtelierError('not_found', `Project "${getProject(ctx.db, projectId).name}" has no run called "${ref}".`);
  return run;
}

function modelOf(ctx: ServiceContext, ref: string, projectId: number | undefined): ModelRow {
  // A base model is found by name before anything asked for it registered it (a fresh data folder).
  ensureBaseModels(ctx);
  if (ID.test(ref)) return getModel(ctx.db, Number(ref));
  const model = findModelByName(ctx.db, ref, projectId ?? null);
  if (!model) {
    const where = projectId === undefined ? ' among the base and imported models (name its project to find one of its own)' : '';
    throw new AtelierError('not_found', `There is no model called "${ref}"${where}.`);
  }
  refuseRetired(ctx, model);
  return model;
}

/** A base model whose file a release no longer ships cannot load: say so, and what ships instead. */
function refuseRetired(ctx: ServiceContext, model: ModelRow): void {
  if (!isRetired(model)) return;
  const shipped = readBaseModels(ctx.resourcesDir).map((e) => `"${e.id}"`).join(', ');
  throw new AtelierError('not_found', `The base model "${model.name}" is no longer shipped with Atelier; start from ${shipped || 'another model'} instead.`);
}

function checkpointOf(ctx: ServiceContext, ref: string, projectId: number | undefined): CheckpointRow {
  // A base model is found by name before anything asked for it registered it.
  ensureBaseModels(ctx);
  if (ID.test(ref)) return getCheckpoint(ctx.db, Number(ref));
  if (SHA256.test(ref)) {
    const c = findCheckpointBySha(ctx.db, ref.toLowerCase());
    if (!c) throw new AtelierError('not_found', `No checkpoint has sha256 ${ref}.`);
    return c;
  }
  const run = /^run:(\d+)$/.exec(ref);
  if (run) {
    const list = listRunCheckpoints(ctx.db, Number(run[1]));
    if (list.length === 0) throw new AtelierError('not_found', `Run ${run[1]} has no checkpoints.`);
    return list[list.length - 1]!;
  }
  const id = newestCheckpointOfModelNamed(ctx.db, ref, projectId ?? null);
  if (id === null) throw new AtelierError('not_found', `No checkpoint, run or model matches "${ref}".`);
  const c = getCheckpoint(ctx.db, id);
  refuseRetired(ctx, getModel(ctx.db, c.modelId));
  return c;
}

function toCheckpointRef(ctx: ServiceContext, c: CheckpointRow): CheckpointRef {
  const model = getModel(ctx.db, c.modelId);
  const size = (model.meta as { size?: unknown }).size ?? model.config.size;
  return {
    checkpointId: c.id,
    step: c.step,
    sha256: c.sha256,
    file: c.file,
    modelId: model.id,
    modelName: model.name,
    family: model.family,
    size: typeof size === 'number' ? size : null,
  };
}

export function resolveHandlers(ctx: ServiceContext): Pick<Handlers, 'projects.resolve' | 'datasets.resolve' | 'runs.resolve' | 'models.resolve' | 'checkpoints.resolve'> {
  return {
    'projects.resolve': ({ ref }) => findProject(ctx.db, ref),
    'datasets.resolve': ({ projectId, ref }) => {
      getProject(ctx.db, projectId);
      return findDataset(ctx.db, projectId, ref);
    },
    'runs.resolve': ({ ref, projectId }) => toRun(ctx, runOf(ctx, ref, projectId)),
    'models.resolve': ({ ref, projectId }) => toModelInfo(ctx, modelOf(ctx, ref, projectId)),
    'checkpoints.resolve': ({ ref, projectId }) => toCheckpointRef(ctx, checkpointOf(ctx, ref, projectId)),
  };
}
