// RegNetY trunk in NHWC, matching torchvision's RegNet module for module:
//   stem: 3x3/2 conv (no bias, padding 1) → BN → ReLU
//   block: a = 1x1 conv → BN → ReLU; b = 3x3 grouped conv (stride in the stage's first block,
//          padding 1) → BN → ReLU; se = avgpool → 1x1 conv(+bias) → ReLU → 1x1 conv(+bias) →
//          sigmoid → scale; c = 1x1 conv → BN; out = ReLU(c + shortcut), the shortcut a 1x1/stride
//          conv → BN when the width or the stride changes.
// Padding is PyTorch's symmetric padding (not TF 'same') so that weights carry over unchanged.
import * as tf from "@tensorflow/tfjs";
import {
  batchNormEvalAffine,
  batchNormTrain,
  checkpointed,
  globalAvgPool,
  groupedConv2d,
  groupedConv2dBiasActivation,
  squeezeExcite,
  symmetricPadding,
  type BatchNormState,
} from "../kernels/index.js";
import type { ParameterStore } from "./parameters.js";
import { planBlocks, type BlockPlan, type TrunkSpec } from "./spec.js";

export type ForwardMode = "train" | "eval";

const PAD_ONE = symmetricPadding(1);

/** Creates the trunk's variables in `store` (torchvision names) and returns the block plan. */
export function createTrunkParameters(store: ParameterStore, trunk: TrunkSpec): BlockPlan[] {
  store.convWeight("stem.0.weight", [3, 3, 3, trunk.stemWidth]);
  store.batchNorm("stem.1", trunk.stemWidth, false);
  const blocks = planBlocks(trunk);
  for (const block of blocks) {
    const { prefix, widthIn, widthOut, bottleneckWidth: wb, groups, seWidth } = block;
    if (block.hasProjection) {
      store.convWeight(`${prefix}.proj.0.weight`, [1, 1, widthIn, widthOut]);
      store.batchNorm(`${prefix}.proj.1`, widthOut, false);
    }
    store.convWeight(`${prefix}.f.a.0.weight`, [1, 1, widthIn, wb]);
    store.batchNorm(`${prefix}.f.a.1`, wb, false);
    store.convWeight(`${prefix}.f.b.0.weight`, [3, 3, wb / groups, wb]);
    store.batchNorm(`${prefix}.f.b.1`, wb, false);
    if (seWidth > 0) {
      store.convWeight(`${prefix}.f.se.fc1.weight`, [1, 1, wb, seWidth]);
      store.convBias(`${prefix}.f.se.fc1.bias`, seWidth, wb);
      store.convWeight(`${prefix}.f.se.fc2.weight`, [1, 1, seWidth, wb]);
      store.convBias(`${prefix}.f.se.fc2.bias`, wb, seWidth);
    }
    store.convWeight(`${prefix}.f.c.0.weight`, [1, 1, wb, widthOut]);
    store.batchNorm(`${prefix}.f.c.1`, widthOut, trunk.zeroInitFinalBn);
  }
  return blocks;
}

/** Names of a block's trainable tensors, in the order the block function receives them. */
function blockParameterNames(block: BlockPlan): string[] {
  const p = block.prefix;
  const names: string[] = [];
  if (block.hasProjection) names.push(`${p}.proj.0.weight`, `${p}.proj.1.weight`, `${p}.proj.1.bias`);
  names.push(`${p}.f.a.0.weight`, `${p}.f.a.1.weight`, `${p}.f.a.1.bias`);
  names.push(`${p}.f.b.0.weight`, `${p}.f.b.1.weight`, `${p}.f.b.1.bias`);
  if (block.seWidth > 0) {
    names.push(`${p}.f.se.fc1.weight`, `${p}.f.se.fc1.bias`, `${p}.f.se.fc2.weight`, `${p}.f.se.fc2.bias`);
  }
  names.push(`${p}.f.c.0.weight`, `${p}.f.c.1.weight`, `${p}.f.c.1.bias`);
  return names;
}

interface ConvBnOptions {
  readonly strides: number;
  readonly pad: "valid" | tf.backend_util.ExplicitPadding;
  readonly groups: number;
  readonly relu: boolean;
  readonly residual?: tf.Tensor;
}

/**
 * conv → BN (→ + residual) (→ ReLU). Train mode normalises with batch statistics (closed-form
 * backward, running statistics updated unless `replay`); eval mode folds the running statistics
 * into the filter and a bias and runs one fused conv+bias(+ReLU) per group.
 */
function convBn(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bn: BatchNormState,
  mode: ForwardMode,
  replay: boolean,
  options: ConvBnOptions,
): tf.Tensor4D {
  const convOptions = { strides: options.strides, pad: options.pad, groups: options.groups };
  if (mode === "train") {
    const conv = groupedConv2d(x, filter, convOptions);
    return batchNormTrain(conv, bn, {
      relu: options.relu,
      residual: options.residual,
      updateRunningStats: !replay,
    }) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const { scale, shift } = batchNormEvalAffine(bn);
    const foldedFilter = tf.mul(filter, scale) as tf.Tensor4D;
    if (options.residual === undefined) {
      return groupedConv2dBiasActivation(x, foldedFilter, shift, { ...convOptions, relu: options.relu });
    }
    const conv = groupedConv2dBiasActivation(x, foldedFilter, shift, { ...convOptions, relu: false });
    const y = tf.add(conv, options.residual);
    return (options.relu ? tf.relu(y) : y) as tf.Tensor4D;
  });
}

export class RegNetTrunk {
  readonly blocks: readonly BlockPlan[];
  private readonly blockNames: readonly string[][];

  constructor(
    private readonly store: ParameterStore,
    private readonly trunk: TrunkSpec,
    blocks: BlockPlan[],
    private readonly activationCheckpointing: boolean,
  ) {
    this.blocks = blocks;
    this.blockNames = blocks.map(blockParameterNames);
  }

  get outputWidth(): number {
    return this.trunk.stages[this.trunk.stages.length - 1].width;
  }

  get stageCount(): number {
    return this.trunk.stages.length;
  }

  private bnState(prefix: string, gamma: tf.Tensor, beta: tf.Tensor): BatchNormState {
    return {
      gamma: gamma as tf.Tensor1D,
      beta: beta as tf.Tensor1D,
      runningMean: this.store.get(`${prefix}.running_mean`) as tf.Variable<tf.Rank.R1>,
      runningVar: this.store.get(`${prefix}.running_var`) as tf.Variable<tf.Rank.R1>,
    };
  }

  private stem(images: tf.Tensor4D, mode: ForwardMode): tf.Tensor4D {
    const bn = this.bnState("stem.1", this.store.get("stem.1.weight"), this.store.get("stem.1.bias"));
    const filter = this.store.get("stem.0.weight") as tf.Tensor4D;
    return convBn(images, filter, bn, mode, false, { strides: 2, pad: PAD_ONE, groups: 1, relu: true });
  }

  /** One Y-block as a pure function of [x, ...parameters] (see blockParameterNames). */
  private runBlock(block: BlockPlan, mode: ForwardMode, inputs: readonly tf.Tensor[], replay: boolean): tf.Tensor4D {
    const names = this.blockNames[this.blocks.indexOf(block)];
    const param = new Map<string, tf.Tensor>(names.map((name, i) => [name, inputs[i + 1]]));
    const p = block.prefix;
    const get = (name: string) => param.get(`${p}.${name}`) as tf.Tensor;
    const bn = (module: string) => this.bnState(`${p}.${module}`, get(`${module}.weight`), get(`${module}.bias`));
    const x = inputs[0] as tf.Tensor4D;

    const shortcut = block.hasProjection
      ? convBn(x, get("proj.0.weight") as tf.Tensor4D, bn("proj.1"), mode, replay, {
          strides: block.stride,
          pad: "valid",
          groups: 1,
          relu: false,
        })
      : x;
    const a = convBn(x, get("f.a.0.weight") as tf.Tensor4D, bn("f.a.1"), mode, replay, {
      strides: 1,
      pad: "valid",
      groups: 1,
      relu: true,
    });
    let b = convBn(a, get("f.b.0.weight") as tf.Tensor4D, bn("f.b.1"), mode, replay, {
      strides: block.stride,
      pad: PAD_ONE,
      groups: block.groups,
      relu: true,
    });
    if (block.seWidth > 0) {
      const wb = block.bottleneckWidth;
      b = squeezeExcite(
        b,
        tf.reshape(get("f.se.fc1.weight"), [wb, block.seWidth]) as tf.Tensor2D,
        get("f.se.fc1.bias") as tf.Tensor1D,
        tf.reshape(get("f.se.fc2.weight"), [block.seWidth, wb]) as tf.Tensor2D,
        get("f.se.fc2.bias") as tf.Tensor1D,
      );
    }
    return convBn(b, get("f.c.0.weight") as tf.Tensor4D, bn("f.c.1"), mode, replay, {
      strides: 1,
      pad: "valid",
      groups: 1,
      relu: true,
      residual: shortcut,
    });
  }

  /**
   * Runs the trunk and returns the globally average-pooled output of stage `stage` (1-based;
   * default: the last stage).
   */
  forward(images: tf.Tensor4D, mode: ForwardMode, stage = this.stageCount): tf.Tensor2D {
    if (!Number.isInteger(stage) || stage < 1 || stage > this.stageCount) {
      throw new RangeError(`stage must be an integer in 1..${this.stageCount} (got ${stage})`);
    }
    if (images.rank !== 4 || images.shape[3] !== 3) {
      throw new RangeError(`images must be NHWC with 3 channels (got [${images.shape.join(", ")}])`);
    }
    return tf.tidy(() => {
      let x = this.stem(images, mode);
      for (let i = 0; i < this.blocks.length; i++) {
        const block = this.blocks[i];
        if (block.stage > stage) break;
        const inputs = [x, ...this.blockNames[i].map((name) => this.store.get(name))];
        const run = (blockInputs: readonly tf.Tensor[], replay: boolean) =>
          this.runBlock(block, mode, blockInputs, replay);
        x = (this.activationCheckpointing ? checkpointed(run, inputs) : run(inputs, false)) as tf.Tensor4D;
      }
      return globalAvgPool(x);
    });
  }
}
