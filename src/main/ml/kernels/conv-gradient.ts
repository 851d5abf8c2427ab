/**
 * What the two convolution-gradient kernels (./conv2d-backprop-filter.ts, ./conv2d-backprop-input.ts)
 * share: the forward convolution's geometry, and the shapes where their gradient is one matrix product
 * (a 1x1 stride-1 unpadded filter, and a filter covering its whole unpadded input with a 1x1 output:
 * DCGAN's first generator layer and last discriminator layer).
 */
import { backend_util, type Conv2DBackpropInputAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { free, reshape, run, type BackendWasm } from './wasm-kernel';

export type Shape4 = [number, number, number, number];

/** The attributes that fix the forward convolution's geometry (both gradients get the same). */
export type ConvAttrs = Pick<Conv2DBackpropInputAttrs, 'strides' | 'pad' | 'dimRoundingMode'>;

export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  inC: number;
  oh: number;
  ow: number;
  outC: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  /** Rows of the matrix product that is the whole gradient (a row per pixel or per image); 0: none is. */
  matmulRows: number;
}

/** The geometry of the NHWC forward convolution of an xShape input with a filterShape filter. */
export function convGeometry(xShape: Shape4, filterShape: Shape4, { strides, pad, dimRoundingMode }: ConvAttrs): ConvGeometry {
  const info = backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: inC, outHeight: oh, outWidth: ow, outChannels: outC } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left, bottom, right } = info.padInfo;
  const noPad = top === 0 && left === 0 && bottom === 0 && right === 0;
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && noPad;
  const fullCover = oh === 1 && ow === 1 && noPad && kh === h && kw === w;
  const matmulRows = pointwise ? n * h * w : fullCover ? n : 0;
  return { n, h, w, inC, oh, ow, outC, kh, kw, sh, sw, top, left, matmulRows };
}

/** a · b (either transposed) with a and b viewed as single [1, rows, cols] matrices, viewed as outShape. */
export function matMulAs(
  backend: BackendWasm,
  a: TensorInfo,
  aShape: number[],
  b: TensorInfo,
  bShape: number[],
  transpose: { transposeA: boolean; transposeB: boolean },
  outShape: number[],
): TensorInfo {
  const a3 = reshape(backend, a, aShape);
  const b3 = reshape(backend, b, bShape);
  const prod = run(backend, 'BatchMatMul', { a: a3, b: b3 }, transpose);
  const out = reshape(backend, prod, outShape);
  free(backend, a3, b3, prod);
  return out;
}
