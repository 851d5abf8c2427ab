import { describe, expect, it } from 'vitest';
import { precisionRecall } from '../../../../src/main/ml/metrics/precision_recall';
import { Rng } from '../../../../src/main/ml/rng';

function gaussian(n: number, d: number, seed: number, shift = 0, scale = 1): Float32Array {
  const rng = new Rng(seed);
  const out = rng.normals(n * d);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale + shift;
  return out;
}

describe('precisionRecall', () => {
  const d = 8;
  const real = gaussian(200, d, 1);

  it('is high on both for a sample of the same distribution', () => {
    const { precision, recall } = precisionRecall(real, gaussian(200, d, 2), d, 3);
    expect(precision).toBeGreaterThan(0.8);
    expect(recall).toBeGreaterThan(0.8);
  });

  it('keeps precision but loses recall for a collapsed generator', () => {
    // All generations near one real mode: realistic, not diverse.
    const collapsed = gaussian(200, d, 3, 0, 0.1);
    const { precision, recall } = precisionRecall(real, collapsed, d, 3);
    expect(precision).toBeGreaterThan(0.9);
    expect(recall).toBeLessThan(0.3);
  });

  it('is low on both for a distribution elsewhere', () => {
    const { precision, recall } = precisionRecall(real, gaussian(200, d, 4, 6), d, 3);
    expect(precision).toBeLessThan(0.05);
    expect(recall).toBeLessThan(0.05);
  });

  it('validates its inputs', () => {
    expect(() => precisionRecall(real, new Float32Array(d), d)).toThrow(RangeError);
    expect(() => precisionRecall(real, real, d, 0)).toThrow(RangeError);
  });
});
