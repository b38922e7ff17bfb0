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
import { conv2dBackpropFilter, conv2dBackpropInput, convGeometry, matMul2d } from "./wasm-conv.js";
import { gatherChannels, scatterChannels, transpose2d, withCalls, type KernelCalls, type KernelFunction } from "./wasm-heap.js";

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

/** Attributes of the per-group stock convolution (and of its gradients). */
function groupConvAttrs(attrs: GroupedConvAttrs, g: Geometry) {
  const [n, h, w] = attrs.inputShape;
  const [kh, kw] = attrs.filterShape;
  return {
    strides: attrs.strides,
    pad: attrs.pad,
    dataFormat: "NHWC" as const,
    dimRoundingMode: undefined,
    dilations: 1,
    inputShape: [n, h, w, g.groupIn] as [number, number, number, number],
    filterShape: [kh, kw, g.groupIn, g.groupOut] as [number, number, number, number],
  };
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

function groupedForward(calls: KernelCalls, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: GroupedConvAttrs): tf.TensorInfo {
  const g = geometry(attrs);
  const { batchSize: n, outHeight: oh, outWidth: ow, outChannels } = g.info;
  if (g.centreOnly) {
    const weight = blockDiagonalCentre(calls, filter, g, false);
    return calls.reshape(matMul2d(calls, calls.reshape(x, [n, x.shape[3]]), weight), [n, 1, 1, outChannels]);
  }
  const out = calls.alloc([n, oh, ow, outChannels]);
  const { top, bottom, left, right } = g.info.padInfo;
  for (let group = 0; group < g.groups; group++) {
    const xg = gatherChannels(calls, x, group * g.groupIn, g.groupIn);
    const fg = gatherChannels(calls, filter, group * g.groupOut, g.groupOut);
    const yg = calls.run(
      "Conv2D",
      { x: xg, filter: fg },
      {
        strides: [attrs.strides, attrs.strides],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: "NHWC",
      },
    );
    scatterChannels(calls, yg, out, group * g.groupOut);
    calls.release(xg, fg, yg);
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
  const out = calls.alloc([n, h, w, channels]);
  const perGroup = groupConvAttrs(attrs, g);
  for (let group = 0; group < g.groups; group++) {
    const dyg = gatherChannels(calls, dy, group * g.groupOut, g.groupOut);
    const fg = gatherChannels(calls, filter, group * g.groupOut, g.groupOut);
    const dxg = conv2dBackpropInput(calls, dyg, fg, perGroup as unknown as tf.Conv2DBackpropInputAttrs);
    scatterChannels(calls, dxg, out, group * g.groupIn);
    calls.release(dyg, fg, dxg);
  }
  return out;
}

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
  const perGroup = groupConvAttrs(attrs, g);
  for (let group = 0; group < g.groups; group++) {
    const xg = gatherChannels(calls, x, group * groupIn, groupIn);
    const dyg = gatherChannels(calls, dy, group * g.groupOut, g.groupOut);
    const dwg = conv2dBackpropFilter(calls, xg, dyg, perGroup as unknown as tf.Conv2DBackpropFilterAttrs);
    scatterChannels(calls, dwg, out, group * g.groupOut);
    calls.release(xg, dyg, dwg);
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
