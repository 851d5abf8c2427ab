/** Fully connected layer y = x W (+ b); W is [in, out]. Also serves as a weighted embedding table. */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';
import * as init from './init';
import type { Fwd, Init } from './layers';
import type { ParamStore } from './params';

export class Dense {
  constructor(
    readonly name: string,
    readonly inDim: number,
    readonly outDim: number,
    readonly opts: { bias?: boolean; init?: Init } = {},
  ) {}

  get bias(): boolean {
    return this.opts.bias ?? true;
  }

  create(store: ParamStore, rng: Rng): void {
    const shape = [this.inDim, this.outDim];
    const how = this.opts.init ?? { kind: 'xavier' };
    const w =
      how.kind === 'torch'
        ? init.torchDefault(rng, shape, this.inDim)
        : how.kind === 'normal'
        ? init.normal(rng, shape, how.std)
        : how.kind === 'he'
          ? init.he(rng, shape, this.inDim, how.slope)
          : init.xavier(rng, shape, this.inDim, this.outDim);
    store.add(`${this.name}/w`, w);
    if (this.bias) store.add(`${this.name}/b`, init.zeros([this.outDim]));
  }

  apply(f: Fwd, x: tf.Tensor2D): tf.Tensor2D {
    const y = tf.matMul(x, f.w(`${this.name}/w`) as tf.Tensor2D) as tf.Tensor2D;
    return this.bias ? (tf.add(y, f.w(`${this.name}/b`)) as tf.Tensor2D) : y;
  }
}
