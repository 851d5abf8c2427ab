/**
 * UnsortedSegmentSum for wasm: the gradient of gather, i.e. of every embedding lookup.
 *
 * out[s, ...] = Σ_{m : ids[m] = s} x[m, ...], out shaped [numSegments, ...x.shape[ids.rank:]].
 *
 * Why JavaScript: it is a scatter-add, one pass over x with a contiguous row copy per id; a tight JS
 * loop over heap views does that at memory speed. (tfjs' cpu kernel builds a mask per segment,
 * O(numSegments · size), far too slow for a vocabulary.) Ids outside [0, numSegments) are dropped,
 * as in the cpu kernel.
 */
import {
  UnsortedSegmentSum,
  type KernelConfig,
  type KernelFunc,
  type UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import { alloc, input, sizeOf, type BackendWasm } from './wasm-kernel';

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm;
  const x = input(inputs, 'x');
  const segmentIds = input(inputs, 'segmentIds');
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: unsupported dtype ${x.dtype}`);
  const idRank = segmentIds.shape.length;
  const rows = sizeOf(segmentIds.shape);
  if (x.shape.slice(0, idRank).some((d, i) => d !== segmentIds.shape[i])) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape ${segmentIds.shape} must prefix x shape ${x.shape}`);
  }
  const inner = sizeOf(x.shape.slice(idRank));
  const out = alloc(b, [numSegments, ...x.shape.slice(idRank)], x.dtype);
  // Views after the allocation: it may have grown (and so replaced) the heap.
  const dst = b.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const src = b.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = b.typedArrayFromHeap(segmentIds) as Int32Array;
  dst.fill(0);
  for (let m = 0; m < rows; m++) {
    const s = ids[m]!;
    if (s < 0 || s >= numSegments) continue;
    const d = s * inner;
    const o = m * inner;
    for (let j = 0; j < inner; j++) dst[d + j]! += src[o + j]!;
  }
  return out;
};

export const unsortedSegmentSumConfig: KernelConfig = { kernelName: UnsortedSegmentSum, backendName: 'wasm', kernelFunc };
