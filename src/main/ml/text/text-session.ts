/**
 * TextTrainingSession: the one object the jobs system drives to train a text model; the text twin of
 * ../train/session.ts's TrainingSession, with the same base (../model-session.ts: step count, RNG,
 * divergence guard, checkpoint write).
 *
 *   const s = await TextTrainingSession.create({ family: 'chartransformer', data, seed: 7 });
 *   for (;;) {
 *     const { step, losses } = s.trainStep();              // { loss }; throws DivergedError on NaN/Inf
 *     if (step % 200 === 0) { s.evaluate(); s.sample(); }  // { valLoss, perplexity }; texts, fixed seed
 *     if (step % 1000 === 0) await s.saveCheckpoint(path); // atomic; returns { bytes, sha256 }
 *   }
 *   const again = await TextTrainingSession.resume(path, data); // continues bit-exactly
 *
 * Data: each document becomes <bos> chars <eos>. At creation the documents are shuffled with the run's
 * Rng; the first heldOutFraction of them are the validation split, the rest, in that order, are joined
 * into one training stream. A training batch is batchSize windows of contextLength + 1 tokens starting at
 * random positions of the stream (wrapping at its end, so any amount of text works): inputs are the
 * first contextLength tokens, targets the last. Validation reads the held-out stream in consecutive
 * windows (no randomness) and reports the mean cross-entropy per token (nats) and its exp, perplexity.
 *
 * The checkpoint (../checkpoint.ts format) carries the weights, the Adam moments and step, the
 * config, the step, the character vocabulary (header.vocab.tokens), the RNG state and the split; resume
 * with the same documents continues exactly as an uninterrupted run. With changed documents the split
 * is drawn afresh and new characters map to <unk> (the vocabulary is part of the weights' shape).
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import type { TextCorpusData } from '../data';
import { Rng } from '../rng';
import { readCheckpoint } from '../checkpoint';
import { ModelSession, checkOverrides, restoreRun, type BaseSessionState, type ConfigOverrides } from '../model-session';
import { textConfigShape, textFamilyModule, type TextConfigs } from './families';
import { sampleTexts, type TextSampleRequest } from './sampler';
import type { TextFamily, TextModel } from './model';
import { CharVocab, type TextVocabHeader } from './vocab';

/** Validation reads at most this many held-out tokens (a fixed prefix of the held-out stream). */
export const MAX_EVAL_TOKENS = 16384;

/** What `sample()` draws when asked nothing: the text counterpart of the fixed sample grid. */
export interface TextSampleSettings {
  count: number;
  temperature: number;
  topK: number;
  maxLength: number;
  prompt: string;
}

export const DEFAULT_SAMPLE_SETTINGS: TextSampleSettings = { count: 16, temperature: 0.8, topK: 0, maxLength: 48, prompt: '' };

export interface TextSessionOptions<F extends TextFamily = TextFamily> {
  family: F;
  /** Overrides the family's defaults. */
  config?: Partial<TextConfigs[F]> | ConfigOverrides;
  data: TextCorpusData;
  /** Fixes weight init, the split, every batch and the fixed samples. */
  seed: number;
  /** Shortcut for config.batchSize. */
  batchSize?: number;
  /** Settings of `sample()` without arguments. */
  samples?: Partial<TextSampleSettings>;
}

export interface TextStepResult {
  step: number;
  /** `loss`: mean training cross-entropy of the batch, nats per token (before the update). */
  losses: { loss: number };
  /** Windows (sequences) consumed by this step. */
  sequences: number;
  /** Target tokens in this step's batch. */
  tokens: number;
}

export interface TextEvaluation {
  /** Mean cross-entropy on the held-out documents, nats per token. */
  valLoss: number;
  /** exp(valLoss): the model is as unsure as a uniform choice among this many characters. */
  perplexity: number;
  /** Held-out target tokens scored. */
  tokens: number;
}

/** What the checkpoint header's `session` field holds; heldOut and train are document indices. */
interface TextSessionState extends BaseSessionState {
  samples: TextSampleSettings;
  /** The training stream's documents, in order. */
  train: number[];
  dataDigest: string;
}

export class TextTrainingSession extends ModelSession<TextFamily, TextConfigs[TextFamily], TextModel> {
  private readonly stream: Int32Array;
  private readonly heldOutStream: Int32Array;

  private constructor(
    family: TextFamily,
    config: TextConfigs[TextFamily],
    readonly vocab: CharVocab,
    model: TextModel,
    data: TextCorpusData,
    rng: Rng,
    private readonly state: Omit<TextSessionState, 'rng' | 'backend'>,
    step: number,
  ) {
    super(family, config, model, rng, step);
    this.stream = encodeStream(vocab, data.documents, state.train);
    this.heldOutStream = encodeStream(vocab, data.documents, state.heldOut).subarray(0, MAX_EVAL_TOKENS + 1);
  }

  /** Held-out documents (for tests and reports). */
  get heldOutCount(): number {
    return this.state.heldOut.length;
  }

  static async create<F extends TextFamily>(opts: TextSessionOptions<F>): Promise<TextTrainingSession> {
    validateTextData(opts.data);
    const module = textFamilyModule(opts.family);
    checkOverrides(opts.family, opts.config, textConfigShape(opts.family));
    const config = {
      ...module.defaults(),
      ...(opts.config ?? {}),
      ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
    } as TextConfigs[F];
    module.validate(config);
    const vocab = CharVocab.fromDocuments(opts.data.documents);
    const rng = new Rng(opts.seed);
    const model = module.build(config, vocab.size, rng);
    const { heldOut, train } = split(opts.data.documents, config.heldOutFraction, rng);
    return new TextTrainingSession(
      opts.family,
      config,
      vocab,
      model,
      opts.data,
      rng,
      {
        seed: opts.seed,
        samples: { ...DEFAULT_SAMPLE_SETTINGS, ...(opts.samples ?? {}) },
        heldOut,
        train,
        dataCount: opts.data.documents.length,
        dataDigest: digest(opts.data.documents),
      },
      0,
    );
  }

  static async resume(checkpointPath: string, data: TextCorpusData): Promise<TextTrainingSession> {
    validateTextData(data);
    const ckpt = await readCheckpoint(checkpointPath);
    const h = ckpt.header;
    const family = h.family as TextFamily;
    const module = textFamilyModule(family);
    const config = h.config as unknown as TextConfigs[TextFamily];
    module.validate(config);
    const vocab = CharVocab.fromHeader(h.vocab);
    const s = h.session as unknown as TextSessionState;
    // Initial values are overwritten by the checkpoint; the throwaway Rng only shapes them.
    const model = module.build(config, vocab.size, new Rng(0));
    restoreRun(model.store, ckpt, checkpointPath);
    const rng = Rng.fromState(s.rng);
    const dataDigest = digest(data.documents);
    const sameData = s.dataDigest === dataDigest;
    const { heldOut, train } = sameData ? s : split(data.documents, config.heldOutFraction, rng);
    return new TextTrainingSession(
      family,
      config,
      vocab,
      model,
      data,
      rng,
      { seed: s.seed, samples: s.samples, heldOut, train, dataCount: data.documents.length, dataDigest },
      h.step,
    );
  }

  trainStep(): TextStepResult {
    this.assertUsable();
    const { batchSize: b } = this.config;
    const t = this.model.contextLength;
    const x = new Int32Array(b * t);
    const y = new Int32Array(b * t);
    const n = this.stream.length;
    for (let r = 0; r < b; r++) {
      const start = this.rng.int(n);
      for (let i = 0; i < t; i++) {
        x[r * t + i] = this.stream[(start + i) % n]!;
        y[r * t + i] = this.stream[(start + i + 1) % n]!;
      }
    }
    const batch = { x: tf.tensor2d(x, [b, t], 'int32'), y: tf.tensor2d(y, [b, t], 'int32') };
    let lossTensor: tf.Scalar;
    try {
      lossTensor = this.model.trainStep(batch, 1);
    } finally {
      tf.dispose([batch.x, batch.y]);
    }
    const loss = lossTensor.dataSync()[0]!;
    lossTensor.dispose();
    return { step: this.countStep({ loss }), losses: { loss }, sequences: b, tokens: b * t };
  }

  /** Validation loss and perplexity on the held-out documents (consecutive windows, no randomness). */
  evaluate(): TextEvaluation {
    this.assertUsable();
    const t = this.model.contextLength;
    const s = this.heldOutStream;
    // Windows of t inputs + 1 overlapping target; the last one may be shorter.
    const starts: number[] = [];
    for (let start = 0; start + 1 < s.length; start += t) starts.push(start);
    let sum = 0;
    let tokens = 0;
    const bs = this.config.batchSize;
    for (let i = 0; i < starts.length; ) {
      const len = Math.min(t, s.length - 1 - starts[i]!);
      // A batch: up to bs consecutive windows of the same length.
      const group: number[] = [];
      while (i < starts.length && group.length < bs && Math.min(t, s.length - 1 - starts[i]!) === len) group.push(starts[i++]!);
      const x = new Int32Array(group.length * len);
      const y = new Int32Array(group.length * len);
      group.forEach((start, r) => {
        x.set(s.subarray(start, start + len), r * len);
        y.set(s.subarray(start + 1, start + 1 + len), r * len);
      });
      const mean = tf.tidy(() => {
        const logits = this.model.logits(tf.tensor2d(x, [group.length, len], 'int32'));
        return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor2d(y, [group.length, len], 'int32'), this.vocab.size)), -1)));
      });
      sum += mean.dataSync()[0]! * group.length * len;
      mean.dispose();
      tokens += group.length * len;
    }
    const valLoss = sum / tokens;
    return { valLoss, perplexity: Math.exp(valLoss), tokens };
  }

  /** Texts from the current weights; without arguments the session's fixed settings and seed. */
  sample(req: Partial<TextSampleRequest> = {}): string[] {
    this.assertUsable();
    return sampleTexts(this.model, this.vocab, { ...this.state.samples, seed: this.state.seed, ...req });
  }

  protected vocabHeader(): TextVocabHeader {
    return this.vocab.header();
  }

  protected sessionState(): TextSessionState {
    return { ...this.state, rng: this.rng.state(), backend: tf.getBackend() };
  }
}

export function validateTextData(data: TextCorpusData): void {
  if (data?.kind !== 'text' || !Array.isArray(data.documents)) throw new AtelierError('invalid_input', 'Text training needs a text dataset.');
  const nonEmpty = data.documents.filter((d) => typeof d === 'string' && d.length > 0).length;
  if (nonEmpty < 2) throw new AtelierError('invalid_input', 'A text dataset needs at least two non-empty documents (one is held out for validation).');
}

/** Shuffled indices of the non-empty documents: the first round(n·fraction) (at least 1) are held out, the rest train. */
function split(documents: readonly string[], fraction: number, rng: Rng): { heldOut: number[]; train: number[] } {
  const order = rng.shuffle(documents.flatMap((d, i) => (typeof d === 'string' && d.length > 0 ? [i] : [])));
  const n = order.length;
  const k = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  return { heldOut: order.slice(0, k), train: order.slice(k) };
}

function encodeStream(vocab: CharVocab, documents: readonly string[], indices: readonly number[]): Int32Array {
  const out: number[] = [];
  for (const i of indices) {
    const doc = documents[i];
    if (doc) for (const id of vocab.encodeDocument(doc)) out.push(id);
  }
  return Int32Array.from(out);
}

function digest(documents: readonly string[]): string {
  const h = createHash('sha256');
  for (const d of documents) h.update(d).update('\u0000');
  return h.digest('hex');
}
