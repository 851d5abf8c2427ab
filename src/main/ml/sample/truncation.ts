/**
 * Truncation (ψ) that stays inside the data.
 *
 * The textbook trick scales z by ψ towards 0. A Gaussian latent lives on a thin shell of radius ≈ √d,
 * and z = 0 lies far inside it, where these generators were never trained: the shipped RGBA base drew
 * 64 of 64 fully transparent images at ψ 0.5 and 44 of 64 at ψ 0.7. So ψ here moves each latent
 * *along the shell* towards a data-supported centre instead:
 *
 *   z_ψ = slerp(centre, z, ψ)        (directions on the unit sphere; the norm blends linearly)
 *
 * The centre is a real drawn latent: among CENTRE_CANDIDATES latents from a fixed seed, the one whose
 * image is the medoid (premultiplied pixels, squared distance) of the non-empty ones — the model's most
 * typical picture. It is computed once per loaded generator. ψ = 1 is the identity, ψ → 0 gives the
 * centre's image, so lower ψ still means "more typical, less varied".
 *
 * With ψ < 1 the user asked for typical images, so one that still shows much less than the model
 * usually draws (content under FLOOR_FRACTION of the candidates' median) is drawn again closer to the
 * centre (ψ halved, up to RESCUE_STEPS times). Whatever stays near-empty (content < EMPTY_CONTENT), at
 * any ψ, is flagged so callers keep it out of the gallery.
 */
import { Rng } from '../rng';
import type { PixelImage } from './images';

/** Latents decoded to choose the centre. */
export const CENTRE_CANDIDATES = 64;
/** The fixed seed those latents come from (the centre must be the same on every load). */
export const CENTRE_SEED = 0x7a11ce;
/** How many times a thin image's ψ is halved (towards the centre) before it is left as it is. */
export const RESCUE_STEPS = 3;
/** A truncated image showing less than this share of the candidates' median content is drawn again. */
export const FLOOR_FRACTION = 0.6;
/** Below this, an image counts as near-empty: RGBA coverage or grey/RGB contrast (see imageContent). */
export const EMPTY_CONTENT = 0.02;
/** Alpha above which an RGBA pixel counts as drawn. */
const ALPHA_DRAWN = 32;

/**
 * How much an image shows, in [0, 1]: for RGBA the share of pixels that are drawn (alpha > 32), for
 * grey and RGB the standard deviation of the luminance (a flat image shows nothing).
 */
export function imageContent(im: PixelImage): number {
  const { pixels: p, channels: c } = im;
  const n = p.length / c;
  if (n === 0) return 0;
  if (c === 4) {
    let drawn = 0;
    for (let i = 3; i < p.length; i += 4) if (p[i]! > ALPHA_DRAWN) drawn++;
    return drawn / n;
  }
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i += c) {
    const y = c >= 3 ? 0.299 * p[i]! + 0.587 * p[i + 1]! + 0.114 * p[i + 2]! : p[i]!;
    sum += y;
    sq += y * y;
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sq / n - mean * mean)) / 255;
}

export function isNearEmpty(im: PixelImage, threshold = EMPTY_CONTENT): boolean {
  return imageContent(im) < threshold;
}

function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** z moved towards `centre` by 1 − ψ along the sphere; ψ = 1 returns a copy of z. */
export function truncateLatent(z: Float32Array, psi: number, centre: Float32Array): Float32Array {
  const d = z.length;
  const out = new Float32Array(d);
  if (psi >= 1) {
    out.set(z);
    return out;
  }
  const nz = norm(z);
  const nc = norm(centre);
  if (nz === 0 || nc === 0) {
    for (let i = 0; i < d; i++) out[i] = psi * z[i]! + (1 - psi) * centre[i]!;
    return out;
  }
  let dot = 0;
  for (let i = 0; i < d; i++) dot += (z[i]! / nz) * (centre[i]! / nc);
  const omega = Math.acos(Math.max(-1, Math.min(1, dot)));
  const r = (1 - psi) * nc + psi * nz;
  if (omega < 1e-4) {
    for (let i = 0; i < d; i++) out[i] = r * ((1 - psi) * (centre[i]! / nc) + psi * (z[i]! / nz));
    return out;
  }
  const s = Math.sin(omega);
  const wc = Math.sin((1 - psi) * omega) / s;
  const wz = Math.sin(psi * omega) / s;
  for (let i = 0; i < d; i++) out[i] = r * (wc * (centre[i]! / nc) + wz * (z[i]! / nz));
  return out;
}

export interface TruncationAnchor {
  /** The latent ψ pulls towards. */
  centre: Float32Array;
  /** Content below which a truncated image is drawn again closer to the centre. */
  floor: number;
}

/**
 * The truncation anchor of a generator: `decode` turns k·dim latents into k images (unconditioned).
 * Deterministic: fixed seed, fixed candidates, ties broken by index.
 */
export function findTruncationAnchor(decode: (latents: Float32Array) => PixelImage[], dim: number): TruncationAnchor {
  const k = CENTRE_CANDIDATES;
  const latents = new Rng(CENTRE_SEED).normals(k * dim);
  const images = decode(latents);
  const content = images.map(imageContent);
  let pool = images.map((_, i) => i).filter((i) => content[i]! >= EMPTY_CONTENT);
  // A model that draws nothing at all yet: the fullest candidate is the best there is.
  if (pool.length === 0) pool = [content.indexOf(Math.max(...content))];
  const feats = pool.map((i) => premultiplied(images[i]!));
  let best = pool[0]!;
  let bestSum = Infinity;
  for (let a = 0; a < pool.length; a++) {
    let sum = 0;
    for (let b = 0; b < pool.length && sum < bestSum; b++) if (a !== b) sum += sqDist(feats[a]!, feats[b]!);
    if (sum < bestSum) {
      bestSum = sum;
      best = pool[a]!;
    }
  }
  const sorted = pool.map((i) => content[i]!).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { centre: Float32Array.from(latents.subarray(best * dim, (best + 1) * dim)), floor: Math.max(EMPTY_CONTENT, FLOOR_FRACTION * median) };
}

/** Colour weighted by alpha (a transparent pixel's colour is noise); grey/RGB as they are. */
function premultiplied(im: PixelImage): Float32Array {
  const { pixels: p, channels: c } = im;
  const out = new Float32Array(p.length);
  if (c !== 4) {
    for (let i = 0; i < p.length; i++) out[i] = p[i]! / 255;
    return out;
  }
  for (let i = 0; i < p.length; i += 4) {
    const a = p[i + 3]! / 255;
    out[i] = (p[i]! / 255) * a;
    out[i + 1] = (p[i + 1]! / 255) * a;
    out[i + 2] = (p[i + 2]! / 255) * a;
    out[i + 3] = a;
  }
  return out;
}

function sqDist(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const t = a[i]! - b[i]!;
    s += t * t;
  }
  return s;
}

export interface KeptImages {
  images: PixelImage[];
  /** The latents decoded (after any redraw), n × dim. */
  latents: Float32Array;
  /** The ψ each image was finally drawn at (≤ the asked ψ). */
  psis: number[];
  /** Images that are near-empty all the same (content < EMPTY_CONTENT). */
  empty: boolean[];
}

/**
 * Decode n images whose latents `build(i, ψ)` makes at ψ. When ψ < 1, an image whose content is under
 * `floor` is built and decoded again with ψ halved (closer to the centre), up to RESCUE_STEPS times;
 * `redraw(i)` says whether image i may be (only latents drawn from a seed can: a stored latent is what
 * it is). An image never depends on its batch mates, so decoding one alone gives the pixels it would
 * have in a batch.
 */
export function decodeKeepingContent(
  n: number,
  dim: number,
  psi: number,
  build: (i: number, psi: number) => Float32Array,
  decode: (latents: Float32Array) => PixelImage[],
  floor: number,
  redraw: (i: number) => boolean = () => true,
): KeptImages {
  const latents = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) latents.set(build(i, psi), i * dim);
  const images = decode(latents);
  const psis = Array.from({ length: n }, () => psi);
  const content = images.map(imageContent);
  if (psi < 1) {
    for (let i = 0; i < n; i++) {
      if (content[i]! >= floor || !redraw(i)) continue;
      let p = psi;
      for (let step = 0; step < RESCUE_STEPS && content[i]! < floor; step++) {
        p /= 2;
        const z = build(i, p);
        const [im] = decode(z);
        if (!im) break;
        const c = imageContent(im);
        // Keep the redraw only when it shows more (the path to the centre is not always monotone).
        if (c <= content[i]!) continue;
        images[i] = im;
        latents.set(z, i * dim);
        psis[i] = p;
        content[i] = c;
      }
    }
  }
  return { images, latents, psis, empty: content.map((c) => c < EMPTY_CONTENT) };
}

/** A latent to decode at ψ: one `drawn` from a seed is truncated (and may be drawn again closer to the centre); any other is decoded as it is. */
export interface LatentSource {
  z: Float32Array;
  drawn: boolean;
}

/**
 * The one truncation path of the sampler (sampler.ts: sample) and of Create (jobs/generate/run.ts): the
 * latents of `sources` at ψ, drawn ones moved towards the generator's centre (computed only when one
 * needs it), `finish(i, z)` applied after truncation (Create's slider offsets), thin images drawn again
 * (decodeKeepingContent). `dim` is the latent length.
 */
export function decodeTruncated(
  sources: LatentSource[],
  dim: number,
  psi: number,
  anchorOf: () => TruncationAnchor,
  decode: (latents: Float32Array) => PixelImage[],
  finish: (i: number, z: Float32Array) => Float32Array = (_, z) => z,
): KeptImages {
  const anchor = psi < 1 && sources.some((s) => s.drawn) ? anchorOf() : null;
  const build = (i: number, p: number) => {
    const { z, drawn } = sources[i]!;
    return finish(i, drawn && anchor ? truncateLatent(z, p, anchor.centre) : Float32Array.from(z));
  };
  return decodeKeepingContent(sources.length, dim, psi, build, decode, anchor?.floor ?? 0, (i) => sources[i]!.drawn);
}
