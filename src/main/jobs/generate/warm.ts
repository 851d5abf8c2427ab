/**
 * The warm sampler, engine side. Starting a worker thread, a tfjs backend and a 20 MB checkpoint for
 * every request cost more than the sampling itself (16 images at 32 px are milliseconds of compute),
 * so image generation runs in one long-lived worker per backend choice (host.ts), which keeps loaded
 * samplers between requests. Each job gets a JobPort that behaves like a worker of its own for the
 * JobRunner (its messages, its 'exit' once it ended, terminate()), so jobs keep their catalog rows,
 * progress events and cancel as before.
 *
 * The thread does not keep the process alive while idle, and ends after IDLE_MS without work or
 * when the service closes (closeWarmSamplers).
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { JobsContext } from '../context';
import type { JobPort } from '../../engine/runner';
import type { ControlAction, WorkerMessage } from '../../engine/protocol';
import { workerEntry } from '../../engine/worker-entry';
import type { HostInbound, HostOutbound, GenerateWorkerData } from './messages';

/** An idle warm sampler ends after this long (its memory is given back; the next request is cold). */
export const IDLE_MS = 10 * 60_000;

class HostedPort extends EventEmitter implements JobPort {
  ended = false;

  constructor(
    private readonly owner: WarmSampler,
    readonly id: number,
  ) {
    super();
  }

  postMessage(msg: unknown): void {
    const m = msg as { type?: string; action?: ControlAction };
    if (m?.type === 'control' && m.action && !this.ended) this.owner.send({ type: 'control', jobId: this.id, action: m.action });
  }

  /** The runner gave up on this job (stuck past the cancel grace, or a failing handler): end the thread. */
  terminate(): Promise<number> {
    if (this.ended) return Promise.resolve(0);
    return this.owner.kill();
  }

  end(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('exit', code);
  }
}

/** One warm sampling thread for one backend choice (the bench starts its own). */
export class WarmSampler {
  private readonly worker: Worker;
  private readonly ports = new Map<number, HostedPort>();
  private idle: NodeJS.Timeout | null = null;
  private nextId = 1;
  dead = false;

  constructor(
    backend: string,
    private readonly onDead: (w: WarmSampler) => void = () => undefined,
  ) {
    const entry = workerEntry('generate');
    this.worker = new Worker(entry.file, { workerData: { warm: true, backend }, argv: entry.argv });
    this.worker.on('message', (m: HostOutbound) => {
      if (m?.type !== 'hosted') return;
      const port = this.ports.get(m.jobId);
      if (!port) return;
      port.emit('message', m.msg as WorkerMessage);
      if (m.msg.type === 'result' || m.msg.type === 'error') {
        this.ports.delete(m.jobId);
        port.end(0);
        this.settle();
      }
    });
    this.worker.on('error', (err) => {
      for (const p of this.ports.values()) p.emit('error', err);
    });
    this.worker.on('exit', (code) => {
      this.dead = true;
      if (this.idle) clearTimeout(this.idle);
      this.onDead(this);
      for (const p of this.ports.values()) p.end(code);
      this.ports.clear();
    });
    this.settle();
  }

  port(data: GenerateWorkerData): JobPort {
    const port = new HostedPort(this, this.nextId++);
    this.ports.set(port.id, port);
    this.settle();
    // Sent now; the runner attaches its listeners before any answer can arrive (a later turn).
    this.send({ type: 'job', jobId: port.id, data });
    return port;
  }

  send(m: HostInbound): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  kill(): Promise<number> {
    return this.worker.terminate();
  }

  /** Busy: keep the process alive and the thread warm. Idle: neither, and end after IDLE_MS. */
  private settle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (this.dead) return;
    if (this.ports.size > 0) {
      this.worker.ref();
      return;
    }
    this.worker.unref();
    this.idle = setTimeout(() => void this.kill(), IDLE_MS);
    this.idle.unref();
  }
}

function samplerFor(ctx: JobsContext, backend: string | undefined): WarmSampler {
  const pool = ctx.warmSamplers;
  const key = backend ?? 'auto';
  let w = pool.get(key);
  if (!w || w.dead) {
    const p = pool;
    w = new WarmSampler(key, (dead) => p.get(key) === dead && p.delete(key));
    pool.set(key, w);
  }
  return w;
}

/** A port on the warm sampler for this backend choice (started on first use). */
export function warmSamplerPort(ctx: JobsContext, data: GenerateWorkerData): JobPort {
  return samplerFor(ctx, data.backend).port(data);
}

/** Start the warm sampler and load a checkpoint into it now, so the first request finds it loaded. */
export function preloadWarmSampler(ctx: JobsContext, checkpointPath: string, backend?: string): void {
  samplerFor(ctx, backend).send({ type: 'preload', checkpointPath, backend });
}

/** End the warm samplers of this service (after its jobs were stopped). */
export async function closeWarmSamplers(ctx: JobsContext): Promise<void> {
  const all = [...ctx.warmSamplers.values()];
  ctx.warmSamplers.clear();
  await Promise.all(all.map((w) => w.kill().catch(() => 0)));
}
