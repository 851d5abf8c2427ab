/**
 * The engine side of Create: turns a `generate.start` request into image plans and a job on the warm
 * sampler (warm.ts), and the worker's images into PNG files (atomic) and generation rows (pending →
 * complete), streamed to every client as `generate.image` events. Near-empty images are left out
 * (`generate.skipped`); the copy check arrives after the images and is attached to their rows
 * (`generate.checked`). The main thread is the catalog's only writer.
 */
import fs from 'node:fs';
import sharp from 'sharp';
import type { EngineContext } from '../../engine/context';
import type { JobsContext } from '../context';
import type { GenerateRequest, GenerateResult, ReproduceResult } from '../../../shared/contract';
import { AtelierError } from '../../../shared/errors';
import { parsePrompt, promptCondition } from '../../../shared/prompt';
import { isConditionalFamily } from '../../../shared/conditioning';
import { isTextFamily } from '../../../shared/families';
import { getModel, type ModelRow } from '../../catalog/models';
import { findCheckpointBySha, getCheckpoint, listModelCheckpoints, type CheckpointRow } from '../../catalog/checkpoints';
import { latestRunOfModel } from '../../catalog/runs';
import { getDatasetSettings, listTrainingItems } from '../../catalog/datasets';
import {
  completeGeneration,
  dropPendingGeneration,
  getGeneration,
  getGenerationRecord,
  insertPendingGeneration,
  setNearest,
} from '../../catalog/generations';
import { recordPrompt } from '../../catalog/prompts';
import { containedPath } from '../../files/contain';
import { layout } from '../../files/data-dir';
import { writeFileAtomic } from '../../files/atomic';
import { encodePng } from '../../files/png';
import { checkpointPath } from '../train/start';
import type { JobHandle, JobOutcome } from '../../engine/runner';
import type { WorkerMessage } from '../../engine/protocol';
import { blendCondition } from '../../ml/sample/latents';
import type { ImagePlan, GenerateMessage, GenerateWorkerData, GeneratedImage } from './messages';
import { preloadWarmSampler, warmSamplerPort } from './warm';
import type { ConditionRequest } from '../../ml/sample/sampler';

/** What a generate job made so far (for generate.wait and the CLI). */
export interface GenerateJobState {
  projectId: number;
  total: number;
  ids: number[];
  /** Near-empty images left out of the gallery. */
  skipped: number;
  files: string[];
  backend: string | null;
  started: number;
  ms: number;
  status: string;
  error: string | null;
  done: Promise<void>;
}

interface StoredParams {
  mode?: string;
  latent?: string;
  latentDim?: number;
  condition?: ConditionRequest;
}

export interface ResolvedModel {
  model: ModelRow;
  checkpoint: CheckpointRow;
  runId: number | null;
  datasetId: number | null;
  labels: string[];
  tags: string[];
}

/** `kind`: what the caller samples; a text model asked for images (or the reverse) is refused. */
export function resolveModel(ctx: EngineContext, projectId: number, modelId: number, checkpointId?: number, kind: 'image' | 'text' = 'image'): ResolvedModel {
  const model = getModel(ctx.db, modelId);
  if (model.projectId !== null && model.projectId !== projectId) throw new AtelierError('bad_request', `Model ${modelId} belongs to another project.`);
  const isText = isTextFamily(model.family);
  if (isText && kind === 'image') {
    throw new AtelierError('unsupported', `"${model.name}" is a text model: generate texts from it (generate.text, or \`atelier generate\` with a text run).`);
  }
  if (!isText && kind === 'text') throw new AtelierError('unsupported', `"${model.name}" is an image model (${model.family}); it cannot write text.`);
  let checkpoint: CheckpointRow;
  if (checkpointId !== undefined) {
    checkpoint = getCheckpoint(ctx.db, checkpointId);
    if (checkpoint.modelId !== model.id) throw new AtelierError('bad_request', `Checkpoint ${checkpointId} is not a checkpoint of "${model.name}".`);
  } else {
    const all = listModelCheckpoints(ctx.db, model.id);
    const last = all[all.length - 1];
    if (!last) throw new AtelierError('not_found', `"${model.name}" has no checkpoint yet: let its training save one first.`);
    checkpoint = last;
  }
  const run = latestRunOfModel(ctx.db, model.id);
  const meta = model.meta as { labels?: string[]; tags?: string[] };
  // An unconditional model may list its data's labels (the base does), but no word of a prompt reaches
  // it: its vocabulary is empty, so a prompt becomes no condition and no image gets a label it never had.
  const steered = isConditionalFamily(model.family);
  return { model, checkpoint, runId: checkpoint.runId ?? run?.id ?? null, datasetId: run?.datasetId ?? null, labels: steered ? (meta.labels ?? []) : [], tags: steered ? (meta.tags ?? []) : [] };
}

/** Start a generate job; images stream as `generate.image` events. */
export function startGenerate(ctx: JobsContext, req: GenerateRequest): { jobId: number; total: number } {
  const r = resolveModel(ctx, req.projectId, req.modelId, req.checkpointId);
  const parsed = parsePrompt(req.prompt, { labels: r.labels, tags: r.tags });
  const condition = promptCondition(parsed);
  const plans = planImages(ctx, req, condition);
  const ckptFile = checkpointPath(ctx, r.checkpoint);
  if (!fs.existsSync(ckptFile)) throw new AtelierError('not_found', `The checkpoint file of "${r.model.name}" (step ${r.checkpoint.step}) is missing.`);

  let guard: GenerateWorkerData['guard'];
  const size = (r.model.meta as { size?: number }).size;
  if (r.datasetId !== null && size) {
    try {
      const settings = getDatasetSettings(ctx.db, r.datasetId);
      const items = listTrainingItems(ctx.db, r.datasetId);
      if (items.length >= 3) guard = { dataDir: ctx.dataDir, cacheDir: containedPath(ctx.dataDir, layout.cacheDir()), items, prepare: settings.prepare, size };
    } catch {
      guard = undefined; // dataset gone: no guard, generation still works
    }
  }

  const workerData: GenerateWorkerData = {
    checkpointPath: ckptFile,
    backend: req.backend,
    truncation: req.truncation,
    directions: req.directions,
    batch: req.batch,
    images: plans,
    guard,
  };

  if (req.prompt.trim()) recordPrompt(ctx.db, req.projectId, r.model.id, req.prompt.trim(), { seed: req.seed, count: req.count, truncation: req.truncation, checkpointId: r.checkpoint.id });

  const modeOf = req.interpolate ? 'interpolate' : req.variation ? 'variation' : 'sample';
  const lineage = (r.model.meta as { lineage?: unknown[] }).lineage ?? [];
  let backend = 'unknown';
  const state: GenerateJobState = { projectId: req.projectId, total: plans.length, ids: [], skipped: 0, files: [], backend: null, started: Date.now(), ms: 0, status: 'running', error: null, done: Promise.resolve() };

  const idAt = new Map<number, number>();
  const onImages = async (job: JobHandle, images: GeneratedImage[]) => {
    for (const im of images) {
      const plan = plans[im.index]!;
      if (im.empty) {
        // Nothing drawn (or a flat image): not worth a place in the gallery; the views say so.
        state.skipped++;
        ctx.events.emit('generate.skipped', {
          jobId: job.id,
          projectId: req.projectId,
          index: im.index,
          total: plans.length,
          reason: 'empty',
          message: `Image ${im.index + 1} (seed ${im.seed}) came out empty and was left out.`,
        });
        continue;
      }
      const id = insertPendingGeneration(ctx.db, {
        projectId: req.projectId,
        kind: 'image',
        modelId: r.model.id,
        runId: r.runId,
        checkpointId: r.checkpoint.id,
        checkpointSha256: r.checkpoint.sha256,
        step: r.checkpoint.step,
        seed: im.seed,
        prompt: req.prompt,
        params: {
          mode: modeOf,
          request: {
            seed: req.seed,
            count: req.count,
            index: im.index,
            batch: req.batch,
            truncation: req.truncation,
            ...(im.psi !== undefined ? { psi: im.psi } : {}),
            directions: req.directions,
            ...(req.variation ? { variation: req.variation } : {}),
            ...(req.interpolate ? { interpolate: req.interpolate } : {}),
          },
          plan: summarisePlan(plan),
          condition: plan.condition,
          unknownWords: parsed.unknown,
          latent: im.latent,
          latentDim: Buffer.from(im.latent, 'base64').length / 4,
          modelName: r.model.name,
          family: r.model.family,
          lineage,
          channels: im.channels,
          ...(im.nearest ? { guard: { space: 'quality-features', threshold: im.nearest.threshold } } : {}),
        },
        backend,
        appVersion: ctx.appVersion,
        label: dominant(plan.condition.labels),
      });
      const file = layout.generationFile(req.projectId, id);
      try {
        await writeFileAtomic(containedPath(ctx.dataDir, file), await encodePng(im));
      } catch (err) {
        dropPendingGeneration(ctx.db, id);
        throw err;
      }
      completeGeneration(ctx.db, id, file, im.width, im.height);
      if (im.nearest) setNearest(ctx.db, id, im.nearest.itemId, im.nearest.distance, im.nearest.memorised);
      idAt.set(im.index, id);
      state.ids.push(id);
      state.files.push(file);
      const g = getGeneration(ctx.db, id);
      ctx.events.emit('generate.image', {
        jobId: job.id,
        projectId: req.projectId,
        index: im.index,
        total: plans.length,
        item: { id, file, width: im.width, height: im.height, seed: im.seed, step: g.step, starred: false, memorised: g.memorised, trashed: false, createdAt: g.createdAt },
      });
    }
    ctx.events.emit('catalog.changed', { entity: 'generation', projectId: req.projectId });
  };

  let resolveDone!: () => void;
  state.done = new Promise<void>((res) => (resolveDone = res));
  const job = ctx.jobs.start({
    kind: 'generate',
    projectId: req.projectId,
    params: { modelId: r.model.id, checkpointId: r.checkpoint.id, seed: req.seed, count: plans.length, prompt: req.prompt },
    worker: 'generate',
    workerData,
    port: warmSamplerPort(ctx, workerData),
    onMessage: async (msg: WorkerMessage, handle: JobHandle) => {
      const m = msg as GenerateMessage;
      if (m.type === 'backend') {
        backend = m.name;
        state.backend = m.name;
        if (!ctx.backend) ctx.backend = { name: m.name, reason: m.reason, threads: 0, skipped: [] };
      } else if (m.type === 'images') {
        await onImages(handle, m.images);
      } else if (m.type === 'nearest') {
        for (const { index, nearest } of m.items) {
          const id = idAt.get(index);
          if (id === undefined) continue;
          setNearest(ctx.db, id, nearest.itemId, nearest.distance, nearest.memorised, { space: 'quality-features', threshold: nearest.threshold });
          ctx.events.emit('generate.checked', { jobId: handle.id, projectId: req.projectId, id, memorised: nearest.memorised });
        }
        if (m.items.some((x) => x.nearest.memorised)) ctx.events.emit('catalog.changed', { entity: 'generation', projectId: req.projectId });
      }
    },
    onEnd: (outcome: JobOutcome) => {
      state.status = outcome.status;
      state.error = outcome.error?.message ?? null;
      state.ms = Date.now() - state.started;
      resolveDone();
    },
  });
  ctx.generateJobs.set(job.id, state);
  return { jobId: job.id, total: plans.length };
}

/**
 * Load an image model into the warm sampler ahead of its first request (Create calls this when a model
 * is chosen), so that request decodes at once. Text models and missing files are left alone.
 */
export function prepareGenerate(ctx: JobsContext, req: { projectId: number; modelId: number; checkpointId?: number; backend?: string }): void {
  if (isTextFamily(getModel(ctx.db, req.modelId).family)) return;
  const r = resolveModel(ctx, req.projectId, req.modelId, req.checkpointId);
  const file = checkpointPath(ctx, r.checkpoint);
  if (fs.existsSync(file)) preloadWarmSampler(ctx, file, req.backend);
}

/** Wait for a generate job of this process to end. */
export async function waitGenerate(ctx: JobsContext, jobId: number): Promise<GenerateResult> {
  const state = ctx.generateJobs.get(jobId);
  if (!state) throw new AtelierError('not_found', `Job ${jobId} is not a generate job of this Atelier.`);
  await state.done;
  return { jobId, status: state.status, generationIds: [...state.ids], files: [...state.files], skipped: state.skipped, backend: state.backend, ms: state.ms, error: state.error };
}

export function cancelGenerate(ctx: JobsContext, jobId: number): void {
  if (!ctx.generateJobs.has(jobId)) throw new AtelierError('not_found', `Job ${jobId} is not a generate job of this Atelier.`);
  ctx.jobs.get(jobId)?.control('cancel');
}

/** The main label of a condition (for the gallery's label filter). */
function dominant(labels: Record<string, number> | undefined): string | null {
  if (!labels) return null;
  let best: string | null = null;
  let w = 0;
  for (const [k, v] of Object.entries(labels)) {
    if (v > w) {
      best = k;
      w = v;
    }
  }
  return best;
}

/** The plan as stored: stored latents it refers to are named by generation id, not copied again. */
function summarisePlan(p: ImagePlan): Record<string, unknown> {
  const l = p.latent;
  if (l.mode === 'sample') return { mode: 'sample', seed: l.seed };
  if (l.mode === 'variation') return { mode: 'variation', seed: l.seed, strength: l.strength };
  if (l.mode === 'interpolate') return { mode: 'interpolate', t: l.t };
  return { mode: 'latent' };
}

function storedLatent(ctx: EngineContext, id: number, projectId: number): { latent: string; condition: ConditionRequest; prompt: string; seed: number } {
  const rec = getGenerationRecord(ctx.db, id);
  if (rec.projectId !== projectId) throw new AtelierError('bad_request', `Generation ${id} belongs to another project.`);
  const p = rec.params as StoredParams;
  if (typeof p.latent !== 'string') throw new AtelierError('invalid_input', `Generation ${id} has no stored latent to start from.`);
  return { latent: p.latent, condition: p.condition ?? {}, prompt: rec.prompt, seed: rec.seed };
}

function planImages(ctx: EngineContext, req: GenerateRequest, condition: ConditionRequest): ImagePlan[] {
  const seedAt = (i: number) => (req.seed + i) % 2 ** 32;
  if (req.interpolate) {
    const a = storedLatent(ctx, req.interpolate.fromId, req.projectId);
    const b = storedLatent(ctx, req.interpolate.toId, req.projectId);
    const n = req.interpolate.frames;
    return Array.from({ length: n }, (_, i) => {
      const t = i / (n - 1);
      return { index: i, seed: req.seed, latent: { mode: 'interpolate', from: a.latent, to: b.latent, t }, condition: req.prompt.trim() ? condition : blendCondition(a.condition, b.condition, t) };
    });
  }
  if (req.variation) {
    const base = storedLatent(ctx, req.variation.generationId, req.projectId);
    const cond = req.prompt.trim() ? condition : base.condition;
    return Array.from({ length: req.count }, (_, i) => ({
      index: i,
      seed: seedAt(i),
      latent: { mode: 'variation', seed: seedAt(i), base: base.latent, strength: req.variation!.strength },
      condition: cond,
    }));
  }
  return Array.from({ length: req.count }, (_, i) => ({ index: i, seed: seedAt(i), latent: { mode: 'sample', seed: seedAt(i) }, condition }));
}

/**
 * Regenerate a stored image from its metadata alone (checkpoint + stored latent + condition) in a
 * worker, and compare with its file: same backend ⇒ identical bytes.
 */
export async function reproduceGeneration(ctx: JobsContext, id: number, backend?: string): Promise<ReproduceResult> {
  const rec = getGenerationRecord(ctx.db, id);
  if (!rec.file) throw new AtelierError('not_found', `Generation ${id} has no image file.`);
  const p = rec.params as StoredParams;
  if (typeof p.latent !== 'string') throw new AtelierError('invalid_input', `Generation ${id} has no stored latent.`);
  const checkpoint: CheckpointRow | undefined = rec.checkpointId !== null ? getCheckpoint(ctx.db, rec.checkpointId) : findCheckpointBySha(ctx.db, rec.checkpointSha256);
  if (!checkpoint) throw new AtelierError('not_found', `The checkpoint that made generation ${id} (${rec.checkpointSha256.slice(0, 12)}…) is no longer in the catalog.`);
  const workerData: GenerateWorkerData = {
    checkpointPath: checkpointPath(ctx, checkpoint),
    backend: backend ?? (rec.backend !== 'unknown' ? rec.backend : undefined),
    truncation: 1,
    directions: [],
    batch: 1,
    images: [{ index: 0, seed: rec.seed, latent: { mode: 'latent', latent: p.latent }, condition: p.condition ?? {} }],
  };
  let image: GeneratedImage | null = null;
  let usedBackend = 'unknown';
  let sha: string | null = null;
  const job = ctx.jobs.start({
    kind: 'reproduce',
    projectId: rec.projectId,
    params: { generationId: id },
    worker: 'generate',
    workerData,
    port: warmSamplerPort(ctx, workerData),
    onMessage: (msg: WorkerMessage) => {
      const m = msg as GenerateMessage;
      if (m.type === 'backend') usedBackend = m.name;
      if (m.type === 'model') sha = m.sha256;
      if (m.type === 'images') image = m.images[0] ?? null;
    },
  });
  const outcome = await job.done;
  if (outcome.status !== 'done' || !image) throw new AtelierError('internal', `Regenerating ${id} failed: ${outcome.error?.message ?? outcome.status}`);
  if (sha !== null && sha !== rec.checkpointSha256) throw new AtelierError('invalid_input', `The checkpoint file changed since generation ${id} was made (hash differs).`);
  const img = image as GeneratedImage;
  const stored = await sharp(containedPath(ctx.dataDir, rec.file)).raw().toBuffer({ resolveWithObject: true });
  let differing = 0;
  if (stored.info.channels !== img.channels || stored.data.length !== img.pixels.length) differing = Math.max(stored.data.length, img.pixels.length);
  else for (let i = 0; i < img.pixels.length; i++) if (stored.data[i] !== img.pixels[i]) differing++;
  return { generationId: id, identical: differing === 0, differingBytes: differing, backend: usedBackend, originalBackend: rec.backend };
}

