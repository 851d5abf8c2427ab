/**
 * BatchMatMul and _FusedMatMul for wasm, routed to XNNPACK's fast path.
 *
 * Why: the stock wasm kernel uses XNNPACK (SIMD, threaded) only for an untransposed product of two
 * batch-1 matrices; anything else (transposeA/transposeB, batch > 1) falls to a scalar blocked loop
 * that measured 15-35x slower. Every dense-layer gradient is a transposed product (dA = dY·Bᵀ,
 * dB = Aᵀ·dY), and attention is batched, so training hit the slow loop on every step.
 *
 * How: materialise transposes with the Transpose kernel (memory-bound, cheap next to the product),
 * fold A's batch into its rows when B is shared, and otherwise run one fast product per batch entry.
 * Non-float inputs and general broadcasting (both batches > 1 and different) keep the stock kernel.
 */
import {
  _FusedMatMul,
  BatchMatMul,
  broadcast_util,
  type _FusedMatMulAttrs,
  type _FusedMatMulInputs,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { alloc, f32, free, input, replacement, reshape, slice, sizeOf, stockKernel, transpose, type BackendWasm } from './wasm-kernel';

type Fast = (a: TensorInfo, b: TensorInfo) => TensorInfo;

/**
 * a [..., m, k] (or [..., k, m] if transposeA) times b [..., k, n] (or [..., n, k]); `fast` computes an
 * untransposed [1, m, k] x [1, k, n] product. Returns null when the shapes need the stock kernel.
 */
export function fastMatMul(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  fast: Fast,
): TensorInfo | null {
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = transposeA ? a.shape[ar - 1]! : a.shape[ar - 2]!;
  const k = transposeA ? a.shape[ar - 2]! : a.shape[ar - 1]!;
  const kb = transposeB ? b.shape[br - 1]! : b.shape[br - 2]!;
  const n = transposeB ? b.shape[br - 2]! : b.shape[br - 1]!;
  if (k !== kb) return null; // let the stock kernel report the mismatch
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outShape = [...broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];

  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => (temps.push(t), t);
  let a3 = keep(reshape(backend, a, transposeA ? [batchA, k, m] : [batchA, m, k]));
  if (transposeA) a3 = keep(transpose(backend, a3, [0, 2, 1]));
  let b3 = keep(reshape(backend, b, transposeB ? [batchB, n, k] : [batchB, k, n]));
  if (transposeB) b3 = keep(transpose(backend, b3, [0, 2, 1]));

  let out: TensorInfo;
  if (batchB === 1) {
    // B is shared: stack A's batch into rows, one product.
    const a2 = keep(reshape(backend, a3, [1, batchA * m, k]));
    const prod = keep(fast(a2, b3));
    out = reshape(backend, prod, outShape);
  } else {
    const batch = Math.max(batchA, batchB);
    out = alloc(backend, outShape);
    for (let i = 0; i < batch; i++) {
      const ai = batchA === 1 ? a3 : slice(backend, a3, [i, 0, 0], [1, m, k]);
      const bi = slice(backend, b3, [i, 0, 0], [1, k, n]);
      const prod = fast(ai, bi);
      f32(backend, out).set(f32(backend, prod), i * m * n);
      free(backend, bi, prod);
      if (ai !== a3) free(backend, ai);
    }
  }
  free(backend, ...temps);
  return out;
}

export function makeBatchMatMulConfig(): KernelConfig {
  const stock = stockKernel(BatchMatMul);
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    const bw = backend as BackendWasm;
    const plain = a.shape.length <= 3 && b.shape.length <= 3 && !transposeA && !transposeB && sizeOf(a.shape.slice(0, -2)) === 1 && sizeOf(b.shape.slice(0, -2)) === 1;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || plain) return stock({ inputs, backend, attrs });
    const fast: Fast = (a3, b3) =>
      stock({ inputs: { a: a3, b: b3 }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    return fastMatMul(bw, a, b, transposeA, transposeB, fast) ?? stock({ inputs, backend, attrs });
  };
  return replacement(BatchMatMul, kernelFunc);
}

export function makeFusedMatMulConfig(): KernelConfig {
  const stock = stockKernel(_FusedMatMul);
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const a = input(inputs, 'a');
    const b = input(inputs, 'b');
    const { bias, preluActivationWeights } = inputs as unknown as _FusedMatMulInputs;
    const { transposeA, transposeB, activation } = attrs as unknown as _FusedMatMulAttrs;
    const bw = backend as BackendWasm;
    const plain = !transposeA && !transposeB && sizeOf(a.shape.slice(0, -2)) === 1 && sizeOf(b.shape.slice(0, -2)) === 1;
    // PReLU weights index the flat output; keep the stock kernel's exact semantics for them.
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || plain || activation === 'prelu' || preluActivationWeights != null) {
      return stock({ inputs, backend, attrs });
    }
    const fastAttrs: NamedAttrMap = { ...attrs, transposeA: false, transposeB: false };
    const fast: Fast = (a3, b3) => {
      const ins: Record<string, TensorInfo> = { a: a3, b: b3 };
      if (bias != null) ins['bias'] = bias;
      return stock({ inputs: ins, backend, attrs: fastAttrs }) as TensorInfo;
    };
    return fastMatMul(bw, a, b, transposeA, transposeB, fast) ?? stock({ inputs, backend, attrs });
  };
  return replacement(_FusedMatMul, kernelFunc);
}
