// RegNet derivation: from the five generator numbers (or an explicit AnyNet stage list) to a stage
// table, and the parameter, multiply-add and activation counts of the RegNetY trunk it describes.
// Pure functions over plain data; no TensorFlow.js.
//
// Two width-rounding conventions exist in the wild and disagree for some presets (RegNetY-800MF and
// -8GF among them), so every derivation names one:
//   - "pycls": pycls / ClassyVision / VISSL (what SEER was trained with). Float64 arithmetic, round
//     half to even everywhere, bottleneck widths snapped to the nearest multiple of the group width.
//   - "torchvision": torchvision.models.regnet. The same generator evaluated in float32 (torch's
//     default dtype), then `_make_divisible`: round half up, and one more group when rounding would
//     lose more than 10% of the width.

export type RegNetRounding = "pycls" | "torchvision";

/** The RegNet generator's inputs (Radosavovic et al. 2020, "Designing Network Design Spaces"). */
export interface RegNetParams {
  /** Initial width w0; > 0 and a multiple of 8. */
  w0: number;
  /** Width slope wa; >= 0. */
  wa: number;
  /** Width multiplier wm between stages; > 1. */
  wm: number;
  /** Channels per group in the 3x3 convolutions. */
  groupWidth: number;
  /** Total number of blocks. */
  depth: number;
  /** Squeeze-and-excitation ratio relative to the block input width; 0 gives a plain RegNetX-style block. */
  seRatio: number;
  /** Bottleneck width / block output width; default 1. */
  bottleneckMultiplier?: number;
  /** Output channels of the 3x3/2 stem; default 32. */
  stemWidth?: number;
}

/** An explicit AnyNet: the user gives every stage directly. */
export interface AnyNetParams {
  depths: number[];
  widths: number[];
  groupWidths: number[];
  /** One per stage; default 1 for every stage. */
  bottleneckMultipliers?: number[];
  /** One per stage; default 2 for every stage. */
  strides?: number[];
  seRatio: number;
  stemWidth?: number;
}

export interface RegNetStage {
  /** Number of blocks in the stage. */
  depth: number;
  /** Output width of every block in the stage. */
  width: number;
  /** Input width of the stage's first block (the previous stage's width, or the stem width). */
  inputWidth: number;
  /** Channels per group in the 3x3 convolution, after the width/group compatibility adjustment. */
  groupWidth: number;
  /** Number of groups of the 3x3 convolution: bottleneckWidth / groupWidth. */
  groups: number;
  /** Stride of the stage's first block. */
  stride: number;
  bottleneckMultiplier: number;
  bottleneckWidth: number;
  /** SE squeeze width of the blocks after the first (their input width is `width`); 0 without SE. */
  seWidth: number;
  /** SE squeeze width of the first block (its input width is `inputWidth`); 0 without SE. */
  firstBlockSeWidth: number;
}

export interface StageTable {
  /** "anynet" when the stages were given explicitly. */
  source: RegNetRounding | "anynet";
  stemWidth: number;
  seRatio: number;
  stages: RegNetStage[];
  /** Last stage width: the trunk's output width (what a head or classifier sees after pooling). */
  width: number;
  /** Total blocks over all stages. */
  depth: number;
  /** Product of the stem stride and every stage stride. */
  totalStride: number;
  /** Per-block widths before the compatibility adjustment (generator output; empty for "anynet"). */
  quantizedBlockWidths: number[];
}

export interface ParamProblem {
  field: string;
  message: string;
}

export type StageTableResult = { ok: true; table: StageTable } | { ok: false; problems: ParamProblem[] };

export interface DeriveOptions {
  rounding: RegNetRounding;
}

const WIDTH_QUANTUM = 8;
const STAGE_STRIDE = 2;
const STEM_STRIDE = 2;
const STEM_KERNEL = 3;
const IMAGE_CHANNELS = 3;

/** Python 3 `round(x)`: nearest integer, ties to the even neighbour (also numpy's and torch's `round`). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a);
}

function isPositiveInteger(x: number): boolean {
  return Number.isInteger(x) && x >= 1;
}

function checkGeneratorParams(params: RegNetParams, rounding: RegNetRounding): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const finite = (field: string, value: number): boolean => {
    if (typeof value === "number" && Number.isFinite(value)) return true;
    problems.push({ field, message: `${field} must be a finite number, got ${String(value)}` });
    return false;
  };
  if (finite("w0", params.w0) && !(params.w0 > 0 && params.w0 % WIDTH_QUANTUM === 0)) {
    problems.push({ field: "w0", message: `w0 must be a positive multiple of ${WIDTH_QUANTUM}, got ${params.w0}` });
  }
  if (finite("wa", params.wa) && !(params.wa >= 0)) {
    problems.push({ field: "wa", message: `wa must be >= 0, got ${params.wa}` });
  }
  if (finite("wm", params.wm) && !(params.wm > 1)) {
    problems.push({ field: "wm", message: `wm must be > 1, got ${params.wm}` });
  }
  if (finite("depth", params.depth) && !isPositiveInteger(params.depth)) {
    problems.push({ field: "depth", message: `depth must be an integer >= 1, got ${params.depth}` });
  }
  problems.push(...checkSharedParams(params.groupWidth, params.seRatio, params.bottleneckMultiplier, params.stemWidth, rounding));
  return problems;
}

function checkSharedParams(
  groupWidth: number | undefined,
  seRatio: number,
  bottleneckMultiplier: number | undefined,
  stemWidth: number | undefined,
  rounding: RegNetRounding | "anynet",
): ParamProblem[] {
  const problems: ParamProblem[] = [];
  if (groupWidth !== undefined && !isPositiveInteger(groupWidth)) {
    problems.push({ field: "groupWidth", message: `groupWidth must be an integer >= 1, got ${groupWidth}` });
  }
  if (!(typeof seRatio === "number" && Number.isFinite(seRatio) && seRatio >= 0)) {
    problems.push({ field: "seRatio", message: `seRatio must be a number >= 0 (0 = no squeeze-and-excitation), got ${String(seRatio)}` });
  }
  if (bottleneckMultiplier !== undefined) {
    problems.push(...checkBottleneckMultiplier("bottleneckMultiplier", bottleneckMultiplier, rounding));
  }
  if (stemWidth !== undefined && !isPositiveInteger(stemWidth)) {
    problems.push({ field: "stemWidth", message: `stemWidth must be an integer >= 1, got ${stemWidth}` });
  }
  return problems;
}

function checkBottleneckMultiplier(field: string, value: number, rounding: RegNetRounding | "anynet"): ParamProblem[] {
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
    return [{ field, message: `${field} must be a number > 0, got ${String(value)}` }];
  }
  // pycls only accepts expansions (b > 1) that are whole numbers: it takes lcm(groupWidth, b).
  if (rounding === "pycls" && value > 1 && !Number.isInteger(value)) {
    return [{ field, message: `${field} above 1 must be a whole number under the pycls convention, got ${value}` }];
  }
  return [];
}

/** Per-block widths from the generator, float64 as pycls/ClassyVision evaluate it with numpy. */
function blockWidthsPycls(p: RegNetParams): number[] {
  const logMultiplier = Math.log(p.wm);
  const widths: number[] = [];
  for (let j = 0; j < p.depth; j++) {
    const continuous = j * p.wa + p.w0;
    const exponent = roundHalfEven(Math.log(continuous / p.w0) / logMultiplier);
    const snapped = p.w0 * Math.pow(p.wm, exponent);
    widths.push(roundHalfEven(snapped / WIDTH_QUANTUM) * WIDTH_QUANTUM);
  }
  return widths;
}

/**
 * Per-block widths as torchvision evaluates the same formula on float32 tensors: every intermediate
 * is rounded to float32 (Math.fround), which can move a value across a rounding boundary.
 */
function blockWidthsTorchvision(p: RegNetParams): number[] {
  const f = Math.fround;
  const slope = f(p.wa);
  const multiplier = f(p.wm);
  const logMultiplier = f(Math.log(p.wm));
  const widths: number[] = [];
  for (let j = 0; j < p.depth; j++) {
    const continuous = f(f(j * slope) + p.w0);
    const exponent = roundHalfEven(f(f(Math.log(f(continuous / p.w0))) / logMultiplier));
    const snapped = f(p.w0 * f(Math.pow(multiplier, exponent)));
    widths.push(roundHalfEven(f(snapped / WIDTH_QUANTUM)) * WIDTH_QUANTUM);
  }
  return widths;
}

/** Consecutive equal widths form a stage (the generator's widths never decrease since wa >= 0). */
function groupIntoStages(blockWidths: number[]): { width: number; depth: number }[] {
  const stages: { width: number; depth: number }[] = [];
  for (const width of blockWidths) {
    const last = stages[stages.length - 1];
    if (last && last.width === width) last.depth += 1;
    else stages.push({ width, depth: 1 });
  }
  return stages;
}

/** pycls `adjust_block_compatibility`: bottleneck width becomes the nearest multiple of the group width. */
function compatiblePycls(width: number, multiplier: number, groupWidth: number): { width: number; groupWidth: number } {
  let bottleneck = Math.trunc(Math.max(1, width * multiplier));
  const group = Math.trunc(Math.min(groupWidth, bottleneck));
  const unit = multiplier > 1 ? (group * multiplier) / greatestCommonDivisor(group, multiplier) : group;
  bottleneck = Math.max(unit, Math.trunc(roundHalfEven(bottleneck / unit) * unit));
  return { width: Math.trunc(bottleneck / multiplier), groupWidth: group };
}

/** torchvision `_make_divisible(v, g)`: round half up, never below g, never more than 10% below v. */
function makeDivisibleTorchvision(value: number, divisor: number): number {
  let rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

function compatibleTorchvision(width: number, multiplier: number, groupWidth: number): { width: number; groupWidth: number } {
  const bottleneck = Math.trunc(width * multiplier);
  const group = Math.min(groupWidth, bottleneck);
  const adjusted = makeDivisibleTorchvision(bottleneck, group);
  return { width: Math.trunc(adjusted / multiplier), groupWidth: group };
}

/** The block's bottleneck width as the model code computes it: int(round(width * multiplier)). */
function bottleneckWidthOf(width: number, multiplier: number): number {
  return roundHalfEven(width * multiplier);
}

function seWidthOf(seRatio: number, blockInputWidth: number): number {
  return seRatio > 0 ? roundHalfEven(seRatio * blockInputWidth) : 0;
}

function buildStage(
  depth: number,
  width: number,
  inputWidth: number,
  groupWidth: number,
  stride: number,
  bottleneckMultiplier: number,
  seRatio: number,
): RegNetStage {
  const bottleneckWidth = bottleneckWidthOf(width, bottleneckMultiplier);
  return {
    depth,
    width,
    inputWidth,
    groupWidth,
    groups: Math.floor(bottleneckWidth / groupWidth),
    stride,
    bottleneckMultiplier,
    bottleneckWidth,
    seWidth: seWidthOf(seRatio, width),
    firstBlockSeWidth: seWidthOf(seRatio, inputWidth),
  };
}

function finishTable(
  source: StageTable["source"],
  stemWidth: number,
  seRatio: number,
  stages: RegNetStage[],
  quantizedBlockWidths: number[],
): StageTable {
  return {
    source,
    stemWidth,
    seRatio,
    stages,
    width: stages[stages.length - 1].width,
    depth: stages.reduce((sum, s) => sum + s.depth, 0),
    totalStride: stages.reduce((product, s) => product * s.stride, STEM_STRIDE),
    quantizedBlockWidths,
  };
}

/** Derives the stage table of a RegNet from its generator parameters, or lists what is wrong with them. */
export function deriveRegNet(params: RegNetParams, options: DeriveOptions): StageTableResult {
  const rounding = options.rounding;
  const problems = checkGeneratorParams(params, rounding);
  if (problems.length > 0) return { ok: false, problems };

  const bottleneckMultiplier = params.bottleneckMultiplier ?? 1;
  const stemWidth = params.stemWidth ?? 32;
  const blockWidths = rounding === "pycls" ? blockWidthsPycls(params) : blockWidthsTorchvision(params);
  const compatible = rounding === "pycls" ? compatiblePycls : compatibleTorchvision;

  const stages: RegNetStage[] = [];
  let inputWidth = stemWidth;
  for (const raw of groupIntoStages(blockWidths)) {
    const adjusted = compatible(raw.width, bottleneckMultiplier, params.groupWidth);
    stages.push(
      buildStage(raw.depth, adjusted.width, inputWidth, adjusted.groupWidth, STAGE_STRIDE, bottleneckMultiplier, params.seRatio),
    );
    inputWidth = adjusted.width;
  }
  return { ok: true, table: finishTable(rounding, stemWidth, params.seRatio, stages, blockWidths) };
}

/** Builds the stage table of an explicitly given AnyNet, or lists what is wrong with it. */
export function deriveAnyNet(params: AnyNetParams): StageTableResult {
  const problems: ParamProblem[] = [];
  const stageCount = Array.isArray(params.depths) ? params.depths.length : 0;
  if (stageCount === 0) problems.push({ field: "depths", message: "depths must list at least one stage" });
  const lists: [string, unknown[] | undefined, boolean][] = [
    ["widths", params.widths, true],
    ["groupWidths", params.groupWidths, true],
    ["bottleneckMultipliers", params.bottleneckMultipliers, false],
    ["strides", params.strides, false],
  ];
  for (const [field, list, required] of lists) {
    if ((required || list !== undefined) && (!Array.isArray(list) || list.length !== stageCount)) {
      problems.push({ field, message: `${field} must have one entry per stage (${stageCount}), got ${Array.isArray(list) ? list.length : "none"}` });
    }
  }
  problems.push(...checkSharedParams(undefined, params.seRatio, undefined, params.stemWidth, "anynet"));
  if (problems.length > 0) return { ok: false, problems };

  const multipliers = params.bottleneckMultipliers ?? params.depths.map(() => 1);
  const strides = params.strides ?? params.depths.map(() => STAGE_STRIDE);
  for (let i = 0; i < stageCount; i++) {
    const at = (field: string) => `${field}[${i}]`;
    if (!isPositiveInteger(params.depths[i])) problems.push({ field: at("depths"), message: `stage depth must be an integer >= 1, got ${params.depths[i]}` });
    if (!isPositiveInteger(params.widths[i])) problems.push({ field: at("widths"), message: `stage width must be an integer >= 1, got ${params.widths[i]}` });
    if (!isPositiveInteger(params.groupWidths[i])) problems.push({ field: at("groupWidths"), message: `group width must be an integer >= 1, got ${params.groupWidths[i]}` });
    if (!isPositiveInteger(strides[i])) problems.push({ field: at("strides"), message: `stride must be an integer >= 1, got ${strides[i]}` });
    const multiplierProblems = checkBottleneckMultiplier(at("bottleneckMultipliers"), multipliers[i], "anynet");
    problems.push(...multiplierProblems);
    if (multiplierProblems.length === 0 && isPositiveInteger(params.widths[i]) && isPositiveInteger(params.groupWidths[i])) {
      const bottleneck = bottleneckWidthOf(params.widths[i], multipliers[i]);
      if (bottleneck % params.groupWidths[i] !== 0) {
        problems.push({
          field: at("groupWidths"),
          message: `group width ${params.groupWidths[i]} does not divide the bottleneck width ${bottleneck} (width ${params.widths[i]} x multiplier ${multipliers[i]})`,
        });
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const stemWidth = params.stemWidth ?? 32;
  const stages: RegNetStage[] = [];
  let inputWidth = stemWidth;
  for (let i = 0; i < stageCount; i++) {
    stages.push(buildStage(params.depths[i], params.widths[i], inputWidth, params.groupWidths[i], strides[i], multipliers[i], params.seRatio));
    inputWidth = params.widths[i];
  }
  return { ok: true, table: finishTable("anynet", stemWidth, params.seRatio, stages, []) };
}

// ---------------------------------------------------------------------------------------------
// Counting. Parameters are learnable parameters only (BatchNorm running statistics are buffers).
// Multiply-adds follow pycls's complexity code, which calls them "flops": k*k*cin*cout*h*w/groups
// per convolution, the bias added once per output channel, BatchNorm and activations free, the SE
// convolutions counted at 1x1 spatial size. pycls "acts" is the number of convolution outputs.
// ---------------------------------------------------------------------------------------------

/** One residual block of a stage, expanded (the first block differs: stride and input width). */
export interface BlockShape {
  stageIndex: number;
  blockIndex: number;
  inputWidth: number;
  width: number;
  stride: number;
  bottleneckWidth: number;
  groups: number;
  seWidth: number;
  hasProjection: boolean;
}

/** Every block of the trunk in order. */
export function expandBlocks(table: StageTable): BlockShape[] {
  const blocks: BlockShape[] = [];
  table.stages.forEach((stage, stageIndex) => {
    for (let blockIndex = 0; blockIndex < stage.depth; blockIndex++) {
      const first = blockIndex === 0;
      const inputWidth = first ? stage.inputWidth : stage.width;
      const stride = first ? stage.stride : 1;
      blocks.push({
        stageIndex,
        blockIndex,
        inputWidth,
        width: stage.width,
        stride,
        bottleneckWidth: stage.bottleneckWidth,
        groups: stage.groups,
        seWidth: first ? stage.firstBlockSeWidth : stage.seWidth,
        hasProjection: inputWidth !== stage.width || stride !== 1,
      });
    }
  });
  return blocks;
}

/** A convolution's output side length as pycls computes it for odd kernels with "same" padding. */
export function convolvedSize(size: number, stride: number): number {
  return Math.floor((size - 1) / stride) + 1;
}

export interface Complexity {
  /** Learnable parameters. */
  params: number;
  /** Multiply-adds per image (pycls "flops"). */
  multiplyAdds: number;
  /** Convolution and linear output elements per image (pycls "acts"). */
  activations: number;
}

const EMPTY: Complexity = { params: 0, multiplyAdds: 0, activations: 0 };

function add(a: Complexity, b: Complexity): Complexity {
  return { params: a.params + b.params, multiplyAdds: a.multiplyAdds + b.multiplyAdds, activations: a.activations + b.activations };
}

function conv(inputChannels: number, outputChannels: number, kernel: number, outputSize: number, groups = 1, bias = false): Complexity {
  const weights = (kernel * kernel * inputChannels * outputChannels) / groups;
  const biasCount = bias ? outputChannels : 0;
  return {
    params: weights + biasCount,
    multiplyAdds: weights * outputSize * outputSize + biasCount,
    activations: outputChannels * outputSize * outputSize,
  };
}

function batchNorm(channels: number): Complexity {
  return { params: 2 * channels, multiplyAdds: 0, activations: 0 };
}

function stemComplexity(table: StageTable, size: number): Complexity {
  const outputSize = convolvedSize(size, STEM_STRIDE);
  return add(conv(IMAGE_CHANNELS, table.stemWidth, STEM_KERNEL, outputSize), batchNorm(table.stemWidth));
}

function blockComplexity(block: BlockShape, inputSize: number): Complexity {
  const outputSize = convolvedSize(inputSize, block.stride);
  const wb = block.bottleneckWidth;
  let total = EMPTY;
  if (block.hasProjection) total = add(total, add(conv(block.inputWidth, block.width, 1, outputSize), batchNorm(block.width)));
  total = add(total, add(conv(block.inputWidth, wb, 1, inputSize), batchNorm(wb)));
  total = add(total, add(conv(wb, wb, 3, outputSize, block.groups), batchNorm(wb)));
  if (block.seWidth > 0) {
    total = add(total, conv(wb, block.seWidth, 1, 1, 1, true));
    total = add(total, conv(block.seWidth, wb, 1, 1, 1, true));
  }
  total = add(total, add(conv(wb, block.width, 1, outputSize), batchNorm(block.width)));
  return total;
}

/**
 * Counts cached per table (by identity) and image size: one check asks for the same counts from several
 * derivations (parameters, FLOPs per crop size, memory), and a sweep's trials rebuild equal tables,
 * hence the key on the table's content as well.
 */
const complexityByTable = new WeakMap<StageTable, Map<number, Complexity>>();
const complexityByContent = new Map<string, Map<number, Complexity>>();

/** Params, multiply-adds and activations of the trunk (stem + stages) for one square image of side `size`. */
export function trunkComplexity(table: StageTable, size: number): Complexity {
  let bySize = complexityByTable.get(table);
  if (!bySize) {
    const key = JSON.stringify([table.stemWidth, table.seRatio, table.stages]);
    bySize = complexityByContent.get(key);
    if (!bySize) {
      if (complexityByContent.size >= 256) complexityByContent.clear();
      bySize = new Map();
      complexityByContent.set(key, bySize);
    }
    complexityByTable.set(table, bySize);
  }
  let result = bySize.get(size);
  if (!result) {
    result = computeTrunkComplexity(table, size);
    bySize.set(size, result);
  }
  return { ...result };
}

function computeTrunkComplexity(table: StageTable, size: number): Complexity {
  let total = stemComplexity(table, size);
  let spatial = convolvedSize(size, STEM_STRIDE);
  for (const block of expandBlocks(table)) {
    total = add(total, blockComplexity(block, spatial));
    spatial = convolvedSize(spatial, block.stride);
  }
  return total;
}

/** Learnable parameters of the trunk (independent of the image size). */
export function countTrunkParameters(table: StageTable): number {
  return trunkComplexity(table, 1).params;
}

/** The trunk's final feature map side for a square input of side `size`. */
export function trunkOutputSize(table: StageTable, size: number): number {
  let spatial = convolvedSize(size, STEM_STRIDE);
  for (const stage of table.stages) spatial = convolvedSize(spatial, stage.stride);
  return spatial;
}

/** Linear classifier on the pooled trunk output: width x classes weights plus one bias per class. */
export function classifierComplexity(width: number, classes: number): Complexity {
  return { params: width * classes + classes, multiplyAdds: width * classes + classes, activations: classes };
}

export function countClassifierParameters(width: number, classes: number): number {
  return classifierComplexity(width, classes).params;
}

export interface MlpHeadOptions {
  /** BatchNorm1d after each hidden linear layer (2 learnable parameters per feature). Default false. */
  batchNorm?: boolean;
  /** Linear layers carry a bias. Default true. */
  bias?: boolean;
  /** No BatchNorm after the last linear layer (VISSL's `skip_last_bn`, default true). */
  skipLastBatchNorm?: boolean;
}

/** Projection head: Linear(dims[0], dims[1]) [-> BN] -> ReLU -> ... -> Linear(dims[n-2], dims[n-1]). Per image. */
export function mlpHeadComplexity(dims: number[], options: MlpHeadOptions = {}): Complexity {
  const bias = options.bias ?? true;
  const batchNormOn = options.batchNorm ?? false;
  const skipLast = options.skipLastBatchNorm ?? true;
  let total = EMPTY;
  for (let i = 0; i + 1 < dims.length; i++) {
    const [inputs, outputs] = [dims[i], dims[i + 1]];
    const biasCount = bias ? outputs : 0;
    total = add(total, { params: inputs * outputs + biasCount, multiplyAdds: inputs * outputs + biasCount, activations: outputs });
    const last = i + 2 === dims.length;
    if (batchNormOn && !(last && skipLast)) total = add(total, batchNorm(outputs));
  }
  return total;
}

export function countMlpHeadParameters(dims: number[], options: MlpHeadOptions = {}): number {
  return mlpHeadComplexity(dims, options).params;
}

/** SwAV prototypes: a bias-free Linear(dimension, count). Per image. */
export function prototypesComplexity(dimension: number, count: number): Complexity {
  return { params: dimension * count, multiplyAdds: dimension * count, activations: count };
}

export function countPrototypeParameters(dimension: number, count: number): number {
  return prototypesComplexity(dimension, count).params;
}

/** Trunk plus a `classes`-way classifier: what torchvision's and pycls's published numbers describe. */
export function classificationModelComplexity(table: StageTable, size: number, classes: number): Complexity {
  return add(trunkComplexity(table, size), classifierComplexity(table.width, classes));
}

export interface Crop {
  count: number;
  size: number;
}

/** Trunk multiply-adds summed over a multi-crop recipe, per source image. */
export function multiCropTrunkMultiplyAdds(table: StageTable, crops: Crop[]): number {
  return crops.reduce((sum, crop) => sum + crop.count * trunkComplexity(table, crop.size).multiplyAdds, 0);
}
