import type { AugmentIR, ExperimentIR, OptimizerIR, SourceIR } from "../../compile/ir.js";
import type { AugmentSpec, SourceSpec } from "../data/index.js";
import type { SwavModelSpec } from "../model/index.js";
import type { OptimizerSpec } from "../optim/index.js";

/** The runtime's plain specs, read off the IR: nothing here decides anything the IR does not say. */

/** A held-out split of a synthetic source draws other images of the same classes (class looks do not depend on the seed). */
const SYNTHETIC_TEST_SEED_OFFSET = 0x5eed7e57;

export class UnsupportedSourceError extends Error {}

export function sourceSpecOf(source: SourceIR): SourceSpec {
  switch (source.kind) {
    case "folder":
      return { kind: "folder", path: source.path, include: source.include, exclude: source.exclude };
    case "image_folder":
      return { kind: "image_folder", path: source.path };
    case "idx":
      return { kind: "idx", path: source.path, split: source.split };
    case "list":
      return { kind: "list", file: source.file };
    case "synthetic":
      return { kind: "synthetic", images: source.images, classes: source.classes, size: source.size, seed: source.split === "test" ? (source.seed + SYNTHETIC_TEST_SEED_OFFSET) >>> 0 : source.seed };
    case "named":
      throw new UnsupportedSourceError(`\`${source.name}\` is a dataset name with no local copy; point the experiment at a local folder (image_folder("…")) to run it in-process`);
  }
}

export function augmentSpecOf(a: AugmentIR): AugmentSpec {
  return {
    crops: a.crops.map((c) => ({ count: c.count, size: c.size, scale: c.scale, ratio: c.ratio })),
    flip: a.flip,
    colorJitter: a.color_jitter ? { p: a.color_jitter.p, brightness: a.color_jitter.brightness, contrast: a.color_jitter.contrast, saturation: a.color_jitter.saturation, hue: a.color_jitter.hue } : null,
    grayscale: a.grayscale,
    blur: a.blur,
    solarize: a.solarize,
    normalize: a.normalize,
  };
}

export function modelSpecOf(ir: ExperimentIR): SwavModelSpec {
  return {
    trunk: {
      stemWidth: ir.trunk.stem_width,
      stages: ir.trunk.stages.map((s) => ({ depth: s.depth, width: s.width, groupWidth: s.group_width, stride: s.stride, bottleneckMultiplier: ir.trunk.bottleneck })),
      seRatio: ir.trunk.se_ratio,
      zeroInitFinalBn: ir.trunk.zero_init_final_bn,
    },
    head: { dims: ir.head.dims, batchnorm: ir.head.batchnorm, activation: ir.head.activation },
    prototypes: ir.loss.prototypes,
    seed: ir.seed,
    activationCheckpointing: ir.train.activation_checkpointing,
  };
}

export function optimizerSpecOf(o: OptimizerIR): OptimizerSpec {
  const clip = o.clip_grad_norm === null ? {} : { maxGradNorm: o.clip_grad_norm };
  switch (o.kind) {
    case "lars":
      return { kind: "lars", momentum: o.momentum, weightDecay: o.weight_decay, trust: o.trust, excludeBiasAndBn: o.exclude_bias_and_bn, clip: o.clip, ...clip };
    case "sgd":
      return { kind: "sgd", momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weight_decay, ...clip };
    case "adamw":
      return { kind: "adamw", beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weight_decay, ...clip };
  }
}
