import type { GalleryItem, Generation, ModelInfo, PromptHistoryEntry } from '../../../shared/contract';
import { parsePrompt, type ParsedPrompt } from '../../../shared/prompt';
import { api, errorMessage } from './api';
import { toasts } from './toasts.svelte';
import { resultCaption, type Caption, type ResultOrigin } from './create-captions';

export const SLIDERS = 4;

/** Families that write text rather than draw images (Create switches to its text mode for them). */
export const TEXT_FAMILIES: readonly string[] = ['charlstm', 'chartransformer'];
export const isTextModel = (m: ModelInfo | undefined): boolean => !!m && TEXT_FAMILIES.includes(m.family);

/** Where new images come from: fresh seeds, variations of one image, or frames between two. */
export type CreateMode = 'sample' | 'variation' | 'interpolate';

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

  jobId = $state<number | null>(null);
  total = $state(0);
  results = $state<GalleryItem[]>([]);
  /** Each result's caption, by generation id (an interpolation frame's seed says nothing about it). */
  captions = $state<Record<number, Caption>>({});
  running = $state(false);
  lastMs = $state<number | null>(null);
  history = $state<PromptHistoryEntry[]>([]);
  historyQuery = $state('');
  loaded = $state(false);
  error = $state<string | null>(null);

  private startedAt = 0;
  private origin: ResultOrigin = { mode: 'sample' };

  constructor() {
    api.on('generate.image', (e) => {
      if (e.jobId !== this.jobId) return;
      this.results = [...this.results, e.item];
      this.captions = { ...this.captions, [e.item.id]: resultCaption(this.origin, e.item, e.index, e.total) };
      this.total = e.total;
    });
    api.on('job.progress', (e) => {
      if (e.jobId !== this.jobId) return;
      if (['done', 'failed', 'cancelled', 'interrupted'].includes(e.status)) {
        this.running = false;
        this.lastMs = Math.round(performance.now() - this.startedAt);
        if (e.status === 'failed') toasts.error(e.message ?? 'Generating failed.');
        void this.loadHistory();
      }
    });
    api.on('catalog.changed', (e) => {
      if (e.entity === 'run' || e.entity === 'model') if (this.projectId !== null && e.projectId === this.projectId) void this.loadModels();
    });
  }

  get model(): ModelInfo | undefined {
    return this.models.find((m) => m.id === this.modelId);
  }

  get isText(): boolean {
    return isTextModel(this.model);
  }

  /** The newest text model of the project (it can suggest ideas for image prompts). */
  get textModel(): ModelInfo | undefined {
    return this.models.find((m) => isTextModel(m));
  }

  get conditional(): boolean {
    const m = this.model;
    return !!m && (m.labels.length > 0 || m.tags.length > 0);
  }

  get parsed(): ParsedPrompt {
    const m = this.model;
    return parsePrompt(this.prompt, { labels: m?.labels ?? [], tags: m?.tags ?? [] });
  }

  async open(projectId: number): Promise<void> {
    if (this.projectId !== projectId) {
      this.projectId = projectId;
      this.modelId = null;
      this.results = [];
      this.jobId = null;
    }
    await Promise.all([this.loadModels(), this.loadHistory()]);
  }

  async loadModels(): Promise<void> {
    if (this.projectId === null) return;
    try {
      const all = await api.call('models.list', { projectId: this.projectId });
      // Models with at least one checkpoint can be sampled: image models draw, text models write.
      // The project's own models first (newest first), then shipped base and imported ones.
      this.models = all
        .filter((m) => m.checkpoints.length > 0)
        .sort((a, b) => Number(a.projectId === null) - Number(b.projectId === null) || b.createdAt - a.createdAt);
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
    this.origin =
      'variation' in input
        ? { mode: 'variation', of: input.variation.generationId }
        : 'interpolate' in input
          ? { mode: 'interpolate', from: { id: this.interpolateFrom!.id, seed: this.interpolateFrom!.seed }, to: { id: this.interpolateTo!.id, seed: this.interpolateTo!.seed } }
          : { mode: 'sample' };
    this.results = [];
    this.captions = {};
    this.running = true;
    this.startedAt = performance.now();
    try {
      const started = await api.call('generate.start', input);
      this.jobId = started.jobId;
      this.total = started.total;
    } catch (err) {
      this.running = false;
      toasts.error(errorMessage(err));
    }
  }

  /** Texts come back together when the job ends (they are quick); each is also a gallery card. */
  private async generateText(): Promise<void> {
    this.results = [];
    this.running = true;
    this.total = this.count;
    this.jobId = null;
    this.startedAt = performance.now();
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
      this.jobId = r.jobId;
      const now = Date.now();
      this.results = r.generationIds.map((id, i) => ({
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
      this.running = false;
      this.lastMs = Math.round(performance.now() - this.startedAt);
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
    if (this.jobId !== null) await api.call('generate.cancel', { jobId: this.jobId }).catch(() => {});
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
