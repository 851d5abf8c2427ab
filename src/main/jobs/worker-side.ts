import { parentPort, workerData } from 'node:worker_threads';
import type { ControlMessage, WorkerMessage } from '../engine/protocol';
import { AtelierError } from '../../shared/errors';

/**
 * The worker half of the job protocol: post messages, and cooperate with pause/resume/cancel/stop at
 * safe points (between training steps, between imported files).
 */
export class JobChannel<TData = unknown> {
  readonly data: TData = workerData as TData;
  private paused = false;
  private ending: 'cancel' | 'stop' | 'finish' | null = null;
  private wake: (() => void) | null = null;

  constructor() {
    if (!parentPort) throw new Error('JobChannel must run inside a worker thread.');
    parentPort.on('message', (msg: ControlMessage) => {
      if (msg?.type !== 'control') return;
      if (msg.action === 'pause') this.paused = true;
      if (msg.action === 'resume') this.paused = false;
      if (msg.action === 'cancel' || msg.action === 'stop' || msg.action === 'finish') this.ending = msg.action;
      this.wake?.();
    });
  }

  post(msg: WorkerMessage, transfer: ArrayBuffer[] = []): void {
    parentPort!.postMessage(msg, transfer);
  }

  progress(done: number, total: number | null, message?: string): void {
    this.post({ type: 'progress', done, total, message });
  }

  /** Set once asked to end; the job should wind down (stop and finish save their state first). */
  get endRequested(): 'cancel' | 'stop' | 'finish' | null {
    return this.ending;
  }

  /**
   * Yield to the event loop (so control messages arrive), and block here while paused. Call it at
   * every safe point. Returns the end request, if any.
   */
  async checkpoint(onPause?: () => void | Promise<void>): Promise<'cancel' | 'stop' | 'finish' | null> {
    await new Promise<void>((r) => setImmediate(r));
    if (this.paused && !this.ending) {
      await onPause?.();
      this.post({ type: 'status', status: 'paused' });
      while (this.paused && !this.ending) await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
      if (!this.ending) this.post({ type: 'status', status: 'running' });
    }
    return this.ending;
  }

  /** Report the result; the worker then exits once its remaining work (if any) is done. */
  finish(value: unknown, status?: 'done' | 'interrupted' | 'cancelled'): void {
    this.post({ type: 'result', value, status });
    this.release();
  }

  fail(err: unknown, status?: 'failed' | 'diverged' | 'cancelled' | 'interrupted'): void {
    const code = err instanceof AtelierError ? err.code : 'internal';
    this.post({ type: 'error', code, message: (err as Error)?.message ?? String(err), status });
    this.release();
  }

  /** The control listener would keep the thread alive forever; let it end. */
  private release(): void {
    parentPort!.unref();
  }
}

/**
 * A worker that runs one job and ends (generate, text-generate): the job's result, 'cancelled' when it
 * was asked to cancel, or its error.
 */
export async function runOneJob<TData>(channel: JobChannel<TData>, run: () => Promise<unknown>): Promise<void> {
  try {
    const result = await run();
    channel.finish(result, channel.endRequested === 'cancel' ? 'cancelled' : 'done');
  } catch (err) {
    channel.fail(err);
  }
}
