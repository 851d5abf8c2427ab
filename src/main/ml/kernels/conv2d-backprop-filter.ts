/**
 * Conv2DBackpropFilter for wasm (the stock backend has none, so no conv net can train on it).
 *
 * dW[i, j, ci, co] = Σ_{n, oy, ox} x[n, oy·s + i - padTop, ox·s + j - padLeft, ci] · dy[n, oy, ox, co]
 *
 * That sum is itself a convolution once the tensors are transposed: take x as a batch of inC images
 * with N channels ([inC, H, W, N]) and dy as a filter of size [OH, OW] mapping N → outC channels; a
 * stride-1 convolution with dilation = the forward stride and the forward padding gives
 * [inC, kh, kw, outC], which one more transpose turns into dW. The heavy work then runs in XNNPACK
 * (threaded, SIMD) and no multiply touches a zero.
 *
 * Two shapes are a plain matrix product instead (dW = xᵀ · dy): a 1x1 stride-1 unpadded filter, and a
 * filter covering its whole unpadded input with a 1x1 output (DCGAN's last discriminator layer and
 * the generator's first).
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { alloc, f32, free, input, reshape, run, slice, transpose, type BackendWasm } from './wasm-kernel';

export function conv2dBackpropFilterNHWC(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: Conv2DBackpropFilterAttrs['pad'],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): TensorInfo {
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: inC, outHeight: oh, outWidth: ow, outChannels: outC } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left, bottom, right } = info.padInfo;
  const noPad = top === 0 && left === 0 && bottom === 0 && right === 0;

  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && noPad;
  const fullCover = oh === 1 && ow === 1 && noPad && kh === h && kw === w;
  if (pointwise || fullCover) {
    const rows = pointwise ? n * h * w : n;
    const a = reshape(backend, x, [1, rows, kh * kw * inC]);
    const b = reshape(backend, dy, [1, rows, outC]);
    const prod = run(backend, 'BatchMatMul', { a, b }, { transposeA: true, transposeB: false });
    const out = reshape(backend, prod, filterShape);
    free(backend, a, b, prod);
    return out;
  }

  // Rows of x below the last one any tap reads (valid/floor padding can leave some) are dropped;
  // otherwise the bottom/right padding is whatever makes the output exactly kh x kw.
  const padBottom = kh + (oh - 1) * sh - h - top;
  const padRight = kw + (ow - 1) * sw - w - left;
  if (h + Math.min(0, padBottom) <= 0 || w + Math.min(0, padRight) <= 0) {
    // Every tap reads padding (possible with large explicit pads): the gradient is zero, and
    // XNNPACK rejects an empty input.
    const out = alloc(backend, filterShape);
    f32(backend, out).fill(0);
    return out;
  }
  let xs = x;
  if (padBottom < 0 || padRight < 0) {
    xs = slice(backend, x, [0, 0, 0, 0], [n, h + Math.min(0, padBottom), w + Math.min(0, padRight), inC]);
  }
  const xT = transpose(backend, xs, [3, 1, 2, 0]); // [inC, H, W, N]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [OH, OW, N, outC]
  const conv = run(
    backend,
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      dilations: [sh, sw],
      dataFormat: 'NHWC',
      pad: [
        [0, 0],
        [top, Math.max(0, padBottom)],
        [left, Math.max(0, padRight)],
        [0, 0],
      ],
    },
  ); // [inC, kh, kw, outC]
  const out = transpose(backend, conv, [1, 2, 0, 3]);
  free(backend, xT, dyT, conv);
  if (xs !== x) free(backend, xs);
  return out;
}

export function makeConv2DBackpropFilterConfig(): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const b = backend as BackendWasm;
    const x = input(inputs, 'x');
    const dy = input(inputs, 'dy');
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat === 'NCHW') {
      // wasm's Conv2D is NHWC-only; transposing in and out is cheap next to the convolution.
      const xh = transpose(b, x, [0, 2, 3, 1]);
      const dyh = transpose(b, dy, [0, 2, 3, 1]);
      const padNHWC = Array.isArray(pad) ? [pad[0], pad[2], pad[3], pad[1]] : pad;
      const out = conv2dBackpropFilterNHWC(b, xh, dyh, filterShape, strides, padNHWC as typeof pad, dimRoundingMode);
      free(b, xh, dyh);
      return out;
    }
    return conv2dBackpropFilterNHWC(b, x, dy, filterShape, strides, pad, dimRoundingMode);
  };
  return { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc };
}
