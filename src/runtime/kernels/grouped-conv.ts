// Grouped 2-D convolution. tfjs has no `groups` argument; splitting the channels, convolving each
// group and concatenating was measured as the fastest stock-op formulation on wasm for every group
// count from 2 to 46 (a depthwise-multiplier formulation has a faster forward but a slow backward;
// masking a dense filter costs `groups` times the work). Where the backend has this project's
// grouped kernels (wasm), the same computation runs as one kernel per direction instead (see
// wasm-grouped-conv.ts); elsewhere (cpu, native TensorFlow) as split → conv → concat.
import * as tf from "@tensorflow/tfjs";
import {
  GROUPED_CONV2D,
  GROUPED_CONV2D_BACKPROP_FILTER,
  GROUPED_CONV2D_BACKPROP_INPUT,
  type GroupedConvAttrs,
} from "./wasm-grouped-conv.js";

export type ConvPadding = "valid" | "same" | tf.backend_util.ExplicitPadding;

export interface GroupedConvOptions {
  readonly strides: number;
  readonly pad: ConvPadding;
  readonly groups: number;
}

/** Symmetric padding of `amount` on both spatial axes, as PyTorch's `padding=amount` does. */
export function symmetricPadding(amount: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [amount, amount],
    [amount, amount],
    [0, 0],
  ];
}

function checkGroups(inChannels: number, filter: tf.Tensor4D, groups: number): void {
  const [, , filterIn, outChannels] = filter.shape;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`groups must be a positive integer (got ${groups})`);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new Error(`channels (${inChannels} in, ${outChannels} out) are not divisible by groups=${groups}`);
  }
  if (filterIn * groups !== inChannels) {
    throw new Error(
      `grouped conv filter [kh,kw,${filterIn},${outChannels}] does not match ` +
        `${inChannels} input channels in ${groups} groups`,
    );
  }
}

/**
 * y = grouped convolution of NHWC `x` with `filter` stored [KH, KW, Cin/G, Cout]: output channels
 * [g·Cout/G, (g+1)·Cout/G) see only input channels [g·Cin/G, (g+1)·Cin/G). This layout transposes
 * directly (perm [3, 2, 0, 1]) to PyTorch's grouped weight [Cout, Cin/G, KH, KW]. groups = 1 is a
 * plain convolution.
 */
export function groupedConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, options: GroupedConvOptions): tf.Tensor4D {
  const { strides, pad, groups } = options;
  checkGroups(x.shape[3], filter, groups);
  if (groups === 1) return tf.conv2d(x, filter, strides, pad) as tf.Tensor4D;
  if (pad !== "same" && tf.getKernel(GROUPED_CONV2D, tf.getBackend()) !== undefined) {
    return groupedConvKernelOp(x, filter, { strides, pad, groups });
  }
  return tf.tidy(() => {
    const inputGroups = tf.split(x, groups, 3) as tf.Tensor4D[];
    const filterGroups = tf.split(filter, groups, 3) as tf.Tensor4D[];
    const outputs = inputGroups.map((xg, g) => tf.conv2d(xg, filterGroups[g], strides, pad));
    return tf.concat(outputs, 3) as tf.Tensor4D;
  });
}

/** The grouped convolution as one kernel per direction, with its gradient written out. */
function groupedConvKernelOp(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  options: { strides: number; pad: "valid" | tf.backend_util.ExplicitPadding; groups: number },
): tf.Tensor4D {
  const attrs: GroupedConvAttrs = { ...options, inputShape: x.shape, filterShape: filter.shape };
  const named = attrs as unknown as tf.NamedAttrMap;
  const op = tf.customGrad((input, weights, save) => {
    (save as tf.GradSaveFunc)([input as tf.Tensor, weights as tf.Tensor]);
    const value = tf.engine().runKernel(GROUPED_CONV2D, { x: input as tf.Tensor, filter: weights as tf.Tensor }, named) as tf.Tensor4D;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedInput, savedFilter] = saved;
      return [
        tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_INPUT, { dy, filter: savedFilter }, named) as tf.Tensor,
        tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_FILTER, { x: savedInput, dy }, named) as tf.Tensor,
      ];
    };
    return { value, gradFunc };
  });
  return op(x, filter) as tf.Tensor4D;
}

/**
 * Grouped convolution fused with a per-output-channel bias and an optional ReLU (the wasm
 * FusedConv2D kernel: one call per group instead of three). Used for eval-mode conv + batch norm,
 * where the norm folds into the filter and the bias.
 */
export function groupedConv2dBiasActivation(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  options: GroupedConvOptions & { relu: boolean },
): tf.Tensor4D {
  const { strides, pad, groups, relu } = options;
  checkGroups(x.shape[3], filter, groups);
  const activation = relu ? "relu" : "linear";
  if (groups === 1) return tf.fused.conv2d({ x, filter, strides, pad, bias, activation }) as tf.Tensor4D;
  return tf.tidy(() => {
    const inputGroups = tf.split(x, groups, 3) as tf.Tensor4D[];
    const filterGroups = tf.split(filter, groups, 3) as tf.Tensor4D[];
    const biasGroups = tf.split(bias, groups, 0);
    const outputs = inputGroups.map((xg, g) =>
      tf.fused.conv2d({ x: xg, filter: filterGroups[g], strides, pad, bias: biasGroups[g], activation }),
    );
    return tf.concat(outputs, 3) as tf.Tensor4D;
  });
}
