/**
 * The warm sampler, worker side: one thread that runs generate jobs one after another and keeps what
 * is slow to make between them — the backend, the last MAX_SAMPLERS loaded samplers (keyed by
 * checkpoint file; least recently used evicted and disposed, each with its truncation centre and
 * principal directions) and the last MAX_GUARDS copy-check guards (keyed by their training data).
 * A second request to the same model skips loading altogether and decodes at once.
 * The engine side, which starts it and routes each job's messages, is warm.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { AtelierError } from '../../../shared/errors';
import { initChosenBackend, type BackendReport } from '../../ml/backend';
import { loadSampler, type Sampler } from '../../ml/sample/sampler';
import { createGuard, type Guard } from './guard';
import { runGeneration, type GenerateChannel, type SamplerCache } from './run';
import type { ControlAction } from '../../engine/protocol';
import type { HostInbound, HostOutbound, GenerateWorkerData } from './messages';

export const MAX_SAMPLERS = 3;
export const MAX_GUARDS = 2;

/** A small LRU of promises: the newest use last; evicted values are handed to `drop`. */
class Lru<V> {
  private readonly map = new Map<string, Promise<V>>();
  constructor(
    private readonly max: number,
    private readonly drop: (v: V) => void,
  ) {}

  get(key: string, make: () => Promise<V>): Promise<V> {
    let p = this.map.get(key);
    if (p) {
      this.map.delete(key);
      this.map.set(key, p);
      return p;
    }
    p = make();
    this.map.set(key, p);
    // A failed load is not kept: the next job tries again.
    p.catch(() => this.map.get(key) === p && this.map.delete(key));
    while (this.map.size > this.max) {
      const [oldest, value] = this.map.entries().next().value as [string, Promise<V>];
      this.map.delete(oldest);
      value.then(this.drop, () => undefined);
    }
    return p;
  }
}

export class WarmCache implements SamplerCache {
  private report: Promise<BackendReport> | null = null;
  private readonly samplers = new Lru<Sampler>(MAX_SAMPLERS, (g) => g.dispose());
  private readonly guards = new Lru<Guard>(MAX_GUARDS, () => undefined);
  private readonly dirs = new WeakMap<Sampler, Map<number, Float32Array>>();

  backend(name: string | undefined): Promise<BackendReport> {
    // The engine gives each backend choice its own warm worker, so the first job's choice holds.
    this.report ??= initChosenBackend(name);
    return this.report;
  }

  async sampler(file: string): Promise<{ sampler: Sampler; warm: boolean }> {
    // A file replaced in place (same path, new bytes) is a new model.
    const st = fs.statSync(file);
    let warm = true;
    const sampler = await this.samplers.get(`${file}\0${st.size}\0${st.mtimeMs}`, () => {
      warm = false;
      return loadSampler(file);
    });
    return { sampler, warm };
  }

  guard(g: NonNullable<GenerateWorkerData['guard']>): Promise<Guard> {
    const key = createHash('sha256')
      .update(JSON.stringify([g.cacheDir, g.size, g.prepare, g.items.map((i) => [i.id, i.file])]))
      .digest('hex');
    return this.guards.get(key, () => createGuard(g));
  }

  directions(g: Sampler, k: number): Float32Array {
    let byK = this.dirs.get(g);
    if (!byK) this.dirs.set(g, (byK = new Map()));
    let d = byK.get(k);
    if (!d) byK.set(k, (d = g.principalDirections(k)));
    return d;
  }

  release(): void {
    // Kept for the next job.
  }
}

/** One job's side of the shared thread: the same cooperation points as worker-side.ts's JobChannel. */
class HostedChannel implements GenerateChannel {
  private paused = false;
  private ending: 'cancel' | 'stop' | 'finish' | null = null;
  private wake: (() => void) | null = null;

  constructor(
    readonly jobId: number,
    readonly data: GenerateWorkerData,
  ) {}

  get endRequested(): 'cancel' | 'stop' | 'finish' | null {
    return this.ending;
  }

  control(action: ControlAction): void {
    if (action === 'pause') this.paused = true;
    if (action === 'resume') this.paused = false;
    if (action === 'cancel' || action === 'stop' || action === 'finish') this.ending = action;
    this.wake?.();
  }

  post(msg: { type: string } & Record<string, unknown>, transfer: ArrayBuffer[] = []): void {
    const out: HostOutbound = { type: 'hosted', jobId: this.jobId, msg };
    parentPort!.postMessage(out, transfer);
  }

  progress(done: number, total: number | null, message?: string): void {
    this.post({ type: 'progress', done, total, message });
  }

  async checkpoint(): Promise<'cancel' | 'stop' | 'finish' | null> {
    await new Promise<void>((r) => setImmediate(r));
    if (this.paused && !this.ending) {
      this.post({ type: 'status', status: 'paused' });
      while (this.paused && !this.ending) await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
      if (!this.ending) this.post({ type: 'status', status: 'running' });
    }
    return this.ending;
  }

  finish(value: unknown, status: 'done' | 'cancelled'): void {
    this.post({ type: 'result', value, status });
  }

  fail(err: unknown): void {
    const code = err instanceof AtelierError ? err.code : 'internal';
    this.post({ type: 'error', code, message: (err as Error)?.message ?? String(err) });
  }
}

/** Serve jobs until the engine ends the thread. */
export function serveWarmSampler(): void {
  const port = parentPort;
  if (!port) throw new Error('The warm sampler must run inside a worker thread.');
  const cache = new WarmCache();
  const queue: HostedChannel[] = [];
  const channels = new Map<number, HostedChannel>();
  let busy = false;

  const pump = async () => {
    if (busy) return;
    busy = true;
    try {
      for (let ch = queue.shift(); ch; ch = queue.shift()) {
        try {
          if (ch.endRequested === 'cancel') ch.finish({ count: 0, ms: 0 }, 'cancelled');
          else {
            const result = await runGeneration(ch, cache);
            const end: string | null = ch.endRequested; // changed while sampling
            ch.finish(result, end === 'cancel' ? 'cancelled' : 'done');
          }
        } catch (err) {
          ch.fail(err);
        } finally {
          channels.delete(ch.jobId);
        }
      }
    } finally {
      busy = false;
    }
  };

  port.on('message', (m: HostInbound) => {
    if (m?.type === 'job') {
      const ch = new HostedChannel(m.jobId, m.data);
      channels.set(m.jobId, ch);
      queue.push(ch);
      void pump();
    } else if (m?.type === 'control') {
      channels.get(m.jobId)?.control(m.action);
    } else if (m?.type === 'preload') {
      // Best effort: a model that fails to load here fails again, with its message, in its job.
      void cache
        .backend(m.backend)
        .then(() => cache.sampler(m.checkpointPath))
        .catch(() => undefined);
    }
  });
}
