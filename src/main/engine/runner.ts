import { Worker } from 'node:worker_threads';
import type { Db } from '../catalog/db';
import { getJob, heartbeatJob, insertJob, setJobStatus, updateJobProgress, type JobStatus } from '../catalog/jobs';
import type { EventBus } from './events';
import { AtelierError } from '../../shared/errors';
import type { ControlAction, WorkerMessage } from './protocol';
import { workerEntry } from './worker-entry';

export interface JobSpec {
  kind: string;
  projectId: number | null;
  /** Recorded in the catalog so a restart knows what was running (and how to resume it). */
  params: unknown;
  /** Worker entry name (src/main/jobs/workers/<name>.ts → out/main/<name>.js). */
  worker: string;
  workerData: unknown;
  /** Kind-specific messages ('step', 'checkpoint', …). Runs on the main thread: the catalog's only writer. */
  onMessage?: (msg: WorkerMessage, job: JobHandle) => void | Promise<void>;
  /** Called once with the final status, after the catalog row is updated. */
  onEnd?: (outcome: JobOutcome, job: JobHandle) => void | Promise<void>;
  /** Use an existing job row (resume) instead of inserting one. */
  jobId?: number;
  /**
   * Run the job on this port instead of a new worker thread (a warm worker shared by jobs, e.g. the
   * sampler's: jobs/generate/warm.ts). It behaves like a Worker of its own: 'exit' once the job ended,
   * and terminate() ends it.
   */
  port?: JobPort;
}

/** What the runner needs of a worker: node's Worker is one. */
export interface JobPort {
  on(event: 'message', listener: (msg: WorkerMessage) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  postMessage(msg: unknown): void;
  terminate(): Promise<number>;
}

export interface JobOutcome {
  status: JobStatus;
  result?: unknown;
  error?: { code: string; message: string };
}

export interface JobHandle {
  readonly id: number;
  readonly kind: string;
  readonly projectId: number | null;
  readonly done: Promise<JobOutcome>;
  control(action: ControlAction): void;
}

const HEARTBEAT_MS = 5_000;

/**
 * Runs long work in worker threads so the main event loop (IPC, HTTP, the UI's responsiveness) never
 * blocks. Every job is a catalog row whose status, progress and heartbeat follow the worker.
 */
export class JobRunner {
  private readonly jobs = new Map<number, { handle: JobHandle; worker: JobPort; ending: ControlAction | null }>();
  private readonly timer: NodeJS.Timeout;
  /** How long a cancelled worker may take to wind down before it is ended for it. */
  cancelGraceMs = 15_000;

  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
  ) {
    this.timer = setInterval(() => {
      for (const id of this.jobs.keys()) heartbeatJob(this.db, id);
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  get(id: number): JobHandle | undefined {
    return this.jobs.get(id)?.handle;
  }

  running(): JobHandle[] {
    return [...this.jobs.values()].map((j) => j.handle);
  }

  start(spec: JobSpec): JobHandle {
    const entry = spec.port ? null : workerEntry(spec.worker);
    let id: number;
    if (spec.jobId !== undefined) {
      id = spec.jobId;
      setJobStatus(this.db, id, 'running');
    } else {
      id = insertJob(this.db, { projectId: spec.projectId, kind: spec.kind, params: spec.params });
    }
    const worker: JobPort = spec.port ?? new Worker(entry!.file, { workerData: spec.workerData, argv: entry!.argv });
    let resolveDone!: (o: JobOutcome) => void;
    const done = new Promise<JobOutcome>((r) => (resolveDone = r));
    const record = {
      worker,
      ending: null as ControlAction | null,
      handle: {
        id,
        kind: spec.kind,
        projectId: spec.projectId,
        done,
        control: (action: ControlAction) => {
          if (action === 'cancel' || action === 'stop') record.ending = action;
          worker.postMessage({ type: 'control', action });
          // Cancel always ends the job: a worker that does not wind down within the grace (stuck in a
          // file operation, a native decode, a loop) is ended for it and the job settles as cancelled.
          if (action === 'cancel' && !cancelTimer) {
            cancelTimer = setTimeout(() => {
              void worker.terminate();
              void settle({ status: 'cancelled' }).catch(() => {});
            }, this.cancelGraceMs);
            cancelTimer.unref();
          }
        },
      } satisfies JobHandle,
    };
    this.jobs.set(id, record);

    let outcome: JobOutcome | null = null;
    let cancelTimer: NodeJS.Timeout | null = null;
    let settled = false;
    /** Record the job's end once: catalog row, the kind's onEnd, the event, then `done`. */
    const settle = async (final: JobOutcome): Promise<void> => {
      if (settled) return;
      settled = true;
      if (cancelTimer) clearTimeout(cancelTimer);
      setJobStatus(this.db, id, final.status, { error: final.error?.message ?? null, result: final.result });
      this.jobs.delete(id);
      try {
        await spec.onEnd?.(final, record.handle);
      } finally {
        const row = getJob(this.db, id);
        emit(final.status, Number(row?.progress.done ?? 0), (row?.progress.total as number | null) ?? null, final.error?.message);
        resolveDone(final);
      }
    };
    // A worker that reported its end but keeps running (a stray handle) is ended for it.
    const lingerThenTerminate = () => setTimeout(() => void worker.terminate(), 5_000).unref();
    let chain = Promise.resolve();
    const emit = (status: string, done: number, total: number | null, message?: string) =>
      this.events.emit('job.progress', { jobId: id, kind: spec.kind, projectId: spec.projectId, status, done, total, message });

    worker.on('message', (msg: WorkerMessage) => {
      // Handle messages strictly in order, even when a handler awaits (e.g. writes a file).
      chain = chain.then(async () => {
        try {
          switch (msg.type) {
            case 'progress': {
              const m = msg as Extract<WorkerMessage, { type: 'progress' }>;
              updateJobProgress(this.db, id, { done: m.done, total: m.total, message: m.message });
              emit('running', m.done, m.total, m.message);
              break;
            }
            case 'status': {
              const s = (msg as { status: 'running' | 'paused' }).status;
              setJobStatus(this.db, id, s);
              const row = getJob(this.db, id);
              emit(s, Number(row?.progress.done ?? 0), (row?.progress.total as number | null) ?? null);
              break;
            }
            case 'result':
              outcome = { status: (msg as { status?: JobStatus }).status ?? 'done', result: (msg as { value: unknown }).value };
              lingerThenTerminate();
              break;
            case 'error': {
              const e = msg as Extract<WorkerMessage, { type: 'error' }>;
              outcome = { status: e.status ?? 'failed', error: { code: e.code, message: e.message } };
              lingerThenTerminate();
              break;
            }
            default:
              await spec.onMessage?.(msg, record.handle);
          }
        } catch (err) {
          // A failing handler must not take the engine down; it ends the job instead.
          outcome = { status: 'failed', error: { code: 'internal', message: (err as Error).message } };
          void worker.terminate();
        }
      });
    });
    worker.on('error', (err) => {
      outcome ??= { status: 'failed', error: { code: 'internal', message: err.message } };
    });
    worker.on('exit', () => {
      void chain.then(() =>
        settle(
          outcome ??
            (record.ending === 'cancel'
              ? { status: 'cancelled' }
              : record.ending === 'stop'
                ? { status: 'interrupted' }
                : { status: 'failed', error: { code: 'internal', message: 'The job ended without reporting a result.' } }),
        ),
      );
    });
    return record.handle;
  }

  control(id: number, action: ControlAction): void {
    const job = this.jobs.get(id);
    if (!job) throw new AtelierError('not_found', `Job ${id} is not running in this Atelier.`);
    job.handle.control(action);
  }

  /**
   * Cancel every running job that `match` selects and wait until each has ended (cancel always ends a
   * job within cancelGraceMs). Returns how many were cancelled.
   */
  async cancelAll(match: (job: JobHandle) => boolean): Promise<number> {
    const picked = [...this.jobs.values()].map((j) => j.handle).filter(match);
    for (const h of picked) h.control('cancel');
    await Promise.all(picked.map((h) => h.done));
    return picked.length;
  }

  /**
   * Closing the app: ask every worker to stop at a safe point (training saves a checkpoint), wait up to
   * `graceMs`, then terminate the rest. Their rows end 'interrupted', so the next start offers Resume.
   */
  async shutdown(graceMs = 10_000): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.jobs.values()];
    for (const j of all) j.handle.control('stop');
    const timeout = new Promise((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.all(all.map((j) => j.handle.done)), timeout]);
    for (const j of [...this.jobs.values()]) {
      j.ending = 'stop';
      await j.worker.terminate();
    }
    await Promise.all(all.map((j) => j.handle.done));
  }
}
