/**
 * The sampling loop a worker runs: backend, generator, then the images in batches, each batch posted
 * as soon as it is decoded (the engine writes the files and rows and streams them to the views).
 */
import { initBackend, type BackendName } from '../../ml/backend';
import { loadGenerator, type ConditionRequest, type Generator } from '../../ml/sample/sampler';
import type { JobChannel } from '../worker-side';
import { buildLatent, encodeLatent } from './latents';
import { createGuard, type Guard } from './guard';
import type { ImagePlan, SampleMessage, SampleResult, SampleWorkerData, SampledImage } from './messages';

export async function runSampling(channel: JobChannel<SampleWorkerData>): Promise<SampleResult> {
  const w = channel.data;
  const post = (m: SampleMessage, transfer: ArrayBuffer[] = []) => channel.post(m, transfer);
  const t0 = performance.now();
  const report = await initBackend(w.backend && w.backend !== 'auto' ? (w.backend as BackendName) : undefined);
  post({ type: 'backend', name: report.name, reason: report.reason });

  const g = await loadGenerator(w.checkpointPath);
  try {
    post({ type: 'model', latentDim: g.latentDim, size: g.size, channels: g.channels, step: g.step, sha256: g.sha256, labelNames: g.labelNames, tagNames: g.tagNames });
    const k = Math.min(w.directions.length, g.latentDim);
    const dirs = k > 0 && w.directions.some((o) => o !== 0) ? g.principalDirections(k) : null;

    let guard: Guard | null = null;
    if (w.guard) {
      try {
        guard = await createGuard(w.guard);
        post({ type: 'guard', status: 'ok' });
      } catch (err) {
        post({ type: 'guard', status: 'skipped', message: (err as Error).message });
      }
    }

    let done = 0;
    const total = w.images.length;
    channel.progress(0, total, 'Sampling…');
    for (let i = 0; i < total; ) {
      const end = await channel.checkpoint();
      if (end) break;
      // A batch shares one condition (one decode call); plans with another condition start a new batch.
      const first = w.images[i]!;
      const key = conditionKey(first.condition);
      const batch: ImagePlan[] = [];
      while (i < total && batch.length < w.batch && conditionKey(w.images[i]!.condition) === key) batch.push(w.images[i++]!);
      const out = decodeBatch(g, batch, w, dirs);
      if (guard) {
        const near = guard.check(out);
        out.forEach((im, j) => (im.nearest = near[j] ?? null));
      }
      post({ type: 'images', images: out }, out.map((im) => im.pixels.buffer as ArrayBuffer));
      done += batch.length;
      channel.progress(done, total, `${done} of ${total}`);
    }
    return { count: done, ms: Math.round(performance.now() - t0) };
  } finally {
    g.dispose();
  }
}

function decodeBatch(g: Generator, batch: ImagePlan[], w: SampleWorkerData, dirs: Float32Array | null): SampledImage[] {
  const d = g.latentDim;
  const latents = new Float32Array(batch.length * d);
  batch.forEach((p, j) => latents.set(buildLatent(p.latent, d, w.truncation, dirs, w.directions), j * d));
  const images = g.decodeLatents(latents, cleanCondition(batch[0]!.condition));
  return images.map((im, j) => ({
    index: batch[j]!.index,
    seed: batch[j]!.seed,
    pixels: im.pixels,
    width: im.width,
    height: im.height,
    channels: im.channels,
    latent: encodeLatent(latents.subarray(j * d, (j + 1) * d)),
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
