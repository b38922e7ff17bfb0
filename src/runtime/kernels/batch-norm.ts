// Batch normalisation with a closed-form backward pass.
//
// tf.batchNorm's gradient materialises the statistics at full activation size (a third of a wasm
// training step); this op keeps everything per-channel. Per-channel means are one average pool over
// the whole batch (XNNPACK on wasm): the wasm Sum/Mean kernels transpose the whole activation first
// when the reduced axes are not the innermost ones, and a ones-row matrix product makes XNNPACK
// repack the activation as a weight matrix on every call (measured on a 65536x32 activation:
// average pool 0.5 ms, Sum 12.7 ms, matMul 13.4 ms).
//
// Per-channel affine maps (x·a + b, then ReLU) run on wasm as one 1x1 depthwise convolution with
// bias and activation: the wasm binary ops take a scalar loop whenever they broadcast, and on a
// 64x32x32x24 activation multiply-by-[C] + add-[C] + ReLU took 1.8 ms against 0.23 ms for the
// depthwise kernel (the wasm FusedBatchNorm kernel, a scalar loop with a division, took 4.8 ms).
import * as tf from "@tensorflow/tfjs";
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, type BatchNormTrainAttrs } from "./wasm-batch-norm.js";

/** PyTorch's BatchNorm defaults (torch.nn.BatchNorm2d/1d, also pycls and VISSL's head BN). */
export const BATCH_NORM_EPSILON = 1e-5;
export const BATCH_NORM_MOMENTUM = 0.1;

export interface BatchNormState {
  readonly gamma: tf.Tensor1D;
  readonly beta: tf.Tensor1D;
  readonly runningMean: tf.Variable<tf.Rank.R1>;
  readonly runningVar: tf.Variable<tf.Rank.R1>;
}

export interface BatchNormTrainOptions {
  /** ReLU after the (optional) residual add. */
  readonly relu: boolean;
  /** Added after normalisation and before the ReLU: relu(bn(x) + residual). Same shape as x. */
  readonly residual?: tf.Tensor;
  /** Update runningMean/runningVar with the batch statistics (off when a checkpointed block replays). */
  readonly updateRunningStats: boolean;
  readonly epsilon?: number;
  readonly momentum?: number;
}

/**
 * Mean over every axis but the last (channels) of a tensor of rank ≥ 2, as a single average pool:
 * the tensor is viewed as one image [1, rows, cols, C] and pooled with a window covering it all.
 * Returns [C].
 */
export function channelMean(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const shape = x.shape;
    const channels = shape[shape.length - 1];
    const cols = shape.length >= 3 ? shape[shape.length - 2] : 1;
    const rows = x.size / channels / cols;
    if (rows * cols === 1) return tf.reshape(x, [channels]) as tf.Tensor1D;
    const image = tf.reshape(x, [1, rows, cols, channels]) as tf.Tensor4D;
    return tf.reshape(tf.avgPool(image, [rows, cols], 1, "valid"), [channels]) as tf.Tensor1D;
  });
}

/**
 * x·scale + shift per channel (the last axis), then ReLU when asked; `shift` may be omitted.
 * On wasm one fused 1x1 depthwise convolution; elsewhere broadcasting ops. No gradient of its own:
 * used inside the custom gradients of this file.
 */
export function channelAffine(x: tf.Tensor, scale: tf.Tensor1D, shift: tf.Tensor1D | null, relu: boolean): tf.Tensor {
  return tf.tidy(() => {
    if (tf.getBackend() !== "wasm") {
      let y = tf.mul(x, scale);
      if (shift !== null) y = tf.add(y, shift);
      return relu ? tf.relu(y) : y;
    }
    const channels = x.shape[x.shape.length - 1];
    const image = (x.rank === 4 ? x : tf.reshape(x, [1, x.size / channels, 1, channels])) as tf.Tensor4D;
    const filter = tf.reshape(scale, [1, 1, channels, 1]) as tf.Tensor4D;
    const y = tf.fused.depthwiseConv2d({
      x: image,
      filter,
      strides: 1,
      pad: "valid",
      bias: shift ?? undefined,
      activation: relu ? "relu" : "linear",
    });
    return x.rank === 4 ? y : tf.reshape(y, x.shape);
  });
}

/**
 * Training-mode batch norm over every axis but the last (NHWC or [N, C]), using the batch
 * statistics (biased variance, as PyTorch normalises with), optionally fused with a residual add
 * and a ReLU. The running statistics are updated in the forward pass with PyTorch's rule
 * (running = (1 − momentum)·running + momentum·batch, the variance unbiased by M/(M − 1)); that
 * update is not part of the gradient.
 *
 * Backward, with x̂ = (x − μ)·σ⁻¹, z the pre-activation and M the reduced count:
 *   dβ = Σ dz,  dγ = Σ dz·x̂,  dx = γσ⁻¹ (dz − dβ/M − x̂·dγ/M),  d(residual) = dz.
 */
export function batchNormTrain(x: tf.Tensor, state: BatchNormState, options: BatchNormTrainOptions): tf.Tensor {
  const epsilon = options.epsilon ?? BATCH_NORM_EPSILON;
  const momentum = options.momentum ?? BATCH_NORM_MOMENTUM;
  const shape = x.shape;
  const channels = shape[shape.length - 1];
  const count = x.size / channels;
  if (count < 2) {
    throw new Error(
      `batch norm in train mode needs more than one value per channel (got input shape [${shape.join(", ")}])`,
    );
  }
  const withResidual = options.residual !== undefined;
  if (tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined) {
    return batchNormTrainByKernel(x, state, { relu: options.relu, epsilon, momentum, updateRunningStats: options.updateRunningStats }, options.residual);
  }

  const forwardAndGradient = (
    input: tf.Tensor,
    gamma: tf.Tensor,
    beta: tf.Tensor,
    residual: tf.Tensor | null,
    save: tf.GradSaveFunc,
  ) => {
    const mean = channelMean(input);
    const centred = tf.sub(input, mean);
    const variance = channelMean(tf.square(centred));
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const scale = tf.mul(invStd, gamma) as tf.Tensor1D;
    let value: tf.Tensor;
    if (residual === null) value = channelAffine(centred, scale, beta as tf.Tensor1D, options.relu);
    else {
      const z = tf.add(channelAffine(centred, scale, beta as tf.Tensor1D, false), residual);
      value = options.relu ? tf.relu(z) : z;
    }
    if (options.updateRunningStats) {
      updateRunningStats(state, mean, variance, count, momentum);
    }
    save([centred, invStd, value, gamma]);
    // tfjs runs a customGrad gradient eagerly, outside any tidy: without this tidy its
    // intermediates would live until the whole backward pass ends.
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [savedCentred, savedInvStd, savedY, savedGamma] = saved;
        const dz = options.relu ? tf.mul(dy, tf.step(savedY)) : dy;
        const meanDz = channelMean(dz);
        const meanDzCentred = channelMean(tf.mul(dz, savedCentred));
        const gradGamma = tf.mul(meanDzCentred, savedInvStd).mul(count);
        const gradBeta = meanDz.mul(count);
        const scale = tf.mul(savedInvStd, savedGamma) as tf.Tensor1D;
        // dx = dz·s + centred·k1 + k0 with per-channel s = γσ⁻¹, k1 = −s·σ⁻²·mean(dz·centred),
        // k0 = −s·mean(dz).
        const k1 = tf.mul(tf.mul(scale, tf.square(savedInvStd)), meanDzCentred).neg() as tf.Tensor1D;
        const k0 = tf.mul(scale, meanDz).neg() as tf.Tensor1D;
        const gradX = tf.add(channelAffine(dz, scale, null, false), channelAffine(savedCentred, k1, k0, false));
        const grads: tf.Tensor[] = [gradX, gradGamma, gradBeta];
        if (residual !== null) grads.push(dz);
        return grads;
      });
    return { value, gradFunc };
  };

  if (withResidual) {
    const op = tf.customGrad((input, gamma, beta, residual, save) =>
      forwardAndGradient(
        input as tf.Tensor,
        gamma as tf.Tensor,
        beta as tf.Tensor,
        residual as tf.Tensor,
        save as tf.GradSaveFunc,
      ),
    );
    return op(x, state.gamma, state.beta, options.residual as tf.Tensor);
  }
  const op = tf.customGrad((input, gamma, beta, save) =>
    forwardAndGradient(input as tf.Tensor, gamma as tf.Tensor, beta as tf.Tensor, null, save as tf.GradSaveFunc),
  );
  return op(x, state.gamma, state.beta);
}

/** The same op as one forward and one backward kernel (wasm; see wasm-batch-norm.ts). */
function batchNormTrainByKernel(x: tf.Tensor, state: BatchNormState, attrs: BatchNormTrainAttrs, residual: tf.Tensor | undefined): tf.Tensor {
  const named = attrs as unknown as tf.NamedAttrMap;
  const forward = (input: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, extra: tf.Tensor | null, save: tf.GradSaveFunc) => {
    const inputs: tf.NamedTensorMap = { x: input, gamma, beta };
    if (extra !== null) inputs.residual = extra;
    if (attrs.updateRunningStats) {
      inputs.runningMean = state.runningMean;
      inputs.runningVar = state.runningVar;
    }
    const outputs = tf.engine().runKernel(BATCH_NORM_TRAIN, inputs, named) as tf.Tensor[];
    const [value, centred, invStd] = outputs;
    if (attrs.updateRunningStats) {
      state.runningMean.assign(outputs[3] as tf.Tensor1D);
      state.runningVar.assign(outputs[4] as tf.Tensor1D);
    }
    save([centred, invStd, value, gamma]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [savedCentred, savedInvStd, savedY, savedGamma] = saved;
        const [gradX, gradGamma, gradBeta, gradResidual] = tf.engine().runKernel(
          BATCH_NORM_TRAIN_GRAD,
          { dy, centred: savedCentred, invStd: savedInvStd, y: savedY, gamma: savedGamma },
          { relu: attrs.relu },
        ) as tf.Tensor[];
        return extra !== null ? [gradX, gradGamma, gradBeta, gradResidual] : [gradX, gradGamma, gradBeta];
      });
    return { value, gradFunc };
  };
  if (residual !== undefined) {
    const op = tf.customGrad((input, gamma, beta, extra, save) =>
      forward(input as tf.Tensor, gamma as tf.Tensor, beta as tf.Tensor, extra as tf.Tensor, save as tf.GradSaveFunc),
    );
    return op(x, state.gamma, state.beta, residual);
  }
  const op = tf.customGrad((input, gamma, beta, save) =>
    forward(input as tf.Tensor, gamma as tf.Tensor, beta as tf.Tensor, null, save as tf.GradSaveFunc),
  );
  return op(x, state.gamma, state.beta);
}

function updateRunningStats(
  state: BatchNormState,
  mean: tf.Tensor1D,
  biasedVariance: tf.Tensor,
  count: number,
  momentum: number,
): void {
  tf.tidy(() => {
    const unbiased = biasedVariance.mul(count / (count - 1));
    state.runningMean.assign(tf.add(state.runningMean.mul(1 - momentum), mean.mul(momentum)));
    state.runningVar.assign(tf.add(state.runningVar.mul(1 - momentum), unbiased.mul(momentum)));
  });
}

/**
 * The per-channel affine map eval-mode batch norm applies: y = x·scale + shift with
 * scale = γ/√(running_var + ε), shift = β − running_mean·scale.
 */
export function batchNormEvalAffine(
  state: BatchNormState,
  epsilon = BATCH_NORM_EPSILON,
): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  return tf.tidy(() => {
    const scale = tf.mul(state.gamma, tf.rsqrt(tf.add(state.runningVar, epsilon))) as tf.Tensor1D;
    const shift = tf.sub(state.beta, tf.mul(state.runningMean, scale)) as tf.Tensor1D;
    return { scale, shift };
  });
}

/** Eval-mode batch norm (running statistics), optionally fused with a residual add and a ReLU. */
export function batchNormEval(
  x: tf.Tensor,
  state: BatchNormState,
  options: { relu: boolean; residual?: tf.Tensor; epsilon?: number },
): tf.Tensor {
  return tf.tidy(() => {
    const { scale, shift } = batchNormEvalAffine(state, options.epsilon);
    if (options.residual === undefined) return channelAffine(x, scale, shift, options.relu);
    const y = tf.add(channelAffine(x, scale, shift, false), options.residual);
    return options.relu ? tf.relu(y) : y;
  });
}
