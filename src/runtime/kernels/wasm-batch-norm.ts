// Training-mode batch norm as two wasm kernels (forward and backward).
//
// Written with ops, one batch norm costs ~20 engine ops forward and ~25 backward, most of them on
// [C]-sized statistics (rsqrt, products, the running-statistics update, ...): in a RegNetY step
// that was half of the ~10k ops, and the engine's bookkeeping per op, not the arithmetic, was the
// cost. Here each direction is one kernel: the full-size passes run as generated SIMD functions
// (wasm-simd-channel-passes.ts) where the channels are a multiple of 4, and otherwise as stock kernels
// called directly (XNNPACK average pools for the per-channel sums, one 1x1 depthwise convolution
// with bias and ReLU for each per-channel affine map); the per-channel arithmetic runs in float64
// in TypeScript on the values read from the heap.
//
// Maths (x̂ = (x − μ)·σ⁻¹, σ⁻¹ = 1/√(var + ε), M values per channel, z = γx̂ + β [+ residual]):
//   forward:  y = relu?(z); running = (1 − m)·running + m·batch (variance unbiased by M/(M − 1))
//   backward: dz = dy·[y > 0] (relu) ; dβ = Σdz ; dγ = σ⁻¹·Σ dz·(x − μ)
//             dx = γσ⁻¹·dz + k1·(x − μ) + k0, k1 = −γσ⁻³·mean(dz·(x − μ)), k0 = −γσ⁻¹·mean(dz)
import * as tf from "@tensorflow/tfjs";
import { product, withCallsMany, type KernelCalls, type KernelFunction } from "./wasm-heap.js";
import { CHANNEL_PASSES, writeChannelPasses } from "./wasm-simd-channel-passes.js";
import { heapOffset, simdModule, type SimdExports } from "./wasm-simd.js";

export const BATCH_NORM_TRAIN = "SeercBatchNormTrain";
export const BATCH_NORM_TRAIN_GRAD = "SeercBatchNormTrainGrad";

/** Stock wasm kernels the batch-norm kernels call. */
export const BATCH_NORM_BUILDING_BLOCKS = ["AvgPool", "FusedDepthwiseConv2D", "Square", "Multiply", "Add", "Relu", "Step", "Reshape"] as const;

export interface BatchNormTrainAttrs {
  relu: boolean;
  epsilon: number;
  momentum: number;
  /** Also return the updated running mean and variance (inputs runningMean, runningVar). */
  updateRunningStats: boolean;
}

export interface BatchNormTrainGradAttrs {
  relu: boolean;
}

/** The tensor as one NHWC image [1, rows, cols, C] whose pixels are all its values per channel. */
function asImage(calls: KernelCalls, x: tf.TensorInfo): tf.TensorInfo {
  const shape = x.shape;
  const channels = shape[shape.length - 1];
  const cols = shape.length >= 3 ? shape[shape.length - 2] : 1;
  const rows = product(shape) / channels / cols;
  return calls.reshape(x, [1, rows, cols, channels]);
}

/** Per-channel mean of an image from asImage, read back as float64. */
function channelMeans(calls: KernelCalls, image: tf.TensorInfo): Float64Array {
  const [, rows, cols] = image.shape;
  const pooled = calls.run("AvgPool", { x: image }, { filterSize: [rows, cols], strides: 1, pad: "valid" });
  const means = Float64Array.from(calls.view(pooled));
  calls.release(pooled);
  return means;
}

function vector(calls: KernelCalls, values: ArrayLike<number>): tf.TensorInfo {
  const out = calls.alloc([values.length]);
  calls.view(out).set(values);
  return out;
}

/** image·scale + shift per channel (then ReLU), as one 1x1 depthwise convolution. */
function affine(calls: KernelCalls, image: tf.TensorInfo, scale: ArrayLike<number>, shift: ArrayLike<number> | null, relu: boolean): tf.TensorInfo {
  const channels = scale.length;
  const filter = calls.reshape(vector(calls, scale), [1, 1, channels, 1]);
  const inputs: tf.NamedTensorInfoMap = { x: image, filter };
  if (shift !== null) inputs.bias = vector(calls, shift);
  return calls.run("FusedDepthwiseConv2D", inputs, {
    strides: [1, 1],
    pad: "valid",
    dilations: [1, 1],
    dataFormat: "NHWC",
    activation: relu ? "relu" : "linear",
    leakyreluAlpha: 0,
  });
}

/** The full-size passes of batch norm; per-channel values in float64. */
interface BatchNormPasses {
  means(x: tf.TensorInfo): Float64Array;
  /** x − mean, and the per-channel mean of its square. */
  centre(x: tf.TensorInfo, mean: Float64Array): { centred: tf.TensorInfo; variance: Float64Array };
  /** relu?(src·scale + shift [+ residual]). */
  affine(src: tf.TensorInfo, scale: Float64Array, shift: Float64Array, relu: boolean, residual: tf.TensorInfo | undefined): tf.TensorInfo;
  /** dz = dy·[y > 0] (relu) or dy, with the per-channel means of dz and of dz·centred. */
  gradientSums(dy: tf.TensorInfo, y: tf.TensorInfo, centred: tf.TensorInfo, relu: boolean): { dz: tf.TensorInfo; meanDz: Float64Array; meanDzCentred: Float64Array };
  /** dz·scale + centred·k1 + k0. */
  inputGradient(dz: tf.TensorInfo, centred: tf.TensorInfo, scale: Float64Array, k1: Float64Array, k0: Float64Array): tf.TensorInfo;
}

function stockPasses(calls: KernelCalls): BatchNormPasses {
  return {
    means: (x) => channelMeans(calls, asImage(calls, x)),
    centre: (x, mean) => {
      const centred = calls.reshape(affine(calls, asImage(calls, x), new Float64Array(mean.length).fill(1), mean.map((m) => -m), false), x.shape);
      const squared = calls.run("Square", { x: centred });
      const variance = channelMeans(calls, asImage(calls, squared));
      calls.release(squared);
      return { centred, variance };
    },
    affine: (src, scale, shift, relu, residual) => {
      let y = affine(calls, asImage(calls, src), scale, shift, relu && residual === undefined);
      if (residual !== undefined) {
        y = calls.run("Add", { a: y, b: calls.reshape(residual, y.shape) });
        if (relu) y = calls.run("Relu", { x: y });
      }
      return calls.reshape(y, src.shape);
    },
    gradientSums: (dy, y, centred, relu) => {
      const dz = relu ? calls.run("Multiply", { a: dy, b: calls.run("Step", { x: y }, { alpha: 0 }) }) : dy;
      const meanDz = channelMeans(calls, asImage(calls, dz));
      const dzCentred = calls.run("Multiply", { a: dz, b: centred });
      const meanDzCentred = channelMeans(calls, asImage(calls, dzCentred));
      calls.release(dzCentred);
      return { dz, meanDz, meanDzCentred };
    },
    inputGradient: (dz, centred, scale, k1, k0) => {
      const dx = calls.run("Add", { a: affine(calls, asImage(calls, dz), scale, null, false), b: affine(calls, asImage(calls, centred), k1, k0, false) });
      return calls.reshape(dx, dz.shape);
    },
  };
}

function simdPasses(calls: KernelCalls, simd: SimdExports, channels: number): BatchNormPasses {
  const vectors = channels / 4;
  const at = (t: tf.TensorInfo) => heapOffset(calls.view(t)) * 4;
  const pixelsOf = (t: tf.TensorInfo) => product(t.shape) / channels;
  /** Per-channel sums [C] read back as means. */
  const meansOf = (sums: tf.TensorInfo, pixels: number) => Float64Array.from(calls.view(sums), (v) => v / pixels);
  return {
    means: (x) => {
      const sums = calls.alloc([channels], true);
      simd[CHANNEL_PASSES.sums](at(x), pixelsOf(x), vectors, at(sums));
      return meansOf(sums, pixelsOf(x));
    },
    centre: (x, mean) => {
      const centred = calls.alloc(x.shape);
      const squares = calls.alloc([channels], true);
      const meanVector = vector(calls, mean);
      simd[CHANNEL_PASSES.centre](at(x), at(meanVector), at(centred), pixelsOf(x), vectors, at(squares));
      return { centred, variance: meansOf(squares, pixelsOf(x)) };
    },
    affine: (src, scale, shift, relu, residual) => {
      const out = calls.alloc(src.shape);
      const scaleVector = vector(calls, scale);
      const shiftVector = vector(calls, shift);
      const residualAt = residual === undefined ? 0 : at(residual);
      simd[CHANNEL_PASSES.affine(relu, residual !== undefined)](at(src), at(scaleVector), at(shiftVector), residualAt, at(out), pixelsOf(src), vectors);
      return out;
    },
    gradientSums: (dy, y, centred, relu) => {
      const dz = relu ? calls.alloc(dy.shape) : dy;
      const sumDz = calls.alloc([channels], true);
      const sumDzCentred = calls.alloc([channels], true);
      const pixels = pixelsOf(dy);
      simd[CHANNEL_PASSES.gradientSums(relu)](at(dy), at(y), at(centred), at(dz), pixels, vectors, at(sumDz), at(sumDzCentred));
      return { dz, meanDz: meansOf(sumDz, pixels), meanDzCentred: meansOf(sumDzCentred, pixels) };
    },
    inputGradient: (dz, centred, scale, k1, k0) => {
      const dx = calls.alloc(dz.shape);
      const [scaleVector, k1Vector, k0Vector] = [scale, k1, k0].map((values) => vector(calls, values));
      simd[CHANNEL_PASSES.inputGradient](at(dz), at(centred), at(scaleVector), at(k1Vector), at(k0Vector), at(dx), pixelsOf(dz), vectors);
      return dx;
    },
  };
}

function passesFor(calls: KernelCalls, x: tf.TensorInfo): BatchNormPasses {
  const channels = x.shape[x.shape.length - 1];
  // The generated loops count down from their trip counts, so empty tensors take the stock path.
  const fits = channels > 0 && channels % 4 === 0 && product(x.shape) > 0;
  const simd = fits ? simdModule(calls.backend, "channel passes", writeChannelPasses) : null;
  return simd === null ? stockPasses(calls) : simdPasses(calls, simd, channels);
}

/**
 * Inputs x, gamma, beta [, residual] [, runningMean, runningVar]; outputs y, centred (x − μ),
 * invStd [C] [, new running mean, new running variance].
 */
function batchNormTrainKernel(calls: KernelCalls, inputs: tf.NamedTensorInfoMap, attrs: BatchNormTrainAttrs): tf.TensorInfo[] {
  const x = inputs.x as tf.TensorInfo;
  const residual = inputs.residual as tf.TensorInfo | undefined;
  const channels = x.shape[x.shape.length - 1];
  const count = product(x.shape) / channels;
  const passes = passesFor(calls, x);
  const mean = passes.means(x);
  const { centred, variance } = passes.centre(x, mean);
  const gamma = calls.view(inputs.gamma as tf.TensorInfo);
  const beta = Float64Array.from(calls.view(inputs.beta as tf.TensorInfo));
  const invStd = variance.map((v) => 1 / Math.sqrt(v + attrs.epsilon));
  const scale = invStd.map((s, c) => s * gamma[c]);
  const y = passes.affine(centred, scale, beta, attrs.relu, residual);
  const outputs = [y, centred, vector(calls, invStd)];
  if (attrs.updateRunningStats) {
    const runningMean = calls.view(inputs.runningMean as tf.TensorInfo);
    const runningVar = calls.view(inputs.runningVar as tf.TensorInfo);
    const m = attrs.momentum;
    const unbias = count / (count - 1);
    const newMean = mean.map((v, c) => (1 - m) * runningMean[c] + m * v);
    const newVar = variance.map((v, c) => (1 - m) * runningVar[c] + m * v * unbias);
    outputs.push(vector(calls, newMean), vector(calls, newVar));
  }
  return outputs;
}

/** Inputs dy, centred, invStd, y, gamma; outputs dx, dgamma, dbeta, dz (the residual's gradient). */
function batchNormTrainGradKernel(calls: KernelCalls, inputs: tf.NamedTensorInfoMap, attrs: BatchNormTrainGradAttrs): tf.TensorInfo[] {
  const dy = inputs.dy as tf.TensorInfo;
  const shape = dy.shape;
  const channels = shape[shape.length - 1];
  const count = product(shape) / channels;
  const passes = passesFor(calls, dy);
  const centred = inputs.centred as tf.TensorInfo;
  const { dz, meanDz, meanDzCentred } = passes.gradientSums(dy, inputs.y as tf.TensorInfo, centred, attrs.relu);
  const invStd = calls.view(inputs.invStd as tf.TensorInfo);
  const gamma = calls.view(inputs.gamma as tf.TensorInfo);
  const scale = new Float64Array(channels);
  const k1 = new Float64Array(channels);
  const k0 = new Float64Array(channels);
  const gradGamma = new Float64Array(channels);
  const gradBeta = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = invStd[c] * gamma[c];
    scale[c] = s;
    k1[c] = -s * invStd[c] * invStd[c] * meanDzCentred[c];
    k0[c] = -s * meanDz[c];
    gradGamma[c] = meanDzCentred[c] * invStd[c] * count;
    gradBeta[c] = meanDz[c] * count;
  }
  const dx = passes.inputGradient(dz, centred, scale, k1, k0);
  return [calls.reshape(dx, shape), vector(calls, gradGamma), vector(calls, gradBeta), calls.reshape(dz, shape)];
}

export function batchNormKernels(stock: ReadonlyMap<string, KernelFunction>): Array<[string, KernelFunction]> {
  return [
    [BATCH_NORM_TRAIN, withCallsMany(stock, (calls, { inputs, attrs }) => batchNormTrainKernel(calls, inputs, attrs as unknown as BatchNormTrainAttrs))],
    [BATCH_NORM_TRAIN_GRAD, withCallsMany(stock, (calls, { inputs, attrs }) => batchNormTrainGradKernel(calls, inputs, attrs as unknown as BatchNormTrainGradAttrs))],
  ];
}
