import { describe, expect, it } from 'vitest';
import { FEW_LINES, TEXT_FAMILY_INFO, textRunDefaults } from '../../../src/renderer/src/lib/runs-text';
import { TEXT_FAMILIES } from '../../../src/shared/families';

describe('the proposed text run', () => {
  it('is a time box of about ten minutes with the char LSTM, shorter for a handful of lines', () => {
    expect(textRunDefaults(null)).toMatchObject({ family: 'charlstm', minutes: 10 });
    expect(textRunDefaults(2540)).toMatchObject({ family: 'charlstm', minutes: 10 });
    expect(textRunDefaults(FEW_LINES - 1)).toMatchObject({ family: 'charlstm', minutes: 3 });
  });

  it('has a card for every text family of the contract', () => {
    expect(Object.keys(TEXT_FAMILY_INFO).sort()).toEqual([...TEXT_FAMILIES].sort());
  });
});
