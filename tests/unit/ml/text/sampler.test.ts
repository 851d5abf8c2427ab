import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/main/ml/rng';
import { sampleToken } from '../../../../src/main/ml/text/sampler';

describe('sampleToken', () => {
  const logits = [0.5, 3, 2.9, -1, 1];

  it('is greedy at temperature 0 and never returns a banned id', () => {
    expect(sampleToken(logits, 0, 0, new Rng(1))).toBe(1);
    expect(sampleToken(logits, 0, 0, new Rng(1), new Set([1]))).toBe(2);
  });

  it('draws only from the top k', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) expect([1, 2]).toContain(sampleToken(logits, 5, 2, rng));
  });

  it('spreads out as the temperature rises', () => {
    const counts = (t: number) => {
      const rng = new Rng(7);
      const seen = new Set<number>();
      let top = 0;
      for (let i = 0; i < 400; i++) {
        const k = sampleToken(logits, t, 0, rng);
        seen.add(k);
        if (k === 1) top++;
      }
      return { distinct: seen.size, top };
    };
    const cold = counts(0.1);
    const hot = counts(3);
    expect(hot.distinct).toBeGreaterThan(cold.distinct);
    expect(cold.top).toBeGreaterThan(hot.top);
  });

  it('is reproducible from the seed', () => {
    const draw = () => {
      const rng = new Rng(42);
      return Array.from({ length: 50 }, () => sampleToken(logits, 1, 0, rng));
    };
    expect(draw()).toEqual(draw());
  });
});

describe('sampleTexts', () => {
  it('never returns an empty text, even from a model that would end every line at once', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { useTestBackend } = await import('../train/helpers');
    const { sampleTexts } = await import('../../../../src/main/ml/text/sampler');
    const { CharVocab } = await import('../../../../src/main/ml/text/vocab');
    await useTestBackend();
    const vocab = CharVocab.fromDocuments(['ab', 'ba']);
    // Logits that put almost all the weight on <eos> at every position.
    const model = {
      store: undefined as never,
      contextLength: 16,
      vocabSize: vocab.size,
      trainStep: () => {
        throw new Error('not used');
      },
      logits: (x: import('@tensorflow/tfjs-core').Tensor2D) =>
        tf.tidy(() => {
          const row = Array.from({ length: vocab.size }, (_, i) => (i === vocab.eos ? 20 : 0));
          return tf.tile(tf.tensor3d(row, [1, 1, vocab.size]), [x.shape[0], x.shape[1], 1]) as import('@tensorflow/tfjs-core').Tensor3D;
        }),
    };
    const texts = sampleTexts(model, vocab, { seed: 1, count: 8, temperature: 1 });
    expect(texts).toHaveLength(8);
    // One character each: <eos> may not come first, and comes (almost surely) right after.
    for (const t of texts) expect(t.length).toBeGreaterThanOrEqual(1);
    expect(sampleTexts(model, vocab, { seed: 1, count: 8, prompt: 'a' }).every((t) => t.length >= 2)).toBe(true);
  });
});
