import { describe, expect, it } from 'vitest';
import { kid } from '../../../../src/main/ml/metrics/kid';
import { Rng } from '../../../../src/main/ml/rng';

function gaussian(n: number, d: number, seed: number, shift = 0, scale = 1): Float32Array {
  const rng = new Rng(seed);
  const out = rng.normals(n * d);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale + shift;
  return out;
}

describe('kid', () => {
  const d = 16;
  const real = gaussian(200, d, 1);

  it('is about zero for two samples of one distribution and grows with the shift', () => {
    const same = kid(real, gaussian(150, d, 2), d, { subsets: 20, subsetSize: 100 });
    const near = kid(real, gaussian(150, d, 3, 0.3), d, { subsets: 20, subsetSize: 100 });
    const far = kid(real, gaussian(150, d, 4, 1.5), d, { subsets: 20, subsetSize: 100 });
    expect(Math.abs(same.mean)).toBeLessThan(3 * same.std + 0.01);
    expect(near.mean).toBeGreaterThan(same.mean);
    expect(far.mean).toBeGreaterThan(10 * near.mean);
    expect(far.std).toBeGreaterThan(0);
  });

  it('is deterministic for a seed and reports the subset sizes it used', () => {
    const fake = gaussian(30, d, 5, 0.2);
    const a = kid(real, fake, d, { subsets: 10, subsetSize: 100, seed: 9 });
    const b = kid(real, fake, d, { subsets: 10, subsetSize: 100, seed: 9 });
    expect(a).toEqual(b);
    expect(a.subsetSizeReal).toBe(100);
    expect(a.subsetSizeFake).toBe(22); // 3/4 of a side smaller than the target
  });

  it('takes an explicit kernel scale for unit-length features', () => {
    const fake = gaussian(100, d, 6, 0.5);
    const byDefault = kid(real, fake, d, { subsets: 5 });
    const explicit = kid(real, fake, d, { subsets: 5, gamma: 1 / d });
    expect(explicit.full).toBeCloseTo(byDefault.full, 10);
    expect(() => kid(real, fake, d, { gamma: 0 })).toThrow(RangeError);
  });

  it('rejects mismatched shapes and too few samples', () => {
    expect(() => kid(real, new Float32Array(d + 1), d)).toThrow(RangeError);
    expect(() => kid(real, new Float32Array(d), d)).toThrow(RangeError);
  });
});
