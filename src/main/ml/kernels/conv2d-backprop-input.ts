/**
 * Conv2DBackpropInput for wasm: the input gradient of a convolution, which is also the forward pass of
 * conv2dTranspose (every generator upsampling layer).
 *
 * Why: the stock wasm kernel is a naive scalar loop; in a DCGAN step it took ~70% of the time.
 *
 * How: a strided transposed convolution is split into stride² "phases" (sub-pixel decomposition).
 * Output row h receives contributions only from filter taps i with i ≡ (h + padTop) (mod stride), so
 * all rows of one residue class are a stride-1 convolution of dy with a small sub-filter (every
 * stride-th tap, flipped, in/out channels swapped). Each phase runs on wasm's XNNPACK Conv2D, which
 * uses the thread pool; no multiply touches a zero (zero-dilating dy first would waste 75% of the work
 * at stride 2). Phases whose geometry (tap count, padding) agrees along an axis share one convolution
 * with their sub-filters stacked along output channels. A final JS pass interleaves the phase results
 * into the output (a fused concat + depthToSpace + crop: the stock DepthToSpace is ~50x slower).
 *
 * Two shapes reduce to one matrix product and skip all of that: a 1x1 stride-1 unpadded filter, and a
 * filter that covers its whole unpadded input (a 1x1 output, e.g. DCGAN's 1x1 → 4x4 first layer,
 * where the phase method would multiply 15 zeros for every useful product).
 */
import {
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry, matMulAs, type ConvAttrs, type Shape4 } from './conv-gradient';
import { alloc, f32, free, input, replacement, run, slice, stockKernel, type BackendWasm } from './wasm-kernel';

/** One residue class of output rows (or columns) along one axis. */
export interface Phase {
  /** First output index of the class; the class is offset, offset + stride, ... */
  offset: number;
  /** First filter tap used by the class; it uses taps tapStart, tapStart + stride, ... */
  tapStart: number;
  /** Number of taps used (0 when the filter is smaller than the stride and skips this class). */
  taps: number;
  /** dy padding before/after (negative: rows to drop) so a valid stride-1 conv yields `rows` outputs. */
  padBefore: number;
  padAfter: number;
}

export interface AxisPlan {
  phases: Phase[];
  /** Outputs per phase; rows * stride may exceed the input size, the extra rows are cropped. */
  rows: number;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

/**
 * Plans one spatial axis: xSize is the gradient's (forward input's) size, ySize is dy's size.
 * Derivation: dx[h] = Σ_m dy[q - m] · w[r + m·s] where h + padStart = q·s + r. For the class of
 * h = offset + a·s, q = a + c with c = (offset + padStart - r) / s, i.e. a correlation over dy whose
 * window starts at a + c - (taps - 1).
 */
export function planAxis(xSize: number, ySize: number, k: number, s: number, padStart: number): AxisPlan {
  const rows = Math.ceil(xSize / s);
  const phases: Phase[] = [];
  for (let offset = 0; offset < s; offset++) {
    const tapStart = mod(offset + padStart, s);
    const c = (offset + padStart - tapStart) / s;
    const taps = tapStart < k ? Math.ceil((k - tapStart) / s) : 0;
    phases.push({ offset, tapStart, taps, padBefore: taps - 1 - c, padAfter: rows - 1 + c - (ySize - 1) });
  }
  return { phases, rows };
}

/** Phases of one axis that can share a convolution (same taps and padding). */
function groupPhases(plan: AxisPlan): Phase[][] {
  const groups: Phase[][] = [];
  for (const p of plan.phases) {
    if (p.taps === 0) continue;
    const g = groups.find((q) => q[0]!.taps === p.taps && q[0]!.padBefore === p.padBefore && q[0]!.padAfter === p.padAfter);
    if (g) g.push(p);
    else groups.push([p]);
  }
  return groups;
}

/**
 * Builds the stacked sub-filter [tapsH, tapsW, outC, |rows|·|cols|·inC] for one group from the forward
 * filter w [kh, kw, inC, outC]: taps taken every stride-th, flipped, channels swapped.
 */
function buildSubFilter(
  backend: BackendWasm,
  filter: TensorInfo,
  rowPhases: Phase[],
  colPhases: Phase[],
  sh: number,
  sw: number,
): TensorInfo {
  const [kh, kw, inC, outC] = filter.shape as [number, number, number, number];
  const th = rowPhases[0]!.taps;
  const tw = colPhases[0]!.taps;
  const oc = rowPhases.length * colPhases.length * inC;
  const out = alloc(backend, [th, tw, outC, oc]);
  const g = f32(backend, out);
  const w = f32(backend, filter);
  g.fill(0);
  for (let a = 0; a < th; a++) {
    for (let b = 0; b < tw; b++) {
      for (let ir = 0; ir < rowPhases.length; ir++) {
        const i = rowPhases[ir]!.tapStart + (th - 1 - a) * sh;
        if (i >= kh) continue;
        for (let ic = 0; ic < colPhases.length; ic++) {
          const j = colPhases[ic]!.tapStart + (tw - 1 - b) * sw;
          if (j >= kw) continue;
          const gBase = (a * tw + b) * outC * oc + (ir * colPhases.length + ic) * inC;
          const wBase = (i * kw + j) * inC * outC;
          for (let ci = 0; ci < inC; ci++) {
            const wRow = wBase + ci * outC;
            let gi = gBase + ci;
            for (let co = 0; co < outC; co++, gi += oc) g[gi] = w[wRow + co]!;
          }
        }
      }
    }
  }
  return out;
}

/** Where one phase's values live: a channel range of a (possibly shared) conv output. */
interface PhaseSource {
  data: TensorInfo;
  channelOffset: number;
}

/**
 * Interleaves phase results [n, rowsH, rowsW, ·] into dx [n, h, w, inC], cropping overhang and
 * zero-filling phases that no filter tap reaches.
 */
function interleave(
  backend: BackendWasm,
  sources: (PhaseSource | null)[],
  shape: [number, number, number, number],
  sh: number,
  sw: number,
  rowsH: number,
  rowsW: number,
): TensorInfo {
  const [n, h, w, c] = shape;
  const out = alloc(backend, shape);
  const dst = f32(backend, out);
  const views = sources.map((s) => (s === null ? null : { v: f32(backend, s.data), off: s.channelOffset, stride: s.data.shape[3]! }));
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const a = Math.floor(y / sh);
      const py = y - a * sh;
      for (let x = 0; x < w; x++, o += c) {
        const bx = Math.floor(x / sw);
        const src = views[py * sw + (x - bx * sw)]!;
        if (src === null) {
          dst.fill(0, o, o + c);
          continue;
        }
        const s = ((b * rowsH + a) * rowsW + bx) * src.stride + src.off;
        if (c >= 16) dst.set(src.v.subarray(s, s + c), o);
        else for (let k = 0; k < c; k++) dst[o + k] = src.v[s + k]!;
      }
    }
  }
  return out;
}

/** dx for NHWC tensors. */
export function conv2dBackpropInputNHWC(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, inputShape: Shape4, attrs: ConvAttrs): TensorInfo {
  const { n, h, w, inC, oh, ow, outC, kh, kw, sh, sw, top, left, matmulRows } = convGeometry(inputShape, filter.shape as Shape4, attrs);
  if (matmulRows > 0) {
    // dx = dy · Wᵀ, with W viewed as [taps·inC, outC].
    return matMulAs(backend, dy, [1, matmulRows, outC], filter, [1, kh * kw * inC, outC], { transposeA: false, transposeB: true }, inputShape);
  }

  const rowPlan = planAxis(h, oh, kh, sh, top);
  const colPlan = planAxis(w, ow, kw, sw, left);
  const sources: (PhaseSource | null)[] = new Array(sh * sw).fill(null);
  const temps: TensorInfo[] = [];
  for (const rows of groupPhases(rowPlan)) {
    for (const cols of groupPhases(colPlan)) {
      const r0 = rows[0]!;
      const c0 = cols[0]!;
      // Negative padding means dy rows no output of this phase reads: slice them off.
      const cutTop = Math.max(0, -r0.padBefore);
      const cutBottom = Math.max(0, -r0.padAfter);
      const cutLeft = Math.max(0, -c0.padBefore);
      const cutRight = Math.max(0, -c0.padAfter);
      // No dy row (or column) reaches this phase's outputs at all (large explicit padding): they
      // stay zero, and XNNPACK rejects an empty input anyway.
      if (oh - cutTop - cutBottom <= 0 || ow - cutLeft - cutRight <= 0) continue;
      let x = dy;
      if (cutTop + cutBottom + cutLeft + cutRight > 0) {
        x = slice(backend, dy, [0, cutTop, cutLeft, 0], [n, oh - cutTop - cutBottom, ow - cutLeft - cutRight, outC]);
        temps.push(x);
      }
      const sub = buildSubFilter(backend, filter, rows, cols, sh, sw);
      temps.push(sub);
      const conv = run(
        backend,
        'Conv2D',
        { x, filter: sub },
        {
          strides: [1, 1],
          dilations: [1, 1],
          dataFormat: 'NHWC',
          pad: [
            [0, 0],
            [Math.max(0, r0.padBefore), Math.max(0, r0.padAfter)],
            [Math.max(0, c0.padBefore), Math.max(0, c0.padAfter)],
            [0, 0],
          ],
        },
      );
      temps.push(conv);
      rows.forEach((rp, ir) =>
        cols.forEach((cp, ic) => {
          sources[rp.offset * sw + cp.offset] = { data: conv, channelOffset: (ir * cols.length + ic) * inC };
        }),
      );
    }
  }

  // Stride 1 with one exactly-sized phase: the conv output already is dx.
  const only = sources.length === 1 ? sources[0] : null;
  if (only && only.data.shape[1] === h && only.data.shape[2] === w && only.data.shape[3] === inC) {
    free(backend, ...temps.filter((t) => t !== only.data));
    return only.data;
  }
  const out = interleave(backend, sources, inputShape, sh, sw, rowPlan.rows, colPlan.rows);
  free(backend, ...temps);
  return out;
}

export function makeConv2DBackpropInputConfig(): KernelConfig {
  const stock = stockKernel(Conv2DBackpropInput);
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const dy = input(inputs, 'dy');
    const filter = input(inputs, 'filter');
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
    // NCHW and non-float inputs are rare in this app; the stock kernel still handles them.
    if (dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      return stock({ inputs, backend, attrs });
    }
    return conv2dBackpropInputNHWC(backend as BackendWasm, dy, filter, inputShape, { strides, pad, dimRoundingMode });
  };
  return replacement(Conv2DBackpropInput, kernelFunc);
}
