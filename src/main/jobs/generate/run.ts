/**
 * A generate job, worker side: backend, sampler (posted as 'model'), then the images in batches, each
 * batch posted as soon as it is decoded (the engine writes the files and rows and streams them to the views). The copy check
 * (feature space, training features, nearest neighbours) runs after every image was posted, so it
 * never delays the first image; its result follows as one 'nearest' message.
 *
 * What is slow to make (the backend, a loaded sampler, a fitted guard) comes from a SamplerCache: the
 * warm sampler (host.ts) keeps them between jobs; a one-off worker makes them fresh. Text generation
 * (../text-generate/run.ts) has the same shape, in a one-off worker only.
 */
import { initChosenBackend, type BackendReport } from '../../ml/backend';
import { loadSampler, type ConditionRequest, type Sampler } from '../../ml/sample/sampler';
import { encodeLatent, planSource, steer } from '../../ml/sample/latents';
import { decodeTruncated } from '../../ml/sample/truncation';
import { createGuard, type Guard } from './guard';
import type { ImagePlan, GenerateMessage, GenerateWorkerResult, GenerateWorkerData, GeneratedImage } from './messages';

/** What the loop needs of its job: node's JobChannel (worker-side.ts) and the warm host's channel. */
export interface GenerateChannel {
  readonly data: GenerateWorkerData;
  readonly endRequested: 'cancel' | 'stop' | 'finish' | null;
  post(msg: { type: string } & Record<string, unknown>, transfer?: ArrayBuffer[]): void;
  progress(done: number, total: number | null, message?: string): void;
  checkpoint(): Promise<'cancel' | 'stop' | 'finish' | null>;
}

export interface SamplerCache {
  backend(name: string | undefined): Promise<BackendReport>;
  /** A loaded sampler (warm: it was already loaded); the cache owns it (callers never dispose it). */
  sampler(checkpointPath: string): Promise<{ sampler: Sampler; warm: boolean }>;
  guard(g: NonNullable<GenerateWorkerData['guard']>): Promise<Guard>;
  /** Principal directions of a sampler's latent space (k·latentDim values), kept with it. */
  directions(g: Sampler, k: number): Float32Array;
  /** Done with the job: a one-off cache frees what it made. */
  release(): void;
}

/** For a worker that runs one job and ends: nothing is kept. */
export function oneOffCache(): SamplerCache {
  const made: Sampler[] = [];
  return {
    backend: (name) => initChosenBackend(name),
    sampler: async (file) => {
      const g = await loadSampler(file);
      made.push(g);
      return { sampler: g, warm: false };
    },
    guard: (g) => createGuard(g),
    directions: (g, k) => g.principalDirections(k),
    release: () => made.splice(0).forEach((g) => g.dispose()),
  };
}

export async function runGeneration(channel: GenerateChannel, cache: SamplerCache): Promise<GenerateWorkerResult> {
  const w = channel.data;
  const post = (m: GenerateMessage, transfer: ArrayBuffer[] = []) => channel.post(m, transfer);
  const t0 = performance.now();
  const report = await cache.backend(w.backend);
  post({ type: 'backend', name: report.name, reason: report.reason });

  const { sampler: g, warm } = await cache.sampler(w.checkpointPath);
  post({ type: 'model', latentDim: g.latentDim, size: g.size, channels: g.channels, step: g.step, sha256: g.sha256, labelNames: g.labelNames, tagNames: g.tagNames, warm });
  const k = Math.min(w.directions.length, g.latentDim);
  const dirs = k > 0 && w.directions.some((o) => o !== 0) ? cache.directions(g, k) : null;

  // Pixels kept for the copy check after the images went out (their buffers travel to the engine).
  const forGuard: Array<{ index: number; pixels: Uint8Array; width: number; channels: number }> = [];
  let done = 0;
  const total = w.images.length;
  channel.progress(0, total, 'Sampling…');
  let first = true;
  for (let i = 0; i < total; ) {
    const end = await channel.checkpoint();
    if (end) break;
    // A batch shares one condition (one decode call); plans with another condition start a new batch.
    // The first pass is one image, so the first tile shows as early as it can (passes never change pixels).
    const size = first ? 1 : w.batch;
    first = false;
    const key = conditionKey(w.images[i]!.condition);
    const batch: ImagePlan[] = [];
    while (i < total && batch.length < size && conditionKey(w.images[i]!.condition) === key) batch.push(w.images[i++]!);
    const out = decodeBatch(g, batch, w, dirs);
    if (w.guard) for (const im of out) if (!im.empty) forGuard.push({ index: im.index, pixels: im.pixels.slice(), width: im.width, channels: im.channels });
    post({ type: 'images', images: out }, out.map((im) => im.pixels.buffer as ArrayBuffer));
    done += batch.length;
    channel.progress(done, total, `${done} of ${total}`);
  }

  if (w.guard && forGuard.length && !channel.endRequested) {
    channel.progress(done, total, 'Checking for copies of training images…');
    let guard: Guard | null = null;
    try {
      guard = await cache.guard(w.guard);
      post({ type: 'guard', status: 'ok' });
    } catch (err) {
      post({ type: 'guard', status: 'skipped', message: (err as Error).message });
    }
    if (guard) {
      const near = guard.check(forGuard);
      post({ type: 'nearest', items: forGuard.map((im, j) => ({ index: im.index, nearest: near[j]! })).filter((x) => x.nearest) });
    }
  }
  return { count: done, ms: Math.round(performance.now() - t0) };
}

function decodeBatch(g: Sampler, batch: ImagePlan[], w: GenerateWorkerData, dirs: Float32Array | null): GeneratedImage[] {
  const d = g.latentDim;
  const sources = batch.map((p) => planSource(p.latent, d));
  const kept = decodeTruncated(
    sources,
    d,
    w.truncation,
    () => g.truncationAnchor(),
    (z) => g.decodeLatents(z, cleanCondition(batch[0]!.condition)),
    (j, z) => (sources[j]!.steered ? steer(z, dirs, w.directions) : z),
  );
  return kept.images.map((im, j) => ({
    index: batch[j]!.index,
    seed: batch[j]!.seed,
    pixels: im.pixels,
    width: im.width,
    height: im.height,
    channels: im.channels,
    latent: encodeLatent(kept.latents.subarray(j * d, (j + 1) * d)),
    ...(kept.psis[j] !== w.truncation ? { psi: kept.psis[j] } : {}),
    empty: kept.empty[j]!,
    nearest: null,
  }));
}

function cleanCondition(c: ConditionRequest): ConditionRequest | undefined {
  const labels = c.labels && Object.keys(c.labels).length ? c.labels : undefined;
  const tags = c.tags && Object.keys(c.tags).length ? c.tags : undefined;
  return labels || tags ? { ...(labels ? { labels } : {}), ...(tags ? { tags } : {}) } : undefined;
}

function conditionKey(c: ConditionRequest): string {
  const sorted = (r?: Record<string, number>) => (r ? Object.keys(r).sort().map((k) => [k, r[k]]) : []);
  return JSON.stringify([sorted(c.labels), sorted(c.tags)]);
}
