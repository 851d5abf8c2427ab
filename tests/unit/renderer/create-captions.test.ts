import { describe, expect, it } from 'vitest';
import { resultCaption } from '../../../src/renderer/src/lib/create-captions';

describe('Create result captions', () => {
  it('an interpolation frame says which two images it lies between and where, not the shared seed', () => {
    const origin = { mode: 'interpolate' as const, from: { id: 7, seed: 11 }, to: { id: 9, seed: 12 } };
    const frames = Array.from({ length: 8 }, (_, i) => resultCaption(origin, { id: 20 + i, seed: 7 }, i, 8));
    expect(frames.map((c) => c.text)).toEqual(['#7 → #9 · 1/8', '#7 → #9 · 2/8', '#7 → #9 · 3/8', '#7 → #9 · 4/8', '#7 → #9 · 5/8', '#7 → #9 · 6/8', '#7 → #9 · 7/8', '#7 → #9 · 8/8']);
    expect(new Set(frames.map((c) => c.text)).size).toBe(8);
    expect(frames.some((c) => c.text.includes('seed 7'))).toBe(false);
    expect(frames[0]!.title).toBe('Frame 1 of 8 between #7 (seed 11) and #9 (seed 12), 0% of the way');
    expect(frames[7]!.title).toContain('100% of the way');
  });

  it('new images and variations keep their own seed', () => {
    expect(resultCaption({ mode: 'sample' }, { id: 3, seed: 42 }, 0, 16).text).toBe('seed 42');
    expect(resultCaption({ mode: 'variation', of: 5 }, { id: 6, seed: 43 }, 1, 8).text).toBe('seed 43 · of #5');
  });
});
