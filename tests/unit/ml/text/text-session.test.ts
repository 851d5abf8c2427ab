/**
 * The text models end to end on the built-in text sample, with tiny configs: validation loss falls and
 * perplexity is reported, temperature changes diversity, generation is reproducible, a checkpoint
 * resumes at its step and continues exactly, and steps do not leak tensors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src/main/ml/backend';
import type { TextCorpusData } from '../../../../src/main/ml/data';
import type { TextConfigs } from '../../../../src/main/ml/text/families';
import { distinctN } from '../../../../src/main/ml/text/metrics';
import type { TextFamily } from '../../../../src/main/ml/text/model';
import { loadTextSampler } from '../../../../src/main/ml/text/sampler';
import { TextTrainingSession, type TextEvaluation } from '../../../../src/main/ml/text/text-session';

const SAMPLE = path.resolve(__dirname, '../../../../resources/samples/twemoji-names.txt');
const data: TextCorpusData = { kind: 'text', documents: readFileSync(SAMPLE, 'utf8').split('\n').filter((l) => l.length > 0) };

/** Tiny configs; a 4 % split (~100 names) keeps validation quick. */
const TINY: { [F in TextFamily]: Partial<TextConfigs[F]> } = {
  charlstm: { hiddenSize: 48, contextLength: 16, batchSize: 16, lr: 1e-2, heldOutFraction: 0.04 },
  chartransformer: { nLayer: 1, nHead: 2, nEmbd: 32, contextLength: 16, batchSize: 16, lr: 6e-3, heldOutFraction: 0.04 },
};
const FIRST = 15;
const SECOND = 15;

let dir: string;
beforeAll(async () => {
  // One thread: on a busy 2-core machine (tests run two files at once) a second wasm thread only spins.
  await initBackend('wasm', { threads: 1 });
  dir = mkdtempSync(path.join(tmpdir(), 'atelier-text-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['charlstm', 'chartransformer'] as const)('%s on the emoji names', (family) => {
  let session: TextTrainingSession;
  let before: TextEvaluation;
  let after: TextEvaluation;
  const tensorCounts: number[] = [];
  const laterLosses: number[] = [];
  let midPath: string;
  let endPath: string;
  let endSha: string;

  beforeAll(async () => {
    session = await TextTrainingSession.create({ family, data, seed: 11, config: TINY[family] });
    before = session.evaluate();
    for (let i = 0; i < FIRST; i++) {
      session.trainStep();
      tensorCounts.push(tf.memory().numTensors);
    }
    midPath = path.join(dir, `${family}-mid.ckpt`);
    await session.saveCheckpoint(midPath);
    for (let i = 0; i < SECOND; i++) laterLosses.push(session.trainStep().losses.loss);
    after = session.evaluate();
    endPath = path.join(dir, `${family}-end.ckpt`);
    endSha = (await session.saveCheckpoint(endPath)).sha256;
  });
  afterAll(() => session.dispose());

  it('lowers the validation loss and reports perplexity', () => {
    console.log(`${family}: valLoss ${before.valLoss.toFixed(3)} → ${after.valLoss.toFixed(3)}, perplexity ${before.perplexity.toFixed(1)} → ${after.perplexity.toFixed(1)}`);
    expect(before.valLoss).toBeGreaterThan(Math.log(session.vocab.size) - 0.5); // starts near uniform
    expect(after.valLoss).toBeLessThan(before.valLoss - 0.4);
    expect(after.perplexity).toBeCloseTo(Math.exp(after.valLoss), 6);
    expect(after.tokens).toBeGreaterThan(100);
    expect(session.evaluate()).toEqual(after); // no randomness in validation
  });

  it('does not leak tensors over steps, evaluation or sampling', () => {
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
    const n = tf.memory().numTensors;
    session.trainStep();
    session.evaluate();
    session.sample({ count: 3, maxLength: 8 });
    expect(tf.memory().numTensors).toBe(n);
  });

  it('writes more varied text at temperature 1.5 than at 0.3', async () => {
    const g = await loadTextSampler(endPath);
    const cold = g.sample({ seed: 3, count: 16, temperature: 0.3, maxLength: 24 });
    const hot = g.sample({ seed: 3, count: 16, temperature: 1.5, maxLength: 24 });
    const d2 = { cold: distinctN(cold, 2), hot: distinctN(hot, 2) };
    console.log(`${family}: distinct-2 at T=0.3 ${d2.cold.toFixed(3)}, at T=1.5 ${d2.hot.toFixed(3)}`, cold.slice(0, 4), hot.slice(0, 4));
    expect(d2.hot).toBeGreaterThan(d2.cold + 0.1);
    g.dispose();
  });

  it('generates the same text from the same seed and settings, and starts with the prompt', async () => {
    const g = await loadTextSampler(endPath);
    expect(g.step).toBe(FIRST + SECOND);
    expect(g.sha256).toBe(endSha);
    expect(g.family).toBe(family);
    const req = { prompt: 'cat', temperature: 0.9, topK: 8, maxLength: 12, seed: 99, count: 4 };
    const a = g.sample(req);
    expect(a).toHaveLength(4);
    for (const text of a) {
      expect(text.startsWith('cat')).toBe(true);
      expect(text.length).toBeLessThanOrEqual(3 + 12);
    }
    expect(g.sample(req)).toEqual(a);
    expect(g.sample({ ...req, count: 2 })).toEqual(a.slice(0, 2)); // text i does not depend on count
    expect(g.sample({ ...req, seed: 100 })).not.toEqual(a);
    // The live session's weights are the checkpoint's: the same request gives the same text.
    const fresh = await TextTrainingSession.resume(endPath, data);
    expect(fresh.sample(req)).toEqual(a);
    fresh.dispose();
    g.dispose();
  });

  it('resumes from a checkpoint at its step and continues exactly', async () => {
    const resumed = await TextTrainingSession.resume(midPath, data);
    expect(resumed.step).toBe(FIRST);
    expect(resumed.family).toBe(family);
    expect(resumed.config).toEqual(session.config);
    const losses = Array.from({ length: SECOND }, () => resumed.trainStep().losses.loss);
    expect(losses).toEqual(laterLosses);
    expect(resumed.step).toBe(FIRST + SECOND);
    expect(resumed.evaluate()).toEqual(after);
    resumed.dispose();
  });
});

describe('text session input checks', () => {
  it('rejects a dataset with fewer than two documents and a bad config', async () => {
    await expect(TextTrainingSession.create({ family: 'charlstm', data: { kind: 'text', documents: ['only one'] }, seed: 1 })).rejects.toThrow(/two/);
    await expect(TextTrainingSession.create({ family: 'chartransformer', data, seed: 1, config: { nEmbd: 30, nHead: 4 } })).rejects.toThrow(/nEmbd/);
  });
});
