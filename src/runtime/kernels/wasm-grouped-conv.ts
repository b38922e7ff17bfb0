// Grouped convolution as three wasm kernels (forward, input gradient, filter gradient), each doing
// every group in one kernel call.
//
// Written with split → conv → concat ops, a grouped convolution costs the engine 2 + G ops forward
// and about 4G backward (per group: input and filter gradient, each with its own transposes and a
// freshly packed XNNPACK operator, plus the split/concat gradients). RegNetY's last stage has 46
// groups of 8 channels on 2x2 and 1x1 activations, where that bookkeeping, not arithmetic, was 30%
// of a training step. Here each group is a channel gather, one stock convolution and a channel
// scatter inside one kernel, and a 1x1 activation (only the centre tap of a padded 3x3 filter
// meets data) becomes one matrix product with a block-diagonal weight.
//
// Kernel names are this project's own; they are registered on wasm only. `groupedConv2d` uses them
// when the active backend has them and the stock split/concat formulation everywhere else.
import * as tf from "@tensorflow/tfjs";
import { convGeometry, matMul2d } from "./wasm-conv.js";
import {
  dilateInto,
  gatherChannels,
  scatterChannels,
  transpose2d,
  withCalls,
  type KernelCalls,
  type KernelFunction,
  type WasmHeapBackend,
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
 * transpose [Cout, C]), entry (g·Cg + i, g·Cog + o) = filter[top, left, i, g·Cog + o].
 */
function blockDiagonalCentre(calls: KernelCalls, filter: tf.TensorInfo, g: Geometry, transposed: boolean): tf.TensorInfo {
  const [, kw, groupIn, outChannels] = filter.shape;
  const inChannels = groupIn * g.groups;
  const { top, left } = g.info.padInfo;
  const out = calls.alloc(transposed ? [outChannels, inChannels] : [inChannels, outChannels], true);
  const src = calls.view(filter);
  const dst = calls.view(out);
  const tap = (top * kw + left) * groupIn * outChannels;
  for (let group = 0; group < g.groups; group++) {
    for (let i = 0; i < groupIn; i++) {
      const row = group * groupIn + i;
      for (let o = 0; o < g.groupOut; o++) {
        const col = group * g.groupOut + o;
        const value = src[tap + i * outChannels + col];
        dst[transposed ? col * inChannels + row : row * outChannels + col] = value;
      }
    }
  }
  return out;
}

/**
 * Per-group filters derived from one grouped filter tensor, kept while that tensor lives: the
 * forward slices [KH,KW,Cg,Cog] and the input-gradient filters (flipped, in/out swapped)
 * [KH,KW,Cog,Cg]. A training step uses a filter four times (forward and backward, two crop sizes);
 * keeping the per-group tensors also keeps XNNPACK's operators for them (cached by tensor id), so
 * their weights are packed once per step instead of once per call.
 */
interface DerivedFilters {
  readonly backend: WasmHeapBackend & { refCount(dataId: tf.DataId): number };
  readonly slices: tf.TensorInfo[];
  flipped: tf.TensorInfo[] | null;
}

const derivedFilters = new Map<tf.DataId, DerivedFilters>();

/** Frees what was derived from filters that no longer exist (variables get new data every step). */
function sweepDerivedFilters(): void {
  for (const [dataId, derived] of derivedFilters) {
    if (derived.backend.refCount(dataId) > 0) continue;
    for (const t of [...derived.slices, ...(derived.flipped ?? [])]) derived.backend.disposeData(t.dataId);
    derivedFilters.delete(dataId);
  }
}

function derivedFor(calls: KernelCalls, filter: tf.TensorInfo, g: Geometry): DerivedFilters {
  sweepDerivedFilters();
  let derived = derivedFilters.get(filter.dataId);
  if (derived === undefined) {
    const [kh, kw, groupIn] = filter.shape;
    const slices = Array.from({ length: g.groups }, () => calls.heap.makeOutput([kh, kw, groupIn, g.groupOut], "float32"));
    const src = calls.view(filter);
    slices.forEach((slice, group) => {
      const dst = calls.view(slice);
      const outChannels = g.groupOut * g.groups;
      for (let r = 0, d = 0; r < kh * kw * groupIn; r++) {
        const s = r * outChannels + group * g.groupOut;
        for (let o = 0; o < g.groupOut; o++) dst[d++] = src[s + o];
      }
    });
    derived = { backend: calls.heap as DerivedFilters["backend"], slices, flipped: null };
    derivedFilters.set(filter.dataId, derived);
  }
  return derived;
}

/** dx of a convolution is the convolution of (dilated) dy with the filter flipped in space and in/out swapped. */
function flippedFilters(calls: KernelCalls, derived: DerivedFilters): tf.TensorInfo[] {
  if (derived.flipped === null) {
    const [kh, kw, groupIn, groupOut] = derived.slices[0].shape;
    derived.flipped = derived.slices.map((slice) => {
      const out = calls.heap.makeOutput([kh, kw, groupOut, groupIn], "float32");
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
  }
  return derived.flipped;
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
    const weight = blockDiagonalCentre(calls, filter, g, false);
    return calls.reshape(matMul2d(calls, calls.reshape(x, [n, x.shape[3]]), weight), [n, 1, 1, outChannels]);
  }
  const filters = derivedFor(calls, filter, g).slices;
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

function groupedBackpropInput(calls: KernelCalls, dy: tf.TensorInfo, filter: tf.TensorInfo, attrs: GroupedConvAttrs): tf.TensorInfo {
  const g = geometry(attrs);
  const [n, h, w, channels] = attrs.inputShape;
  if (g.centreOnly) {
    const weightT = blockDiagonalCentre(calls, filter, g, true);
    return calls.reshape(matMul2d(calls, calls.reshape(dy, [n, dy.shape[3]]), weightT), [n, 1, 1, channels]);
  }
  const filters = flippedFilters(calls, derivedFor(calls, filter, g));
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = g.info;
  const { top, left } = g.info.padInfo;
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
  const out = calls.alloc([n, h, w, channels]);
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
 * dW of group g = one forward convolution with the group's input channels read as a batch of
 * images [Cg, H, W, N] and its dy as a stride-dilated filter [OH, OW, N, Cog] (output
 * [Cg, KH, KW, Cog]); both layouts are written straight from x and dy by one gather each.
 */
function groupedBackpropFilter(calls: KernelCalls, x: tf.TensorInfo, dy: tf.TensorInfo, attrs: GroupedConvAttrs): tf.TensorInfo {
  const g = geometry(attrs);
  const [kh, kw, groupIn, outChannels] = attrs.filterShape;
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
  const [n, h, w, channels] = x.shape;
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
  for (let group = 0; group < g.groups; group++) {
    const images = calls.alloc([groupIn, usedRows, usedCols, n]);
    const dyFilter = calls.alloc([oh, ow, n, groupOut]);
    {
      const src = calls.view(x);
      const dst = calls.view(images);
      const first = group * groupIn;
      const plane = usedRows * usedCols * n;
      for (let r = 0; r < usedRows; r++) {
        for (let c = 0; c < usedCols; c++) {
          const base = (r * usedCols + c) * n;
          for (let b = 0; b < n; b++) {
            const s = ((b * h + r) * w + c) * channels + first;
            for (let i = 0; i < groupIn; i++) dst[i * plane + base + b] = src[s + i];
          }
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
