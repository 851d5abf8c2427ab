import { describe, expect, it } from 'vitest';
import { distinctN } from '../../../../src/main/ml/text/metrics';

describe('distinctN', () => {
  it('counts distinct character n-grams over all texts', () => {
    expect(distinctN(['abab'], 2)).toBeCloseTo(2 / 3); // ab, ba, ab
    expect(distinctN(['abc', 'abc'], 2)).toBe(0.5);
    expect(distinctN(['abcd', 'efgh'], 1)).toBe(1);
  });

  it('counts word n-grams when asked', () => {
    expect(distinctN(['red apple', 'red apple', 'green apple'], 2, 'word')).toBeCloseTo(2 / 3);
  });

  it('is 0 without n-grams and rejects a bad n', () => {
    expect(distinctN(['a', ''], 2)).toBe(0);
    expect(() => distinctN(['abc'], 0)).toThrow(RangeError);
  });
});
