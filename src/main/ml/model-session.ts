/**
 * What every training session shares, whatever it trains: train/session.ts (images) and
 * text/text-session.ts (text) extend ModelSession. It holds the family, config, model and the run's
 * Rng; counts steps behind the divergence guard (a NaN/Inf loss poisons the session: no more steps, no
 * more checkpoints, so the last good checkpoint on disk is never overwritten); writes the checkpoint
 * (every tensor of the model's store, its counters, then what the kind adds); and frees the model.
 *
 * A kind brings its data, its step and what its checkpoint header carries: the vocabulary, the session
 * state (the BaseSessionState fields plus its own, e.g. the data order) and any extra arrays (the image
 * grid's fixed latents), through the hooks below. A resume rebuilds the model from the header, then
 * restoreRun fills it.
 */
import { AtelierError } from '../../shared/errors';
import { encodeCheckpoint, writeFileAtomic, type Checkpoint, type CheckpointHeader, type NamedArray } from './checkpoint';
import { DivergedError, assertFinite } from './guards';
import type { ParamStore } from './nn/params';
import { restoreStore } from './restore';
import type { Rng, RngState } from './rng';

/** The `session` fields of every checkpoint header; a kind adds its own around them. */
export interface BaseSessionState {
  seed: number;
  rng: { words: RngState; spare: number | null };
  /** The held-out (validation) split: indices into the data, drawn with the run's Rng at creation. */
  heldOut: number[];
  /** How much data the run was created on: a resume on other data draws its split afresh. */
  dataCount: number;
  /** The backend that wrote the checkpoint. */
  backend: string;
}

/**
 * Config fields as they come from outside the library (a run's stored settings): merged over the
 * family's defaults, then checked by the family's validate, like typed overrides.
 */
export type ConfigOverrides = Readonly<Record<string, unknown>>;

/**
 * Refuses overrides of fields the family does not have (a typo such as "widht" would otherwise be
 * ignored without a word and the run would train the default), naming the ones it has, and values of
 * another kind than the default's (a number, a boolean, a string, or a list of one of these): "16"
 * for width would otherwise pass a check such as `width >= 1` and reach the layers as a string.
 * `shape` holds each field with its default (undefined for optional ones: their validate checks them).
 */
export function checkOverrides(family: string, overrides: object | undefined, shape: Readonly<Record<string, unknown>>): void {
  const known = Object.keys(shape);
  const entries = Object.entries(overrides ?? {});
  const unknown = entries.map(([k]) => k).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new AtelierError('bad_request', `${family} model: no setting ${unknown.map((k) => `"${k}"`).join(', ')}; its settings are ${[...new Set(known)].sort().join(', ')}.`);
  for (const [k, v] of entries) {
    const def = shape[k];
    if (def === undefined || sameKind(def, v)) continue;
    throw new AtelierError('bad_request', `${family} model: "${k}" must be ${kindOf(def)} (its default is ${JSON.stringify(def)}); got ${JSON.stringify(v)}.`);
  }
}

/** Same kind of value: both lists (of the same element type, when both have elements) or the same typeof. */
function sameKind(def: unknown, v: unknown): boolean {
  if (Array.isArray(def) || Array.isArray(v)) {
    if (!Array.isArray(def) || !Array.isArray(v)) return false;
    const kinds = new Set([...def, ...v].map((x) => typeof x));
    return kinds.size <= 1;
  }
  return def === null ? v === null : v !== null && typeof v === typeof def;
}

/** 'a number', 'a list of strings', … (for the error). */
function kindOf(v: unknown): string {
  if (Array.isArray(v)) return v.length ? `a list of ${typeof v[0]}s` : 'a list';
  return v === null ? 'null' : `a ${typeof v}`;
}

export abstract class ModelSession<F extends string, C extends object, M extends { readonly store: ParamStore }> {
  private currentStep: number;
  private diverged: DivergedError | null = null;
  private disposed = false;

  protected constructor(
    readonly family: F,
    readonly config: C,
    protected readonly model: M,
    protected readonly rng: Rng,
    step: number,
  ) {
    this.currentStep = step;
  }

  get step(): number {
    return this.currentStep;
  }

  protected assertUsable(): void {
    if (this.disposed) throw new Error('this training session was disposed');
    if (this.diverged) throw this.diverged;
  }

  /** A step's losses, read back: the step counts, or (NaN/Inf) the session is poisoned and it throws. */
  protected countStep(losses: Record<string, number>): number {
    try {
      assertFinite(this.currentStep + 1, losses);
    } catch (e) {
      this.diverged = e as DivergedError;
      throw e;
    }
    return ++this.currentStep;
  }

  /** Snapshot taken synchronously at call time, written atomically (see ./checkpoint.ts). */
  async saveCheckpoint(path: string): Promise<{ bytes: number; sha256: string }> {
    this.assertUsable();
    this.beforeSave();
    const arrays: NamedArray[] = this.model.store.list().map((e) => ({
      name: e.name,
      role: e.role,
      shape: e.variable.shape,
      data: (e.variable.dataSync() as Float32Array).slice(),
    }));
    arrays.push(...this.sessionArrays());
    const chunks = encodeCheckpoint(
      {
        family: this.family,
        config: this.config as unknown as Record<string, unknown>,
        step: this.currentStep,
        vocab: this.vocabHeader(),
        counters: { ...this.model.store.counters },
        session: this.sessionState() as unknown as Record<string, unknown>,
      },
      arrays,
    );
    return writeFileAtomic(path, chunks);
  }

  /** Before the snapshot: bring derived state up to date, check replicas agree. */
  protected beforeSave(): void {}

  /** Arrays the session keeps besides the model's (role 'session'). */
  protected sessionArrays(): NamedArray[] {
    return [];
  }

  protected abstract vocabHeader(): CheckpointHeader['vocab'];

  /** The header's `session` field (its key order is the file's: keep it). */
  protected abstract sessionState(): BaseSessionState;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.store.dispose();
  }
}

/** Resume: every tensor and counter of a model rebuilt from its own checkpoint's header. */
export function restoreRun(store: ParamStore, ckpt: Checkpoint, path: string): void {
  restoreStore(store, ckpt, { counters: true, missing: (name) => `${path} does not match its own model (tensor ${name}).` });
}
