// Batch normalisation with a closed-form backward pass.
//
// tf.batchNorm's gradient materialises the statistics at full activation size (a third of a wasm
// training step); this op keeps everything per-channel. Reductions over the batch/spatial axes are
// written as a matrix product with a ones row, because the wasm Sum/Mean kernels transpose the whole
// activation first when the reduced axes are not the innermost ones.
import * as tf from '@tensorflow/tfjs';

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

/** Sum over all rows of a [rows, C] matrix as ones[1,rows] · x, times `scale`. Returns [1, C]. */
export function scaledColumnSum(x2d: tf.Tensor2D, scale: number): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.fill([1, x2d.shape[0]], scale), x2d));
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
      `batch norm in train mode needs more than one value per channel (got input shape [${shape.join(', ')}])`,
    );
  }
  const withResidual = options.residual !== undefined;

  const forwardAndGradient = (
    input: tf.Tensor,
    gamma: tf.Tensor,
    beta: tf.Tensor,
    residual: tf.Tensor | null,
    save: tf.GradSaveFunc,
  ) => {
    const x2d = tf.reshape(input, [count, channels]) as tf.Tensor2D;
    const mean = scaledColumnSum(x2d, 1 / count);
    const centred = tf.sub(x2d, mean);
    const variance = scaledColumnSum(tf.square(centred) as tf.Tensor2D, 1 / count);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const scale = tf.mul(invStd, gamma);
    let z = tf.add(tf.mul(centred, scale), beta);
    if (residual !== null) z = tf.add(z, tf.reshape(residual, [count, channels]));
    const y2d = options.relu ? tf.relu(z) : z;
    if (options.updateRunningStats) {
      updateRunningStats(state, mean, variance, count, momentum);
    }
    save([centred, invStd, y2d, gamma]);
    const value = tf.reshape(y2d, shape);
    // tfjs runs a customGrad gradient eagerly, outside any tidy: without this tidy its
    // intermediates would live until the whole backward pass ends.
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      tf.tidy(() => {
        const [savedCentred, savedInvStd, savedY, savedGamma] = saved;
        let dz = tf.reshape(dy, [count, channels]) as tf.Tensor2D;
        if (options.relu) dz = tf.mul(dz, tf.step(savedY)) as tf.Tensor2D;
        const sumDz = scaledColumnSum(dz, 1);
        const sumDzCentred = scaledColumnSum(tf.mul(dz, savedCentred) as tf.Tensor2D, 1);
        const gradGamma = tf.reshape(tf.mul(sumDzCentred, savedInvStd), [channels]);
        const gradBeta = tf.reshape(sumDz, [channels]);
        const gradScale = tf.mul(savedInvStd, savedGamma);
        // dx = dz·s + centred·k1 + k0, with per-channel k1 = −s·σ⁻²·Σ(dz·centred)/M, k0 = −s·Σdz/M.
        const k1 = tf.mul(tf.mul(gradScale, tf.square(savedInvStd)), sumDzCentred).mul(-1 / count);
        const k0 = tf.mul(gradScale, sumDz).mul(-1 / count);
        const gradX2d = tf.add(tf.add(tf.mul(dz, gradScale), tf.mul(savedCentred, k1)), k0);
        const grads: tf.Tensor[] = [tf.reshape(gradX2d, shape), gradGamma, gradBeta];
        if (residual !== null) grads.push(tf.reshape(dz, shape));
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

function updateRunningStats(
  state: BatchNormState,
  batchMean: tf.Tensor2D,
  biasedVariance: tf.Tensor2D,
  count: number,
  momentum: number,
): void {
  const channels = batchMean.shape[1];
  tf.tidy(() => {
    const mean = tf.reshape(batchMean, [channels]);
    const unbiased = tf.reshape(biasedVariance, [channels]).mul(count / (count - 1));
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
    let y = tf.add(tf.mul(x, scale), shift);
    if (options.residual !== undefined) y = tf.add(y, options.residual);
    return options.relu ? tf.relu(y) : y;
  });
}
