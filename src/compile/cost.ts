// Cost model for a SEER-style training run: multiply-adds, training FLOPs, activation and parameter
// memory per device, and time per step on a device profile. Pure functions over plain data.
//
// Units: "multiply-adds" are what pycls (and RegNet names such as "16GF") call flops; one
// multiply-add is 2 FLOPs, the unit device peaks are quoted in. Memory is in bytes.

import type { DeviceProfile, Precision } from "./device-profiles.js";
import { sustainedFlops } from "./device-profiles.js";
import type { Crop, MlpHeadOptions, ParamProblem, StageTable } from "./regnet.js";
import {
  convolvedSize,
  countTrunkParameters,
  expandBlocks,
  mlpHeadComplexity,
  prototypesComplexity,
  trunkComplexity,
  type BlockShape,
} from "./regnet.js";

export interface ProjectionHead extends MlpHeadOptions {
  /** Layer widths, input first: [trunk width, hidden..., output]. */
  dims: number[];
}

export interface TrainingSetup {
  table: StageTable;
  /** Multi-crop recipe per source image, e.g. [{count: 2, size: 224}, {count: 4, size: 96}]. */
  crops: Crop[];
  /** Projection head on the pooled trunk output; none means the prototypes (if any) see the trunk output. */
  head?: ProjectionHead;
  /** Number of SwAV prototypes (a bias-free Linear(embedding, count)); 0 or absent for none. */
  prototypes?: number;
  /** Source images per device per step (each expands into every crop). */
  batchPerDevice: number;
  devices: number;
  precision: Precision;
  activationCheckpointing: boolean;
}

const FLOPS_PER_MULTIPLY_ADD = 2;
/** A backward pass costs about twice the forward (gradients w.r.t. inputs and w.r.t. weights). */
const FORWARD_PASSES_PER_TRAINING_STEP = 3;
const BYTES_FP32 = 4;
const BYTES_FP16 = 2;
/** fp32 weights, their gradients and one SGD/LARC momentum buffer. */
const PARAMETER_STATE_BYTES = 3 * BYTES_FP32;

/** Problems that make the setup's numbers meaningless (the checker reports them at the user's text). */
export function checkTrainingSetup(setup: TrainingSetup): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const positiveInteger = (field: string, value: number) => {
    if (!(Number.isInteger(value) && value >= 1)) problems.push({ field, message: `${field} must be an integer >= 1, got ${value}` });
  };
  positiveInteger("batchPerDevice", setup.batchPerDevice);
  positiveInteger("devices", setup.devices);
  if (setup.crops.length === 0) problems.push({ field: "crops", message: "at least one crop size is needed" });
  setup.crops.forEach((crop, i) => {
    positiveInteger(`crops[${i}].count`, crop.count);
    positiveInteger(`crops[${i}].size`, crop.size);
  });
  if (setup.head) {
    if (setup.head.dims.length < 2) problems.push({ field: "head.dims", message: "a head needs an input and an output width" });
    else if (setup.head.dims[0] !== setup.table.width) {
      problems.push({ field: "head.dims[0]", message: `head input ${setup.head.dims[0]} differs from the trunk output width ${setup.table.width}` });
    }
    setup.head.dims.forEach((d, i) => positiveInteger(`head.dims[${i}]`, d));
  }
  if (setup.prototypes !== undefined && !(Number.isInteger(setup.prototypes) && setup.prototypes >= 0)) {
    problems.push({ field: "prototypes", message: `prototypes must be an integer >= 0, got ${setup.prototypes}` });
  }
  return problems;
}

function embeddingWidth(setup: TrainingSetup): number {
  return setup.head ? setup.head.dims[setup.head.dims.length - 1] : setup.table.width;
}

function cropsPerImage(setup: TrainingSetup): number {
  return setup.crops.reduce((sum, crop) => sum + crop.count, 0);
}

// ------------------------------------------------------------------------------------------
// Arithmetic
// ------------------------------------------------------------------------------------------

export interface ComputePerImage {
  /** Trunk multiply-adds summed over the crops of one source image. */
  trunkMultiplyAdds: number;
  /** Head + prototypes multiply-adds summed over the crops of one source image. */
  headMultiplyAdds: number;
  /** Forward FLOPs of one source image (all crops). */
  forwardFlops: number;
  /** Forward + backward FLOPs, plus the trunk's second forward when activations are recomputed. */
  trainingFlops: number;
}

/** Per-crop head cost: projection MLP plus prototypes. */
function headMultiplyAddsPerCrop(setup: TrainingSetup): number {
  const mlp = setup.head ? mlpHeadComplexity(setup.head.dims, setup.head).multiplyAdds : 0;
  const prototypes = setup.prototypes ? prototypesComplexity(embeddingWidth(setup), setup.prototypes).multiplyAdds : 0;
  return mlp + prototypes;
}

export function computePerImage(setup: TrainingSetup): ComputePerImage {
  const trunkMultiplyAdds = setup.crops.reduce((sum, crop) => sum + crop.count * trunkComplexity(setup.table, crop.size).multiplyAdds, 0);
  const headMultiplyAdds = cropsPerImage(setup) * headMultiplyAddsPerCrop(setup);
  // Checkpointed blocks run their forward twice: once to produce the output, once during backward.
  const trunkPasses = FORWARD_PASSES_PER_TRAINING_STEP + (setup.activationCheckpointing ? 1 : 0);
  return {
    trunkMultiplyAdds,
    headMultiplyAdds,
    forwardFlops: FLOPS_PER_MULTIPLY_ADD * (trunkMultiplyAdds + headMultiplyAdds),
    trainingFlops: FLOPS_PER_MULTIPLY_ADD * (trunkPasses * trunkMultiplyAdds + FORWARD_PASSES_PER_TRAINING_STEP * headMultiplyAdds),
  };
}

// ------------------------------------------------------------------------------------------
// Memory
// ------------------------------------------------------------------------------------------
//
// Saved activations are the tensors autograd keeps for the backward pass, counted per layer in a
// RegNetY block (ReLU in place, as pycls/ClassyVision build it):
//   1x1 conv a -> BN -> ReLU      conv output (BN's input) + ReLU output        2 x wb x h^2
//   3x3 conv b -> BN -> ReLU      the same at the output resolution             2 x wb x h'^2
//   SE                            pooled vector, squeeze ReLU output, sigmoid
//                                 output, and the re-scaled map (conv c's input) 2 wb + wse + wb x h'^2
//   1x1 conv c -> BN              conv output                                   w x h'^2
//   projection 1x1 conv -> BN     conv output (when present)                    w x h'^2
//   add -> ReLU                   block output (the next block's input)         w x h'^2
// The block input is the previous block's output and is not counted twice. The stem keeps the
// image, its conv output and its ReLU output. With activation checkpointing only each block's
// input is kept, plus the internals of the one block being recomputed during backward.
// Not modelled: gradient buffers live during backward, cuDNN workspaces, allocator fragmentation.

function blockInternalElements(block: BlockShape, inputSize: number): number {
  const outputSize = convolvedSize(inputSize, block.stride);
  const inputArea = inputSize * inputSize;
  const outputArea = outputSize * outputSize;
  const wb = block.bottleneckWidth;
  let elements = 2 * wb * inputArea + 2 * wb * outputArea;
  if (block.seWidth > 0) elements += 2 * wb + block.seWidth + wb * outputArea;
  elements += block.width * outputArea * (block.hasProjection ? 3 : 2);
  return elements;
}

/** Saved trunk activation elements for one crop of side `size`. */
export function trunkActivationElements(table: StageTable, size: number, activationCheckpointing: boolean): number {
  const stemSize = convolvedSize(size, 2);
  let elements = 3 * size * size + 2 * table.stemWidth * stemSize * stemSize;
  let spatial = stemSize;
  let largestInternals = 0;
  for (const block of expandBlocks(table)) {
    const internals = blockInternalElements(block, spatial);
    if (activationCheckpointing) {
      const isFirst = block.stageIndex === 0 && block.blockIndex === 0;
      if (!isFirst) elements += block.inputWidth * spatial * spatial;
      largestInternals = Math.max(largestInternals, internals);
    } else {
      elements += internals;
    }
    spatial = convolvedSize(spatial, block.stride);
  }
  return elements + largestInternals;
}

/** Saved head activations for one crop: pooled input, hidden outputs (+BN), embedding, normalised embedding. */
function headActivationElements(setup: TrainingSetup): number {
  if (!setup.head) return setup.table.width;
  const dims = setup.head.dims;
  let elements = dims[0];
  for (let i = 1; i < dims.length; i++) {
    const last = i === dims.length - 1;
    const batchNormHere = (setup.head.batchNorm ?? false) && !(last && (setup.head.skipLastBatchNorm ?? true));
    elements += dims[i] * (batchNormHere ? 2 : 1);
  }
  return elements + dims[dims.length - 1];
}

export interface MemoryEstimate {
  /** Saved activations of the whole per-device batch. */
  activationBytes: number;
  trunkActivationBytes: number;
  headActivationBytes: number;
  /** Learnable parameters of trunk + head + prototypes. */
  parameters: number;
  /** fp32 weights + gradients + one momentum buffer. */
  parameterStateBytes: number;
  totalBytes: number;
}

/** Memory one device needs for a training step (see the model described above). */
export function estimateMemory(setup: TrainingSetup): MemoryEstimate {
  // Mixed precision (autocast / apex O1) keeps conv and linear outputs in fp16; the prototype scores
  // and the loss stay in fp32, as VISSL keeps the prototypes layer in full precision.
  const activationBytesEach = setup.precision === "mixed" ? BYTES_FP16 : BYTES_FP32;
  let trunkElements = 0;
  for (const crop of setup.crops) trunkElements += crop.count * trunkActivationElements(setup.table, crop.size, setup.activationCheckpointing);
  const crops = cropsPerImage(setup);
  const headElements = crops * headActivationElements(setup);
  // Scores and log-softmax of every crop (the Sinkhorn codes are computed without gradient).
  const scoreElements = crops * 2 * (setup.prototypes ?? 0);

  const trunkActivationBytes = setup.batchPerDevice * trunkElements * activationBytesEach;
  const headActivationBytes = setup.batchPerDevice * (headElements * activationBytesEach + scoreElements * BYTES_FP32);
  const parameters =
    countTrunkParameters(setup.table) +
    (setup.head ? mlpHeadComplexity(setup.head.dims, setup.head).params : 0) +
    (setup.prototypes ? prototypesComplexity(embeddingWidth(setup), setup.prototypes).params : 0);
  const parameterStateBytes = parameters * PARAMETER_STATE_BYTES;
  const activationBytes = trunkActivationBytes + headActivationBytes;
  return {
    activationBytes,
    trunkActivationBytes,
    headActivationBytes,
    parameters,
    parameterStateBytes,
    totalBytes: activationBytes + parameterStateBytes,
  };
}

// ------------------------------------------------------------------------------------------
// Time
// ------------------------------------------------------------------------------------------

export interface StepEstimate {
  imagesPerStep: number;
  trainingFlopsPerImage: number;
  trainingFlopsPerStep: number;
  sustainedFlopsPerDevice: number;
  secondsPerStep: number;
  /** Source images per second over all devices. */
  imagesPerSecond: number;
}

/**
 * Step time = training FLOPs of the global batch / (devices x sustained FLOP/s per device), with
 * sustained = peak x assumed utilisation for the precision. Communication (gradient all-reduce,
 * synced BatchNorm) and data loading are not modelled separately: they are inside the utilisation.
 */
export function estimateStep(setup: TrainingSetup, profile: DeviceProfile): StepEstimate {
  const perImage = computePerImage(setup);
  const imagesPerStep = setup.batchPerDevice * setup.devices;
  const sustained = sustainedFlops(profile, setup.precision);
  const trainingFlopsPerStep = perImage.trainingFlops * imagesPerStep;
  const secondsPerStep = trainingFlopsPerStep / (setup.devices * sustained);
  return {
    imagesPerStep,
    trainingFlopsPerImage: perImage.trainingFlops,
    trainingFlopsPerStep,
    sustainedFlopsPerDevice: sustained,
    secondsPerStep,
    imagesPerSecond: imagesPerStep / secondsPerStep,
  };
}

export interface TrainingTimeEstimate extends StepEstimate {
  steps: number;
  totalSeconds: number;
}

export function estimateTrainingTime(setup: TrainingSetup, profile: DeviceProfile, steps: number): TrainingTimeEstimate {
  const step = estimateStep(setup, profile);
  return { ...step, steps, totalSeconds: step.secondsPerStep * steps };
}

export interface MemoryFit extends MemoryEstimate {
  deviceBytes: number;
  fits: boolean;
}

export function checkMemoryFit(setup: TrainingSetup, profile: DeviceProfile): MemoryFit {
  const estimate = estimateMemory(setup);
  return { ...estimate, deviceBytes: profile.memoryBytes, fits: estimate.totalBytes <= profile.memoryBytes };
}
