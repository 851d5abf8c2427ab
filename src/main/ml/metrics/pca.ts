/**
 * Principal component analysis for the metric feature space (float64, plain JS, deterministic).
 *
 * Sizes here: n ≤ ~1000 images, D ≈ 650 raw features, k = 64 components. We eigen-decompose the smaller
 * of the Gram matrix Xc Xcᵀ (n×n, "dual" PCA) and the scatter matrix Xcᵀ Xc (D×D), by subspace iteration
 * with a Rayleigh–Ritz step (cyclic Jacobi on the small projected matrix). That is O(m²·k) per iteration
 * instead of the O(m²) per vector per iteration of plain power iteration with deflation, which matters
 * when k = 64. Start vectors come from a seeded Rng and each component's sign is fixed (largest-magnitude
 * entry positive), so the same data gives the same components.
 */
import { Rng } from '../rng';

export interface Pca {
  /** Raw feature length. */
  inDim: number;
  /** Number of components kept. */
  k: number;
  /** Mean of the fitted rows (length inDim). */
  mean: Float64Array;
  /** Unit-length principal directions, k rows of inDim, by decreasing variance. */
  components: Float64Array;
  /** Variance of the data along each component (length k). */
  variances: Float64Array;
}

/** Orthonormalises the p columns of the row-major m×p matrix q in place (modified Gram–Schmidt). */
function orthonormalise(q: Float64Array, m: number, p: number, rng: Rng): void {
  for (let j = 0; j < p; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        let dot = 0;
        for (let r = 0; r < m; r++) dot += q[r * p + i]! * q[r * p + j]!;
        for (let r = 0; r < m; r++) q[r * p + j] = q[r * p + j]! - dot * q[r * p + i]!;
      }
    }
    let norm = 0;
    for (let r = 0; r < m; r++) norm += q[r * p + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-12) {
      // The column collapsed (rank-deficient matrix): restart it randomly and orthogonalise again.
      for (let r = 0; r < m; r++) q[r * p + j] = rng.normal();
      j--;
      continue;
    }
    for (let r = 0; r < m; r++) q[r * p + j] = q[r * p + j]! / norm;
  }
}

/** Eigen-decomposition of a small symmetric p×p matrix by cyclic Jacobi; returns values and column vectors. */
export function jacobiEigen(a0: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(a0);
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += a[i * p + j]! ** 2;
    if (off < 1e-22) break;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = a[i * p + j]!;
        if (Math.abs(aij) < 1e-300) continue;
        const theta = (a[j * p + j]! - a[i * p + i]!) / (2 * aij);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < p; r++) {
          const ari = a[r * p + i]!;
          const arj = a[r * p + j]!;
          a[r * p + i] = c * ari - s * arj;
          a[r * p + j] = s * ari + c * arj;
        }
        for (let r = 0; r < p; r++) {
          const air = a[i * p + r]!;
          const ajr = a[j * p + r]!;
          a[i * p + r] = c * air - s * ajr;
          a[j * p + r] = s * air + c * ajr;
        }
        for (let r = 0; r < p; r++) {
          const vri = v[r * p + i]!;
          const vrj = v[r * p + j]!;
          v[r * p + i] = c * vri - s * vrj;
          v[r * p + j] = s * vri + c * vrj;
        }
      }
    }
  }
  const values = new Float64Array(p);
  for (let i = 0; i < p; i++) values[i] = a[i * p + i]!;
  return { values, vectors: v };
}

/** Top-k eigenpairs of a symmetric PSD m×m matrix: vectors as k rows of m, values decreasing. */
export function topEigen(mat: Float64Array, m: number, k: number, seed = 0, iters = 40): { values: Float64Array; vectors: Float64Array } {
  const rng = new Rng(seed);
  const p = Math.min(m, k + 8);
  let q = new Float64Array(m * p);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  orthonormalise(q, m, p, rng);
  const z = new Float64Array(m * p);
  for (let it = 0; it < iters; it++) {
    z.fill(0);
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) {
        const w = mat[r * m + c]!;
        if (w === 0) continue;
        for (let j = 0; j < p; j++) z[r * p + j] = z[r * p + j]! + w * q[c * p + j]!;
      }
    }
    q = Float64Array.from(z);
    orthonormalise(q, m, p, rng);
  }
  // Rayleigh–Ritz: T = Qᵀ M Q, then rotate Q by T's eigenvectors.
  z.fill(0);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < m; c++) {
      const w = mat[r * m + c]!;
      if (w === 0) continue;
      for (let j = 0; j < p; j++) z[r * p + j] = z[r * p + j]! + w * q[c * p + j]!;
    }
  }
  const t = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += q[r * p + i]! * z[r * p + j]!;
      t[i * p + j] = s;
    }
  }
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) t[i * p + j] = t[j * p + i] = (t[i * p + j]! + t[j * p + i]!) / 2;
  const eig = jacobiEigen(t, p);
  const order = Array.from({ length: p }, (_, i) => i).sort((a, b) => eig.values[b]! - eig.values[a]!);
  const kk = Math.min(k, p);
  const values = new Float64Array(kk);
  const vectors = new Float64Array(kk * m);
  for (let e = 0; e < kk; e++) {
    const col = order[e]!;
    values[e] = Math.max(0, eig.values[col]!);
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += q[r * p + j]! * eig.vectors[j * p + col]!;
      vectors[e * m + r] = s;
    }
  }
  return { values, vectors };
}

/** Fits a k-component PCA to n rows of length d (row-major). */
export function fitPca(x: Float32Array | Float64Array, n: number, d: number, k: number, seed = 0): Pca {
  if (n < 2) throw new RangeError(`PCA needs at least 2 rows, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + x[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
  const xc = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xc[i * d + j] = x[i * d + j]! - mean[j]!;
  // At most n - 1 directions carry variance.
  const kk = Math.min(k, d, n - 1);
  const components = new Float64Array(k * d);
  const variances = new Float64Array(k);
  if (n <= d) {
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += xc[i * d + t]! * xc[j * d + t]!;
        g[i * n + j] = s;
        g[j * n + i] = s;
      }
    }
    const { values, vectors } = topEigen(g, n, kk, seed);
    for (let e = 0; e < kk; e++) {
      // v = Xcᵀ u / ‖Xcᵀ u‖ (= / sqrt(λ) in exact arithmetic).
      const row = components.subarray(e * d, (e + 1) * d);
      for (let i = 0; i < n; i++) {
        const u = vectors[e * n + i]!;
        if (u === 0) continue;
        for (let t = 0; t < d; t++) row[t] = row[t]! + u * xc[i * d + t]!;
      }
      normalise(row);
      variances[e] = values[e]! / (n - 1);
    }
  } else {
    const c = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        const va = xc[i * d + a]!;
        if (va === 0) continue;
        for (let b = a; b < d; b++) c[a * d + b] = c[a * d + b]! + va * xc[i * d + b]!;
      }
    }
    for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) c[b * d + a] = c[a * d + b]!;
    const { values, vectors } = topEigen(c, d, kk, seed);
    components.set(vectors.subarray(0, kk * d));
    for (let e = 0; e < kk; e++) variances[e] = values[e]! / (n - 1);
  }
  for (let e = 0; e < kk; e++) fixSign(components.subarray(e * d, (e + 1) * d));
  return { inDim: d, k, mean, components, variances };
}

function normalise(v: Float64Array): void {
  let s = 0;
  for (const x of v) s += x * x;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
}

function fixSign(v: Float64Array): void {
  let big = 0;
  for (let i = 0; i < v.length; i++) if (Math.abs(v[i]!) > Math.abs(v[big]!)) big = i;
  if (v[big]! < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i]!;
}

/** Norm of what the first `k` components leave out of each of n rows (row minus mean minus its projection). */
export function residualNorms(pca: Pca, x: Float32Array | Float64Array, n: number, k = pca.k): Float64Array {
  const d = pca.inDim;
  const out = new Float64Array(n);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let energy = 0;
    for (let j = 0; j < d; j++) {
      z[j] = x[i * d + j]! - pca.mean[j]!;
      energy += z[j]! * z[j]!;
    }
    for (let e = 0; e < Math.min(k, pca.k); e++) {
      let c = 0;
      for (let j = 0; j < d; j++) c += pca.components[e * d + j]! * z[j]!;
      energy -= c * c;
    }
    out[i] = Math.sqrt(Math.max(0, energy));
  }
  return out;
}
