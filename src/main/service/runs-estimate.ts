/**
 * `runs.estimate`: how long a step will take, before a run starts. It uses throughput measured by past
 * runs in this data folder (run.images_seen / run.train_ms, the loop's own timing), preferring the same
 * backend, family and size; another size or family measured here is scaled by pixel count and a
 * per-family cost; with no runs at all, a table of figures recorded from real runs on a reference
 * machine stands in. Nothing is trained to estimate: that would cost the user the time it predicts.
 */
import type { Handlers } from './handlers';
import type { ServiceContext } from './context';
import type { RunEstimate } from '../../shared/contract/runs-estimate';
import { listRuns } from '../catalog/runs';

/** The families' default batch sizes (their model configs), when the form leaves it to the model. */
const DEFAULT_BATCH: Record<string, number> = { mlpgan: 64, dcgan: 64, default: 16, cgan: 16, vae: 32 };
const FIXED_SIZE: Record<string, number> = { mlpgan: 28, dcgan: 32 };
/** Rough relative cost per image at equal size (small-data GAN = 1), for scaling across families. */
const FAMILY_COST: Record<string, number> = { mlpgan: 0.25, dcgan: 0.7, default: 1, cgan: 1.1, vae: 0.5 };

/**
 * Images per second recorded from real runs, the fallback before this machine has measured anything
 * itself. Key: `${backend}/${family}/${size}`. Only what was measured is listed: the default model at
 * 32 px (width 16, batch 16) in `npm run bench:quality`, one wasm thread on a 2-core x86 machine whose
 * other core was busy (40 688–43 680 images in 598 s of training, Nov 2026): a cautious figure.
 */
export const REFERENCE_IMG_PER_SEC: Record<string, number> = {
  'wasm/default/32': 68,
  // 64 px, width 8: 23 536 images in 600 s, the other core busy (session 11).
  'wasm/default/64': 39,
};

/** Ignore runs that trained too briefly for their rate to mean much (start-up, first steps). */
const MIN_TRAIN_MS = 3_000;

interface Measured {
  backend: string | null;
  family: string;
  size: number;
  imagesSeen: number;
  trainMs: number;
}

function measuredRuns(ctx: ServiceContext): Measured[] {
  return listRuns(ctx.db)
    .filter((r) => r.trainMs >= MIN_TRAIN_MS && r.imagesSeen > 0)
    .map((r) => {
      const p = r.params as { family?: string; size?: number };
      return { backend: r.backend, family: String(p.family ?? ''), size: Number(p.size ?? 0), imagesSeen: r.imagesSeen, trainMs: r.trainMs };
    })
    .filter((m) => m.family !== '' && m.size > 0);
}

/** Pooled rate of up to five most recent runs (listRuns is newest first). */
function pooled(runs: Measured[]): number {
  const recent = runs.slice(0, 5);
  const images = recent.reduce((a, r) => a + r.imagesSeen, 0);
  const ms = recent.reduce((a, r) => a + r.trainMs, 0);
  return images / (ms / 1000);
}

const cost = (family: string, size: number) => (FAMILY_COST[family] ?? 1) * size * size;

export function estimate(ctx: ServiceContext, input: { family: string; size?: number; batchSize?: number }): RunEstimate {
  const size = FIXED_SIZE[input.family] ?? input.size ?? 64;
  const batch = input.batchSize ?? DEFAULT_BATCH[input.family] ?? 16;
  const runs = measuredRuns(ctx);
  const backend = ctx.backend?.name ?? runs.find((r) => r.backend)?.backend ?? listRuns(ctx.db).find((r) => r.backend)?.backend ?? null;
  const onBackend = backend ? runs.filter((r) => r.backend === backend) : runs;
  const result = (imgPerSec: number, basis: RunEstimate['basis'], n: number, note: string): RunEstimate => ({
    secondsPerStep: batch / imgPerSec,
    imgPerSec,
    backend,
    basis,
    runs: n,
    note,
  });

  const same = onBackend.filter((r) => r.family === input.family && r.size === size);
  if (same.length > 0) {
    return result(pooled(same), 'history', Math.min(5, same.length), `Measured by ${same.length === 1 ? 'a past run' : `${Math.min(5, same.length)} past runs`} like this one${backend ? ` on ${backend}` : ''}.`);
  }
  if (onBackend.length > 0) {
    // Scale each run's rate by how much more (or less) work one image is for the requested model.
    const recent = onBackend.slice(0, 5);
    const rates = recent.map((r) => (r.imagesSeen / (r.trainMs / 1000)) * (cost(r.family, r.size) / cost(input.family, size)));
    const rate = rates.reduce((a, b) => a + b, 0) / rates.length;
    return result(rate, 'scaled', recent.length, `Scaled from ${recent.length === 1 ? 'a past run' : `${recent.length} past runs`} of another size or model${backend ? ` on ${backend}` : ''}: a rough guess.`);
  }
  const key = `${backend ?? 'wasm'}/${input.family}/${size}`;
  const table = REFERENCE_IMG_PER_SEC[key];
  if (table !== undefined) {
    return result(table, 'table', 0, `From runs recorded on a 2-core reference machine (${backend ?? 'wasm'}); this machine may be faster or slower.`);
  }
  return { secondsPerStep: null, imgPerSec: null, backend, basis: 'none', runs: 0, note: 'No estimate yet: the first run on this machine measures its speed.' };
}

export function runEstimateHandlers(ctx: ServiceContext): Pick<Handlers, 'runs.estimate'> {
  return { 'runs.estimate': (input) => estimate(ctx, input) };
}
