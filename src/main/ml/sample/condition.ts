/** Named condition weights (what a user asks for) → weight tensors over a model's vocabulary. */
import * as tf from '@tensorflow/tfjs-core';
import { AtelierError } from '../../../shared/errors';
import type { Conditioning, Vocab } from '../models/model';

/**
 * Weights by name, e.g. `{ labels: { 'cat face': 0.7, 'dog face': 0.3 }, tags: { smiling: 1 } }`.
 * Label weights are used as given (a training image is one label at weight 1); tag weights too (a
 * training image with k tags has each at 1/k). Nothing given = the unlabelled/untagged condition.
 */
export interface ConditionRequest {
  labels?: Record<string, number>;
  tags?: Record<string, number>;
}

function weights(names: string[], req: Record<string, number> | undefined, what: string): Float32Array {
  const v = new Float32Array(names.length);
  for (const [name, w] of Object.entries(req ?? {})) {
    const i = names.indexOf(name);
    if (i < 0) {
      throw new AtelierError('invalid_input', `This model has no ${what} "${name}"${names.length ? ` (it knows: ${names.join(', ')})` : ''}.`);
    }
    if (!Number.isFinite(w)) throw new AtelierError('invalid_input', `The weight of ${what} "${name}" must be a number.`);
    v[i] = w;
  }
  return v;
}

/** The same condition repeated for n images, as tensors (caller disposes). */
export function conditionTensors(req: ConditionRequest | undefined, vocab: Vocab, n: number): Conditioning {
  const out: Conditioning = {};
  const rows = (v: Float32Array) => tf.tidy(() => tf.tile(tf.tensor2d(v, [1, v.length]), [n, 1]) as tf.Tensor2D);
  if (vocab.labelNames.length) out.labels = rows(weights(vocab.labelNames, req?.labels, 'label'));
  else if (req?.labels && Object.keys(req.labels).length) weights([], req.labels, 'label');
  if (vocab.tagNames.length) out.tags = rows(weights(vocab.tagNames, req?.tags, 'tag'));
  else if (req?.tags && Object.keys(req.tags).length) weights([], req.tags, 'tag');
  return out;
}

/**
 * Conditions for a side×side sample grid: row r shows label r (cycling), or tag r when there are no
 * labels; no tensors for an empty vocabulary.
 */
export function gridConditioning(vocab: Vocab, side: number): Conditioning {
  const n = side * side;
  const oneHotRows = (k: number) => {
    const v = new Float32Array(n * k);
    for (let i = 0; i < n; i++) v[i * k + (Math.floor(i / side) % k)] = 1;
    return tf.tensor2d(v, [n, k]);
  };
  const L = vocab.labelNames.length;
  const T = vocab.tagNames.length;
  if (L > 0) return { labels: oneHotRows(L), ...(T > 0 ? { tags: tf.zeros([n, T]) as tf.Tensor2D } : {}) };
  if (T > 0) return { tags: oneHotRows(T) };
  return {};
}
