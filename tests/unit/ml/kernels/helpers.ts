/**
 * Shared test plumbing for the wasm training kernels: run the same computation on tfjs' cpu backend
 * (the reference) and on wasm with our kernels, from the same seeded inputs, and compare.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../../../src/main/ml/backend';
import { Rng } from '../../../../src/main/ml/rng';
import type { BackendWasm } from '../../../../src/main/ml/kernels/wasm-kernel';

let ready: Promise<void> | null = null;

/** Initialises wasm the way the app does (threads, our kernels, gradients) once per test file. */
export function setupBackends(): Promise<void> {
  ready ??= initBackend('wasm', { threads: 1 }).then(() => undefined);
  return ready;
}

export type Result = { values: Float32Array | Int32Array | Uint8Array; shape: number[] };

/** Runs f on a backend; f builds its tensors from plain arrays so nothing crosses backends. */
export async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  });
  const results = out.map((t) => ({ values: t.dataSync() as Result['values'], shape: t.shape.slice() }));
  tf.dispose(out);
  return results;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * Compares wasm against cpu: same shapes, and max |wasm - cpu| within tol · max(1, max|cpu|)
 * (float32 sums of a few hundred N(0,1) products differ by ~1e-6 relative between summation orders).
 */
export async function expectSameOnBoth(f: () => tf.Tensor | tf.Tensor[], tol = 1e-5, label = ''): Promise<void> {
  const ref = await on('cpu', f);
  const got = await on('wasm', f);
  if (ref.length !== got.length) throw new Error(`${label}: ${got.length} outputs on wasm, ${ref.length} on cpu`);
  ref.forEach((r, i) => {
    const g = got[i]!;
    if (JSON.stringify(g.shape) !== JSON.stringify(r.shape)) {
      throw new Error(`${label} output ${i}: wasm shape ${JSON.stringify(g.shape)} != cpu ${JSON.stringify(r.shape)}`);
    }
    const err = maxAbsDiff(g.values, r.values);
    const bound = tol * Math.max(1, maxAbs(r.values));
    if (!(err <= bound)) throw new Error(`${label} output ${i}: max |wasm - cpu| = ${err} > ${bound}`);
  });
}

export function randn(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(rng.normals(shape.reduce((a, b) => a * b, 1)), shape);
}

export function wasmBackend(): BackendWasm {
  return tf.findBackend('wasm') as unknown as BackendWasm;
}

/** Counters that must stay flat when a kernel is called repeatedly with fresh tensors. */
export function resourceSnapshot(): { tensors: number; dataIds: number; heapBytes: number } {
  const b = wasmBackend();
  return { tensors: tf.memory().numTensors, dataIds: b.numDataIds(), heapBytes: (b.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length };
}

export { Rng };

export type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

export interface ConvCase {
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** dy's shape, i.e. the forward convolution's output. */
  yShape: [number, number, number, number];
}

/**
 * A random but valid 2D convolution geometry (small, so the cpu reference stays fast).
 * `forward`: only geometries whose output windows stay inside the padded input. With a numeric pad
 * and 'ceil'/'round' rounding tfjs can ask for outputs past it; the cpu backend reads zeros there,
 * but the stock wasm Conv2D (XNNPACK, not ours) rejects or miscomputes them, so tests that run the
 * forward convolution on wasm skip those. The backprop kernels handle every geometry.
 */
export function randomConvCase(rng: Rng, forward = false): ConvCase {
  for (;;) {
    const xShape: ConvCase['xShape'] = [1 + rng.int(3), 1 + rng.int(9), 1 + rng.int(9), 1 + rng.int(5)];
    const filterShape: ConvCase['filterShape'] = [1 + rng.int(5), 1 + rng.int(5), xShape[3], 1 + rng.int(5)];
    const strides: ConvCase['strides'] = [1 + rng.int(3), 1 + rng.int(3)];
    let pad: Pad;
    let dimRoundingMode: ConvCase['dimRoundingMode'];
    switch (rng.int(4)) {
      case 0:
        pad = 'same';
        break;
      case 1:
        pad = 'valid';
        break;
      case 2:
        pad = rng.int(3);
        dimRoundingMode = (['floor', 'round', 'ceil'] as const)[rng.int(3)];
        break;
      default:
        pad = [[0, 0], [rng.int(3), rng.int(3)], [rng.int(3), rng.int(3)], [0, 0]];
    }
    const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, dimRoundingMode);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    const { top, bottom, left, right } = info.padInfo;
    const pastH = (info.outHeight - 1) * info.strideHeight + info.filterHeight > xShape[1] + top + bottom;
    const pastW = (info.outWidth - 1) * info.strideWidth + info.filterWidth > xShape[2] + left + right;
    if (forward && (pastH || pastW)) continue;
    return { xShape, filterShape, strides, pad, dimRoundingMode, yShape: info.outShape as ConvCase['yShape'] };
  }
}

export function describeCase(c: ConvCase): string {
  return `x ${c.xShape} f ${c.filterShape} s ${c.strides} pad ${JSON.stringify(c.pad)}${c.dimRoundingMode ? ` ${c.dimRoundingMode}` : ''}`;
}
