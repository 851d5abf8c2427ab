import { describe, expect, it } from 'vitest';
import { normalizeTerm, parsePrompt, promptCondition } from '../../../src/shared/prompt';

const vocab = { labels: ['cat face', 'dog face', 'frog'], tags: ['smiling', 'red_hat', 'blue'] };

describe('prompt parser', () => {
  it('reads weighted labels and tags', () => {
    const p = parsePrompt('cat face:0.7, dog face:0.3', vocab);
    expect(p.labels).toEqual({ 'cat face': 0.7, 'dog face': 0.3 });
    expect(p.tags).toEqual({});
    expect(p.unknown).toEqual([]);
    expect(p.spans.map((s) => [s.text, s.status, s.match?.name])).toEqual([
      ['cat face', 'exact', 'cat face'],
      ['dog face', 'exact', 'dog face'],
    ]);
    expect(promptCondition(p)).toEqual({ labels: { 'cat face': 0.7, 'dog face': 0.3 } });
  });

  it('defaults weights to 1, ignores case, spaces, _ and -, and accepts (term:w)', () => {
    const p = parsePrompt('  Cat-Face , RED HAT, (smiling:1.5)', vocab);
    expect(p.labels).toEqual({ 'cat face': 1 });
    expect(p.tags).toEqual({ red_hat: 1, smiling: 1.5 });
  });

  it('matches free text to tags and labels, longest phrase first, and flags unknown words', () => {
    const p = parsePrompt('a smiling cat face wearing a red hat', vocab);
    expect(p.labels).toEqual({ 'cat face': 1 });
    expect(p.tags).toEqual({ smiling: 1, red_hat: 1 });
    expect(p.unknown).toEqual(['wearing']);
    const phrase = p.spans.find((s) => s.match?.name === 'cat face')!;
    expect(phrase.status).toBe('phrase');
    expect('a smiling cat face wearing a red hat'.slice(phrase.start, phrase.end)).toBe('cat face');
    expect(p.spans.filter((s) => s.status === 'ignored').map((s) => s.text)).toEqual(['a', 'a']);
  });

  it('accepts plurals and sums repeated terms', () => {
    const p = parsePrompt('frogs:0.5, frog:0.25', vocab);
    expect(p.labels).toEqual({ frog: 0.75 });
  });

  it('reports weights that are not numbers and clamps huge ones', () => {
    const p = parsePrompt('cat face:lots, blue:99', vocab);
    expect(p.errors).toHaveLength(2);
    expect(p.labels).toEqual({ 'cat face': 1 });
    expect(p.tags).toEqual({ blue: 10 });
  });

  it('with an unconditional model every word is unknown, and empty prompts are empty', () => {
    expect(parsePrompt('cat face', { labels: [], tags: [] }).unknown).toEqual(['cat', 'face']);
    expect(parsePrompt('', vocab)).toMatchObject({ spans: [], labels: {}, tags: {}, unknown: [], errors: [] });
    expect(normalizeTerm('  Red__Hat-x ')).toBe('red hat x');
  });
});
