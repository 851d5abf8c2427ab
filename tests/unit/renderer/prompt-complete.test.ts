import { describe, expect, it } from 'vitest';
import { applyCompletion, completions, completionsAt, typedAt } from '../../../src/renderer/src/lib/prompt-complete';

const vocab = { labels: ['cat face', 'dog face', 'cactus'], tags: ['smiling', 'cute', 'face mask'] };

describe('prompt completion from the words a conditional model knows', () => {
  it('offers labels before tags, names that start with the text before those where a later word does', () => {
    expect(completions('ca', vocab).map((c) => c.name)).toEqual(['cactus', 'cat face']);
    expect(completions('fa', vocab).map((c) => `${c.kind}:${c.name}`)).toEqual(['label:cat face', 'label:dog face', 'tag:face mask']);
    expect(completions('CU', vocab)).toEqual([{ name: 'cute', kind: 'tag' }]);
    expect(completions('cat face', vocab)).toEqual([]); // typed out in full
    expect(completions('zebra', vocab)).toEqual([]);
    expect(completions('', vocab)).toEqual([]);
  });

  it('completes the term at the caret, or its last word in free text, never a weight', () => {
    const p = 'cat face:0.7, smi';
    expect(typedAt(p, p.length)?.term).toEqual({ start: 14, end: 17, text: 'smi' });
    expect(completionsAt(p, p.length, vocab)?.items.map((c) => c.name)).toEqual(['smiling']);
    expect(completionsAt('cat face:0.', 11, vocab)).toBeNull();
    const free = 'a happy do';
    const at = completionsAt(free, free.length, vocab)!;
    expect(at.replace).toMatchObject({ start: 8, text: 'do' });
    expect(at.items.map((c) => c.name)).toEqual(['dog face']);
    expect(completionsAt('cat ', 4, vocab)).toBeNull(); // after a space: nothing being typed
  });

  it('puts the name in place of what was typed and keeps the rest (weights, later terms)', () => {
    const p = 'do:0.3, cute';
    const at = completionsAt(p, 2, vocab)!;
    expect(applyCompletion(p, at.replace, 'dog face')).toEqual({ value: 'dog face:0.3, cute', caret: 8 });
    // The caret inside a word: the whole word is replaced.
    const q = 'smi|ling'.replace('|', '');
    expect(applyCompletion(q, { start: 0, end: 3, text: 'smi' }, 'smiling')).toEqual({ value: 'smiling', caret: 7 });
  });
});
