/**
 * Data-parallel training steps: N worker threads each hold the same image model, each computes one
 * N-th of every batch (see shard.ts for why the result is the whole batch's step), and all apply the
 * same averaged update, so their weights stay identical; `verify` checks that by hash.
 *
 * The leader (rank 0) is an ordinary TrainingSession: it owns the data order, augmentation, the Rng,
 * checkpoints, sample grids and the run's events. For each step it publishes the whole batch and the
 * Rng state into shared memory, then computes its own share; the other workers (`serveReplica`) compute
 * theirs from the same batch and Rng state and meet it in the collectives. The replicas keep no state of
 * their own besides the model, so a resumed or fine-tuned session only has to hand them its tensors
 * once (`replicaState`), and a kill -9 loses nothing a checkpoint did not already hold.
 *
 * Protocol, on the collective's header (Float64): the leader writes a command and its arguments and
 * meets the replicas at a barrier; STEP runs a step, HASH has every worker write a hash of its training
 * state and its tensor count into its info words, STOP ends the replicas.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import { familyModule } from '../models';
import type { ImageBatch, ImageFamily, ImageModel, StepContext, Vocab } from '../models/model';
import { assignValues, type ParamStore } from '../nn/params';
import { Rng } from '../rng';
import { ParallelAbort, type Collective, type CollectiveLayout } from './collective';
import { runSharded, type Shard } from './shard';

/** Runs the session's steps on more than one worker (the session calls it instead of model.trainStep). */
export interface StepRunner {
  readonly workers: number;
  /** One step of `model` on the whole `batch`; returns the whole batch's losses (caller disposes). */
  trainStep(model: ImageModel, batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar>;
  /** Throws when the workers no longer hold the same training state (called before every checkpoint). */
  verify(store: ParamStore): void;
}

/** Everything a replica needs to hold the leader's model: built from family/config/vocab, then every tensor copied. */
export interface ReplicaState {
  family: string;
  config: Record<string, unknown>;
  vocab: Vocab;
  counters: Record<string, number>;
  tensors: { name: string; shape: number[]; data: Float32Array }[];
}

/** A replica's copy of the leader's model: same family, config and vocabulary, every tensor and counter copied. */
export function replicaModel(state: ReplicaState): ImageModel {
  // Initial values are overwritten; the throwaway Rng only shapes them.
  const model = familyModule(state.family as ImageFamily).build(state.config as never, new Rng(0), state.vocab);
  const byName = new Map(state.tensors.map((t) => [t.name, t]));
  for (const e of model.store.list()) {
    const t = byName.get(e.name);
    if (!t || t.shape.join() !== e.variable.shape.join()) throw new Error(`replica: the leader's model has no tensor ${e.name} of shape ${e.variable.shape}`);
    assignValues(e.variable, t.data, t.shape);
  }
  if (byName.size !== model.store.list().length) throw new Error("replica: the leader's model has tensors this one lacks");
  Object.assign(model.store.counters, state.counters);
  return model;
}

// Header slots.
const CMD = 0;
const STEP = 1;
const LR_SCALE = 2;
const FROZEN_D = 3;
const RNG = 4; // 4 words
const SPARE_SET = 8;
const SPARE = 9;
const HAS_LABELS = 10;
const HAS_TAGS = 11;

const Command = { step: 1, hash: 2, stop: 3 } as const;

/**
 * Floats per slot of the all-reduce (4 MiB): the classic DCGAN's G gradients (3.5 M floats) go through
 * in 4 chunks, each a pair of barriers. Measured (2 threads, 6.3 M floats, loaded machine): 64 K to
 * 1 M floats per chunk all took ~40 ms; 4 M took 50.
 */
const CHUNK = 1 << 20;

/** The collective's layout for a model: the payload holds one whole batch (images, labels, tags). */
export function groupLayout(workers: number, batch: BatchShape): CollectiveLayout {
  return { workers, chunk: CHUNK, payloadFloats: batch.batchSize * (batch.size * batch.size * batch.channels + batch.labels + batch.tags) };
}

export interface BatchShape {
  batchSize: number;
  size: number;
  channels: number;
  /** Label and tag vocabulary sizes (0 when the model has none). */
  labels: number;
  tags: number;
}

export function batchShape(config: { batchSize: number; size: number; channels: number }, vocab: Vocab): BatchShape {
  return { batchSize: config.batchSize, size: config.size, channels: config.channels, labels: vocab.labelNames.length, tags: vocab.tagNames.length };
}

/**
 * Whether a batch of `batchSize` splits into `workers` equal shares that keep minibatch-stddev groups
 * (of `group` images, 0 = none) whole. Returns the reason when it does not.
 */
export function shareProblem(batchSize: number, workers: number, group = 0): string | null {
  if (workers === 1) return null;
  if (batchSize % workers !== 0) return `a batch of ${batchSize} does not split into ${workers} equal shares`;
  const share = batchSize / workers;
  if (group > 1 && share % group !== 0) return `a share of ${share} images would split minibatch-stddev groups of ${group}`;
  return null;
}

/** Rows [rank·n, (rank+1)·n) of a batch, as new tensors. */
function shareOf(batch: ImageBatch, rank: number, n: number): ImageBatch {
  const rows = <T extends tf.Tensor>(t: T): T => tf.slice(t, [rank * n, ...t.shape.slice(1).map(() => 0)], [n, ...t.shape.slice(1)]) as T;
  return { x: rows(batch.x), labels: batch.labels && rows(batch.labels), tags: batch.tags && rows(batch.tags) };
}

/** Runs the model's step on this worker's share, then averages the reported losses over the workers. */
function stepShare(model: ImageModel, share: ImageBatch, ctx: StepContext, shard: Shard): Record<string, tf.Scalar> {
  let losses: Record<string, tf.Scalar>;
  try {
    losses = runSharded(shard, () => model.trainStep(share, ctx));
  } finally {
    tf.dispose([share.x, share.labels, share.tags] as tf.Tensor[]);
  }
  const names = Object.keys(losses);
  const values = Float32Array.from(names.map((n) => losses[n]!.dataSync()[0]!));
  tf.dispose(Object.values(losses));
  shard.collective.allReduce(values, 'mean');
  return Object.fromEntries(names.map((n, i) => [n, tf.scalar(values[i]!)]));
}

/**
 * A hash of everything that decides the next steps: weights, optimizer moments, running statistics,
 * spectral-norm vectors, EMA weights and counters. Left out: the EMA generator's standing batch-norm
 * statistics, which only the leader re-estimates, for its sample grids and checkpoints.
 */
export function trainingStateHash(store: ParamStore): Int32Array {
  const all = store.list();
  const roles = new Map(all.map((e) => [e.name, e.role]));
  const hash = createHash('sha256');
  for (const e of all) {
    if (e.role === 'ema' && roles.get(e.name.slice('ema/'.length)) === 'state') continue;
    const data = e.variable.dataSync() as Float32Array;
    hash.update(e.name).update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  hash.update(JSON.stringify(Object.entries(store.counters).sort(([a], [b]) => (a < b ? -1 : 1))));
  const digest = hash.digest();
  return new Int32Array(digest.buffer, digest.byteOffset, 8).slice();
}

function writeInfo(collective: Collective, store: ParamStore): void {
  const info = collective.info(collective.rank);
  info.set(trainingStateHash(store), 0);
  info[8] = tf.memory().numTensors;
}

/** The leader's side (rank 0), handed to TrainingSession.useParallel. */
export class DataParallelLeader implements StepRunner {
  private readonly shard: Shard;
  private stopped = false;
  /** Per worker, its tensor count at the last `verify` (tests: no worker leaks). */
  tensorCounts: number[] = [];

  constructor(
    readonly collective: Collective,
    private readonly shape: BatchShape,
  ) {
    if (collective.rank !== 0) throw new Error('the leader is rank 0');
    this.shard = { rank: 0, size: collective.size, collective };
  }

  get workers(): number {
    return this.collective.size;
  }

  trainStep(model: ImageModel, batch: ImageBatch, ctx: StepContext): Record<string, tf.Scalar> {
    const c = this.collective;
    const n = batch.x.shape[0] / c.size;
    if (!Number.isInteger(n)) throw new Error(`a batch of ${batch.x.shape[0]} does not split over ${c.size} workers`);
    const h = c.header;
    h[CMD] = Command.step;
    h[STEP] = ctx.step;
    h[LR_SCALE] = ctx.lrScale;
    h[FROZEN_D] = ctx.frozenDLayers;
    const { words, spare } = ctx.rng.state();
    h.set(words, RNG);
    h[SPARE_SET] = spare === null ? 0 : 1;
    h[SPARE] = spare ?? 0;
    h[HAS_LABELS] = batch.labels ? 1 : 0;
    h[HAS_TAGS] = batch.tags ? 1 : 0;
    const { x, labels, tags } = payloadViews(c.payload, this.shape);
    x.set(batch.x.dataSync() as Float32Array);
    if (batch.labels) labels.set(batch.labels.dataSync() as Float32Array);
    if (batch.tags) tags.set(batch.tags.dataSync() as Float32Array);
    return this.guard(() => {
      c.barrier();
      return stepShare(model, shareOf(batch, 0, n), ctx, this.shard);
    });
  }

  /**
   * Runs `f`; if it throws (the leader failed in the middle of a step), the group is aborted, so the
   * replicas stop waiting for collectives the leader will never reach.
   */
  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof ParallelAbort)) this.collective.abort(`the leading training worker failed: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  verify(store: ParamStore): void {
    const c = this.collective;
    c.header[CMD] = Command.hash;
    this.guard(() => {
      c.barrier();
      writeInfo(c, store);
      c.barrier();
    });
    const own = c.info(0).slice(0, 8).join();
    this.tensorCounts = Array.from({ length: c.size }, (_, r) => c.info(r)[8]!);
    for (let r = 1; r < c.size; r++) {
      if (c.info(r).slice(0, 8).join() !== own) {
        throw new AtelierError('internal', `Training worker ${r} no longer holds the same weights as worker 0 (state hashes differ); the run stopped before writing a checkpoint.`);
      }
    }
  }

  /** Ends the replicas' loops (they then exit). Idempotent; after an abort it only marks the group stopped. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.collective.aborted) return;
    this.collective.header[CMD] = Command.stop;
    this.collective.barrier();
  }
}

function payloadViews(payload: Float32Array, s: BatchShape): { x: Float32Array; labels: Float32Array; tags: Float32Array } {
  const nx = s.batchSize * s.size * s.size * s.channels;
  const nl = s.batchSize * s.labels;
  return { x: payload.subarray(0, nx), labels: payload.subarray(nx, nx + nl), tags: payload.subarray(nx + nl, nx + nl + s.batchSize * s.tags) };
}

/**
 * A replica's life (rank ≥ 1): wait for the leader's command, run it, until STOP. Blocks its thread
 * (worker threads may), and throws ParallelAbort when the group fails.
 */
export function serveReplica(model: ImageModel, collective: Collective, shape: BatchShape): void {
  const shard: Shard = { rank: collective.rank, size: collective.size, collective };
  const per = shape.size * shape.size * shape.channels;
  for (;;) {
    // The leader may be writing a checkpoint, sampling, or paused for hours: no timeout here.
    collective.barrier(Infinity);
    const h = collective.header;
    const cmd = h[CMD];
    if (cmd === Command.stop) return;
    if (cmd === Command.hash) {
      writeInfo(collective, model.store);
      collective.barrier();
      continue;
    }
    if (cmd !== Command.step) throw new Error(`unknown data-parallel command ${cmd}`);
    // Read everything from shared memory before the first collective: the leader rewrites it next step.
    const n = shape.batchSize / collective.size;
    const r = collective.rank;
    const views = payloadViews(collective.payload, shape);
    const share: ImageBatch = {
      x: tf.tensor4d(views.x.slice(r * n * per, (r + 1) * n * per), [n, shape.size, shape.size, shape.channels]),
      labels: h[HAS_LABELS] ? tf.tensor2d(views.labels.slice(r * n * shape.labels, (r + 1) * n * shape.labels), [n, shape.labels]) : undefined,
      tags: h[HAS_TAGS] ? tf.tensor2d(views.tags.slice(r * n * shape.tags, (r + 1) * n * shape.tags), [n, shape.tags]) : undefined,
    };
    const rng = Rng.fromState({ words: [h[RNG]!, h[RNG + 1]!, h[RNG + 2]!, h[RNG + 3]!], spare: h[SPARE_SET] ? h[SPARE]! : null });
    const ctx: StepContext = { step: h[STEP]!, rng, lrScale: h[LR_SCALE]!, frozenDLayers: h[FROZEN_D]! };
    tf.dispose(Object.values(stepShare(model, share, ctx, shard)));
  }
}
