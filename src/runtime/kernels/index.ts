export {
  installWasmTrainingKernels,
  WASM_REPLACED_KERNELS,
  WASM_KERNEL_BUILDING_BLOCKS,
} from "./wasm-training-kernels.js";
export {
  batchNormTrain,
  batchNormEval,
  batchNormEvalAffine,
  channelAffine,
  channelMean,
  BATCH_NORM_EPSILON,
  BATCH_NORM_MOMENTUM,
  type BatchNormState,
  type BatchNormTrainOptions,
} from "./batch-norm.js";
export {
  groupedConv2d,
  groupedConv2dBiasActivation,
  symmetricPadding,
  type ConvPadding,
  type GroupedConvOptions,
} from "./grouped-conv.js";
export { checkpointed, type CheckpointableBlock } from "./checkpoint.js";
export { globalAvgPool, scaleChannels, squeezeExcite } from "./channel-ops.js";
export { gelu } from "./gelu.js";

export { setSimdKernels, simdKernelsActive } from "./wasm-simd.js";
export { installOptimizerKernels, removeOptimizerKernels, hasOptimizerKernels, MOMENTUM_STEP_KERNEL, SQUARED_NORMS_KERNEL, type MomentumStepAttrs } from "./optimizer-kernels.js";

import { installOptimizerKernels } from "./optimizer-kernels.js";
import { installWasmTrainingKernels } from "./wasm-training-kernels.js";

/**
 * Installs what the chosen backend needs to train the model: on wasm the gradient kernels it lacks and
 * faster replacements; on wasm and cpu the fused optimiser kernels. Native TensorFlow needs nothing.
 */
export function installTrainingKernels(backendName: string): void {
  if (backendName === "wasm") installWasmTrainingKernels();
  installOptimizerKernels(backendName);
}
