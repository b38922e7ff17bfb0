// Training-mode batch norm as two wasm kernels (forward and backward).
//
// Written with ops, one batch norm costs ~20 engine ops forward and ~25 backward, most of them on
// [C]-sized statistics (rsqrt, products, the running-statistics update, ...): in a RegNetY step
// that was half of the ~10k ops, and the engine's bookkeeping per op, not the arithmetic, was the
// cost. Here each direction is one kernel: the full-size passes run as stock kernels called
// directly (XNNPACK average pools for the per-channel sums, one 1x1 depthwise convolution with bias
// and ReLU for each per-channel affine map) and the per-channel arithmetic runs in float64 in
// TypeScript on the values read from the heap.
//
// Maths (x̂ = (x − μ)·σ⁻¹, σ⁻¹ = 1/√(var + ε), M values per channel, z = γx̂ + β [+ residual]):
//   forward:  y = relu?(z); running = (1 − m)·running + m·batch (variance unbiased by M/(M − 1))
//   backward: dz = dy·[y > 0] (relu) ; dβ = Σdz ; dγ = σ⁻¹·Σ dz·(x − μ)
//             dx = γσ⁻¹·dz + k1·(x − μ) + k0, k1 = −γσ⁻³·mean(dz·(x − μ)), k0 = −γσ⁻¹·mean(dz)
import * as tf from "@tensorflow/tfjs";
import { product, withCallsMany, type KernelCalls, type KernelFunction } from "./wasm-heap.js";

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

/**
 * Inputs x, gamma, beta [, residual] [, runningMean, runningVar]; outputs y, centred (x − μ),
 * invStd [C] [, new running mean, new running variance].
 */
function batchNormTrainKernel(calls: KernelCalls, inputs: tf.NamedTensorInfoMap, attrs: BatchNormTrainAttrs): tf.TensorInfo[] {
  const x = inputs.x as tf.TensorInfo;
  const residual = inputs.residual as tf.TensorInfo | undefined;
  const channels = x.shape[x.shape.length - 1];
  const count = product(x.shape) / channels;
  const image = asImage(calls, x);
  const mean = channelMeans(calls, image);
  const ones = new Float64Array(channels).fill(1);
  const centred = affine(calls, image, ones, mean.map((m) => -m), false);
  const squared = calls.run("Square", { x: centred });
  const variance = channelMeans(calls, squared);
  calls.release(squared);
  const gamma = calls.view(inputs.gamma as tf.TensorInfo);
  const beta = Float64Array.from(calls.view(inputs.beta as tf.TensorInfo));
  const invStd = variance.map((v) => 1 / Math.sqrt(v + attrs.epsilon));
  const scale = invStd.map((s, c) => s * gamma[c]);
  let y = affine(calls, centred, scale, beta, attrs.relu && residual === undefined);
  if (residual !== undefined) {
    y = calls.run("Add", { a: y, b: calls.reshape(residual, y.shape) });
    if (attrs.relu) y = calls.run("Relu", { x: y });
  }
  const outputs = [calls.reshape(y, x.shape), calls.reshape(centred, x.shape), vector(calls, invStd)];
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
  const dz = attrs.relu ? calls.run("Multiply", { a: dy, b: calls.run("Step", { x: inputs.y as tf.TensorInfo }, { alpha: 0 }) }) : dy;
  const dzImage = asImage(calls, dz);
  const centredImage = asImage(calls, inputs.centred as tf.TensorInfo);
  const meanDz = channelMeans(calls, dzImage);
  const product_ = calls.run("Multiply", { a: dzImage, b: centredImage });
  const meanDzCentred = channelMeans(calls, product_);
  calls.release(product_);
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
  const dx = calls.run("Add", { a: affine(calls, dzImage, scale, null, false), b: affine(calls, centredImage, k1, k0, false) });
  return [calls.reshape(dx, shape), vector(calls, gradGamma), vector(calls, gradBeta), calls.reshape(dz, shape)];
}

export function batchNormKernels(stock: ReadonlyMap<string, KernelFunction>): Array<[string, KernelFunction]> {
  return [
    [BATCH_NORM_TRAIN, withCallsMany(stock, (calls, { inputs, attrs }) => batchNormTrainKernel(calls, inputs, attrs as unknown as BatchNormTrainAttrs))],
    [BATCH_NORM_TRAIN_GRAD, withCallsMany(stock, (calls, { inputs, attrs }) => batchNormTrainGradKernel(calls, inputs, attrs as unknown as BatchNormTrainGradAttrs))],
  ];
}
