/**
 * The engine side of text generation: a `generate.text` request becomes a worker job; each text the
 * worker writes becomes a `.txt` file (atomic) and a generation row of kind 'text' (pending → complete,
 * like images, so the gallery never shows a row without its file), streamed to every client as a
 * `generate.image` event whose item has kind 'text'. `text.suggest` runs the same worker and stores nothing.
 */
import fs from 'node:fs';
import type { EngineContext } from '../../engine/context';
import type { GenerateTextRequest, GenerateTextResult, TextSuggestResult } from '../../../shared/contract';
import { AtelierError } from '../../../shared/errors';
import { completeGeneration, dropPendingGeneration, getGeneration, insertPendingGeneration } from '../../catalog/generations';
import { TEXT_PREVIEW } from '../../catalog/gallery';
import { getModel, newestModelWithCheckpoint } from '../../catalog/models';
import { TEXT_FAMILIES } from '../../../shared/families';
import { recordPrompt } from '../../catalog/prompts';
import { containedPath } from '../../files/contain';
import { layout } from '../../files/data-dir';
import { writeFileAtomic } from '../../files/atomic';
import { checkpointPath } from '../train/start';
import { resolveModel, type ResolvedModel } from '../generate/start';
import type { JobHandle } from '../../engine/runner';
import type { WorkerMessage } from '../../engine/protocol';
import type { TextGenerateMessage, TextGenerateWorkerData } from './messages';

/** Where a text generation's text is kept (next to the images, same numbering). */
export function textGenerationFile(projectId: number, id: number): string {
  return layout.generationFile(projectId, id).replace(/\.png$/, '.txt');
}

interface WorkerRun {
  jobId: number;
  status: string;
  error: string | null;
  backend: string | null;
  model: Extract<TextGenerateMessage, { type: 'model' }> | null;
  texts: string[];
}

/** Run the text worker on one checkpoint; `onTexts` (main thread) sees the texts before the job ends. */
async function runWorker(
  ctx: EngineContext,
  r: ResolvedModel,
  projectId: number,
  kind: string,
  request: TextGenerateWorkerData['request'],
  backend: string | undefined,
  onTexts?: (texts: string[], run: WorkerRun, job: JobHandle) => Promise<void>,
): Promise<WorkerRun> {
  const file = checkpointPath(ctx, r.checkpoint);
  if (!fs.existsSync(file)) throw new AtelierError('not_found', `The checkpoint file of "${r.model.name}" (step ${r.checkpoint.step}) is missing.`);
  const run: WorkerRun = { jobId: 0, status: 'running', error: null, backend: null, model: null, texts: [] };
  const job = ctx.jobs.start({
    kind,
    projectId,
    params: { modelId: r.model.id, checkpointId: r.checkpoint.id, ...request },
    worker: 'text-generate',
    workerData: { checkpointPath: file, backend, request } satisfies TextGenerateWorkerData,
    onMessage: async (msg: WorkerMessage, handle: JobHandle) => {
      const m = msg as TextGenerateMessage;
      if (m.type === 'backend') {
        run.backend = m.name;
        if (!ctx.backend) ctx.backend = { name: m.name, reason: m.reason, threads: 0, skipped: [] };
      } else if (m.type === 'model') {
        run.model = m;
      } else if (m.type === 'texts') {
        run.texts = m.texts;
        await onTexts?.(m.texts, run, handle);
      }
    },
  });
  run.jobId = job.id;
  const outcome = await job.done;
  run.status = outcome.status;
  run.error = outcome.error?.message ?? null;
  return run;
}

/** Sample texts from a text model; returns when they are all stored. */
export async function generateTexts(ctx: EngineContext, req: GenerateTextRequest): Promise<GenerateTextResult> {
  const started = Date.now();
  const r = resolveModel(ctx, req.projectId, req.modelId, req.checkpointId, 'text');
  const request = { prompt: req.prompt, temperature: req.temperature, topK: req.topK, maxLength: req.maxLength, seed: req.seed, count: req.count };
  if (req.prompt.trim()) recordPrompt(ctx.db, req.projectId, r.model.id, req.prompt, { kind: 'text', ...request, checkpointId: r.checkpoint.id });
  const lineage = (r.model.meta as { lineage?: unknown[] }).lineage ?? [];
  const ids: number[] = [];

  const onTexts = async (texts: string[], run: WorkerRun, job: JobHandle) => {
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!;
      const id = insertPendingGeneration(ctx.db, {
        projectId: req.projectId,
        kind: 'text',
        modelId: r.model.id,
        runId: r.runId,
        checkpointId: r.checkpoint.id,
        // The hash of the file actually read (the worker's), which is the catalog's unless the file changed.
        checkpointSha256: run.model?.sha256 ?? r.checkpoint.sha256,
        step: run.model?.step ?? r.checkpoint.step,
        // Text i is drawn from the i-th fork of Rng(seed): seed + request.index reproduce it.
        seed: req.seed,
        prompt: req.prompt,
        params: {
          mode: 'text',
          request: { ...request, index: i },
          modelName: r.model.name,
          family: r.model.family,
          lineage,
          ...(run.model ? { vocabSize: run.model.vocabSize } : {}),
          ...(run.model && run.model.sha256 !== r.checkpoint.sha256 ? { catalogSha256: r.checkpoint.sha256 } : {}),
        },
        backend: run.backend ?? 'unknown',
        appVersion: ctx.appVersion,
        label: null,
        text,
      });
      const file = textGenerationFile(req.projectId, id);
      try {
        await writeFileAtomic(containedPath(ctx.dataDir, file), text);
      } catch (err) {
        dropPendingGeneration(ctx.db, id);
        throw err;
      }
      completeGeneration(ctx.db, id, file, null, null);
      ids.push(id);
      const g = getGeneration(ctx.db, id);
      ctx.events.emit('generate.image', {
        jobId: job.id,
        projectId: req.projectId,
        index: i,
        total: texts.length,
        item: { id, file, width: null, height: null, seed: g.seed, step: g.step, starred: false, memorised: false, trashed: false, createdAt: g.createdAt, kind: 'text', text: text.slice(0, TEXT_PREVIEW) },
      });
    }
    ctx.events.emit('catalog.changed', { entity: 'generation', projectId: req.projectId });
  };

  const run = await runWorker(ctx, r, req.projectId, 'generate-text', request, req.backend, onTexts);
  return {
    jobId: run.jobId,
    status: run.status,
    generationIds: ids,
    texts: run.texts.slice(0, ids.length),
    backend: run.backend,
    step: run.model?.step ?? null,
    checkpointSha256: run.model?.sha256 ?? null,
    ms: Date.now() - started,
    error: run.error,
  };
}

/** The project's newest text model that has a checkpoint, if any. */
export function newestTextModel(ctx: EngineContext, projectId: number): number | null {
  return newestModelWithCheckpoint(ctx.db, projectId, TEXT_FAMILIES);
}

/**
 * A few completions of `prefix` (tag ideas for a prompt, names for an image). Distinct, trimmed, and
 * only ones that add something to the prefix. Nothing is stored.
 */
export async function suggestTexts(
  ctx: EngineContext,
  req: { projectId: number; modelId?: number; prefix: string; count: number; temperature: number; maxLength: number; seed: number; backend?: string },
): Promise<TextSuggestResult> {
  const modelId = req.modelId ?? newestTextModel(ctx, req.projectId);
  if (modelId === null) return { modelId: null, modelName: null, step: null, suggestions: [] };
  const r = resolveModel(ctx, req.projectId, modelId, undefined, 'text');
  // Ask for a few more than wanted: some come out empty or the same.
  const request = { prompt: req.prefix, temperature: req.temperature, topK: 0, maxLength: req.maxLength, seed: req.seed, count: Math.min(64, req.count * 3) };
  const run = await runWorker(ctx, r, req.projectId, 'text-suggest', request, req.backend);
  if (run.status !== 'done') throw new AtelierError('internal', `Suggesting failed (${run.status}): ${run.error ?? 'no detail'}`);
  const seen = new Set<string>();
  const suggestions: string[] = [];
  for (const t of run.texts) {
    const s = t.replace(/\s+/g, ' ').trim();
    if (!s || s === req.prefix.trim() || seen.has(s.toLowerCase())) continue;
    seen.add(s.toLowerCase());
    suggestions.push(s);
    if (suggestions.length >= req.count) break;
  }
  return { modelId: r.model.id, modelName: getModel(ctx.db, r.model.id).name, step: run.model?.step ?? r.checkpoint.step, suggestions };
}
