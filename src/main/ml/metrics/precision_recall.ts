/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) in our feature space.
 *
 * Each set's manifold is approximated by the union of balls centred on its samples, each with the radius
 * to that sample's k-th nearest neighbour within the same set. Precision = share of generated samples
 * inside the real manifold (are generations data-like?); recall = share of real samples inside the
 * generated manifold (does the model cover the data, i.e. is it diverse?). A collapsed model has tiny
 * generated balls, so its recall drops even when each generation is realistic.
 *
 * With few samples (30 real) the balls are large and both numbers are optimistic; compare runs at equal
 * sample counts. Exact O(n²·d) distances: sets here are a few hundred items.
 */

import { gram } from './gram';

/** Squared Euclidean distances between rows of a (na×d) and b (nb×d). */
export function pairwiseSqDist(a: Float32Array, na: number, b: Float32Array, nb: number, d: number): Float64Array {
  const out = gram(a, na, b, nb, d);
  const normA = rowSqNorms(a, na, d);
  const normB = rowSqNorms(b, nb, d);
  for (let i = 0; i < na; i++) {
    // max(0, ·) because cancellation can leave a tiny negative for identical rows.
    for (let j = 0; j < nb; j++) out[i * nb + j] = Math.max(0, normA[i]! + normB[j]! - 2 * out[i * nb + j]!);
  }
  return out;
}

export function rowSqNorms(a: Float32Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += a[i * d + t]! * a[i * d + t]!;
    out[i] = s;
  }
  return out;
}

/** Squared distance from each row to its k-th nearest other row of the same set (self excluded). */
function kthNeighbourSqRadii(feats: Float32Array, n: number, d: number, k: number): Float64Array {
  const dist = pairwiseSqDist(feats, n, feats, n, d);
  const radii = new Float64Array(n);
  const row = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    let w = 0;
    for (let j = 0; j < n; j++) if (j !== i) row[w++] = dist[i * n + j]!;
    row.sort();
    radii[i] = row[Math.min(k, n - 1) - 1]!;
  }
  return radii;
}

/** Share of `query` rows that fall inside at least one ball (centre row of `ref`, squared radius). */
function coverage(ref: Float32Array, nr: number, sqRadii: Float64Array, query: Float32Array, nq: number, d: number): number {
  const dist = pairwiseSqDist(query, nq, ref, nr, d);
  let inside = 0;
  for (let q = 0; q < nq; q++) {
    for (let r = 0; r < nr; r++) {
      if (dist[q * nr + r]! <= sqRadii[r]!) {
        inside++;
        break;
      }
    }
  }
  return inside / nq;
}

export function precisionRecall(
  realFeats: Float32Array,
  fakeFeats: Float32Array,
  dim: number,
  k = 3,
): { precision: number; recall: number } {
  if (!(dim > 0) || realFeats.length % dim !== 0 || fakeFeats.length % dim !== 0) {
    throw new RangeError(`feature lengths ${realFeats.length}, ${fakeFeats.length} do not match dim ${dim}`);
  }
  const nr = realFeats.length / dim;
  const nf = fakeFeats.length / dim;
  if (nr < 2 || nf < 2) throw new RangeError(`precision/recall needs at least 2 samples per side, got ${nr} and ${nf}`);
  if (!(k >= 1) || !Number.isInteger(k)) throw new RangeError(`k must be a positive integer, got ${k}`);
  const realRadii = kthNeighbourSqRadii(realFeats, nr, dim, k);
  const fakeRadii = kthNeighbourSqRadii(fakeFeats, nf, dim, k);
  return {
    precision: coverage(realFeats, nr, realRadii, fakeFeats, nf, dim),
    recall: coverage(fakeFeats, nf, fakeRadii, realFeats, nr, dim),
  };
}
