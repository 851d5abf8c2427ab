/**
 * Data-parallel training for a job: how many worker threads a run gets, and starting them.
 *
 * The training job's own worker thread is rank 0 (the leader: session, data, checkpoints, events). It
 * starts `workers − 1` replica threads (workers/train-replica.ts), each holding a copy of the session's
 * model, and from then on every step is split across all of them through shared memory
 * (ml/parallel: collective.ts, shard.ts, step.ts). One worker is today's single-threaded path, untouched.
 *
 * Measured on the 2-core reference machine (wasm, one thread per worker, alternating runs; README
 * "Backends and speed"): classic DCGAN batch 64, 48.2 → 78.1 img/s (×1.62); default model 64 px batch 16,
 * 16.2 → 25.6 img/s (×1.58). What is lost: each worker's half batch runs ~10 % slower per image than
 * the whole batch (43.9 vs 48.6 img/s for the DCGAN on one worker), the gradient all-reduce (~35 ms a
 * step for the DCGAN's 6.3 M parameters) and waiting at barriers (~40–50 ms a step on a busy machine).
 * A worker gets one wasm thread whenever there is more than one (ml/backend.ts, wasmThreadsPerWorker).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { AtelierError } from '../../../shared/errors';
import type { BackendName, BackendReport } from '../../ml/backend';
import { Collective } from '../../ml/parallel/collective';
import { DataParallelLeader, batchShape, groupLayout, shareProblem, type BatchShape, type ReplicaState } from '../../ml/parallel/step';
import { mbstdGroupFor } from '../../ml/models/small-gan';
import type { TrainingSession } from '../../ml/train/session';
import { workerEntry } from '../../engine/worker-entry';

/** Backends whose work is CPU threads, so more workers use more cores (a GPU is one device: one worker). */
const CPU_BACKENDS: readonly string[] = ['wasm', 'cpu'];
/** The most workers a run takes by itself (the collectives' cost grows with N; 8 is what was planned for). */
export const MAX_WORKERS = 8;

/** The worker count the engine asks for: `count`, and whether the user asked for it (else it is a ceiling). */
export interface WorkersRequest {
  count: number;
  requested: boolean;
}

/**
 * Engine side, before the job starts: the user's count (`--workers`, the run's setting, or
 * ATELIER_TRAIN_WORKERS), else one per core not already busy with other jobs of any Atelier process on
 * this machine (another run's workers, sampling, import: `busyCores`), at least 1, at most MAX_WORKERS.
 */
export function chooseWorkers(opts: { requested?: number; cores?: number; busyCores: number; text: boolean; env?: Record<string, string | undefined> }): WorkersRequest {
  if (opts.text) return { count: 1, requested: false };
  const fromEnv = Number((opts.env ?? process.env).ATELIER_TRAIN_WORKERS);
  const asked = opts.requested ?? (Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : undefined);
  if (asked !== undefined) {
    if (!(Number.isInteger(asked) && asked >= 1 && asked <= 64)) throw new AtelierError('bad_request', `workers must be an integer from 1 to 64, got ${asked}.`);
    return { count: asked, requested: true };
  }
  const cores = opts.cores ?? (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  return { count: Math.max(1, Math.min(MAX_WORKERS, cores - opts.busyCores)), requested: false };
}

/**
 * Leader side, once the session's config is known: the workers this run uses and why. A count the user
 * asked for must fit (else AtelierError); a ceiling shrinks to the largest count that fits.
 */
export function resolveWorkers(req: WorkersRequest, session: Pick<TrainingSession, 'config' | 'family'>, backend: string): { workers: number; note: string | null } {
  if (req.count <= 1) return { workers: 1, note: null };
  if (!CPU_BACKENDS.includes(backend)) return { workers: 1, note: `one worker: ${backend} is not a CPU backend` };
  const batchSize = session.config.batchSize;
  const group = mbstdGroupOf(session.config);
  if (req.requested) {
    const problem = shareProblem(batchSize, req.count, group);
    if (problem) throw new AtelierError('bad_request', `Cannot train with ${req.count} workers: ${problem}. Choose a worker count that divides the batch (or change the batch size).`);
    return { workers: req.count, note: null };
  }
  for (let n = req.count; n > 1; n--) if (shareProblem(batchSize, n, group) === null) return { workers: n, note: n < req.count ? `${n} workers: the largest count ≤ ${req.count} that splits a batch of ${batchSize} evenly` : null };
  return { workers: 1, note: `one worker: a batch of ${batchSize} does not split evenly` };
}

/** The minibatch-stddev group a config trains with (families that have one), else 0. */
function mbstdGroupOf(config: object): number {
  const c = config as { mbstdGroup?: number; batchSize: number };
  return typeof c.mbstdGroup === 'number' ? mbstdGroupFor(c.mbstdGroup, c.batchSize) : 0;
}

/**
 * The leader's start-up, once its session exists: the count for this session and backend, and the
 * replicas started. A count that was only a ceiling falls back to one worker when the replicas cannot
 * start (the report's reason says why); a count the user asked for fails the run instead.
 */
export async function startRunWorkers(session: TrainingSession, req: WorkersRequest, report: BackendReport): Promise<{ group: ParallelGroup | null; report: BackendReport }> {
  let cpuNote: string | null = null;
  if (!req.requested && req.count > 1) {
    // Other programs count too: measured with another process busy on one of 2 cores, 2 workers ran at
    // 0.93× one worker (41 vs 44 img/s, DCGAN b64), since every barrier waits for the descheduled one.
    const idle = Math.max(1, Math.round(await idleCores()));
    if (idle < req.count) {
      cpuNote = `${idle} worker${idle === 1 ? '' : 's'}: only ${idle} of the cores ${idle === 1 ? 'was' : 'were'} idle`;
      req = { count: idle, requested: false };
    }
  }
  let { workers, note } = resolveWorkers(req, session, report.name);
  note ??= cpuNote;
  let group: ParallelGroup | null = null;
  if (workers > 1) {
    try {
      group = await startDataParallel(session, { workers, backend: report.name, threads: report.threads ?? 1 });
    } catch (err) {
      if (req.requested) throw err;
      note = `one worker: ${(err as Error).message}`;
      workers = 1;
    }
  }
  return { group, report: { ...report, workers, reason: note ? `${report.reason}; ${note}` : report.reason } };
}

/** Cores idle over the next `ms` (whatever keeps the others busy), from the kernel's per-core times. */
export async function idleCores(ms = 500): Promise<number> {
  const before = os.cpus();
  await new Promise((r) => setTimeout(r, ms));
  const after = os.cpus();
  let idle = 0;
  after.forEach((cpu, i) => {
    const was = before[i];
    if (!was) return;
    const total = Object.keys(cpu.times).reduce((n, k) => n + cpu.times[k as keyof os.CpuInfo['times']] - was.times[k as keyof os.CpuInfo['times']], 0);
    if (total > 0) idle += (cpu.times.idle - was.times.idle) / total;
  });
  return idle;
}

/** What a replica thread is started with. */
export interface ReplicaWorkerData {
  buffer: SharedArrayBuffer;
  layout: ReturnType<typeof groupLayout>;
  rank: number;
  shape: BatchShape;
  state: ReplicaState;
  backend: BackendName;
  threads: number;
}

export interface ParallelGroup {
  readonly workers: number;
  readonly leader: DataParallelLeader;
  /** Stops the replicas and waits for them to exit (the session goes back to one worker). */
  close(): Promise<void>;
}

/** How long replicas may take to start (tsx compiles sources in development; wasm instantiates). */
const START_TIMEOUT_MS = 120_000;

/**
 * Starts `workers − 1` replicas holding `session`'s model and splits the session's steps across them.
 * Call after the session is created, resumed or fine-tuned (the replicas copy its tensors once).
 */
export async function startDataParallel(session: TrainingSession, opts: { workers: number; backend: BackendName; threads: number }): Promise<ParallelGroup> {
  const shape = batchShape(session.config, session.vocab);
  const layout = groupLayout(opts.workers, shape);
  const buffer = Collective.allocate(layout);
  const state = session.replicaState();
  const entry = workerEntry('train-replica');
  const replicas: Worker[] = [];
  const started: Promise<void>[] = [];
  for (let rank = 1; rank < opts.workers; rank++) {
    const data: ReplicaWorkerData = { buffer, layout, rank, shape, state, backend: opts.backend, threads: opts.threads };
    const worker = new Worker(entry.file, { argv: entry.argv, workerData: data });
    replicas.push(worker);
    started.push(
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`training worker ${rank} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
        timer.unref();
        worker.once('message', (m: { type: string; message?: string }) => {
          clearTimeout(timer);
          if (m.type === 'ready') resolve();
          else reject(new Error(`training worker ${rank} failed to start: ${m.message ?? m.type}`));
        });
        worker.once('error', (err) => reject(err));
        worker.once('exit', (code) => reject(new Error(`training worker ${rank} exited (${code}) before it started`)));
      }),
    );
  }
  const collective = new Collective(buffer, layout, 0);
  const exited = replicas.map((w) => new Promise<void>((r) => w.once('exit', () => r())));
  try {
    await Promise.all(started);
  } catch (err) {
    collective.abort((err as Error).message);
    await Promise.all(replicas.map((w) => w.terminate()));
    throw err;
  }
  // From now on a replica never keeps the leader's thread alive: if the leader ends without close()
  // (an error), its replicas end with it.
  for (const w of replicas) w.unref();
  const leader = new DataParallelLeader(collective, shape);
  session.useParallel(leader);
  let closing: Promise<void> | null = null;
  return {
    workers: opts.workers,
    leader,
    close: () =>
      (closing ??= (async () => {
        try {
          session.useParallel(null);
        } catch {
          // a disposed or diverged session: the replicas are stopped all the same
        }
        try {
          leader.stop();
        } catch {
          collective.abort('the leader stopped');
        }
        for (const w of replicas) w.ref();
        const grace = new Promise<void>((r) => setTimeout(r, 5_000).unref());
        await Promise.race([Promise.all(exited), grace]);
        await Promise.all(replicas.map((w) => w.terminate()));
      })()),
  };
}
