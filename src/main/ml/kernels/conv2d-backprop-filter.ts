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
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry, matMulAs, type ConvAttrs, type Shape4 } from './conv-gradient';
import { alloc, f32, free, input, run, slice, transpose, type BackendWasm } from './wasm-kernel';

export function conv2dBackpropFilterNHWC(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, filterShape: Shape4, attrs: ConvAttrs): TensorInfo {
  const { n, h, w, inC, oh, ow, outC, kh, kw, sh, sw, top, left, matmulRows } = convGeometry(x.shape as Shape4, filterShape, attrs);
  if (matmulRows > 0) {
    // dW = xᵀ · dy
    return matMulAs(backend, x, [1, matmulRows, kh * kw * inC], dy, [1, matmulRows, outC], { transposeA: true, transposeB: false }, filterShape);
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
      const out = conv2dBackpropFilterNHWC(b, xh, dyh, filterShape, { strides, pad: padNHWC as typeof pad, dimRoundingMode });
      free(b, xh, dyh);
      return out;
    }
    return conv2dBackpropFilterNHWC(b, x, dy, filterShape, { strides, pad, dimRoundingMode });
  };
  return { kernelName: Conv2DBackpropFilter, backendName: 'wasm', kernelFunc };
}
