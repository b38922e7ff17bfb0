import type { CheckedData, CheckedEvaluation, CheckedExperiment, CheckedOptimizer } from "../check/checked.js";
import type { WrittenSource } from "../check/readers.js";
import { KNOWN_DATASETS } from "../check/registry.js";
import { countMlpHeadParameters, countPrototypeParameters, countTrunkParameters, multiCropTrunkMultiplyAdds, trunkComplexity } from "./regnet.js";
import { durationIR, resolveSchedule, stripSpans, type RunSize } from "./schedule.js";
import type { Derived } from "./derive.js";
import { canonicalHash } from "./hash.js";
import * as IR from "./ir.js";

export interface LowerInput {
  name: string;
  exp: CheckedExperiment;
  derived: Derived;
  presets: ReadonlyMap<string, string>;
  sources: string[];
}

/**
 * Lowers a checked experiment with no errors to the IR. Called only when the checker found no
 * errors, so every required value is present; a missing one is an internal error, not user input.
 */
export function lowerExperiment({ name, exp, derived, presets, sources }: LowerInput): IR.ExperimentIR {
  const need = <T>(v: T | null | undefined, what: string): T => {
    if (v === null || v === undefined) throw new Error(`internal: ${what} missing after a clean check`);
    return v;
  };
  const train = need(exp.train, "train");
  const batch = need(train.batch, "train.batch");
  const table = need(derived.table, "trunk stage table");
  const trunk = need(exp.trunk, "trunk");
  const augment = need(exp.augment, "augment");
  const head = need(exp.head, "head");
  const loss = need(exp.loss, "loss");
  const seed = exp.seed ?? 0;
  const globalBatch = need(derived.globalBatch, "global batch");
  const run: RunSize = { globalBatch, datasetImages: derived.datasetImages };
  const headDims = need(derived.headDims, "head dims");
  const embeddingDim = headDims[headDims.length - 1];

  const trunkIR: IR.TrunkIR = {
    kind: trunk.kind,
    generator:
      trunk.kind === "anynet"
        ? null
        : { w0: need(trunk.w0, "w0"), wa: need(trunk.wa, "wa"), wm: need(trunk.wm, "wm"), group_width: need(trunk.group_width, "group_width"), depth: need(trunk.depth, "depth"), rounding: trunk.rounding ?? "pycls" },
    preset: presets.get("trunk") ?? null,
    se_ratio: table.seRatio,
    bottleneck: trunk.bottleneck ?? 1,
    stem_width: table.stemWidth,
    zero_init_final_bn: trunk.zero_init_final_bn ?? false,
    stages: table.stages.map((s) => ({ depth: s.depth, width: s.width, group_width: s.groupWidth, groups: s.groups, stride: s.stride, bottleneck_width: s.bottleneckWidth, se_width: s.seWidth })),
    width: table.width,
    total_stride: table.totalStride,
    parameters: countTrunkParameters(table),
  };

  const jitter = augment.color_jitter;
  const strength = jitter?.strength ?? 1;
  const augmentIR: IR.AugmentIR = {
    kind: "multicrop",
    preset: presets.get("augment") ?? null,
    crops: augment.crop.map((c) => ({ count: c.count, size: c.size, scale: c.scale, ratio: c.ratio })),
    flip: augment.flip ?? 0.5,
    color_jitter: jitter
      ? { p: jitter.p ?? 0.8, strength, brightness: jitter.brightness ?? 0.8 * strength, contrast: jitter.contrast ?? 0.8 * strength, saturation: jitter.saturation ?? 0.8 * strength, hue: jitter.hue ?? Math.min(0.5, 0.2 * strength) }
      : null,
    grayscale: augment.grayscale ?? 0,
    blur: augment.blur ? { p: augment.blur.p ?? 0.5, radius: augment.blur.radius ?? [0.1, 2] } : null,
    solarize: augment.solarize ? { p: augment.solarize.p ?? 0.2, threshold: augment.solarize.threshold ?? 0.5 } : null,
    normalize: { mean: augment.normalize?.mean ?? [0.485, 0.456, 0.406], std: augment.normalize?.std ?? [0.229, 0.224, 0.225] },
  };

  const headIR: IR.HeadIR = {
    kind: "mlp",
    dims: headDims,
    batchnorm: head.batchnorm ?? false,
    activation: head.activation ?? "relu",
    parameters: countMlpHeadParameters(headDims, { batchNorm: head.batchnorm ?? false }),
  };

  const prototypes = need(loss.prototypes, "prototypes");
  const lossIR: IR.LossIR = {
    kind: "swav",
    prototypes,
    temperature: loss.temperature ?? 0.1,
    sinkhorn: { epsilon: loss.sinkhorn?.epsilon ?? 0.05, iterations: loss.sinkhorn?.iterations ?? 3 },
    assign_crops: loss.assign_crops ?? [0, 1],
    queue: loss.queue ? { length: need(loss.queue.length, "queue length"), start: durationIR(loss.queue.start ?? { amount: 0, unit: "steps", of: null }, run) } : null,
    freeze_prototypes: durationIR(loss.freeze_prototypes ?? { amount: 0, unit: "steps", of: null }, run),
    prototype_parameters: countPrototypeParameters(embeddingDim, prototypes),
  };

  const schedule = need(exp.schedule, "schedule");
  const microBatch = need(derived.microBatch, "micro batch");
  const lengthDuration = train.steps !== null ? { amount: train.steps, unit: "steps" as const, of: null } : train.images !== null ? { amount: train.images, unit: "images" as const, of: null } : { amount: train.epochs ?? 1, unit: "epochs" as const, of: null };
  const trainIR: IR.TrainIR = {
    batch_per_device: batch.perDevice,
    devices: batch.devices,
    nodes: train.nodes ?? 1,
    global_batch: globalBatch,
    micro_batch: microBatch,
    accumulation_steps: (batch.perDevice / microBatch) * batch.devices,
    length: durationIR(lengthDuration, run),
    total_steps: derived.totalSteps,
    steps_per_epoch: derived.stepsPerEpoch,
    precision: train.precision ?? "fp32",
    activation_checkpointing: train.activation_checkpointing ?? false,
    sync_batchnorm: train.sync_batchnorm ?? { mode: "none", group_size: null },
    device: train.device ?? "cpu",
    checkpoint_every: durationIR(train.checkpoint_every ?? { amount: 500, unit: "steps", of: null }, run),
    keep_checkpoints: train.keep_checkpoints ?? 3,
    log_every: train.log_every ?? 10,
  };

  const crops = augmentIR.crops.map((c) => ({ count: c.count, size: c.size }));
  const memory = derived.memory;
  const step = derived.step;
  const headAndPrototypeFlops = headIR.parameters + lossIR.prototype_parameters;
  const costIR: IR.CostIR = {
    flops_per_image: multiCropTrunkMultiplyAdds(table, crops) + crops.reduce((n, c) => n + c.count, 0) * headAndPrototypeFlops,
    flops_per_crop: crops.map((c) => ({ size: c.size, count: c.count, flops: trunkComplexity(table, c.size).multiplyAdds })),
    parameters_total: trunkIR.parameters + headIR.parameters + lossIR.prototype_parameters,
    activation_bytes_per_device: memory?.totalBytes ?? 0,
    device_memory_bytes: derived.profile?.memoryBytes ?? 0,
    step_seconds: step?.secondsPerStep ?? null,
    total_seconds: step && derived.totalSteps !== null ? step.secondsPerStep * derived.totalSteps : null,
    device_profile: trainIR.device,
  };

  const body: Omit<IR.ExperimentIR, "hash"> = {
    ir_version: IR.IR_VERSION,
    name,
    seed,
    target: exp.target ?? "tfjs",
    data: lowerData(need(exp.data, "data"), seed, derived.datasetImages),
    trunk: trunkIR,
    augment: augmentIR,
    head: headIR,
    loss: lossIR,
    optimizer: lowerOptimizer(need(exp.optimizer, "optimizer")),
    schedule: { written: schedule.written, written_pieces: stripSpans(schedule.pieces), pieces: derived.schedule?.pieces ?? [] },
    train: trainIR,
    evaluate: exp.evaluate.map((e) => lowerEvaluation(e, seed, exp.data)),
    cost: costIR,
    sources,
  };
  return { ...body, hash: canonicalHash(body) };
}

export function lowerSource(source: WrittenSource, data: Pick<CheckedData, "include" | "exclude" | "split" | "classes" | "image_size" | "images">, seed: number): IR.SourceIR {
  switch (source.kind) {
    case "folder":
      return { kind: "folder", path: source.path, include: data.include ?? [], exclude: data.exclude ?? [] };
    case "image_folder":
      return { kind: "image_folder", path: source.path };
    case "idx":
      return { kind: "idx", path: source.path, split: data.split ?? "train" };
    case "list":
      return { kind: "list", file: source.file };
    case "synthetic":
      return { kind: "synthetic", images: data.images ?? 2048, classes: data.classes ?? 10, size: data.image_size ?? 64, seed, split: data.split ?? "train" };
    case "named": {
      const known = KNOWN_DATASETS[source.name];
      return { kind: "named", name: source.name, images: data.split === "test" ? known.testImages : known.trainImages, classes: known.classes };
    }
  }
}

function lowerData(data: CheckedData, seed: number, images: number | null): IR.DataIR {
  const source = lowerSource(data.source!, data, seed);
  return {
    source,
    images,
    labelled: source.kind !== "folder" && source.kind !== "list",
    max_pixels: data.max_pixels ?? 100_000_000,
    workers: data.workers ?? 0,
  };
}

export function lowerOptimizer(o: CheckedOptimizer): IR.OptimizerIR {
  switch (o.kind) {
    case "lars":
      return { kind: "lars", momentum: o.momentum, weight_decay: o.weight_decay, trust: o.trust, exclude_bias_and_bn: o.exclude_bias_and_bn, clip: o.clip, clip_grad_norm: o.clip_grad_norm ?? null };
    case "sgd":
      return { kind: "sgd", momentum: o.momentum, nesterov: o.nesterov, weight_decay: o.weight_decay, clip_grad_norm: o.clip_grad_norm ?? null };
    case "adamw":
      return { kind: "adamw", beta1: o.beta1, beta2: o.beta2, eps: o.eps, weight_decay: o.weight_decay, clip_grad_norm: o.clip_grad_norm ?? null };
  }
}

/** An evaluation's dataset size, when it is known before running. */
function evaluationImages(source: IR.SourceIR): number | null {
  if (source.kind === "synthetic" || source.kind === "named") return source.images;
  return null;
}

/**
 * `synthetic()` in an evaluation means the training data's synthetic images — same classes, size and
 * seed — whose held-out split the protocols evaluate on.
 */
function lowerEvaluation(e: CheckedEvaluation, seed: number, trainingData: CheckedData | null): IR.EvaluationIR {
  const fromTraining = e.data?.kind === "synthetic" && trainingData?.source?.kind === "synthetic" ? trainingData : null;
  const source = lowerSource(e.data!, { include: null, exclude: null, split: "train", classes: fromTraining?.classes ?? null, image_size: fromTraining?.image_size ?? null, images: fromTraining?.images ?? null }, seed);
  const data: IR.DataIR = { source, images: evaluationImages(source), labelled: true, max_pixels: 100_000_000, workers: 0 };
  const epochs = e.epochs ?? null;
  const batch = e.batch ?? null;
  let schedule: IR.ScheduleIR | null = null;
  if (e.schedule) {
    const images = data.images;
    const steps = images !== null && epochs !== null && batch !== null ? epochs * Math.ceil(images / batch) : null;
    const resolved = batch !== null ? resolveSchedule(e.schedule.pieces, steps, { globalBatch: batch, datasetImages: images }) : null;
    schedule = { written: e.schedule.written, written_pieces: stripSpans(e.schedule.pieces), pieces: resolved && resolved.problems.length === 0 ? resolved.pieces : [] };
  }
  return {
    kind: e.kind,
    name: e.kind,
    data,
    epochs,
    batch,
    optimizer: e.optimizer ? lowerOptimizer(e.optimizer) : null,
    schedule,
    k: e.k ?? null,
    temperature: e.temperature ?? null,
    stage: e.stage ?? null,
    fraction: e.fraction ?? null,
    protocol: e.protocol ?? null,
    image_size: e.image_size ?? (source.kind === "synthetic" ? source.size : 224),
  };
}
