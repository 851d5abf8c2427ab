/**
 * Anti-aliased resampling for feature maps of any width, NHWC, built from slices, scalar multiplies and
 * adds only (so every backend has their gradients, and the cost is a few element-wise passes instead of
 * a per-channel convolution whose filter grows with channels²).
 *
 * - bilinearUp2x: 2× bilinear upsampling with half-pixel centres and clamped edges: each output pixel is
 *   ¾ of its source pixel plus ¼ of the neighbour on its side, per axis (the [¼ ¾ ¾ ¼] filter).
 * - blur3: the [1 2 1]/4 binomial blur per axis with clamped edges; before a stride-2 convolution it
 *   removes the frequencies the stride would alias (Zhang 2019, "Making convolutional networks
 *   shift-invariant again"; StyleGAN2 blurs before every downsampling in D for the same reason).
 */
import * as tf from '@tensorflow/tfjs-core';

/** x shifted by one along `axis` (1 = rows, 2 = columns), the edge row/column repeated: [prev, next]. */
function neighbours(x: tf.Tensor4D, axis: 1 | 2): [tf.Tensor4D, tf.Tensor4D] {
  const len = x.shape[axis];
  const size = (n: number) => (axis === 1 ? [-1, n, -1, -1] : [-1, -1, n, -1]);
  const at = (i: number) => (axis === 1 ? [0, i, 0, 0] : [0, 0, i, 0]);
  if (len === 1) return [x, x];
  const first = tf.slice(x, at(0), size(1));
  const last = tf.slice(x, at(len - 1), size(1));
  const prev = tf.concat([first, tf.slice(x, at(0), size(len - 1))], axis) as tf.Tensor4D;
  const next = tf.concat([tf.slice(x, at(1), size(len - 1)), last], axis) as tf.Tensor4D;
  return [prev, next];
}

/** Nearest 2× along one axis, as a broadcast (its gradient is a sum). */
function nearestAxis(x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return axis === 1
    ? tf.reshape(tf.add(tf.reshape(x, [n, h, 1, w, c]), tf.zeros([1, 1, 2, 1, 1])), [n, 2 * h, w, c])
    : tf.reshape(tf.add(tf.reshape(x, [n, h, w, 1, c]), tf.zeros([1, 1, 1, 2, 1])), [n, h, 2 * w, c]);
}

/** 1 on even (or odd) positions of the doubled axis, shaped to broadcast. */
function parityMask(len: number, axis: 1 | 2, odd: boolean): tf.Tensor4D {
  const v = new Float32Array(2 * len);
  for (let i = odd ? 1 : 0; i < 2 * len; i += 2) v[i] = 1;
  return tf.tensor4d(v, axis === 1 ? [1, 2 * len, 1, 1] : [1, 1, 2 * len, 1]);
}

/**
 * out[2i] = ¾x[i] + ¼x[i−1], out[2i+1] = ¾x[i] + ¼x[i+1]: nearest-2× copies of x and of its two
 * shifted neighbours, the neighbours masked to even / odd positions. Interleaving by stack or concat on
 * a new axis was tried first: their gradients (Unpack, SplitV on a 5-D tensor) took 4.3–4.8 s of a
 * 6.6–7.3 s step on the wasm backend; masks and broadcasts cost a few element-wise passes.
 */
function up2xAxis(x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D {
  const [prev, next] = neighbours(x, axis);
  const len = x.shape[axis];
  const main = tf.mul(nearestAxis(x, axis), 0.75);
  const side = tf.add(tf.mul(nearestAxis(prev, axis), parityMask(len, axis, false)), tf.mul(nearestAxis(next, axis), parityMask(len, axis, true)));
  return tf.add(main, tf.mul(side, 0.25));
}

/** 2× bilinear upsampling (half-pixel centres, clamped edges), any number of channels. */
export function bilinearUp2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => up2xAxis(up2xAxis(x, 1), 2));
}

function blurAxis(x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D {
  const [prev, next] = neighbours(x, axis);
  return tf.add(tf.mul(x, 0.5), tf.mul(tf.add(prev, next), 0.25));
}

/** [1 2 1]/4 blur in both directions, clamped edges, same size. */
export function blur3(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => blurAxis(blurAxis(x, 1), 2));
}
