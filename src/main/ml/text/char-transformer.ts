/**
 * Small decoder-only Transformer over characters (GPT-2 layout as in nanoGPT): token + learned position
 * embeddings, nLayer pre-LN blocks of causal multi-head self-attention and a 4× GELU MLP, a final
 * LayerNorm, and next-character logits through the token embedding (weight tying, as GPT-2/nanoGPT).
 *
 *   x = wte[idx] + wpe[0..T)
 *   x = x + attn(ln1(x));  x = x + mlp(ln2(x))      (per block)
 *   logits = ln_f(x) wteᵀ
 *
 * No dropout: the models are small and runs are short, and without it a step is a pure function of
 * (weights, batch), which keeps resume bit-exact; watch the validation loss for overfitting instead.
 * Init as GPT-2: N(0, 0.02), residual projections N(0, 0.02/√(2·nLayer)), LayerNorm γ=1 β=0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dense } from '../nn/dense';
import * as init from '../nn/init';
import type { Fwd } from '../nn/layers';
import type { ParamStore } from '../nn/params';
import type { Rng } from '../rng';
import { NextCharModel, checkBase, configError, positiveInt, type BaseTextConfig, type TextFamilyModule } from './model';

export interface CharTransformerConfig extends BaseTextConfig {
  /** Transformer blocks. */
  nLayer: number;
  /** Attention heads per block; nEmbd must be divisible by it. */
  nHead: number;
  /** Width of the residual stream (embedding size). */
  nEmbd: number;
}

const FAMILY = 'chartransformer';

class Block {
  readonly qkv: Dense;
  readonly attnProj: Dense;
  readonly fc: Dense;
  readonly mlpProj: Dense;

  constructor(
    readonly name: string,
    readonly c: CharTransformerConfig,
  ) {
    const e = c.nEmbd;
    const residual = { kind: 'normal' as const, std: 0.02 / Math.sqrt(2 * c.nLayer) };
    this.qkv = new Dense(`${name}/attn/qkv`, e, 3 * e, { init: { kind: 'normal', std: 0.02 } });
    this.attnProj = new Dense(`${name}/attn/proj`, e, e, { init: residual });
    this.fc = new Dense(`${name}/mlp/fc`, e, 4 * e, { init: { kind: 'normal', std: 0.02 } });
    this.mlpProj = new Dense(`${name}/mlp/proj`, 4 * e, e, { init: residual });
  }

  create(store: ParamStore, rng: Rng): void {
    addLayerNorm(store, `${this.name}/ln1`, this.c.nEmbd);
    this.qkv.create(store, rng);
    this.attnProj.create(store, rng);
    addLayerNorm(store, `${this.name}/ln2`, this.c.nEmbd);
    this.fc.create(store, rng);
    this.mlpProj.create(store, rng);
  }

  /** x: [B·T, C] rows of B sequences of length T; mask: [T, T] additive causal mask. */
  apply(f: Fwd, x: tf.Tensor2D, b: number, t: number, mask: tf.Tensor2D): tf.Tensor2D {
    const { nEmbd: e, nHead: nh } = this.c;
    const hs = e / nh;
    // Causal self-attention on ln1(x).
    const [q, k, v] = tf.split(this.qkv.apply(f, layerNorm(f, `${this.name}/ln1`, x)), 3, 1).map(
      (m) => tf.transpose(tf.reshape(m, [b, t, nh, hs]), [0, 2, 1, 3]) as tf.Tensor4D, // [B, nh, T, hs]
    );
    const scores = tf.add(tf.mul(tf.matMul(q!, k!, false, true), 1 / Math.sqrt(hs)), mask);
    const y = tf.matMul(tf.softmax(scores), v!); // [B, nh, T, hs]
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [b * t, e]) as tf.Tensor2D;
    x = tf.add(x, this.attnProj.apply(f, merged));
    // MLP on ln2(x).
    const hidden = gelu(this.fc.apply(f, layerNorm(f, `${this.name}/ln2`, x)));
    return tf.add(x, this.mlpProj.apply(f, hidden));
  }
}

function addLayerNorm(store: ParamStore, name: string, dim: number): void {
  store.add(`${name}/g`, init.ones([dim]));
  store.add(`${name}/b`, init.zeros([dim]));
}

function layerNorm(f: Fwd, name: string, x: tf.Tensor2D): tf.Tensor2D {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5))), f.w(`${name}/g`)), f.w(`${name}/b`));
}

/** GELU, tanh approximation (GPT-2). */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** [T, T]: 0 where position i may attend to j (j ≤ i), -1e9 above the diagonal. */
function causalMask(t: number): tf.Tensor2D {
  const m = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -1e9;
  return tf.tensor2d(m, [t, t]);
}

class CharTransformer extends NextCharModel<CharTransformerConfig> {
  readonly blocks: Block[];

  constructor(config: CharTransformerConfig, vocabSize: number, rng: Rng, inference: boolean) {
    super(config, vocabSize);
    const { nEmbd: e, contextLength } = config;
    this.store.add('wte', init.normal(rng, [vocabSize, e], 0.02));
    this.store.add('wpe', init.normal(rng, [contextLength, e], 0.02));
    this.blocks = Array.from({ length: config.nLayer }, (_, i) => new Block(`h${i}`, config));
    for (const block of this.blocks) block.create(this.store, rng);
    addLayerNorm(this.store, 'ln_f', e);
    this.optimise(inference);
  }

  protected forward(f: Fwd, idx: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = idx.shape;
    if (t > this.config.contextLength) throw new Error(`sequence of ${t} tokens is longer than contextLength ${this.config.contextLength}`);
    const e = this.config.nEmbd;
    const tok = tf.gather(f.w('wte'), tf.reshape(idx, [-1])); // [B·T, C]
    const pos = tf.tile(tf.slice(f.w('wpe'), [0, 0], [t, e]), [b, 1]);
    let x = tf.add(tok, pos) as tf.Tensor2D;
    const mask = causalMask(t);
    for (const block of this.blocks) x = block.apply(f, x, b, t, mask);
    const logits = tf.matMul(layerNorm(f, 'ln_f', x), f.w('wte') as tf.Tensor2D, false, true);
    return tf.reshape(logits, [b, t, this.vocabSize]);
  }
}

export const charTransformer: TextFamilyModule<CharTransformerConfig> = {
  /** A "baby GPT" (nanoGPT's shakespeare_char, scaled down to short names and a CPU). */
  defaults: () => ({
    contextLength: 32,
    batchSize: 32,
    nLayer: 2,
    nHead: 4,
    nEmbd: 64,
    lr: 2e-3,
    beta1: 0.9,
    beta2: 0.99,
    gradClip: 1,
    heldOutFraction: 0.1,
  }),
  validate(c) {
    checkBase(FAMILY, c);
    if (!positiveInt(c.nLayer) || c.nLayer > 24) throw configError(FAMILY, 'nLayer must be an integer from 1 to 24');
    if (!positiveInt(c.nHead)) throw configError(FAMILY, 'nHead must be a positive integer');
    if (!positiveInt(c.nEmbd) || c.nEmbd % c.nHead !== 0) throw configError(FAMILY, 'nEmbd must be a positive multiple of nHead');
  },
  build: (config, vocabSize, rng, opts = {}) => new CharTransformer(config, vocabSize, rng, opts.inference ?? false),
};
