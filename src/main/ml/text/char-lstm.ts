/**
 * Character-level LSTM, as in the classic tfjs text-generation example (lstm-text-generation): one or
 * more LSTM layers over the characters, then a dense layer to next-character logits.
 *
 * Two deliberate differences from the example: the loss covers the next character at every position
 * of a window (not only the last one), which gives contextLength× more signal per step for the same
 * forward pass; and the one-hot input × first-layer input weights is done as a row lookup in `L0/wx`
 * ([V, 4H]), which is the same product without building the one-hot matrix.
 *
 *   gates_t = x_t W + h_{t-1} U + b          split into i, f, g, o (each [B, H])
 *   c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)     h_t = σ(o) ⊙ tanh(c_t)
 *
 * Tensors: `L<l>/wx` [in, 4H], `L<l>/wh` [H, 4H], `L<l>/b` [4H] (forget-gate bias starts at 1, so the
 * cell remembers by default; Jozefowicz et al. 2015), `head/w` [H, V], `head/b` [V].
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dense } from '../nn/dense';
import * as init from '../nn/init';
import type { Fwd } from '../nn/layers';
import type { Rng } from '../rng';
import { NextCharModel, checkBase, configError, positiveInt, type BaseTextConfig, type TextFamilyModule } from './model';

export interface CharLstmConfig extends BaseTextConfig {
  /** Units per LSTM layer (the example's lstmLayerSize). */
  hiddenSize: number;
  /** Stacked LSTM layers. */
  nLayer: number;
}

const FAMILY = 'charlstm';

class CharLstm extends NextCharModel<CharLstmConfig> {
  readonly head: Dense;

  constructor(config: CharLstmConfig, vocabSize: number, rng: Rng, inference: boolean) {
    super(config, vocabSize);
    const { hiddenSize: h, nLayer } = config;
    for (let l = 0; l < nLayer; l++) {
      const inDim = l === 0 ? vocabSize : h;
      this.store.add(`L${l}/wx`, init.xavier(rng, [inDim, 4 * h], l === 0 ? 1 : inDim, 4 * h));
      this.store.add(`L${l}/wh`, init.xavier(rng, [h, 4 * h], h, 4 * h));
      const bias = new Float32Array(4 * h);
      bias.fill(1, h, 2 * h);
      this.store.add(`L${l}/b`, tf.tensor1d(bias));
    }
    this.head = new Dense('head', h, vocabSize);
    this.head.create(this.store, rng);
    this.optimise(inference);
  }

  protected forward(f: Fwd, x: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = x.shape;
    const h = this.config.hiddenSize;
    // [T, B, 4H] input contributions of layer 0 (row lookup = one-hot × W).
    let inputs = tf.transpose(tf.gather(f.w('L0/wx'), x), [1, 0, 2]) as tf.Tensor3D;
    let outputs!: tf.Tensor3D;
    for (let l = 0; l < this.config.nLayer; l++) {
      if (l > 0) {
        const flat = tf.reshape(outputs, [t * b, h]);
        inputs = tf.reshape(tf.matMul(flat, f.w(`L${l}/wx`) as tf.Tensor2D), [t, b, 4 * h]);
      }
      const xw = tf.add(inputs, f.w(`L${l}/b`));
      const steps = tf.unstack(xw);
      const wh = f.w(`L${l}/wh`) as tf.Tensor2D;
      let hPrev: tf.Tensor2D = tf.zeros([b, h]);
      let cPrev: tf.Tensor2D = tf.zeros([b, h]);
      const hs: tf.Tensor2D[] = [];
      for (let s = 0; s < t; s++) {
        const gates = tf.add(steps[s]!, tf.matMul(hPrev, wh));
        const [i, fg, g, o] = tf.split(gates, 4, 1) as tf.Tensor2D[];
        cPrev = tf.add(tf.mul(tf.sigmoid(fg!), cPrev), tf.mul(tf.sigmoid(i!), tf.tanh(g!)));
        hPrev = tf.mul(tf.sigmoid(o!), tf.tanh(cPrev));
        hs.push(hPrev);
      }
      outputs = tf.stack(hs) as tf.Tensor3D; // [T, B, H]
    }
    const flat = tf.reshape(tf.transpose(outputs, [1, 0, 2]), [b * t, h]) as tf.Tensor2D;
    return tf.reshape(this.head.apply(f, flat), [b, t, this.vocabSize]);
  }
}

export const charLstm: TextFamilyModule<CharLstmConfig> = {
  /** Close to the tfjs example (128 units, one layer), with shorter windows: our documents are short. */
  defaults: () => ({
    contextLength: 32,
    batchSize: 32,
    hiddenSize: 128,
    nLayer: 1,
    lr: 5e-3,
    beta1: 0.9,
    beta2: 0.999,
    gradClip: 1,
    heldOutFraction: 0.1,
  }),
  validate(c) {
    checkBase(FAMILY, c);
    if (!positiveInt(c.hiddenSize) || c.hiddenSize > 4096) throw configError(FAMILY, 'hiddenSize must be an integer from 1 to 4096');
    if (!positiveInt(c.nLayer) || c.nLayer > 8) throw configError(FAMILY, 'nLayer must be an integer from 1 to 8');
  },
  build: (config, vocabSize, rng, opts = {}) => new CharLstm(config, vocabSize, rng, opts.inference ?? false),
};
