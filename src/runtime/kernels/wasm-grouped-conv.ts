// Grouped convolution as three wasm kernels (forward, input gradient, filter gradient), each doing
// every group in one kernel call.
//
// Written with split → conv → concat ops, a grouped convolution costs the engine 2 + G ops forward
// and about 4G backward (per group: input and filter gradient, each with its own transposes and a
// freshly packed XNNPACK operator, plus the split/concat gradients). RegNetY's last stage has 46
// groups of 8 channels on 2x2 and 1x1 activations, where that bookkeeping, not arithmetic, was 30%
// of a training step. Here each direction is one kernel. The weight gradient, and the input
// gradient where it pays, run as generated SIMD functions that read every group in place
// (wasm-simd-weight-gradient.ts, wasm-simd-grouped-conv.ts). Otherwise each group is a channel
// gather, one stock convolution and a channel scatter, and a 1x1 activation (only the centre tap
// of a padded 3x3 filter meets data) becomes one matrix product with a block-diagonal weight.
//
// Kernel names are this project's own; they are registered on wasm only. `groupedConv2d` uses them
// when the active backend has them and the stock split/concat formulation everywhere else.
import * as tf from "@tensorflow/tfjs";
import { convGeometry, matMul2d } from "./wasm-conv.js";
import { simdGroupedInputGradient } from "./wasm-simd-grouped-conv.js";
import { simdWeightGradient } from "./wasm-simd-weight-gradient.js";
import {
  copyBlocks,
  dilateInto,
  gatherChannels,
  scatterChannels,
  scatterGrid,
  transpose2d,
  derivedTensors,
  withCalls,
  type KernelCalls,
  type KernelFunction,
} from "./wasm-heap.js";

export const GROUPED_CONV2D = "SeercGroupedConv2D";
export const GROUPED_CONV2D_BACKPROP_INPUT = "SeercGroupedConv2DBackpropInput";
export const GROUPED_CONV2D_BACKPROP_FILTER = "SeercGroupedConv2DBackpropFilter";

/** Attributes shared by the three kernels. `filterShape` is [KH, KW, Cin/G, Cout]. */
export interface GroupedConvAttrs {
  strides: number;
  pad: "valid" | tf.backend_util.ExplicitPadding;
  groups: number;
  inputShape: number[];
  filterShape: number[];
}

interface Geometry {
  readonly info: tf.backend_util.Conv2DInfo;
  readonly groups: number;
  /** Input and output channels per group. */
  readonly groupIn: number;
  readonly groupOut: number;
  /** Only the tap (centreRow, centreCol) of the filter meets the (1x1) input. */
  readonly centreOnly: boolean;
}

function geometry(attrs: GroupedConvAttrs): Geometry {
  const [n, h, w, channels] = attrs.inputShape;
  const [kh, kw, groupIn, outChannels] = attrs.filterShape;
  const info = convGeometry([n, h, w, channels], [kh, kw, channels, outChannels], attrs.strides, attrs.pad, undefined, "NHWC");
  const { top, left } = info.padInfo;
  const centreOnly = h === 1 && w === 1 && info.outHeight === 1 && info.outWidth === 1 && top < kh && left < kw;
  return { info, groups: attrs.groups, groupIn, groupOut: outChannels / attrs.groups, centreOnly };
}

function asAttrs(attrs: tf.NamedAttrMap | undefined): GroupedConvAttrs {
  return attrs as unknown as GroupedConvAttrs;
}

/**
 * The centre tap of the grouped filter as a dense block-diagonal matrix: [C, Cout] (or its
 * transpose [Cout, C]), entry (g·Cg + i, g·Cog + o) = filter[top, left, i, g·Cog + o]. Kept with
 * the filter (derivedTensors).
 */
function centreMatrix(calls: KernelCalls, filter: tf.TensorInfo, g: Geometry, transposed: boolean): tf.TensorInfo {
  const { top, left } = g.info.padInfo;
  const [matrix] = derivedTensors(calls, filter, `centre ${top} ${left} ${transposed}`, () => {
    const [, kw, groupIn, outChannels] = filter.shape;
    const inChannels = groupIn * g.groups;
    const out = calls.persistent(transposed ? [outChannels, inChannels] : [inChannels, outChannels]);
    const src = calls.view(filter);
    const dst = calls.view(out);
    dst.fill(0);
    const tap = (top * kw + left) * groupIn * outChannels;
    for (let group = 0; group < g.groups; group++) {
      for (let i = 0; i < groupIn; i++) {
        const row = group * groupIn + i;
        for (let o = 0; o < g.groupOut; o++) {
          const col = group * g.groupOut + o;
          dst[transposed ? col * inChannels + row : row * outChannels + col] = src[tap + i * outChannels + col];
        }
      }
    }
    return [out];
  });
  return matrix;
}

/** Each group's filter [KH, KW, Cg, Cog], kept with the grouped filter (derivedTensors). */
function groupFilters(calls: KernelCalls, filter: tf.TensorInfo, g: Geometry): tf.TensorInfo[] {
  return derivedTensors(calls, filter, "groups", () => {
    const [kh, kw, groupIn] = filter.shape;
    const slices = Array.from({ length: g.groups }, () => calls.persistent([kh, kw, groupIn, g.groupOut]));
    const src = calls.view(filter);
    const outChannels = g.groupOut * g.groups;
    slices.forEach((slice, group) => {
      const dst = calls.view(slice);
      for (let r = 0, d = 0; r < kh * kw * groupIn; r++) {
        const s = r * outChannels + group * g.groupOut;
        for (let o = 0; o < g.groupOut; o++) dst[d++] = src[s + o];
      }
    });
    return slices;
  });
}

/**
 * Each group's input-gradient filter: dx of a convolution is the convolution of (dilated) dy with
 * the filter flipped in space and in/out swapped, [KH, KW, Cog, Cg].
 */
function flippedGroupFilters(calls: KernelCalls, filter: tf.TensorInfo, g: Geometry): tf.TensorInfo[] {
  return derivedTensors(calls, filter, "groups flipped", () => {
    const [kh, kw, groupIn] = filter.shape;
    const groupOut = g.groupOut;
    return groupFilters(calls, filter, g).map((slice) => {
      const out = calls.persistent([kh, kw, groupOut, groupIn]);
      const src = calls.view(slice);
      const dst = calls.view(out);
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * groupIn * groupOut;
          const to = (i * kw + j) * groupOut * groupIn;
          for (let a = 0; a < groupIn; a++) for (let b = 0; b < groupOut; b++) dst[to + b * groupIn + a] = src[from + a * groupOut + b];
        }
      }
      return out;
    });
  });
}

function explicitPadding(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

function groupedForward(calls: KernelCalls, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: GroupedConvAttrs): tf.TensorInfo {
  const g = geometry(attrs);
  const { batchSize: n, outHeight: oh, outWidth: ow, outChannels } = g.info;
  if (g.centreOnly) {
    const weight = centreMatrix(calls, filter, g, false);
    return calls.reshape(matMul2d(calls, calls.reshape(x, [n, x.shape[3]]), weight), [n, 1, 1, outChannels]);
  }
  const filters = groupFilters(calls, filter, g);
  const out = calls.alloc([n, oh, ow, outChannels]);
  const { top, bottom, left, right } = g.info.padInfo;
  const convAttrs = { strides: [attrs.strides, attrs.strides], dilations: [1, 1], pad: explicitPadding(top, bottom, left, right), dataFormat: "NHWC" };
  for (let group = 0; group < g.groups; group++) {
    const xg = gatherChannels(calls, x, group * g.groupIn, g.groupIn);
    const yg = calls.run("Conv2D", { x: xg, filter: filters[group] }, convAttrs);
    scatterChannels(calls, yg, out, group * g.groupOut);
    calls.release(xg, yg);
  }
  return out;
}

/** One axis of one output phase of a strided input gradient (see phasePlan). */
interface PhaseAxis {
  /** First output row (column) of the phase; the phase holds rows first, first + stride, ... */
  readonly first: number;
  readonly size: number;
  /** Filter taps of the phase, as filter rows: taps[t] is the row applied at offset t. */
  readonly taps: number[];
  readonly padBefore: number;
  readonly padAfter: number;
}

/**
 * The input gradient of a stride-s convolution split into s² stride-1 convolutions of dy (sub-pixel
 * decomposition): output row y = first + s·i only receives filter rows k ≡ (first + pad) mod s,
 * from dy row i + (first + pad − k)/s. Each phase is then an ordinary convolution of dy with those
 * taps, so no multiplication by the zeros of a dilated dy is done (4x fewer for stride 2).
 * Returns null for geometries this does not cover (the caller dilates dy instead).
 */
function phaseAxes(size: number, outSize: number, kernel: number, stride: number, pad: number): PhaseAxis[] | null {
  const axes: PhaseAxis[] = [];
  for (let first = 0; first < Math.min(stride, size); first++) {
    const phaseSize = Math.ceil((size - first) / stride);
    let last = kernel - 1;
    while (last >= 0 && (((first + pad - last) % stride) + stride) % stride !== 0) last--;
    if (last < 0) return null;
    const padBefore = -(first + pad - last) / stride;
    const taps: number[] = [];
    for (let k = last; k >= 0; k -= stride) taps.push(k);
    const padAfter = phaseSize - outSize - padBefore + taps.length - 1;
    if (padBefore < 0 || padAfter < 0) return null;
    axes.push({ first, size: phaseSize, taps, padBefore, padAfter });
  }
  return axes;
}

/** Per group and phase (group-major), the filter [rows, cols, Cog, Cg] of that phase's taps, in/out swapped. */
function phaseFilters(calls: KernelCalls, filter: tf.TensorInfo, g: Geometry, rows: PhaseAxis[], cols: PhaseAxis[]): tf.TensorInfo[] {
  const key = `phases ${JSON.stringify([rows.map((r) => r.taps), cols.map((c) => c.taps)])}`;
  return derivedTensors(calls, filter, key, () => {
    const [, kw, groupIn] = filter.shape;
    const groupOut = g.groupOut;
    return groupFilters(calls, filter, g).flatMap((slice) =>
      rows.flatMap((row) =>
        cols.map((col) => {
          const out = calls.persistent([row.taps.length, col.taps.length, groupOut, groupIn]);
          const src = calls.view(slice);
          const dst = calls.view(out);
          let d = 0;
          for (const i of row.taps) {
            for (const j of col.taps) {
              const tap = (i * kw + j) * groupIn * groupOut;
              for (let o = 0; o < groupOut; o++) for (let a = 0; a < groupIn; a++) dst[d++] = src[tap + a * groupOut + o];
            }
          }
          return out;
        }),
      ),
    );
  });
}

function groupedBackpropInput(calls: KernelCalls, dy: tf.TensorInfo, filter: tf.TensorInfo, attrs: GroupedConvAttrs): tf.TensorInfo {
  const g = geometry(attrs);
  const simd = simdGroupedInputGradient(calls, dy, filter, g);
  if (simd !== null) return simd;
  const [n, h, w, channels] = attrs.inputShape;
  if (g.centreOnly) {
    const weightT = centreMatrix(calls, filter, g, true);
    return calls.reshape(matMul2d(calls, calls.reshape(dy, [n, dy.shape[3]]), weightT), [n, 1, 1, channels]);
  }
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = g.info;
  const { top, left } = g.info.padInfo;
  const out = calls.alloc([n, h, w, channels]);
  const rowPhases = sh > 1 || sw > 1 ? phaseAxes(h, dy.shape[1], kh, sh, top) : null;
  const colPhases = rowPhases === null ? null : phaseAxes(w, dy.shape[2], kw, sw, left);
  if (rowPhases !== null && colPhases !== null) {
    const filters = phaseFilters(calls, filter, g, rowPhases, colPhases);
    const phases = rowPhases.length * colPhases.length;
    for (let group = 0; group < g.groups; group++) {
      const dyg = gatherChannels(calls, dy, group * g.groupOut, g.groupOut);
      let phase = 0;
      for (const row of rowPhases) {
        for (const col of colPhases) {
          const part = calls.run(
            "Conv2D",
            { x: dyg, filter: filters[group * phases + phase++] },
            { strides: [1, 1], dilations: [1, 1], pad: explicitPadding(row.padBefore, row.padAfter, col.padBefore, col.padAfter), dataFormat: "NHWC" },
          );
          // Rows (b, i) of the phase land on image rows first + i·sh, columns first + j·sw.
          const src = calls.view(part);
          const dst = calls.view(out);
          for (let b = 0; b < n; b++) {
            const from = b * row.size * col.size * g.groupIn;
            const to = ((b * h + row.first) * w + col.first) * channels + group * g.groupIn;
            scatterGrid(src, from, dst, to, row.size, col.size, g.groupIn, sh * w * channels, sw * channels);
          }
          calls.release(part);
        }
      }
      calls.release(dyg);
    }
    return out;
  }
  const filters = flippedGroupFilters(calls, filter, g);
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  if (padTop < 0 || padLeft < 0) throw new Error("grouped conv input gradient: padding larger than the filter is not supported");
  // Rows of the dilated dy the convolution reads for h output rows (the rest would be cut anyway).
  const rows = Math.min(dy.shape[1] * sh, h + kh - 1 - padTop);
  const cols = Math.min(dy.shape[2] * sw, w + kw - 1 - padLeft);
  const convAttrs = {
    strides: [1, 1],
    dilations: [1, 1],
    pad: explicitPadding(padTop, h + kh - 1 - padTop - rows, padLeft, w + kw - 1 - padLeft - cols),
    dataFormat: "NHWC",
  };
  const spread = sh !== 1 || sw !== 1 || rows !== dy.shape[1] || cols !== dy.shape[2];
  for (let group = 0; group < g.groups; group++) {
    const dyg = gatherChannels(calls, dy, group * g.groupOut, g.groupOut);
    const dilated = spread ? dilateInto(calls, dyg, sh, sw, rows, cols) : dyg;
    const dxg = calls.run("Conv2D", { x: dilated, filter: filters[group] }, convAttrs);
    scatterChannels(calls, dxg, out, group * g.groupIn);
    calls.release(dyg, dilated, dxg);
  }
  return out;
}

/**
 * The generated SIMD kernel computes every group's dW in place where it runs. Otherwise, dW of
 * group g = one forward convolution with the group's input channels read as a batch of
 * images [Cg, H, W, N] and its dy as a stride-dilated filter [OH, OW, N, Cog] (output
 * [Cg, KH, KW, Cog]); both layouts are written straight from x and dy by one gather each.
 */
function groupedBackpropFilter(calls: KernelCalls, x: tf.TensorInfo, dy: tf.TensorInfo, attrs: GroupedConvAttrs): tf.TensorInfo {
  const g = geometry(attrs);
  const [kh, kw, groupIn, outChannels] = attrs.filterShape;
  const simd = simdWeightGradient(calls, x, dy, g.info, g.groups);
  if (simd !== null) return simd;
  const out = calls.alloc([kh, kw, groupIn, outChannels], true);
  if (g.centreOnly) {
    const n = x.shape[0];
    const channels = x.shape[3];
    const full = matMul2d(calls, transpose2d(calls, x, n, channels), calls.reshape(dy, [n, outChannels]));
    const src = calls.view(full);
    const dst = calls.view(out);
    const { top, left } = g.info.padInfo;
    const tap = (top * kw + left) * groupIn * outChannels;
    for (let group = 0; group < g.groups; group++) {
      for (let i = 0; i < groupIn; i++) {
        const row = (group * groupIn + i) * outChannels;
        for (let o = group * g.groupOut; o < (group + 1) * g.groupOut; o++) dst[tap + i * outChannels + o] = src[row + o];
      }
    }
    return out;
  }
  const [, h, w] = x.shape;
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = g.info;
  const { top, left } = g.info.padInfo;
  // Rows and columns past the last one any output reads are left out; padding makes up the rest.
  const usedRows = Math.min(h, kh - 1 + (oh - 1) * sh + 1 - top);
  const usedCols = Math.min(w, kw - 1 + (ow - 1) * sw + 1 - left);
  const convAttrs = {
    strides: [1, 1],
    dilations: [sh, sw],
    pad: explicitPadding(top, kh + (oh - 1) * sh - usedRows - top, left, kw + (ow - 1) * sw - usedCols - left),
    dataFormat: "NHWC",
  };
  const groupOut = g.groupOut;
  // x as [H, W, C, N] once: each group's images [Cg, rows, cols, N] are then runs of N values.
  const [n, , , channels] = x.shape;
  const xT = transpose2d(calls, x, n, h * w * channels);
  for (let group = 0; group < g.groups; group++) {
    const images = calls.alloc([groupIn, usedRows, usedCols, n]);
    const dyFilter = calls.alloc([oh, ow, n, groupOut]);
    {
      const src = calls.view(xT);
      const dst = calls.view(images);
      const plane = usedRows * usedCols * n;
      for (let i = 0; i < groupIn; i++) {
        const channel = group * groupIn + i;
        for (let r = 0; r < usedRows; r++) {
          copyBlocks(src, ((r * w) * channels + channel) * n, channels * n, dst, i * plane + r * usedCols * n, n, usedCols, n);
        }
      }
      const dys = calls.view(dy);
      const dyd = calls.view(dyFilter);
      const firstOut = group * groupOut;
      let d = 0;
      for (let r = 0; r < oh; r++) {
        for (let c = 0; c < ow; c++) {
          for (let b = 0; b < n; b++) {
            const s = ((b * oh + r) * ow + c) * outChannels + firstOut;
            for (let o = 0; o < groupOut; o++) dyd[d++] = dys[s + o];
          }
        }
      }
    }
    const grad = calls.run("Conv2D", { x: images, filter: dyFilter }, convAttrs);
    const src = calls.view(grad);
    const dst = calls.view(out);
    const firstOut = group * groupOut;
    for (let i = 0; i < groupIn; i++) {
      for (let tap = 0; tap < kh * kw; tap++) {
        const s = (i * kh * kw + tap) * groupOut;
        const d = (tap * groupIn + i) * outChannels + firstOut;
        for (let o = 0; o < groupOut; o++) dst[d + o] = src[s + o];
      }
    }
    calls.release(images, dyFilter, grad);
  }
  return out;
}

/** Registers the three grouped-convolution kernels on wasm, built on the given stock kernels. */
export function groupedConvKernels(stock: ReadonlyMap<string, KernelFunction>): Array<[string, KernelFunction]> {
  return [
    [GROUPED_CONV2D, withCalls(stock, (calls, { inputs, attrs }) => groupedForward(calls, inputs.x as tf.TensorInfo, inputs.filter as tf.TensorInfo, asAttrs(attrs)))],
    [GROUPED_CONV2D_BACKPROP_INPUT, withCalls(stock, (calls, { inputs, attrs }) => groupedBackpropInput(calls, inputs.dy as tf.TensorInfo, inputs.filter as tf.TensorInfo, asAttrs(attrs)))],
    [GROUPED_CONV2D_BACKPROP_FILTER, withCalls(stock, (calls, { inputs, attrs }) => groupedBackpropFilter(calls, inputs.x as tf.TensorInfo, inputs.dy as tf.TensorInfo, asAttrs(attrs)))],
  ];
}
