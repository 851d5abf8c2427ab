import { describe, expect, it } from 'vitest';
import {
  alignSeries,
  appendPoint,
  defaultsForDataset,
  fittingBase,
  timeLeftMs,
  emaSmooth,
  formatDuration,
  gridAtStep,
  warningsFromScalars,
  type Point,
} from '../../../src/renderer/src/lib/runs-helpers';

describe('emaSmooth (TensorBoard smoothing)', () => {
  it('is the identity at weight 0', () => {
    expect(emaSmooth([1, 5, 2], 0)).toEqual([1, 5, 2]);
  });

  it('is debiased: a constant curve stays constant from its first point', () => {
    for (const v of emaSmooth([3, 3, 3, 3], 0.9)) expect(v).toBeCloseTo(3, 10);
  });

  it('follows a step change gradually', () => {
    const s = emaSmooth([0, 0, 0, 10, 10, 10], 0.6) as number[];
    expect(s[2]).toBeCloseTo(0);
    expect(s[3]).toBeGreaterThan(0);
    expect(s[3]).toBeLessThan(10);
    expect(s[5]).toBeGreaterThan(s[4]!);
  });

  it('passes gaps and non-finite values through without poisoning the average', () => {
    const s = emaSmooth([2, null, Number.NaN, 2], 0.5);
    expect(s[1]).toBeNull();
    expect(Number.isNaN(s[2])).toBe(true);
    expect(s[3]).toBeCloseTo(2);
  });
});

describe('appendPoint', () => {
  it('appends in order', () => {
    const pts: Point[] = [[1, 1]];
    appendPoint(pts, 2, 2);
    expect(pts).toEqual([[1, 1], [2, 2]]);
  });

  it('drops what came after a step the run went back to (resume from a checkpoint)', () => {
    const pts: Point[] = [[1, 1], [2, 2], [3, 3], [4, 4]];
    appendPoint(pts, 3, 9);
    expect(pts).toEqual([[1, 1], [2, 2], [3, 9]]);
  });

  it('ignores non-finite values', () => {
    const pts: Point[] = [];
    appendPoint(pts, 1, Number.NaN);
    expect(pts).toEqual([]);
  });
});

describe('alignSeries', () => {
  it('aligns curves on the union of their steps', () => {
    const { xs, ys } = alignSeries([[[1, 10], [3, 30]], [[2, 2], [3, 3]]]);
    expect(xs).toEqual([1, 2, 3]);
    expect(ys).toEqual([[10, null, 30], [null, 2, 3]]);
  });
});

describe('formatDuration', () => {
  it.each([
    [null, '—'],
    [-1, '—'],
    [4_400, '4 s'],
    [59_000, '59 s'],
    [150_000, '3 min'],
    [3_900_000, '1 h 05 min'],
    [3 * 86_400_000 + 3_600_000, '3 d 1 h'],
  ])('%s ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('defaultsForDataset', () => {
  it('few images: small batch, strong augmentation, proposes fine-tuning', () => {
    const d = defaultsForDataset(40);
    expect(d.batchSize).toBe(8);
    expect(d.suggestFineTune).toBe(true);
    expect(d.augment.flip).toBe(true);
    expect(d.augment.rotationDeg).toBeGreaterThan(0);
    expect(d.augment.cropFraction).toBeLessThan(1);
  });

  it('more images: bigger batches and lighter augmentation', () => {
    const small = defaultsForDataset(200);
    const large = defaultsForDataset(10_000);
    expect(large.batchSize).toBeGreaterThan(small.batchSize);
    expect(large.augment.rotationDeg).toBeLessThanOrEqual(small.augment.rotationDeg);
    expect(large.suggestFineTune).toBe(false);
  });

  it('never proposes a batch larger than the dataset', () => {
    expect(defaultsForDataset(5).batchSize).toBe(5);
    expect(defaultsForDataset(1).batchSize).toBe(2);
  });
});

describe('gridAtStep and warningsFromScalars', () => {
  const grids = [{ step: 0 }, { step: 10 }, { step: 20 }];
  it('picks the newest grid at or before a step', () => {
    expect(gridAtStep(grids, 15)?.step).toBe(10);
    expect(gridAtStep(grids, 20)?.step).toBe(20);
    expect(gridAtStep(grids, 999)?.step).toBe(20);
    expect(gridAtStep([{ step: 5 }], 1)?.step).toBe(5);
  });

  it('lists warning scalars by first step', () => {
    expect(warningsFromScalars({ 'loss/d': [[1, 0.1]], 'warning/mode_collapse': [[40, 1]], 'warning/d_collapse': [[12, 1], [30, 1]] })).toEqual([
      { code: 'd_collapse', step: 12 },
      { code: 'mode_collapse', step: 40 },
    ]);
  });
});

describe('fittingBase', () => {
  const base = { source: 'base' as const, family: 'default' as const, size: 32, checkpoints: [{ id: 1 }] as never[] };
  it('proposes a shipped base that fits the size the data trains at, from 10 images to a few hundred', () => {
    expect(fittingBase(10, [base])).toBe(base);
    expect(fittingBase(315, [base])).toBe(base);
  });
  it('not for data that trains at another size, nor own runs or bases without a checkpoint', () => {
    expect(fittingBase(5000, [base])).toBeUndefined();
    expect(fittingBase(10, [{ ...base, source: 'trained' as const }])).toBeUndefined();
    expect(fittingBase(10, [{ ...base, checkpoints: [] }])).toBeUndefined();
  });
});

describe('timeLeftMs', () => {
  it('is the whole time box before the first step, then the engine’s estimate', () => {
    expect(timeLeftMs('running', null, 10)).toBe(600_000);
    expect(timeLeftMs('running', 42_000, 10)).toBe(42_000);
    expect(timeLeftMs('running', null, null)).toBeNull();
    expect(timeLeftMs('done', 42_000, 10)).toBeNull();
  });
});
