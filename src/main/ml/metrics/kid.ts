/**
 * Kernel Inception Distance (Bińkowski et al. 2018), computed in our own feature space.
 *
 * KID is the squared MMD between the real and generated feature distributions under the cubic polynomial
 * kernel k(x, y) = (x·y / d + 1)^3 (or (γ·x·y + 1)^3 with an explicit γ, see KidOptions.gamma). We use
 * the unbiased estimator, which has two properties FID lacks and
 * that matter for small sample counts (30 real images vs 64 generations): its expectation does not depend
 * on the number of samples, and it can be negative when the two sets are indistinguishable (it estimates
 * zero with noise around it, it is not clipped).
 *
 * Subsets: like torch-fidelity / clean-fid we average the estimator over random subsets and report the
 * spread across subsets as `std`. Real and generated sides may have different sizes (the estimator below
 * handles m ≠ n), so 30 real images are not forced down to 30 generations. When a side is smaller than
 * `subsetSize`, its subsets hold 3/4 of it, so subsets still differ and `std` reflects both sides.
 * Each side's Gram matrix is computed once; subsets only index into it.
 */
import { gram } from './gram';
import { Rng } from '../rng';

export interface KidOptions {
  /** How many random subsets to average over. */
  subsets: number;
  /** Target subset size per side (capped at 3/4 of a side that is smaller). */
  subsetSize: number;
  /** Seed for subset draws, so the same inputs give the same number. */
  seed: number;
  /**
   * Kernel scale γ in k(x, y) = (γ·x·y + 1)^3; absent = 1/d (the KID paper's choice for raw Inception
   * features). Pass 1 for unit-length features, so the kernel is (cos + 1)^3 whatever d is.
   */
  gamma?: number;
}

export interface KidResult {
  /** Mean of the unbiased MMD² estimates over subsets (can be slightly negative when sets match). */
  mean: number;
  /** Standard deviation of the per-subset estimates. */
  std: number;
  /** Unbiased estimate on all samples at once (no subsetting); lowest variance, no spread. */
  full: number;
  /** Subset sizes actually used for the real and generated sides. */
  subsetSizeReal: number;
  subsetSizeFake: number;
}

export const DEFAULT_KID_OPTIONS: KidOptions = { subsets: 100, subsetSize: 100, seed: 0 };

/** Cubic polynomial kernel matrix between row sets a (na×d) and b (nb×d), row-major float64. */
function polyKernel(a: Float32Array, na: number, b: Float32Array, nb: number, d: number, gamma: number): Float64Array {
  const out = gram(a, na, b, nb, d);
  for (let i = 0; i < out.length; i++) {
    const v = gamma * out[i]! + 1;
    out[i] = v * v * v;
  }
  return out;
}

function checkFeats(name: string, feats: Float32Array, dim: number): number {
  if (!(dim > 0) || !Number.isInteger(dim)) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (feats.length % dim !== 0) throw new RangeError(`${name} length ${feats.length} is not a multiple of dim ${dim}`);
  return feats.length / dim;
}

/** Unbiased MMD² from the three kernel blocks restricted to index sets ix (real) and iy (fake). */
function mmd2(
  kxx: Float64Array,
  kyy: Float64Array,
  kxy: Float64Array,
  nx: number,
  ny: number,
  ix: ArrayLike<number>,
  iy: ArrayLike<number>,
): number {
  const m = ix.length;
  const n = iy.length;
  let sxx = 0;
  for (let a = 0; a < m; a++) {
    const row = ix[a]! * nx;
    for (let b = 0; b < m; b++) if (a !== b) sxx += kxx[row + ix[b]!]!;
  }
  let syy = 0;
  for (let a = 0; a < n; a++) {
    const row = iy[a]! * ny;
    for (let b = 0; b < n; b++) if (a !== b) syy += kyy[row + iy[b]!]!;
  }
  let sxy = 0;
  for (let a = 0; a < m; a++) {
    const row = ix[a]! * ny;
    for (let b = 0; b < n; b++) sxy += kxy[row + iy[b]!]!;
  }
  return sxx / (m * (m - 1)) + syy / (n * (n - 1)) - (2 * sxy) / (m * n);
}

/** k distinct indices from [0, n) (partial Fisher-Yates). */
function sampleIndices(rng: Rng, n: number, k: number, scratch: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) scratch[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = scratch[i]!;
    scratch[i] = scratch[j]!;
    scratch[j] = t;
  }
  return scratch.slice(0, k);
}

function subsetSizeFor(n: number, target: number): number {
  const size = n > target ? target : Math.floor(n * 0.75);
  return Math.max(2, Math.min(n, size));
}

export function kid(
  realFeats: Float32Array,
  fakeFeats: Float32Array,
  dim: number,
  opts: Partial<KidOptions> = {},
): KidResult {
  const o = { ...DEFAULT_KID_OPTIONS, ...opts };
  const nx = checkFeats('realFeats', realFeats, dim);
  const ny = checkFeats('fakeFeats', fakeFeats, dim);
  if (nx < 2 || ny < 2) throw new RangeError(`KID needs at least 2 samples per side, got ${nx} real and ${ny} generated`);
  const gamma = o.gamma ?? 1 / dim;
  if (!(gamma > 0)) throw new RangeError(`gamma must be positive, got ${gamma}`);
  const kxx = polyKernel(realFeats, nx, realFeats, nx, dim, gamma);
  const kyy = polyKernel(fakeFeats, ny, fakeFeats, ny, dim, gamma);
  const kxy = polyKernel(realFeats, nx, fakeFeats, ny, dim, gamma);

  const allX = Int32Array.from({ length: nx }, (_, i) => i);
  const allY = Int32Array.from({ length: ny }, (_, i) => i);
  const full = mmd2(kxx, kyy, kxy, nx, ny, allX, allY);

  const m = subsetSizeFor(nx, o.subsetSize);
  const n = subsetSizeFor(ny, o.subsetSize);
  const rng = new Rng(o.seed);
  const sx = new Int32Array(nx);
  const sy = new Int32Array(ny);
  const subsets = Math.max(1, Math.floor(o.subsets));
  const values = new Float64Array(subsets);
  for (let s = 0; s < subsets; s++) {
    values[s] = mmd2(kxx, kyy, kxy, nx, ny, sampleIndices(rng, nx, m, sx), sampleIndices(rng, ny, n, sy));
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= subsets;
  let varSum = 0;
  for (const v of values) varSum += (v - mean) * (v - mean);
  const std = subsets > 1 ? Math.sqrt(varSum / (subsets - 1)) : 0;
  return { mean, std, full, subsetSizeReal: m, subsetSizeFake: n };
}
