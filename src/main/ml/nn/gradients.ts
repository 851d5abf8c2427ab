/**
 * Gradients of the kernels our models differentiate through.
 *
 * Why this file exists: tfjs-core keeps its gradient definitions out of the package's Node entry
 * (`tf-core.node.js`); they ship only as extension-less ESM (`dist/register_all_gradients`), which Node,
 * vitest and an externalised Electron main process cannot load. So we register the ones we need, ported
 * one-to-one from tfjs-core 4.22's `src/gradients/*_grad.ts` (Apache-2.0) onto its public API. A kernel
 * that already has a gradient (someone loaded tfjs' full set) is left alone.
 *
 * Add a kernel here when a new op appears inside a training step ("gradient function not found for X").
 */
import * as tf from '@tensorflow/tfjs-core';

type Grad = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor> | (() => tf.Tensor)[];

/** Sums a broadcast gradient back down to `shape`. */
function unbroadcast(g: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
}

const binary = (da: (a: tf.Tensor, b: tf.Tensor, dy: tf.Tensor) => tf.Tensor, db: (a: tf.Tensor, b: tf.Tensor, dy: tf.Tensor) => tf.Tensor): Grad =>
  (dy, [a, b]) => {
    const out = tf.broadcast_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    return { a: () => unbroadcast(da(a!, b!, dy), a!.shape, out), b: () => unbroadcast(db(a!, b!, dy), b!.shape, out) };
  };

/** Reduction gradient: dy broadcast back over the reduced axes, times `scale`. */
const reduction = (mean: boolean): Grad => (dy, [x], attrs) => {
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x!.shape);
  const expanded = x!.shape.slice();
  for (const a of axes) expanded[a] = 1;
  const count = axes.reduce((n, a) => n * x!.shape[a]!, 1);
  return { x: () => tf.mul(tf.reshape(dy, expanded), tf.fill(x!.shape, mean ? 1 / count : 1)) };
};

const GRADIENTS: Record<string, { inputsToSave?: string[]; outputsToSave?: boolean[]; saveAllInputs?: boolean; gradFunc: Grad }> = {
  Add: { inputsToSave: ['a', 'b'], gradFunc: binary((_a, _b, dy) => dy, (_a, _b, dy) => dy) },
  Sub: { inputsToSave: ['a', 'b'], gradFunc: binary((_a, _b, dy) => dy, (_a, _b, dy) => tf.neg(dy)) },
  Multiply: { inputsToSave: ['a', 'b'], gradFunc: binary((_a, b, dy) => tf.mul(dy, b), (a, _b, dy) => tf.mul(dy, a)) },
  RealDiv: {
    inputsToSave: ['a', 'b'],
    gradFunc: binary(
      (_a, b, dy) => tf.div(dy, b),
      (a, b, dy) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
    ),
  },
  SquaredDifference: {
    inputsToSave: ['a', 'b'],
    gradFunc: binary(
      (a, b, dy) => tf.mul(dy, tf.mul(2, tf.sub(a, b))),
      (a, b, dy) => tf.mul(dy, tf.mul(2, tf.sub(b, a))),
    ),
  },
  Neg: { gradFunc: (dy) => ({ x: () => tf.neg(dy) }) },
  Square: { inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(x!, 2)) }) },
  Sqrt: { inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.div(dy, tf.mul(tf.sqrt(x!), 2)) }) },
  Rsqrt: { inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.neg(tf.div(dy, tf.mul(tf.pow(x!, 1.5), 2))) }) },
  Exp: { outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy, y!) }) },
  Log: { inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.div(dy, x!) }) },
  Tanh: { outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(tf.sub(1, tf.square(y!)), dy) }) },
  Sigmoid: { outputsToSave: [true], gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy, tf.mul(y!, tf.sub(1, y!))) }) },
  Softplus: { inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.sigmoid(x!)) }) },
  Relu: { inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy, tf.step(x!)) }) },
  LeakyRelu: {
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({ x: () => tf.where(tf.greater(x!, 0), dy, tf.mul(dy, attrs.alpha as number)) }),
  },
  Mean: { inputsToSave: ['x'], gradFunc: reduction(true) },
  Sum: { inputsToSave: ['x'], gradFunc: reduction(false) },
  Reshape: { inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy, x!.shape) }) },
  Cast: { gradFunc: (dy) => ({ x: () => dy.clone() }) },
  Identity: { gradFunc: (dy) => ({ x: () => tf.cast(dy, 'float32') }) },
  Concat: {
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0]!.shape)[0]!;
      return tf.split(dy, saved.map((t) => t.shape[axis]!), axis).map((t) => () => t);
    },
  },
  SplitV: { gradFunc: (dy, _saved, attrs) => ({ x: () => tf.concat(dy as unknown as tf.Tensor[], attrs.axis as number) }) },
  Slice: {
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const [begin, size] = tf.slice_util.parseSliceParams(x!, attrs.begin as number[], attrs.size as number[]);
      return { x: () => tf.pad(dy, x!.shape.map((n, i) => [begin![i]!, n - begin![i]! - size![i]!] as [number, number])) };
    },
  },
  Transpose: {
    gradFunc: (dy, _saved, attrs) => {
      const perm = attrs.perm as number[];
      const undo = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy, undo) };
    },
  },
  BatchMatMul: {
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs) => {
      const ta = attrs.transposeA as boolean;
      const tb = attrs.transposeB as boolean;
      if (!ta && !tb) return { a: () => tf.matMul(dy, b!, false, true), b: () => tf.matMul(a!, dy, true, false) };
      if (!ta && tb) return { a: () => tf.matMul(dy, b!, false, false), b: () => tf.matMul(dy, a!, true, false) };
      if (ta && !tb) return { a: () => tf.matMul(b!, dy, false, true), b: () => tf.matMul(a!, dy, false, false) };
      return { a: () => tf.matMul(b!, dy, true, true), b: () => tf.matMul(dy, a!, true, true) };
    },
  },
  Conv2D: {
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter], attrs) => {
      const { strides, pad, dilations } = attrs as unknown as tf.Conv2DAttrs;
      if (!tf.backend_util.tupleValuesAreOne(dilations)) throw new Error('conv2d gradient: dilations > 1 are not supported');
      return {
        x: () => tf.conv2dTranspose(dy as tf.Tensor4D, filter as tf.Tensor4D, x!.shape as [number, number, number, number], strides, pad as 'same'),
        filter: () => backpropFilter(x!, dy, filter!.shape, attrs),
      };
    },
  },
  Conv2DBackpropInput: {
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, [dy, filter], attrs) => {
      const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      return {
        dy: () => tf.conv2d(ddx as tf.Tensor4D, filter as tf.Tensor4D, strides, pad, dataFormat, 1, dimRoundingMode),
        filter: () => backpropFilter(ddx, dy!, filter!.shape, attrs),
      };
    },
  },
};

/** Conv2DBackpropFilter through the engine (the op itself is not part of tfjs' public API). */
function backpropFilter(x: tf.Tensor, dy: tf.Tensor, filterShape: number[], attrs: tf.NamedAttrMap): tf.Tensor {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs;
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat, dimRoundingMode, filterShape }) as tf.Tensor;
}

let registered = false;

/** Registers the gradients above for kernels that have none yet. Idempotent. */
export function registerTrainingGradients(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, config] of Object.entries(GRADIENTS)) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({ kernelName, ...config } as unknown as tf.GradConfig);
  }
}
