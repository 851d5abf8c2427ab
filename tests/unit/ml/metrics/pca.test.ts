import { describe, expect, it } from 'vitest';
import { fitPca, jacobiEigen, topEigen } from '../../../../src/main/ml/metrics/pca';
import { Rng } from '../../../../src/main/ml/rng';

/** n rows in d dims with standard deviations `stds` along the first axes, rotated by nothing. */
function anisotropic(n: number, d: number, stds: number[], seed: number): Float64Array {
  const rng = new Rng(seed);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = rng.normal() * (stds[j] ?? 0.01) + 3;
  return x;
}

describe('pca', () => {
  it('jacobiEigen diagonalises a symmetric matrix', () => {
    const a = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const { values, vectors } = jacobiEigen(a, 3);
    for (let e = 0; e < 3; e++) {
      for (let r = 0; r < 3; r++) {
        let av = 0;
        for (let c = 0; c < 3; c++) av += a[r * 3 + c]! * vectors[c * 3 + e]!;
        expect(av).toBeCloseTo(values[e]! * vectors[r * 3 + e]!, 9);
      }
    }
  });

  it('topEigen finds the leading eigenvalues in order', () => {
    const m = Float64Array.from({ length: 25 }, () => 0);
    [9, 5, 3, 1, 0.5].forEach((v, i) => (m[i * 5 + i] = v));
    const { values } = topEigen(m, 5, 3);
    expect(Array.from(values)).toEqual([expect.closeTo(9, 6), expect.closeTo(5, 6), expect.closeTo(3, 6)]);
  });

  for (const [label, n] of [
    ['primal (n > d)', 400],
    ['dual (n ≤ d)', 20],
  ] as const) {
    it(`recovers the axes of largest variance, ${label}`, () => {
      const d = 30;
      const x = anisotropic(n, d, [5, 3, 2], 1);
      const pca = fitPca(x, n, d, 3, 0);
      for (let e = 0; e < 3; e++) expect(Math.abs(pca.components[e * d + e]!)).toBeGreaterThan(0.95);
      expect(pca.variances[0]).toBeGreaterThan(pca.variances[1]!);
      expect(pca.mean[0]).toBeCloseTo(3, 0);
      expect(fitPca(x, n, d, 3, 0)).toEqual(pca);
    });
  }
});
