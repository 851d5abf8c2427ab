/**
 * Filling a freshly built model from a checkpoint: what resuming a run (train/session.ts,
 * text/text-session.ts) and loading a sampler (sample/sampler.ts, text/sampler.ts) share. The model is
 * built first (its family decides which tensors exist); then every one of its tensors must be in the
 * checkpoint with the same shape, or the model is freed and the load fails with a plain AtelierError.
 */
import { AtelierError } from '../../shared/errors';
import type { Checkpoint } from './checkpoint';
import { assignValues, type ParamStore } from './nn/params';

export interface RestoreOptions {
  /**
   * A name prefix tried first: the image sampler's 'ema/' (the sampling weights, where the run keeps
   * them, in place of the live ones).
   */
  prefer?: string;
  /** Also take the optimiser/schedule counters (a resumed run; a sampler needs none). */
  counters?: boolean;
  /** The error message for a tensor the checkpoint lacks or holds in another shape. */
  missing: (name: string) => string;
}

export function restoreStore(store: ParamStore, ckpt: Checkpoint, opts: RestoreOptions): void {
  for (const e of store.list()) {
    const t = (opts.prefer !== undefined ? ckpt.tensors.get(`${opts.prefer}${e.name}`) : undefined) ?? ckpt.tensors.get(e.name);
    if (!t || t.shape.join() !== e.variable.shape.join()) {
      store.dispose();
      throw new AtelierError('invalid_input', opts.missing(e.name));
    }
    assignValues(e.variable, t.data, t.shape);
  }
  if (opts.counters) Object.assign(store.counters, ckpt.header.counters);
}
