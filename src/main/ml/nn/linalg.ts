/** Small float64 linear algebra on the JS side (d ≤ a few hundred): nothing here is on a hot path. */

/** Gram matrix A Aᵀ of a row-major [rows, cols] matrix, as row-major float64 [rows, rows]. */
export function gram(a: Float32Array, rows: number, cols: number): Float64Array {
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      let s = 0;
      for (let k = 0; k < cols; k++) s += a[i * cols + k]! * a[j * cols + k]!;
      g[i * rows + j] = s;
      g[j * rows + i] = s;
    }
  }
  return g;
}

/**
 * Top-k eigenvectors of a symmetric positive semi-definite [n, n] matrix by power iteration with
 * deflation. Deterministic: fixed start vectors, and each vector's sign is chosen so that its
 * largest-magnitude component is positive. Returns k·n values, one unit vector after another.
 */
export function topEigenvectors(m: Float64Array, n: number, k: number, iters = 500): Float32Array {
  const a = Float64Array.from(m);
  const out = new Float32Array(k * n);
  for (let e = 0; e < Math.min(k, n); e++) {
    let v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = 1 + ((i * 7919 + e * 104729) % 97) / 97; // fixed, non-degenerate start
    let lambda = 0;
    for (let it = 0; it < iters; it++) {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += a[i * n + j]! * v[j]!;
        w[i] = s;
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      for (let i = 0; i < n; i++) w[i] = w[i]! / norm;
      lambda = norm;
      v = w;
    }
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(v[i]!) > Math.abs(v[big]!)) big = i;
    const sign = v[big]! < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) out[e * n + i] = sign * v[i]!;
    // Deflate: A ← A - λ v vᵀ.
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = a[i * n + j]! - lambda * v[i]! * v[j]!;
  }
  return out;
}
