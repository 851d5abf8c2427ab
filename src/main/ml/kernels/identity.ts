/**
 * Identity for wasm without a copy.
 *
 * Why: tfjs clones every tensor a gradient will need (engine.saveTensorsForBackwardMode → Identity),
 * and the stock wasm Identity copies the data: hundreds of full-size copies per training step.
 * Tensors are immutable, so the clone can share the buffer with a reference count, exactly as wasm's
 * own Reshape (and the cpu backend's Identity) do; the buffer is freed when the last user disposes it.
 */
import { Identity, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { input, replacement, stockKernel, type BackendWasm } from './wasm-kernel';

export function makeIdentityConfig(): KernelConfig {
  const stock = stockKernel(Identity);
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x');
    if (x.dtype === 'string') return stock({ inputs, backend, attrs });
    (backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return replacement(Identity, kernelFunc);
}
