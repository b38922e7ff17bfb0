// Plain-data model specs (produced by the compiler from the IR) and the per-block plan derived
// from them, following torchvision's RegNet (torchvision/models/regnet.py): ResBottleneckBlock with
// BottleneckTransform, the SE width taken from the block's input width.
import { roundHalfToEven } from "./init.js";

export interface StageSpec {
  readonly depth: number;
  readonly width: number;
  readonly groupWidth: number;
  readonly stride: number;
  readonly bottleneckMultiplier: number;
}

export interface TrunkSpec {
  readonly stemWidth: number;
  readonly stages: readonly StageSpec[];
  /** Squeeze-excitation ratio relative to the block's input width; 0 = no SE (plain RegNet). */
  readonly seRatio: number;
  /** Zero-initialise the last batch norm of each block's residual branch (pycls ZERO_INIT_FINAL_GAMMA). */
  readonly zeroInitFinalBn: boolean;
}

export interface HeadSpec {
  /** Layer widths; the first is the trunk's output width, the last the embedding dimension. */
  readonly dims: readonly number[];
  readonly batchnorm: boolean;
  readonly activation: "relu" | "gelu";
}

export interface SwavModelSpec {
  readonly trunk: TrunkSpec;
  readonly head: HeadSpec;
  /** Number of prototypes K. */
  readonly prototypes: number;
  readonly seed: number;
  /** Recompute every Y-block in the backward pass instead of keeping its activations. */
  readonly activationCheckpointing: boolean;
}

/** A spec the model cannot be built from; `message` says which field and why. */
export class ModelSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelSpecError";
  }
}

export interface BlockPlan {
  /** 1-based stage index, 0-based block index within the stage (torchvision's naming). */
  readonly stage: number;
  readonly index: number;
  /** torchvision state-dict prefix, e.g. `trunk_output.block2.block2-0`. */
  readonly prefix: string;
  readonly widthIn: number;
  readonly widthOut: number;
  readonly stride: number;
  /** Width of the 3x3 grouped conv: round(widthOut · bottleneckMultiplier). */
  readonly bottleneckWidth: number;
  readonly groups: number;
  /** SE squeeze width round(seRatio · widthIn), 0 when the trunk has no SE. */
  readonly seWidth: number;
  readonly hasProjection: boolean;
}

function requirePositiveInteger(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ModelSpecError(`${field} must be a positive integer (got ${value})`);
  }
}

export function validateSpec(spec: SwavModelSpec): void {
  const { trunk, head } = spec;
  requirePositiveInteger(trunk.stemWidth, "trunk.stemWidth");
  if (trunk.stages.length === 0) throw new ModelSpecError("trunk.stages must not be empty");
  if (!(trunk.seRatio >= 0 && trunk.seRatio < 1)) {
    throw new ModelSpecError(`trunk.seRatio must be in [0, 1) (got ${trunk.seRatio})`);
  }
  trunk.stages.forEach((stage, i) => {
    const where = `trunk.stages[${i}]`;
    requirePositiveInteger(stage.depth, `${where}.depth`);
    requirePositiveInteger(stage.width, `${where}.width`);
    requirePositiveInteger(stage.groupWidth, `${where}.groupWidth`);
    requirePositiveInteger(stage.stride, `${where}.stride`);
    if (!(stage.bottleneckMultiplier > 0)) {
      throw new ModelSpecError(`${where}.bottleneckMultiplier must be positive (got ${stage.bottleneckMultiplier})`);
    }
    const bottleneck = roundHalfToEven(stage.width * stage.bottleneckMultiplier);
    if (bottleneck % stage.groupWidth !== 0) {
      throw new ModelSpecError(
        `${where}: bottleneck width ${bottleneck} is not a multiple of groupWidth ${stage.groupWidth}`,
      );
    }
  });
  if (head.dims.length < 2) throw new ModelSpecError("head.dims needs at least the input and the embedding width");
  head.dims.forEach((d, i) => requirePositiveInteger(d, `head.dims[${i}]`));
  const trunkWidth = trunk.stages[trunk.stages.length - 1].width;
  if (head.dims[0] !== trunkWidth) {
    throw new ModelSpecError(`head.dims[0] = ${head.dims[0]} must equal the trunk output width ${trunkWidth}`);
  }
  if (head.activation !== "relu" && head.activation !== "gelu") {
    throw new ModelSpecError(`head.activation must be "relu" or "gelu" (got ${String(head.activation)})`);
  }
  if (trunk.seRatio > 0) {
    for (const block of planBlocks(trunk)) {
      if (block.seWidth < 1) {
        throw new ModelSpecError(
          `${block.prefix}: SE width round(${trunk.seRatio} × ${block.widthIn}) is 0; raise seRatio or set it to 0`,
        );
      }
    }
  }
  requirePositiveInteger(spec.prototypes, "prototypes");
  if (!Number.isInteger(spec.seed) || spec.seed < 0) {
    throw new ModelSpecError(`seed must be a non-negative integer (got ${spec.seed})`);
  }
}

export function planBlocks(trunk: TrunkSpec): BlockPlan[] {
  const plans: BlockPlan[] = [];
  let widthIn = trunk.stemWidth;
  trunk.stages.forEach((stage, s) => {
    const stageNumber = s + 1;
    for (let i = 0; i < stage.depth; i++) {
      const stride = i === 0 ? stage.stride : 1;
      const bottleneckWidth = roundHalfToEven(stage.width * stage.bottleneckMultiplier);
      plans.push({
        stage: stageNumber,
        index: i,
        prefix: `trunk_output.block${stageNumber}.block${stageNumber}-${i}`,
        widthIn,
        widthOut: stage.width,
        stride,
        bottleneckWidth,
        groups: bottleneckWidth / stage.groupWidth,
        seWidth: trunk.seRatio > 0 ? roundHalfToEven(trunk.seRatio * widthIn) : 0,
        hasProjection: widthIn !== stage.width || stride !== 1,
      });
      widthIn = stage.width;
    }
  });
  return plans;
}
