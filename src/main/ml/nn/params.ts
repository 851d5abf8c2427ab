/**
 * ParamStore: every persistent tensor of a model, by a stable logical name.
 *
 * A model's weights, its non-trained state (batch-norm running stats, spectral-norm u vectors), the EMA
 * shadow of its generator and its optimizer moments all live here as `tf.Variable`s, so a checkpoint
 * is just "every entry, by name" and loading one is "assign every entry, by name".
 *
 * Logical names look like `G/up1/w`, `D/conv0/u`, `ema/G/up1/w`, `opt/D/m/D/conv0/w`. tfjs keeps one
 * global registry of variable names, so the engine name gets a per-store prefix: two sessions of the
 * same model (a resumed run next to the original, a sampler next to a trainer) can live in one process.
 *
 * Integer bookkeeping that is not a tensor (Adam's step count) lives in `counters`, saved alongside.
 */
import * as tf from '@tensorflow/tfjs-core';

/** What an entry is for; decides what fine-tuning copies and what a sampler needs. */
export type Role = 'param' | 'state' | 'ema' | 'opt';

export interface Entry {
  name: string;
  role: Role;
  variable: tf.Variable;
}

let nextStoreId = 0;

export class ParamStore {
  private readonly prefix = `atelier${nextStoreId++}/`;
  private readonly entries = new Map<string, Entry>();
  /** Named integers saved with the tensors (e.g. `adam/G/step`). */
  readonly counters: Record<string, number> = {};

  /** Registers `init` under `name` (the store takes ownership of `init` and disposes it). */
  add(name: string, init: tf.Tensor, role: Role = 'param'): tf.Variable {
    if (this.entries.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const variable = tf.variable(init, role === 'param', this.prefix + name);
    init.dispose();
    this.entries.set(name, { name, role, variable });
    return variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): tf.Variable {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no parameter named ${name}`);
    return entry.variable;
  }

  /** Entries in insertion order, optionally filtered by role and name prefix. */
  list(filter: { role?: Role; prefix?: string } = {}): Entry[] {
    const out: Entry[] = [];
    for (const e of this.entries.values()) {
      if (filter.role !== undefined && e.role !== filter.role) continue;
      if (filter.prefix !== undefined && !e.name.startsWith(filter.prefix)) continue;
      out.push(e);
    }
    return out;
  }

  /** Trainable parameters under `prefix`, minus those under any of `exclude` (frozen layers). */
  trainable(prefix: string, exclude: readonly string[] = []): Entry[] {
    return this.list({ role: 'param', prefix }).filter((e) => !exclude.some((p) => e.name.startsWith(p)));
  }

  /** Logical name of a variable handed back by `tf.variableGrads` (which keys by engine name). */
  logicalName(engineName: string): string {
    return engineName.startsWith(this.prefix) ? engineName.slice(this.prefix.length) : engineName;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}

/** A read-only view used by forward passes: name → tensor (raw weights, EMA weights, normalised...). */
export type Weights = (name: string) => tf.Tensor;

/** Assigns plain values to a variable (checkpoint loading), without leaking the temporary tensor. */
export function assignValues(variable: tf.Variable, data: Float32Array, shape: number[]): void {
  const t = tf.tensor(data, shape, 'float32');
  variable.assign(t);
  t.dispose();
}
