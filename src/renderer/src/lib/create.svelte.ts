import type { GalleryItem, Generation, ModelInfo, PromptHistoryEntry } from '../../../shared/contract';
import { parsePrompt, type ParsedPrompt } from '../../../shared/prompt';
import { isConditionalFamily } from '../../../shared/conditioning';
import { isTextFamily } from '../../../shared/families';
import { api, errorMessage } from './api';
import { toasts } from './toasts.svelte';
import { resultCaption, type Caption, type ResultOrigin } from './create-captions';

export const SLIDERS = 4;

/** Whether a model writes text rather than draws images (Create switches to its text mode for it). */
export const isTextModel = (m: ModelInfo | undefined): boolean => !!m && isTextFamily(m.family);

/** Where new images come from: fresh seeds, variations of one image, or frames between two. */
export type CreateMode = 'sample' | 'variation' | 'interpolate';

/** Batches of a session kept reachable in the strip (older ones drop off; all stay in the gallery). */
export const MAX_BATCHES = 24;

/** One Generate press: its images as they stream in, and how it was asked for. */
export interface Batch {
  /** Local key (a text batch has no job id until it returns). */
  key: number;
  jobId: number | null;
  kind: 'image' | 'text';
  prompt: string;
  seed: number;
  /** ψ asked for (image batches). */
  truncation: number;
  mode: CreateMode;
  modelName: string;
  total: number;
  results: GalleryItem[];
  /** Each result's caption, by generation id (an interpolation frame's seed says nothing about it). */
  captions: Record<number, Caption>;
  /** Near-empty images the engine left out. */
  skipped: number;
  running: boolean;
  /** What the job says it is doing ("Sampling…", "Checking for copies…"). */
  message: string | null;
  ms: number | null;
  origin: ResultOrigin;
  startedAt: number;
}

/**
 * Create's settings and the images of the current job as they stream in. Kept across view switches so
 * "use prompt / seed / all / remix" from the gallery can fill it in before the view opens.
 */
class CreateState {
  projectId = $state<number | null>(null);
  models = $state<ModelInfo[]>([]);
  modelId = $state<number | null>(null);
  checkpointId = $state<number | null>(null);
  prompt = $state('');
  seed = $state(1);
  count = $state(16);
  batch = $state(8);
  truncation = $state(1);
  directions = $state<number[]>(Array.from({ length: SLIDERS }, () => 0));
  mode = $state<CreateMode>('sample');
  variationOf = $state<GalleryItem | null>(null);
  strength = $state(0.3);
  interpolateFrom = $state<GalleryItem | null>(null);
  interpolateTo = $state<GalleryItem | null>(null);
  frames = $state(8);
  /** Text mode (a text model is chosen): the prompt is the prefix every text starts with. */
  temperature = $state(0.8);
  topK = $state(0);
  maxLength = $state(48);
  /** Tag / name ideas from the project's text model, for the image prompt. */
  suggestions = $state<string[]>([]);
  suggesting = $state(false);
  suggestFrom = $state<string | null>(null);

  /** The session's batches, newest first; `shownKey` is the one in view. */
  batches = $state<Batch[]>([]);
  shownKey = $state<number | null>(null);
  running = $state(false);
  history = $state<PromptHistoryEntry[]>([]);
  historyQuery = $state('');
  loaded = $state(false);
  error = $state<string | null>(null);

  private nextKey = 1;
  private prepared = '';

  constructor() {
    api.on('generate.image', (e) => {
      const b = this.batchOf(e.jobId);
      if (!b || b.results.some((r) => r.id === e.item.id)) return;
      b.results.push(e.item);
      b.captions[e.item.id] = resultCaption(b.origin, e.item, e.index, e.total);
      b.total = e.total;
    });
    api.on('generate.checked', (e) => {
      const item = this.batchOf(e.jobId)?.results.find((r) => r.id === e.id);
      if (item) item.memorised = e.memorised;
    });
    api.on('generate.skipped', (e) => {
      const b = this.batchOf(e.jobId);
      if (b) b.skipped += 1;
    });
    api.on('job.progress', (e) => {
      const b = this.batchOf(e.jobId);
      if (!b) return;
      if (['done', 'failed', 'cancelled', 'interrupted'].includes(e.status)) {
        b.running = false;
        b.message = null;
        b.ms ??= Math.round(performance.now() - b.startedAt);
        if (b === this.batches[0]) this.running = false;
        if (e.status === 'failed') toasts.error(e.message ?? 'Generating failed.');
        if (b.skipped > 0) toasts.info(`${b.skipped} image${b.skipped === 1 ? '' : 's'} came out empty and ${b.skipped === 1 ? 'was' : 'were'} left out of the gallery.`);
        void this.loadHistory();
      } else {
        b.message = e.message ?? null;
        // All images are in: the rest (the copy check) does not keep anyone waiting.
        if (b.results.length + b.skipped >= b.total && b.ms === null) b.ms = Math.round(performance.now() - b.startedAt);
      }
    });
    api.on('catalog.changed', (e) => {
      if (e.entity === 'run' || e.entity === 'model') if (this.projectId !== null && e.projectId === this.projectId) void this.loadModels();
    });
  }

  get model(): ModelInfo | undefined {
    return this.models.find((m) => m.id === this.modelId);
  }

  /** The batch in view (the newest unless one was picked from the strip). */
  get shown(): Batch | undefined {
    return this.batches.find((b) => b.key === this.shownKey) ?? this.batches[0];
  }

  get results(): GalleryItem[] {
    return this.shown?.results ?? [];
  }

  get captions(): Record<number, Caption> {
    return this.shown?.captions ?? {};
  }

  get total(): number {
    return this.shown?.total ?? 0;
  }

  private batchOf(jobId: number): Batch | undefined {
    return this.batches.find((b) => b.jobId === jobId);
  }

  /** Bring an earlier batch of this session back into view. */
  showBatch(key: number): void {
    this.shownKey = key;
  }

  private newBatch(kind: 'image' | 'text', origin: ResultOrigin, total: number): Batch {
    const b: Batch = {
      key: this.nextKey++,
      jobId: null,
      kind,
      prompt: this.prompt,
      seed: this.seed,
      truncation: this.truncation,
      mode: kind === 'text' ? 'sample' : this.mode,
      modelName: this.model?.name ?? '',
      total,
      results: [],
      captions: {},
      skipped: 0,
      running: true,
      message: null,
      ms: null,
      origin,
      startedAt: performance.now(),
    };
    this.batches = [b, ...this.batches].slice(0, MAX_BATCHES);
    this.shownKey = b.key;
    // The proxied copy: changes made through it are seen by the views.
    return this.batches[0]!;
  }

  get isText(): boolean {
    return isTextModel(this.model);
  }

  /** The newest text model of the project (it can suggest ideas for image prompts). */
  get textModel(): ModelInfo | undefined {
    return this.models.find((m) => isTextModel(m));
  }

  /**
   * Whether the prompt steers the chosen model: a conditional family with a vocabulary. An
   * unconditional model may list its data's labels (the base does) but ignores every word.
   */
  get conditional(): boolean {
    const m = this.model;
    return !!m && isConditionalFamily(m.family) && (m.labels.length > 0 || m.tags.length > 0);
  }

  get parsed(): ParsedPrompt {
    const m = this.model;
    const known = this.conditional;
    return parsePrompt(this.prompt, { labels: known ? (m?.labels ?? []) : [], tags: known ? (m?.tags ?? []) : [] });
  }

  /** Load the chosen image model into the engine's warm sampler, so Generate shows images at once. */
  prepare(): void {
    const m = this.model;
    if (this.projectId === null || !m || isTextModel(m)) return;
    const key = `${this.projectId}:${m.id}:${this.checkpointId}`;
    if (key === this.prepared) return;
    this.prepared = key;
    void api.call('generate.prepare', { projectId: this.projectId, modelId: m.id, checkpointId: this.checkpointId ?? undefined }).catch(() => (this.prepared = ''));
  }

  async open(projectId: number): Promise<void> {
    if (this.projectId !== projectId) {
      this.projectId = projectId;
      this.modelId = null;
      this.batches = [];
      this.shownKey = null;
    }
    await Promise.all([this.loadModels(), this.loadHistory()]);
  }

  async loadModels(): Promise<void> {
    if (this.projectId === null) return;
    try {
      const all = await api.call('models.list', { projectId: this.projectId });
      // Models with at least one checkpoint can be sampled: image models draw, text models write.
      // The project's own models first, then shipped base and imported ones; within each, the engine's
      // order (listModels: bases as shipped, 32 px first; the rest newest first). The sort is stable.
      this.models = all.filter((m) => m.checkpoints.length > 0).sort((a, b) => Number(a.projectId === null) - Number(b.projectId === null));
      if (this.modelId === null || !this.models.some((m) => m.id === this.modelId)) this.modelId = this.models[0]?.id ?? null;
      this.error = null;
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.loaded = true;
    }
  }

  async loadHistory(): Promise<void> {
    if (this.projectId === null) return;
    try {
      this.history = await api.call('prompts.history', { projectId: this.projectId, query: this.historyQuery, limit: 30 });
    } catch {
      /* the history is a convenience */
    }
  }

  randomSeed(): void {
    // UI-only randomness (what seed to suggest); the engine's draws stay seeded.
    this.seed = Math.floor(Math.random() * 2 ** 31);
  }

  async generate(): Promise<void> {
    if (this.projectId === null || this.modelId === null || this.running) return;
    if (this.isText) return this.generateText();
    const base = {
      projectId: this.projectId,
      modelId: this.modelId,
      checkpointId: this.checkpointId ?? undefined,
      prompt: this.prompt,
      seed: this.seed,
      count: this.count,
      batch: this.batch,
      truncation: this.truncation,
      directions: this.directions.some((d) => d !== 0) ? this.directions : [],
    };
    const input =
      this.mode === 'variation' && this.variationOf
        ? { ...base, variation: { generationId: this.variationOf.id, strength: this.strength } }
        : this.mode === 'interpolate' && this.interpolateFrom && this.interpolateTo
          ? { ...base, interpolate: { fromId: this.interpolateFrom.id, toId: this.interpolateTo.id, frames: this.frames } }
          : base;
    const origin: ResultOrigin =
      'variation' in input
        ? { mode: 'variation', of: input.variation.generationId }
        : 'interpolate' in input
          ? { mode: 'interpolate', from: { id: this.interpolateFrom!.id, seed: this.interpolateFrom!.seed }, to: { id: this.interpolateTo!.id, seed: this.interpolateTo!.seed } }
          : { mode: 'sample' };
    const b = this.newBatch('image', origin, 'interpolate' in input ? this.frames : this.count);
    this.running = true;
    try {
      const started = await api.call('generate.start', input);
      b.jobId = started.jobId;
      b.total = started.total;
    } catch (err) {
      b.running = false;
      this.running = false;
      this.batches = this.batches.filter((x) => x.key !== b.key);
      toasts.error(errorMessage(err));
    }
  }

  /** Texts come back together when the job ends (they are quick); each is also a gallery card. */
  private async generateText(): Promise<void> {
    const b = this.newBatch('text', { mode: 'sample' }, this.count);
    this.running = true;
    try {
      const r = await api.call('generate.text', {
        projectId: this.projectId!,
        modelId: this.modelId!,
        checkpointId: this.checkpointId ?? undefined,
        prompt: this.prompt,
        temperature: this.temperature,
        topK: this.topK,
        maxLength: this.maxLength,
        seed: this.seed,
        count: this.count,
      });
      b.jobId = r.jobId;
      const now = Date.now();
      b.results = r.generationIds.map((id, i) => ({
        id,
        file: null,
        width: null,
        height: null,
        seed: this.seed,
        step: r.step ?? 0,
        starred: false,
        memorised: false,
        trashed: false,
        createdAt: now,
        kind: 'text' as const,
        text: r.texts[i] ?? '',
      }));
      if (r.status !== 'done' && r.status !== 'cancelled') toasts.error(r.error ?? `Generating stopped (${r.status}).`);
    } catch (err) {
      toasts.error(errorMessage(err));
    } finally {
      b.running = false;
      this.running = false;
      b.ms = Math.round(performance.now() - b.startedAt);
      void this.loadHistory();
    }
  }

  /** Ideas for the image prompt from the project's text model: completions of what is typed so far. */
  async suggest(): Promise<void> {
    const m = this.textModel;
    if (this.projectId === null || !m || this.suggesting) return;
    this.suggesting = true;
    try {
      // The last comma-separated term is the one being written; the model continues it.
      const prefix = this.prompt.split(/[,\n]/).pop()?.trimStart() ?? '';
      const r = await api.call('text.suggest', { projectId: this.projectId, modelId: m.id, prefix, count: 6, seed: Math.floor(Math.random() * 2 ** 31) });
      // Ideas the image model fully understands first (every word a label or tag it knows).
      this.suggestions = [...r.suggestions].sort((x, y) => Number(!this.understood(x)) - Number(!this.understood(y)));
      this.suggestFrom = r.modelName;
      if (r.suggestions.length === 0) toasts.info('The text model had no ideas for that; try a shorter start.');
    } catch (err) {
      toasts.error(errorMessage(err));
    } finally {
      this.suggesting = false;
    }
  }

  /** Whether the chosen image model knows every word of a suggestion. */
  understood(s: string): boolean {
    const m = this.model;
    return parsePrompt(s, { labels: m?.labels ?? [], tags: m?.tags ?? [] }).unknown.length === 0;
  }

  /** Put a suggestion in place of the term being written. */
  applySuggestion(s: string): void {
    const parts = this.prompt.split(',');
    parts[parts.length - 1] = (parts.length > 1 ? ' ' : '') + s;
    this.prompt = parts.join(',');
  }

  async cancel(): Promise<void> {
    if (this.isText && this.running) {
      // The text job's id is known only when it returns; stop the newest generate-text job of the project.
      const jobs = await api.call('jobs.list', { projectId: this.projectId ?? undefined, active: true }).catch(() => []);
      const j = jobs.find((x) => x.kind === 'generate-text');
      if (j) await api.call('jobs.control', { id: j.id, action: 'cancel' }).catch(() => {});
      return;
    }
    const jobId = this.batches[0]?.jobId ?? null;
    if (jobId !== null) await api.call('generate.cancel', { jobId }).catch(() => {});
  }

  /** Fill Create from a stored generation ("use prompt / seed / all", "remix" = variations of it). */
  use(g: Generation, what: 'prompt' | 'seed' | 'all' | 'remix'): void {
    if (g.kind === 'text') {
      if (g.modelId !== null && what !== 'prompt' && what !== 'seed') {
        this.modelId = g.modelId;
        this.checkpointId = g.checkpointId;
      }
      if (what !== 'seed') this.prompt = g.prompt;
      if (what !== 'prompt') this.seed = g.seed;
      if (what === 'all' || what === 'remix') {
        const req = (g.params.request ?? {}) as { temperature?: number; topK?: number; maxLength?: number; index?: number };
        this.temperature = req.temperature ?? this.temperature;
        this.topK = req.topK ?? this.topK;
        this.maxLength = req.maxLength ?? this.maxLength;
        // Text i of a seed is the i-th drawn: asking for index + 1 texts ends with this one again.
        this.count = what === 'all' ? (req.index ?? 0) + 1 : 8;
        this.mode = 'sample';
      }
      return;
    }
    if (g.modelId !== null && (what === 'all' || what === 'remix')) {
      this.modelId = g.modelId;
      this.checkpointId = g.checkpointId;
    }
    if (what === 'prompt' || what === 'all' || what === 'remix') this.prompt = g.prompt;
    if (what === 'seed' || what === 'all') this.seed = g.seed;
    if (what === 'all') {
      const req = (g.params.request ?? {}) as { truncation?: number; directions?: number[] };
      this.truncation = req.truncation ?? 1;
      const d = req.directions ?? [];
      this.directions = Array.from({ length: SLIDERS }, (_, i) => d[i] ?? 0);
      this.count = 1;
      this.mode = 'sample';
    }
    if (what === 'remix') {
      this.mode = 'variation';
      this.variationOf = toItem(g);
      this.count = 8;
    }
  }

  pick(item: GalleryItem, as: 'variation' | 'from' | 'to'): void {
    if (as === 'variation') {
      this.variationOf = item;
      this.mode = 'variation';
    } else if (as === 'from') {
      this.interpolateFrom = item;
      this.mode = 'interpolate';
    } else {
      this.interpolateTo = item;
      this.mode = 'interpolate';
    }
  }
}

function toItem(g: Generation): GalleryItem {
  return { id: g.id, file: g.file, width: g.width, height: g.height, seed: g.seed, step: g.step, starred: g.starred, memorised: g.memorised, trashed: g.trashedAt !== null, createdAt: g.createdAt, kind: g.kind, text: g.text };
}

export const create = new CreateState();
