/**
 * Latents for Create, from what the catalog stores about each image. Pure functions of their inputs
 * (seeded Rng, float32 arithmetic in a fixed order), so the same plan gives the same latent bit for bit.
 * Truncation is not done here: the plan's latent goes through the one truncation path of the sampler
 * and Create (truncation.ts: decodeTruncated), then slider offsets are added (steer).
 */
import { Rng } from '../rng';
import type { ConditionRequest } from './condition';
import type { LatentSource } from './truncation';

/**
 * What one image of a request is made from. Latents are built in the worker (they need the model's
 * latent size and directions) from exactly these fields, which are also what the catalog stores.
 */
export type LatentPlan =
  /** N(0, I) drawn from `seed` (image i of a batch uses seed + i), truncated towards the model's centre at ψ < 1. */
  | { mode: 'sample'; seed: number }
  /** √(1−s²) · base + s · N(0, I) from `seed`: a variation of a stored latent. */
  | { mode: 'variation'; seed: number; base: string; strength: number }
  /** Spherical interpolation between two stored latents at t ∈ [0, 1]. */
  | { mode: 'interpolate'; from: string; to: string; t: number }
  /** A stored latent as is (reproducing a generation). */
  | { mode: 'latent'; latent: string };

export function encodeLatent(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

export function decodeLatent(s: string, dim?: number): Float32Array {
  const buf = Buffer.from(s, 'base64');
  if (buf.length % 4 !== 0) throw new Error('A stored latent is damaged (length is not a multiple of 4).');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  if (dim !== undefined && out.length !== dim) throw new Error(`A stored latent has ${out.length} values; this model needs ${dim}.`);
  return out;
}

function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  const d = a.length;
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let i = 0; i < d; i++) {
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
    dot += a[i]! * b[i]!;
  }
  const cos = Math.max(-1, Math.min(1, dot / (Math.sqrt(na * nb) || 1)));
  const omega = Math.acos(cos);
  const out = new Float32Array(d);
  // Nearly parallel latents: plain linear interpolation is exact enough and avoids dividing by ~0.
  if (omega < 1e-4) {
    for (let i = 0; i < d; i++) out[i] = (1 - t) * a[i]! + t * b[i]!;
    return out;
  }
  const s = Math.sin(omega);
  const wa = Math.sin((1 - t) * omega) / s;
  const wb = Math.sin(t * omega) / s;
  for (let i = 0; i < d; i++) out[i] = wa * a[i]! + wb * b[i]!;
  return out;
}

/**
 * The latent a plan decodes from, before truncation. Only a drawn latent ('sample') is truncated and may
 * be drawn again closer to the centre; every mode but a stored latent reproduced as is is `steered`.
 */
export function planSource(plan: LatentPlan, dim: number): LatentSource & { steered: boolean } {
  switch (plan.mode) {
    case 'sample':
      return { z: new Rng(plan.seed).normals(dim), drawn: true, steered: true };
    case 'variation': {
      const base = decodeLatent(plan.base, dim);
      const noise = new Rng(plan.seed).normals(dim);
      const s = plan.strength;
      const keep = Math.sqrt(Math.max(0, 1 - s * s));
      const z = new Float32Array(dim);
      for (let i = 0; i < dim; i++) z[i] = keep * base[i]! + s * noise[i]!;
      return { z, drawn: false, steered: true };
    }
    case 'interpolate':
      return { z: slerp(decodeLatent(plan.from, dim), decodeLatent(plan.to, dim), plan.t), drawn: false, steered: true };
    case 'latent':
      return { z: decodeLatent(plan.latent, dim), drawn: false, steered: false };
  }
}

/**
 * Moves z (in place) along the sliders: `directions` holds k unit vectors (k·dim values) and `offsets`
 * the slider positions along them.
 */
export function steer(z: Float32Array, directions: Float32Array | null, offsets: number[]): Float32Array {
  if (!directions || !offsets.some((o) => o !== 0)) return z;
  const dim = z.length;
  for (let k = 0; k < offsets.length; k++) {
    const o = offsets[k]!;
    if (o === 0) continue;
    for (let i = 0; i < dim; i++) z[i] = z[i]! + o * directions[k * dim + i]!;
  }
  return z;
}

/** Linear blend of two conditions' weights (interpolation frames move from one prompt to the other). */
export function blendCondition(a: ConditionRequest, b: ConditionRequest, t: number): ConditionRequest {
  const mix = (x: Record<string, number> = {}, y: Record<string, number> = {}) => {
    const out: Record<string, number> = {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const v = (1 - t) * (x[k] ?? 0) + t * (y[k] ?? 0);
      if (v !== 0) out[k] = Math.round(v * 1e6) / 1e6;
    }
    return Object.keys(out).length ? out : undefined;
  };
  const labels = mix(a.labels, b.labels);
  const tags = mix(a.tags, b.tags);
  return { ...(labels ? { labels } : {}), ...(tags ? { tags } : {}) };
}
