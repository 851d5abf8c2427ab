/**
 * Training kernels for tfjs' wasm backend: the ones it lacks, and faster replacements for stock ones
 * that made training slow. Call `registerWasmTrainingKernels()` once before (or after) selecting the
 * wasm backend; it is idempotent. Kernel lookups happen per call, so registering after the backend is
 * initialised works too (none of these kernels needs a setup function).
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm'; // registers the stock wasm kernels we build on
import { makeBatchMatMulConfig, makeFusedMatMulConfig } from './batch-mat-mul';
import { makeConv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { makeConv2DBackpropInputConfig } from './conv2d-backprop-input';
import { makeIdentityConfig } from './identity';
import { makeSliceConfig } from './slice';
import { makeTileConfig } from './tile';
import { makeTransposeConfig } from './transpose';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';
import { rememberStockKernel, WASM } from './wasm-kernel';

/** Kernels wasm does not have at all. */
const added: (() => KernelConfig)[] = [makeConv2DBackpropFilterConfig, () => unsortedSegmentSumConfig];

/** Stock wasm kernels we replace (each keeps the stock one as a fallback). */
const replacedKernels: [string, () => KernelConfig][] = [
  ['Conv2DBackpropInput', makeConv2DBackpropInputConfig],
  ['BatchMatMul', makeBatchMatMulConfig],
  ['_FusedMatMul', makeFusedMatMulConfig],
  ['Transpose', makeTransposeConfig],
  ['Tile', makeTileConfig],
  ['Slice', makeSliceConfig],
  ['Identity', makeIdentityConfig],
];

const ours = new Set<KernelConfig['kernelFunc']>();

function install(config: KernelConfig): void {
  if (getKernel(config.kernelName, WASM) !== undefined) unregisterKernel(config.kernelName, WASM);
  registerKernel(config);
  ours.add(config.kernelFunc);
}

/** Names of the kernels this module provides for wasm (for reports and tests). */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  'Conv2DBackpropFilter',
  'UnsortedSegmentSum',
  ...replacedKernels.map(([name]) => name),
];

export function registerWasmTrainingKernels(): void {
  for (const [name, make] of replacedKernels) {
    const current = getKernel(name, WASM);
    if (current !== undefined && ours.has(current.kernelFunc)) continue;
    if (current === undefined) throw new Error(`tfjs-backend-wasm no longer provides ${name}; update src/main/ml/kernels`);
    rememberStockKernel(current);
    install(make());
  }
  for (const make of added) {
    const config = make();
    const current = getKernel(config.kernelName, WASM);
    if (current !== undefined && ours.has(current.kernelFunc)) continue;
    install(config);
  }
}
