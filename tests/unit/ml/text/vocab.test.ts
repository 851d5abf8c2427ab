import { describe, expect, it } from 'vitest';
import { BOS, CharVocab, EOS, UNK } from '../../../../src/main/ml/text/vocab';

describe('CharVocab', () => {
  const vocab = CharVocab.fromDocuments(['cat face', 'curaçao flag', 'dog']);

  it('puts the specials first and the characters in code-point order', () => {
    expect(vocab.tokens.slice(0, 3)).toEqual([BOS, EOS, UNK]);
    const chars = vocab.tokens.slice(3);
    expect(chars).toEqual([...new Set(Array.from('cat facecuraçao flagdog'))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  });

  it('round-trips text and maps unknown characters to <unk>', () => {
    expect(vocab.decode(vocab.encodeDocument('dog face'))).toBe('dog face');
    const ids = vocab.encode('cat!');
    expect(ids[3]).toBe(vocab.unk);
    expect(vocab.decode(ids)).toBe('cat\uFFFD');
  });

  it('treats composed and decomposed accents as one character (NFC)', () => {
    expect(vocab.encode('c\u0327')).toEqual(vocab.encode('ç'));
  });

  it('restores from its token list and rejects a broken one', () => {
    expect(CharVocab.fromTokens(vocab.tokens).encode('curaçao')).toEqual(vocab.encode('curaçao'));
    expect(() => CharVocab.fromTokens(['a', 'b'])).toThrow(/vocabulary/);
  });
});
