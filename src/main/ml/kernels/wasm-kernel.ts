/**
 * Plumbing shared by the training kernels we add to (or replace in) tfjs' wasm backend.
 *
 * Why kernels call kernels instead of ops: a kernel runs inside the engine with taping switched off,
 * and every tensor an op creates there would be tracked by the engine and counted by `tf.memory()`.
 * tfjs' own backends compose kernels the same way: they call other kernel functions with the
 * backend directly and get untracked `TensorInfo`s back, which they must free themselves. So every
 * intermediate here is freed with `free()` before the kernel returns; the tests check that
 * `backend.numDataIds()` is flat across calls.
 *
 * Why some kernels are plain JavaScript over the wasm heap: several stock wasm kernels are naive
 * C++ loops (DepthToSpace, Tile, some transposes) that run at 10-100 ns per element, while a JS loop
 * over a Float32Array view of the same memory runs at ~1 ns. Views are taken right before use and never
 * kept across kernel calls, because a heap growth replaces the underlying buffer.
 */
import {
  getKernel,
  type DataType,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };

export const WASM = 'wasm';

/**
 * Stock wasm kernels we replaced, kept so a replacement can fall back to them for cases it does not
 * handle (e.g. NCHW) and so tests can compare against them.
 */
const replaced = new Map<string, KernelConfig>();

export function rememberStockKernel(config: KernelConfig): void {
  if (!replaced.has(config.kernelName)) replaced.set(config.kernelName, config);
}

/** The stock config of a kernel we replace (or the registered one if we did not replace it). */
export function stockConfig(kernelName: string): KernelConfig {
  const config = replaced.get(kernelName) ?? getKernel(kernelName, WASM);
  if (config === undefined) throw new Error(`wasm backend has no kernel ${kernelName}`);
  return config;
}

export function stockKernel(kernelName: string): KernelFunc {
  return stockConfig(kernelName).kernelFunc;
}

/**
 * A replacement for a stock kernel. It keeps the stock setup function: the engine runs setup
 * functions of the kernels registered when the backend initialises, and the stock kernel (our
 * fallback) needs its own (it binds the C++ function).
 */
export function replacement(kernelName: string, kernelFunc: KernelFunc): KernelConfig {
  const stock = stockConfig(kernelName);
  return { kernelName, backendName: WASM, kernelFunc, ...(stock.setupFunc ? { setupFunc: stock.setupFunc } : {}) };
}

/** Runs whichever kernel is registered for wasm now (ours where we replaced one). */
export function run(
  backend: BackendWasm,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = getKernel(kernelName, WASM);
  if (config === undefined) throw new Error(`wasm backend has no kernel ${kernelName}`);
  return config.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/** A kernel input the op always passes (tfjs types every input as possibly missing). */
export function input(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`kernel input '${name}' is missing`);
  return t;
}

/** Frees intermediates (reshapes share data with a refcount, so freeing one never frees its source). */
export function free(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return run(backend, 'Reshape', { x }, { shape });
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return run(backend, 'Transpose', { x }, { perm });
}

export function slice(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  return run(backend, 'Slice', { x }, { begin, size });
}

/** A float32 view of a tensor on the wasm heap; valid until the next allocation. */
export function f32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Allocates an uninitialised output on the wasm heap. */
export function alloc(backend: BackendWasm, shape: number[], dtype: DataType = 'float32'): TensorInfo {
  return backend.makeOutput(shape, dtype);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}
