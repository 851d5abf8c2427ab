/**
 * 2-D convolutions, NHWC. Filters are [k, k, in, out] for Conv2d and [k, k, out, in] for ConvTranspose2d
 * (tfjs' layouts). With k = 4, stride 2, 'same' padding both match PyTorch's (k=4, s=2, p=1) exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';
import * as init from './init';
import type { Fwd, Init } from './layers';
import type { ParamStore } from './params';

export interface ConvOptions {
  kernel: number;
  stride?: number;
  pad?: 'same' | 'valid';
  bias?: boolean;
  init?: Init;
}

/** @param torchFanIn the fan-in PyTorch's default init uses for this layer ('torch' init) */
function initFilter(rng: Rng, shape: number[], how: Init, fanIn: number, fanOut: number, torchFanIn: number): tf.Tensor {
  if (how.kind === 'torch') return init.torchDefault(rng, shape, torchFanIn);
  if (how.kind === 'normal') return init.normal(rng, shape, how.std);
  if (how.kind === 'he') return init.he(rng, shape, fanIn, how.slope);
  return init.xavier(rng, shape, fanIn, fanOut);
}

/** A layer's filter: its shape and the fans its init reads (the one way the two layers' parameters differ). */
interface FilterSpec {
  shape: number[];
  fanIn: number;
  fanOut: number;
  /** The fan-in PyTorch's default init uses for this layer ('torch' init). */
  torchFanIn: number;
}

/** What the two layers share: their fields, how their parameters are made, the bias. */
abstract class ConvLayer {
  constructor(
    readonly name: string,
    readonly inC: number,
    readonly outC: number,
    readonly opts: ConvOptions,
  ) {}

  protected abstract filter(): FilterSpec;

  create(store: ParamStore, rng: Rng): void {
    const { shape, fanIn, fanOut, torchFanIn } = this.filter();
    store.add(`${this.name}/w`, initFilter(rng, shape, this.opts.init ?? { kind: 'xavier' }, fanIn, fanOut, torchFanIn));
    if (this.opts.bias ?? true) store.add(`${this.name}/b`, init.zeros([this.outC]));
  }

  protected addBias(f: Fwd, y: tf.Tensor4D): tf.Tensor4D {
    return (this.opts.bias ?? true) ? tf.add(y, f.w(`${this.name}/b`)) : y;
  }
}

export class Conv2d extends ConvLayer {
  protected filter(): FilterSpec {
    const k = this.opts.kernel;
    return { shape: [k, k, this.inC, this.outC], fanIn: k * k * this.inC, fanOut: k * k * this.outC, torchFanIn: k * k * this.inC };
  }

  apply(f: Fwd, x: tf.Tensor4D): tf.Tensor4D {
    const s = this.opts.stride ?? 1;
    return this.addBias(f, tf.conv2d(x, f.w(`${this.name}/w`) as tf.Tensor4D, s, this.opts.pad ?? 'same'));
  }
}

export class ConvTranspose2d extends ConvLayer {
  protected filter(): FilterSpec {
    const k = this.opts.kernel;
    const s = this.opts.stride ?? 1;
    // Each output pixel sees about k²/s² input taps per input channel.
    const fanIn = (k * k * this.inC) / (s * s);
    const fanOut = (k * k * this.outC) / (s * s);
    return { shape: [k, k, this.outC, this.inC], fanIn, fanOut, torchFanIn: k * k * this.outC };
  }

  apply(f: Fwd, x: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w] = x.shape;
    const k = this.opts.kernel;
    const s = this.opts.stride ?? 1;
    const pad = this.opts.pad ?? 'same';
    const out = (n: number) => (pad === 'same' ? n * s : (n - 1) * s + k);
    const y = tf.conv2dTranspose(x, f.w(`${this.name}/w`) as tf.Tensor4D, [b, out(h), out(w), this.outC], s, pad);
    return this.addBias(f, y);
  }
}
