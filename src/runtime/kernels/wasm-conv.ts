// Convolution gradients on wasm, written as calls to the backend's fast stock kernels (XNNPACK
// Conv2D and fully connected BatchMatMul) plus heap copies. Used by the Conv2DBackpropFilter and
// Conv2DBackpropInput kernels that replace the stock ones, and per group by the grouped convolution.
import * as tf from "@tensorflow/tfjs";
import { derivedTensors, dilateInto, im2colTransposed, subsample, transpose2d, transposeInto, type KernelCalls } from "./wasm-heap.js";
import { simdWeightGradient } from "./wasm-simd-weight-gradient.js";

type Padding = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

export function convGeometry(
  xShape: number[],
  filterShape: number[],
  strides: [number, number] | number,
  pad: Padding,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
  dataFormat: string,
): tf.backend_util.Conv2DInfo {
  if (dataFormat !== "NHWC") {
    throw new Error(`wasm training kernels support NHWC only (got ${dataFormat})`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
}

/** Keeps the first `rows` rows and `cols` columns of an NHWC tensor (no-op when already that size). */
function cropSpatial(calls: KernelCalls, x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  if (rows === h && cols === w) return x;
  return calls.run("Slice", { x }, { begin: [0, 0, 0, 0], size: [n, rows, cols, c] });
}

/** The fast (XNNPACK) matrix product a·b of 2-D heap tensors: stock BatchMatMul without transposes. */
export function matMul2d(calls: KernelCalls, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const product3d = calls.run(
    "BatchMatMul",
    { a: calls.reshape(a, [1, m, k]), b: calls.reshape(b, [1, k, n]) },
    { transposeA: false, transposeB: false },
  );
  return calls.reshape(product3d, [m, n]);
}

/**
 * Pixels (N·OH·OW) below which a 1x1 weight gradient goes through XNNPACK's matrix product rather
 * than the SIMD kernel: each register tile's walk is then too short to pay for its set-up, and
 * the operands XNNPACK transposes and repacks are small (RegNetY_800MF's last stage, 64 pixels and
 * 768x768 channels: 2.1 against 3.9 ms; at 256 pixels the two are even).
 */
const SIMD_MIN_POINTWISE_PIXELS = 256;

/** Input channels below which the weight gradient goes through im2col (measured on the stem, C = 3). */
const IM2COL_MAX_CHANNELS = 4;

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s + kh − padTop, ow·s + kw − padLeft, ci] · dy[n,oh,ow,co].
 *  - the generated SIMD kernel (wasm-simd-weight-gradient.ts) wherever it runs, except for 1x1
 *    filters over few pixels (SIMD_MIN_POINTWISE_PIXELS); otherwise:
 *  - 1x1 without padding: a matrix product xᵀ·dy over the M = N·OH·OW pixels (x subsampled first
 *    when strided), with x transposed by a cache-blocked copy.
 *  - few input channels (the stem): the same product with the transposed im2col of x.
 *  - otherwise: one forward convolution with x read as a batch of Ci images [Ci,H,W,N] and dy as a
 *    stride-dilated filter [OH,OW,N,Co]; its output is [Ci,KH,KW,Co].
 */
export function conv2dBackpropFilter(
  calls: KernelCalls,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const info = convGeometry(x.shape, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: oh, outWidth: ow, inHeight: h, inWidth: w } = info;
  const { top, bottom, left, right } = info.padInfo;
  const ci = x.shape[3];
  const co = dy.shape[3];
  const pixels = x.shape[0] * oh * ow;
  const pointwise = kh === 1 && kw === 1 && top + bottom + left + right === 0;
  const simd =
    pointwise && pixels < SIMD_MIN_POINTWISE_PIXELS
      ? null
      : simdWeightGradient(calls, x, dy, info, 1);
  if (simd !== null) return simd;
  if (pointwise) {
    const used = sh === 1 && sw === 1 ? x : subsample(calls, x, sh, sw, oh, ow);
    const dy2d = calls.reshape(dy, [pixels, co]);
    // The right operand of the product is repacked by XNNPACK (~3 ns a value), the left one
    // transposed here (~1 ns a value): the narrower of x and dy goes right.
    if (ci >= co) return calls.reshape(matMul2d(calls, transpose2d(calls, used, pixels, ci), dy2d), [1, 1, ci, co]);
    const gradT = matMul2d(calls, transpose2d(calls, dy2d, pixels, co), calls.reshape(used, [pixels, ci]));
    return calls.reshape(transpose2d(calls, gradT, co, ci), [1, 1, ci, co]);
  }
  if (ci <= IM2COL_MAX_CHANNELS) {
    const columns = im2colTransposed(calls, x, { kh, kw, strideH: sh, strideW: sw, padTop: top, padLeft: left, outH: oh, outW: ow });
    return calls.reshape(matMul2d(calls, columns, calls.reshape(dy, [pixels, co])), [kh, kw, ci, co]);
  }
  // Rows past the last one any output reads are dropped; padding makes up the rest exactly.
  const usedRows = Math.min(h, kh - 1 + (oh - 1) * sh + 1 - top);
  const usedCols = Math.min(w, kw - 1 + (ow - 1) * sw + 1 - left);
  const padBottom = kh + (oh - 1) * sh - usedRows - top;
  const padRight = kw + (ow - 1) * sw - usedCols - left;
  const xUsed = cropSpatial(calls, x, usedRows, usedCols);
  const xAsBatchOfChannels = calls.transpose(xUsed, [3, 1, 2, 0]);
  const dyAsFilter = calls.transpose(dy, [1, 2, 0, 3]);
  const grad = calls.run(
    "Conv2D",
    { x: xAsBatchOfChannels, filter: dyAsFilter },
    {
      strides: [1, 1],
      dilations: [sh, sw],
      pad: [
        [0, 0],
        [top, padBottom],
        [left, padRight],
        [0, 0],
      ],
      dataFormat: "NHWC",
    },
  );
  return calls.transpose(grad, [1, 2, 0, 3]);
}

/**
 * The filter with in/out channels swapped, [KH, KW, Co, Ci], and spatially flipped when asked: the
 * filter of the input gradient's convolution. Kept with the filter (derivedTensors), so both crop
 * sizes' backward passes share it and its packed XNNPACK operator.
 */
function swappedFilter(calls: KernelCalls, filter: tf.TensorInfo, flip: boolean): tf.TensorInfo {
  const [swapped] = derivedTensors(calls, filter, flip ? "in/out swapped, flipped" : "in/out swapped", () => {
    const [kh, kw, ci, co] = filter.shape;
    const out = calls.persistent([kh, kw, co, ci]);
    const src = calls.view(filter);
    const dst = calls.view(out);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const from = (flip ? (kh - 1 - i) * kw + (kw - 1 - j) : i * kw + j) * ci * co;
        transposeInto(src, from, dst, (i * kw + j) * co * ci, ci, co);
      }
    }
    return [out];
  });
  return swapped;
}

/**
 * dx = forward convolution of the zero-dilated dy with the spatially flipped, in/out-transposed
 * filter, padded by (K − 1 − pad). For 1x1 filters without padding the convolution is done first on
 * the small dy and the result spread out (zero-dilated) after, which skips multiplying the zeros.
 */
export function conv2dBackpropInput(
  calls: KernelCalls,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: tf.Conv2DBackpropInputAttrs,
): tf.TensorInfo {
  const info = convGeometry(attrs.inputShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { inHeight: h, inWidth: w } = info;
  const { top, left, bottom, right } = info.padInfo;
  const filterOutIn = swappedFilter(calls, filter, false);

  if (kh === 1 && kw === 1 && top === 0 && left === 0 && bottom === 0 && right === 0) {
    const small = calls.run(
      "Conv2D",
      { x: dy, filter: filterOutIn },
      { strides: [1, 1], dilations: [1, 1], pad: "valid", dataFormat: "NHWC" },
    );
    if (sh === 1 && sw === 1 && small.shape[1] === h && small.shape[2] === w) return small;
    return dilateInto(calls, small, sh, sw, h, w);
  }

  const flipped = swappedFilter(calls, filter, true);
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  if (padTop < 0 || padLeft < 0) {
    throw new Error(`Conv2DBackpropInput: padding larger than the filter is not supported`);
  }
  // The dilated dy is cut (or zero-extended) to the rows the convolution needs for h output rows:
  // rows(dilated) + padTop + padBottom − kh + 1 = h with padBottom ≥ 0.
  const rowsWanted = Math.min(dy.shape[1] * sh, h + kh - 1 - padTop);
  const colsWanted = Math.min(dy.shape[2] * sw, w + kw - 1 - padLeft);
  const dilated = sh === 1 && sw === 1 && rowsWanted === dy.shape[1] && colsWanted === dy.shape[2]
    ? dy
    : dilateInto(calls, dy, sh, sw, rowsWanted, colsWanted);
  const padBottom = h + kh - 1 - padTop - rowsWanted;
  const padRight = w + kw - 1 - padLeft - colsWanted;
  return calls.run(
    "Conv2D",
    { x: dilated, filter: flipped },
    {
      strides: [1, 1],
      dilations: [1, 1],
      pad: [
        [0, 0],
        [padTop, padBottom],
        [padLeft, padRight],
        [0, 0],
      ],
      dataFormat: "NHWC",
    },
  );
}

