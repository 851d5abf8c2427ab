/**
 * The text sampler: a next-character model's continuations of a prompt, one character at a time.
 * `sampleTexts(model, vocab, req)` draws from a model in memory (the training session's samples);
 * `loadTextSampler(path)` loads one from a checkpoint file (weights only, no optimizer state):
 *
 *   const s = await loadTextSampler(ckptPath);
 *   const names = s.sample({ prompt: 'cat ', temperature: 0.8, topK: 10, maxLength: 40, seed: 42, count: 8 });
 *   s.dispose();
 *
 * Each text starts from <bos> + the prompt's characters and ends at <eos> or after `maxLength` new
 * characters. The model reads the last contextLength tokens. The next character is drawn from
 * softmax(logits / temperature) restricted to the topK most likely characters (<bos> and <unk> are
 * never drawn); temperature 0 is greedy (argmax).
 *
 * Determinism: every text gets its own Rng, forked in order from Rng(seed), and texts are generated in
 * fixed chunks of CHUNK; so the same model + request + backend gives the same strings, and text i does not
 * depend on how many texts were asked for. The draw itself is done in float64 on the JS side.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import { isTextFamily } from '../../../shared/families';
import { Rng } from '../rng';
import { readCheckpoint } from '../checkpoint';
import { restoreStore } from '../restore';
import { textFamilyModule, type TextConfigs } from './families';
import type { TextFamily, TextModel } from './model';
import { CharVocab } from './vocab';

export interface TextSampleRequest {
  /** Text the sampled ones start with (returned as their prefix). Default ''. */
  prompt?: string;
  /** > 0 scales the logits (< 1 safer, > 1 wilder); 0 = always the most likely character. Default 1. */
  temperature?: number;
  /** Draw only from the k most likely characters; 0 or absent = all. */
  topK?: number;
  /** At most this many characters after the prompt. Default 64. */
  maxLength?: number;
  /** Fixes every draw. */
  seed: number;
  /** How many texts. Default 1. */
  count?: number;
}

export const CHUNK = 16;
export const MAX_COUNT = 256;
export const MAX_LENGTH = 2000;
export const MAX_TEMPERATURE = 10;

interface Settings {
  prompt: string;
  temperature: number;
  topK: number;
  maxLength: number;
  seed: number;
  count: number;
}

function settings(req: TextSampleRequest): Settings {
  const s = { prompt: req.prompt ?? '', temperature: req.temperature ?? 1, topK: req.topK ?? 0, maxLength: req.maxLength ?? 64, seed: req.seed, count: req.count ?? 1 };
  const bad = (m: string) => new AtelierError('bad_request', m);
  if (typeof s.prompt !== 'string') throw bad('prompt must be text.');
  if (!(s.temperature >= 0 && s.temperature <= MAX_TEMPERATURE)) throw bad(`temperature must be from 0 to ${MAX_TEMPERATURE}.`);
  if (!(Number.isInteger(s.topK) && s.topK >= 0)) throw bad('topK must be a whole number ≥ 0 (0 = all characters).');
  if (!(Number.isInteger(s.maxLength) && s.maxLength >= 1 && s.maxLength <= MAX_LENGTH)) throw bad(`maxLength must be a whole number from 1 to ${MAX_LENGTH}.`);
  if (!(Number.isInteger(s.count) && s.count >= 1 && s.count <= MAX_COUNT)) throw bad(`count must be a whole number from 1 to ${MAX_COUNT}.`);
  if (!Number.isFinite(s.seed)) throw bad('seed must be a number.');
  return s;
}

export function sampleTexts(model: TextModel, vocab: CharVocab, req: TextSampleRequest): string[] {
  const s = settings(req);
  const master = new Rng(s.seed);
  const rngs = Array.from({ length: s.count }, () => master.fork());
  const banned = new Set([vocab.bos, vocab.unk]);
  // The first character may not end the text: a short run on a few lines can put most of its weight on
  // <eos> there, and an empty result is no result (it showed as a blank card in Create).
  const bannedFirst = new Set([...banned, vocab.eos]);
  const start = [vocab.bos, ...vocab.encode(s.prompt)];
  const out: string[] = [];
  for (let c = 0; c < s.count; c += CHUNK) {
    const m = Math.min(CHUNK, s.count - c);
    const seq = [...start];
    const rows: number[][] = Array.from({ length: m }, () => []);
    const done = new Array<boolean>(m).fill(false);
    for (let step = 0; step < s.maxLength && done.includes(false); step++) {
      const len = Math.min(model.contextLength, seq.length + step);
      const window = new Int32Array(m * len);
      for (let r = 0; r < m; r++) {
        const full = rows[r]!.length === step ? rows[r]! : padded(rows[r]!, step, vocab.eos);
        const tokens = seq.concat(full);
        window.set(tokens.slice(tokens.length - len), r * len);
      }
      const last = tf.tidy(() => {
        const logits = model.logits(tf.tensor2d(window, [m, len], 'int32'));
        return tf.reshape(tf.slice(logits, [0, len - 1, 0], [m, 1, vocab.size]), [m, vocab.size]);
      });
      const values = last.dataSync() as Float32Array;
      last.dispose();
      for (let r = 0; r < m; r++) {
        if (done[r]) continue;
        const tok = sampleToken(values.subarray(r * vocab.size, (r + 1) * vocab.size), s.temperature, s.topK, rngs[c + r]!, rows[r]!.length === 0 ? bannedFirst : banned);
        if (tok === vocab.eos) done[r] = true;
        else rows[r]!.push(tok);
      }
    }
    for (const row of rows) out.push(s.prompt + vocab.decode(row));
  }
  return out;
}

/** A finished row continues as <eos>s so every row of the batch has the same length. */
function padded(row: number[], length: number, eos: number): number[] {
  return row.concat(new Array<number>(length - row.length).fill(eos));
}

/** One draw from logits (see the file comment). Ties go to the lower id. */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topK: number, rng: Rng, banned: ReadonlySet<number> = new Set()): number {
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) if (!banned.has(i)) ids.push(i);
  ids.sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (temperature === 0) return ids[0]!;
  const kept = topK > 0 ? ids.slice(0, topK) : ids;
  const top = logits[kept[0]!]!;
  const weights = kept.map((i) => Math.exp((logits[i]! - top) / temperature));
  let u = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < kept.length; j++) {
    u -= weights[j]!;
    if (u < 0) return kept[j]!;
  }
  return kept[kept.length - 1]!;
}

export interface TextSampler {
  readonly family: TextFamily;
  readonly config: TextConfigs[TextFamily];
  readonly vocab: CharVocab;
  /** Training step the checkpoint was saved at. */
  readonly step: number;
  /** SHA-256 of the checkpoint file. */
  readonly sha256: string;
  /** `count` texts, each starting with the prompt. */
  sample(req: TextSampleRequest): string[];
  dispose(): void;
}

export async function loadTextSampler(checkpointPath: string): Promise<TextSampler> {
  const ckpt = await readCheckpoint(checkpointPath);
  const h = ckpt.header;
  if (!isTextFamily(h.family)) throw new AtelierError('invalid_input', `${checkpointPath} is not a text model checkpoint (family ${h.family}).`);
  const module = textFamilyModule(h.family);
  const config = h.config as unknown as TextConfigs[TextFamily];
  module.validate(config);
  const vocab = CharVocab.fromHeader(h.vocab);
  const model = module.build(config, vocab.size, new Rng(0), { inference: true });
  restoreStore(model.store, ckpt, { missing: (name) => `${checkpointPath} lacks model tensor ${name}.` });
  return new CheckpointTextSampler(h.family, config, vocab, h.step, ckpt.sha256, model);
}

class CheckpointTextSampler implements TextSampler {
  private disposed = false;

  constructor(
    readonly family: TextFamily,
    readonly config: TextConfigs[TextFamily],
    readonly vocab: CharVocab,
    readonly step: number,
    readonly sha256: string,
    private readonly model: TextModel,
  ) {}

  sample(req: TextSampleRequest): string[] {
    if (this.disposed) throw new Error('this sampler was disposed');
    return sampleTexts(this.model, this.vocab, req);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.store.dispose();
  }
}
