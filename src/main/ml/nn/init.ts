/**
 * Deterministic initialisers. They draw from our own `Rng` (never tfjs' random ops), so the same seed
 * gives the same starting weights on every backend and the draw is part of the saved RNG stream.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** N(mean, std²), the DCGAN paper's init (std 0.02) and batch-norm gammas (mean 1). */
export function normal(rng: Rng, shape: number[], std: number, mean = 0): tf.Tensor {
  const values = rng.normals(size(shape));
  for (let i = 0; i < values.length; i++) values[i] = mean + std * values[i]!;
  return tf.tensor(values, shape, 'float32');
}

/** He/Kaiming normal for (leaky) ReLU layers: std = gain / sqrt(fanIn). */
export function he(rng: Rng, shape: number[], fanIn: number, slope = 0.2): tf.Tensor {
  return normal(rng, shape, Math.sqrt(2 / (1 + slope * slope)) / Math.sqrt(fanIn));
}

/** Glorot/Xavier uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)). */
export function xavier(rng: Rng, shape: number[], fanIn: number, fanOut: number): tf.Tensor {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(size(shape));
  for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * a;
  return tf.tensor(values, shape, 'float32');
}

/**
 * PyTorch's default weight init for Linear/Conv layers, kaiming_uniform(a = √5), which is U(-b, b) with
 * b = 1/√fanIn. Note PyTorch's fanIn for a ConvTranspose2d weight [in, out, k, k] is out·k·k.
 */
export function torchDefault(rng: Rng, shape: number[], fanIn: number): tf.Tensor {
  const b = 1 / Math.sqrt(fanIn);
  const values = new Float32Array(size(shape));
  for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * b;
  return tf.tensor(values, shape, 'float32');
}

export function zeros(shape: number[]): tf.Tensor {
  return tf.zeros(shape, 'float32');
}

export function ones(shape: number[]): tf.Tensor {
  return tf.ones(shape, 'float32');
}

/** A random unit vector (spectral-norm power-iteration start). */
export function unitVector(rng: Rng, n: number): tf.Tensor {
  const v = rng.normals(n);
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
  return tf.tensor1d(v, 'float32');
}
