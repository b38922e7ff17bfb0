// The VISSL target: an ExperimentIR becomes a VISSL (Hydra/OmegaConf) configuration that runs the
// experiment as written, plus a launch script, and diagnostics for whatever VISSL cannot run exactly.
// Pure: no file system, no clock. The mapping table in grammar/VISSL.md is generated from
// vissl-mapping.ts; keep the two in step when a rule here changes.
//
// Every rule below was read off VISSL's and ClassyVision's source (vissl/config/defaults.yaml,
// vissl/utils/hydra_config.py, the SwAV loss and hooks, ClassyVision's RegNet, SGD and param
// schedulers). The ones that matter most:
//   - VISSL rescales learning rates after loading a config unless
//     `param_schedulers.lr.auto_lr_scaling.auto_scale` is false (and only then can it drop a linear
//     warm-up on one node); the target always writes false, so the rates are the experiment's.
//   - VISSL overwrites `swav_loss.num_prototypes`, `embedding_dim`, `num_crops` and the queue
//     lengths from the head, the first transform and the batch; the target writes exactly the
//     values VISSL would infer, and checks that by running VISSL's inference on its own output.
//   - VISSL counts epochs; `where` = updates / (epochs x iterations per epoch). The target picks
//     epochs and `DATA_LIMIT` so that the product is the experiment's step count, and lays the
//     schedule out in fractions that select the right piece at every step (checked by replaying
//     ClassyVision's composite scheduler).

import { diagnostic } from "../../diagnostics/make.js";
import type { DiagnosticCode } from "../../diagnostics/catalog.js";
import type { Diagnostic } from "../../diagnostics/types.js";
import type { AugmentIR, EvaluationIR, ExperimentIR, OptimizerIR, SourceIR, TrunkIR } from "../ir.js";
import { deriveRegNet } from "../regnet.js";
import { learningRateAt } from "../schedule.js";
import { float, flow, renderYaml, type YamlFlow, type YamlValue } from "./yaml.js";
import {
  visslLearningRateAt,
  visslScheduleFromEpochs,
  visslScheduleFromSteps,
  type VisslPiece,
  type VisslSchedule,
} from "./vissl-schedule.js";

export interface VisslOutput {
  files: Array<{ name: string; text: string }>;
  diagnostics: Diagnostic[];
}

export interface VisslOptions {
  launcher: "none" | "slurm";
  /** Hydra config name under VISSL's `configs/config/`, e.g. `seer_1p3b` or `pretrain/seer/seer_1p3b`. */
  configName: string;
  /** Only the diagnostics (the checker's use): the files are not rendered. */
  diagnosticsOnly?: boolean;
}

type Mapping = { [key: string]: YamlValue };

/** Defaults of the language that VISSL has no counterpart for; a different value is reported. */
const DEFAULT_MAX_PIXELS = 100_000_000;
/** VISSL's `config.SLURM.PORT_ID` default, used for the rendez-vous of multi-node runs. */
const RENDEZVOUS_PORT = 40050;
/** The prototypes' parameter name once VISSL has wrapped the model in DistributedDataParallel. */
const PROTOTYPES_PARAMETER = "module.heads.0.prototypes0.weight";
/** torchvision RandomResizedCrop's default aspect-ratio range, which VISSL's multi-crop cannot change. */
const DEFAULT_CROP_RATIO: [number, number] = [3 / 4, 4 / 3];
/** VISSL's ImgPilColorDistortion: jitter 0.8/0.8/0.8/0.2 x strength with p 0.8, then grayscale p 0.2. */
const DISTORTION_JITTER_P = 0.8;
const DISTORTION_GRAYSCALE_P = 0.2;
/** The catalogue names VISSL's `configs/config/dataset_catalog.json` gives the datasets seerc knows by name. */
const VISSL_CATALOG: Record<string, { name: string; source: "disk_folder" | "disk_filelist" }> = {
  imagenet_1k: { name: "imagenet1k_folder", source: "disk_folder" },
  places205: { name: "places205_folder", source: "disk_folder" },
  inaturalist_2018: { name: "inaturalist2018_filelist", source: "disk_filelist" },
};
/** Evaluation images are resized so the centre crop keeps 87.5% of the shorter side (256 for 224), as VISSL's benchmark configs do. */
const EVAL_CENTER_CROP_FRACTION = 0.875;

class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  private add(code: DiagnosticCode, path: string, message: string, hint?: string): void {
    this.diagnostics.push(diagnostic(code, `${path}: ${message}`, undefined, hint ? { hint } : {}));
  }
  /** SEER6005: VISSL has no way to say this. */
  cannot(path: string, message: string, hint?: string): void {
    this.add("SEER6005", path, message, hint);
  }
  /** SEER6004: VISSL would run a different value than the one written. */
  rewrites(path: string, message: string, hint?: string): void {
    this.add("SEER6004", path, message, hint);
  }
  /** SEER6003: not honoured, or honoured differently, without changing the numbers trained on. */
  warn(path: string, message: string, hint?: string): void {
    this.add("SEER6003", path, message, hint);
  }
  /** SEER6003 as information: how VISSL will read something, which the user should know but need not change. */
  note(path: string, message: string, hint?: string): void {
    this.diagnostics.push(diagnostic("SEER6003", `${path}: ${message}`, undefined, { severity: "info", ...(hint ? { hint } : {}) }));
  }
}

/** 1234567 → "1,234,567" (Intl's toLocaleString is slow enough to show in `seerc check`'s start-up). */
function fmt(n: number): string {
  if (!Number.isInteger(n)) return n.toLocaleString("en-US");
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${digits}` : digits;
}

// ---------------------------------------------------------------------------------------------
// Model

function trunkConfig(trunk: TrunkIR, report: Reporter): Mapping {
  if (trunk.kind === "anynet" || trunk.generator === null) {
    report.cannot("trunk", "VISSL's `regnet` trunk builds a RegNet from its generator numbers or from a named ClassyVision model; an explicit AnyNet stage list cannot be given", "describe the trunk with `regnety { w0, wa, wm, group_width, depth }`");
    return { NAME: "regnet", TRUNK_PARAMS: { REGNET: {} } };
  }
  const g = trunk.generator;
  // VISSL builds ClassyVision's RegNet, which uses the pycls rounding; the stage table must come out the same.
  const built = deriveRegNet(
    { w0: g.w0, wa: g.wa, wm: g.wm, groupWidth: g.group_width, depth: g.depth, seRatio: trunk.se_ratio, bottleneckMultiplier: trunk.bottleneck, stemWidth: trunk.stem_width },
    { rounding: "pycls" },
  );
  const describe = (stages: Array<{ depth: number; width: number; group_width?: number; groupWidth?: number }>): string =>
    stages.map((s) => `${s.depth}x${s.width}/g${s.group_width ?? s.groupWidth}`).join(", ");
  if (!built.ok) {
    report.cannot("trunk.generator", `ClassyVision's RegNet rejects these generator numbers: ${built.problems.map((p) => p.message).join("; ")}`);
  } else {
    const same =
      built.table.stages.length === trunk.stages.length &&
      built.table.stages.every((s, i) => s.depth === trunk.stages[i].depth && s.width === trunk.stages[i].width && s.groupWidth === trunk.stages[i].group_width);
    if (!same) {
      report.cannot(
        "trunk.generator.rounding",
        `VISSL (ClassyVision) rounds RegNet widths the pycls way and would build stages ${describe(built.table.stages)} instead of the experiment's ${describe(trunk.stages)}`,
        "write `rounding = pycls` to train the network VISSL builds",
      );
    }
  }
  if (trunk.zero_init_final_bn) {
    report.cannot(
      "trunk.zero_init_final_bn",
      "ClassyVision's RegNet (VISSL's `regnet` trunk) starts every BatchNorm scale at 1, including each block's last one; it has no zero-init option",
      "write `zero_init_final_bn = false` in the trunk: that is how SEER's VISSL runs started",
    );
  }
  const useSe = trunk.kind === "regnety" && trunk.se_ratio > 0;
  const regnet: Mapping = {
    depth: g.depth,
    w_0: g.w0,
    w_a: float(g.wa),
    w_m: float(g.wm),
    group_width: g.group_width,
    bottleneck_multiplier: float(trunk.bottleneck),
    stem_type: "simple_stem_in",
    stem_width: trunk.stem_width,
    block_type: "res_bottleneck_block",
    activation: "relu",
    use_se: useSe,
  };
  if (useSe) regnet.se_ratio = float(trunk.se_ratio);
  return { NAME: "regnet", TRUNK_PARAMS: { REGNET: regnet } };
}

function headParams(ir: ExperimentIR, report: Reporter): YamlValue {
  if (ir.head.activation !== "relu") {
    report.cannot("head.activation", `VISSL's swav_head puts ReLU between its layers; \`${ir.head.activation}\` cannot be chosen`, "write `activation = relu`");
  }
  return flow([["swav_head", { dims: ir.head.dims, use_bn: ir.head.batchnorm, num_clusters: [ir.loss.prototypes] }]]);
}

// ---------------------------------------------------------------------------------------------
// Data

interface SourceConfig {
  DATA_SOURCES: string[];
  DATA_PATHS: string[];
  DATASET_NAMES: string[];
  /** Set when VISSL reads labels from the same source (evaluations). */
  LABEL_SOURCES: string[];
  classes: number | null;
}

function sourceConfig(source: SourceIR, path: string, datasetName: string, needLabels: boolean, report: Reporter): SourceConfig | null {
  switch (source.kind) {
    case "folder": {
      if (source.include.length > 0 || source.exclude.length > 0) {
        report.cannot(`${path}.include`, "VISSL's disk_folder takes every image torchvision's ImageFolder finds; include/exclude patterns cannot be given", "select the files beforehand, or remove `include`/`exclude`");
      }
      report.note(
        path,
        `VISSL reads \`${source.path}\` with torchvision's ImageFolder: only images inside its subfolders (at any depth) with a known image extension count, and files directly in the folder are skipped`,
        "keep the images in subfolders of the data folder",
      );
      return { DATA_SOURCES: ["disk_folder"], DATA_PATHS: [source.path], DATASET_NAMES: [datasetName], LABEL_SOURCES: [], classes: null };
    }
    case "image_folder":
      return { DATA_SOURCES: ["disk_folder"], DATA_PATHS: [source.path], DATASET_NAMES: [datasetName], LABEL_SOURCES: needLabels ? ["disk_folder"] : [], classes: null };
    case "named": {
      const entry = VISSL_CATALOG[source.name];
      if (!entry) {
        report.cannot(path, `VISSL's dataset catalogue has no entry for \`${source.name}\``, `known to both: ${Object.keys(VISSL_CATALOG).join(", ")}; or give the data as image_folder("…")`);
        return null;
      }
      return { DATA_SOURCES: [entry.source], DATA_PATHS: [], DATASET_NAMES: [entry.name], LABEL_SOURCES: needLabels ? [entry.source] : [], classes: source.classes };
    }
    case "list":
      report.cannot(path, "VISSL's disk_filelist reads a NumPy array of paths (or raw .txt lines, newline included, relative to the working directory); it cannot read seerc's list format (comments, blank lines, paths relative to the list)", "convert the list to a .npy array of absolute paths and point image_folder/folder data at the images, or use folder(\"…\")");
      return null;
    case "idx":
      report.cannot(path, "VISSL has no reader for IDX (MNIST-format) files", "export the images to an image folder");
      return null;
    case "synthetic":
      report.cannot(path, "VISSL's synthetic source draws other images than seerc's synthetic() generator, so the run would train on different data", "use real images for a VISSL run");
      return null;
  }
}

function colorTransforms(augment: AugmentIR, report: Reporter): Mapping[] {
  const jitter = augment.color_jitter;
  const gray = augment.grayscale;
  const grayscale: Mapping[] = gray > 0 ? [{ name: "RandomGrayscale", p: float(gray) }] : [];
  if (jitter === null) return grayscale;
  const s = jitter.strength;
  const standard = jitter.brightness === 0.8 * s && jitter.contrast === 0.8 * s && jitter.saturation === 0.8 * s && jitter.hue === 0.2 * s;
  if (standard && jitter.p === DISTORTION_JITTER_P && gray === DISTORTION_GRAYSCALE_P) {
    return [{ name: "ImgPilColorDistortion", strength: float(s) }];
  }
  if (standard) return [{ name: "ImgPilRandomColorJitter", strength: float(s), p: float(jitter.p) }, ...grayscale];
  if (jitter.p === 1) {
    return [{ name: "ColorJitter", brightness: float(jitter.brightness), contrast: float(jitter.contrast), saturation: float(jitter.saturation), hue: float(jitter.hue) }, ...grayscale];
  }
  report.cannot(
    "augment.color_jitter",
    `VISSL applies a colour jitter with probability p only in the proportions 0.8/0.8/0.8/0.2 x strength; brightness ${jitter.brightness}, contrast ${jitter.contrast}, saturation ${jitter.saturation}, hue ${jitter.hue} with p = ${jitter.p} cannot be written`,
    "use `strength` alone, or p = 1",
  );
  return grayscale;
}

function trainTransforms(augment: AugmentIR, report: Reporter): Mapping[] {
  for (const [i, crop] of augment.crops.entries()) {
    if (crop.ratio[0] !== DEFAULT_CROP_RATIO[0] || crop.ratio[1] !== DEFAULT_CROP_RATIO[1]) {
      report.cannot(`augment.crops.${i}.ratio`, `VISSL's ImgPilToMultiCrop uses RandomResizedCrop's aspect ratios 3/4 .. 4/3; ${crop.ratio[0]} .. ${crop.ratio[1]} cannot be set`);
    }
  }
  const transforms: Mapping[] = [
    {
      name: "ImgPilToMultiCrop",
      total_num_crops: augment.crops.reduce((n, c) => n + c.count, 0),
      size_crops: augment.crops.map((c) => c.size),
      num_crops: augment.crops.map((c) => c.count),
      crop_scales: augment.crops.map((c) => [float(c.scale[0]), float(c.scale[1])]),
    },
  ];
  if (augment.flip > 0) transforms.push({ name: "RandomHorizontalFlip", p: float(augment.flip) });
  transforms.push(...colorTransforms(augment, report));
  if (augment.blur) transforms.push({ name: "ImgPilGaussianBlur", p: float(augment.blur.p), radius_min: float(augment.blur.radius[0]), radius_max: float(augment.blur.radius[1]) });
  if (augment.solarize) {
    // PIL inverts 8-bit values >= threshold; v/255 >= t holds exactly for v >= ceil(255 t).
    transforms.push({ name: "ImgPilSolarize", p: float(augment.solarize.p), threshold: Math.ceil(255 * augment.solarize.threshold) });
  }
  transforms.push({ name: "ToTensor" }, { name: "Normalize", mean: augment.normalize.mean.map(float), std: augment.normalize.std.map(float) });
  return transforms;
}

// ---------------------------------------------------------------------------------------------
// Optimisation

function optimizerConfig(optimizer: OptimizerIR, path: string, report: Reporter): { fields: Mapping; clipGradNorm: number | null } {
  if (optimizer.kind === "adamw") {
    return {
      fields: { name: "adamw", betas: [float(optimizer.beta1), float(optimizer.beta2)], eps: float(optimizer.eps), weight_decay: float(optimizer.weight_decay), regularize_bn: true, regularize_bias: true },
      clipGradNorm: optimizer.clip_grad_norm,
    };
  }
  if (optimizer.momentum >= 1) report.cannot(`${path}.momentum`, "ClassyVision's SGD requires momentum below 1");
  const fields: Mapping = {
    name: "sgd",
    momentum: float(optimizer.momentum),
    nesterov: optimizer.kind === "sgd" ? optimizer.nesterov : false,
    weight_decay: float(optimizer.weight_decay),
    // PyTorch (and seerc) decay every parameter; VISSL's default leaves BatchNorm out.
    regularize_bn: true,
    regularize_bias: true,
  };
  if (optimizer.kind === "lars") {
    if (optimizer.exclude_bias_and_bn) {
      report.cannot(`${path}.exclude_bias_and_bn`, "VISSL can keep biases and BatchNorm out of weight decay (regularize_bn/regularize_bias) but LARC still adapts their rates", "write `exclude_bias_and_bn = false` (SEER's setting)");
    }
    fields.use_larc = true;
    fields.larc_config = { clip: optimizer.clip, eps: float(1e-8), trust_coefficient: float(optimizer.trust) };
  } else {
    fields.use_larc = false;
  }
  return { fields, clipGradNorm: optimizer.clip_grad_norm };
}

function pieceConfig(piece: VisslPiece): Mapping {
  switch (piece.name) {
    case "constant":
      return { name: "constant", value: float(piece.value) };
    case "linear":
    case "cosine":
      return { name: piece.name, start_value: float(piece.start_value), end_value: float(piece.end_value) };
  }
}

function lrConfig(schedule: VisslSchedule): Mapping {
  const head: Mapping = { auto_lr_scaling: { auto_scale: false } };
  switch (schedule.kind) {
    case "single":
      return { ...head, ...pieceConfig(schedule.piece), update_interval: schedule.update_interval };
    case "composite":
      return {
        ...head,
        name: "composite",
        schedulers: schedule.pieces.map(pieceConfig),
        interval_scaling: schedule.pieces.map(() => "rescaled"),
        lengths: schedule.lengths.map(float),
        update_interval: schedule.update_interval,
      };
    case "multistep":
      return { ...head, name: "multistep", values: schedule.values.map(float), milestones: schedule.milestones, update_interval: schedule.update_interval };
  }
}

type ScheduleMismatch = { step: number; actual: number; expected: number } | null;
/** By schedule and run length: the trials of a sweep mostly share both, and each probe is a thousand steps. */
const scheduleMismatches = new Map<string, ScheduleMismatch>();

/** The first probed step where VISSL's scheduler would not give the schedule's learning rate. */
function scheduleMismatch(pieces: ExperimentIR["schedule"]["pieces"], schedule: VisslSchedule, epochs: number, stepsPerEpoch: number): ScheduleMismatch {
  const key = JSON.stringify([pieces, epochs, stepsPerEpoch]);
  const known = scheduleMismatches.get(key);
  if (known !== undefined) return known;
  const total = epochs * stepsPerEpoch;
  const boundaries = pieces.flatMap((p) => [p.start_step, ...(p.kind === "step" ? p.milestones.map((m) => m.step) : [])]);
  let found: ScheduleMismatch = null;
  for (const step of probeSteps(boundaries, total)) {
    const expected = learningRateAt(pieces, step);
    const actual = visslLearningRateAt(schedule, step, epochs, stepsPerEpoch);
    if (Math.abs(actual - expected) > 1e-9 * Math.max(1, Math.abs(expected))) {
      found = { step, actual, expected };
      break;
    }
  }
  if (scheduleMismatches.size >= 256) scheduleMismatches.clear();
  scheduleMismatches.set(key, found);
  return found;
}

/** Steps where a schedule can go wrong: each boundary and its neighbours, the ends, and an even sample. */
function probeSteps(boundaries: readonly number[], total: number): number[] {
  const steps = new Set<number>([0, total - 1]);
  for (const b of boundaries) for (const s of [b - 1, b, b + 1]) if (s >= 0 && s < total) steps.add(s);
  const samples = 1000;
  for (let i = 0; i < samples; i++) steps.add(Math.floor((i * total) / samples));
  return [...steps].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Run length

interface RunLength {
  epochs: number;
  /** Iterations per epoch when known before running. */
  stepsPerEpoch: number | null;
  /** VISSL's DATA.TRAIN.DATA_LIMIT: the epoch's exact number of images, when the experiment states it. */
  dataLimit: number | null;
  explanation: string;
}

/**
 * VISSL runs `epochs` x ceil(images / global batch) steps (DROP_LAST off: its distributed sampler
 * gives every replica ceil(images / replicas) samples and the last batch may be short, which totals
 * ceil(images / global batch) because ceil(ceil(x) / n) = ceil(x / n)).
 */
function runLength(ir: ExperimentIR, report: Reporter): RunLength | null {
  const G = ir.train.global_batch;
  const D = ir.data.images;
  const T = ir.train.total_steps;
  if (T !== null && D !== null) {
    const perEpoch = Math.ceil(D / G);
    if (T % perEpoch === 0) {
      const epochs = T / perEpoch;
      return { epochs, stepsPerEpoch: perEpoch, dataLimit: D, explanation: `${fmt(epochs)} epoch${epochs === 1 ? "" : "s"} x ceil(${fmt(D)} images / ${fmt(G)}) = ${fmt(epochs)} x ${fmt(perEpoch)} = ${fmt(T)} steps` };
    }
    if (T < perEpoch) {
      return { epochs: 1, stepsPerEpoch: T, dataLimit: T * G, explanation: `1 epoch over a seeded subset of ${fmt(T)} x ${fmt(G)} = ${fmt(T * G)} of the ${fmt(D)} images = ${fmt(T)} steps` };
    }
    report.cannot(
      "train.length",
      `VISSL runs whole epochs of ceil(${fmt(D)} / ${fmt(G)}) = ${fmt(perEpoch)} steps, each ending with a short batch; the experiment's ${fmt(T)} steps are not a whole number of them`,
      "make the run a whole number of epochs (or shorter than one), or the dataset size a multiple of the global batch",
    );
    return null;
  }
  const length = ir.train.length;
  if (length.unit === "epochs" && length.of === null && Number.isInteger(length.amount)) {
    return { epochs: length.amount, stepsPerEpoch: null, dataLimit: null, explanation: `${fmt(length.amount)} epoch${length.amount === 1 ? "" : "s"} of the data as found at run time` };
  }
  report.cannot("train.length", `VISSL counts whole epochs of its data, and a run of ${length.amount} ${length.unit} needs the dataset size to be counted in them`, "declare `data.images`, or give the length in whole epochs");
  return null;
}

// ---------------------------------------------------------------------------------------------
// VISSL's own inference, replayed on our output (vissl/utils/hydra_config.py, assert_losses)

function checkLossInference(config: Mapping, report: Reporter): void {
  const data = (config.DATA as Mapping).TRAIN as Mapping;
  const model = config.MODEL as Mapping;
  const loss = (config.LOSS as Mapping).swav_loss as Mapping;
  const distributed = config.DISTRIBUTED as Mapping;
  const params = ((model.HEAD as Mapping).PARAMS as YamlFlow).value as YamlValue[][];
  const head = params[0][1] as Mapping;
  const dims = head.dims as number[];
  const world = (distributed.NUM_NODES as number) * (distributed.NUM_PROC_PER_NODE as number);
  const batch = (data.BATCHSIZE_PER_REPLICA as number) * world;
  const queue = loss.queue as Mapping;
  const writtenQueue = queue.queue_length as number;
  const inferredQueue = writtenQueue - (writtenQueue % batch);
  const checks: Array<[string, string, unknown, unknown]> = [
    ["loss.prototypes", "num_prototypes (from the head's num_clusters)", JSON.stringify(loss.num_prototypes), JSON.stringify(head.num_clusters)],
    ["head.dims", "embedding_dim (from the head's last dim)", loss.embedding_dim, dims[dims.length - 1]],
    ["augment.crops", "num_crops (from the first transform's total_num_crops)", loss.num_crops, (data.TRANSFORMS as Mapping[])[0].total_num_crops],
    ["loss.queue.length", "queue_length (rounded down to a multiple of the global batch)", writtenQueue, inferredQueue],
    ["loss.queue.length", "local_queue_length (queue_length / replicas)", queue.local_queue_length, Math.floor(inferredQueue / world)],
  ];
  for (const [path, field, written, inferred] of checks) {
    if (written !== inferred) report.rewrites(path, `VISSL would set swav_loss.${field} to ${inferred} where the experiment needs ${written}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Launch

interface Launch {
  configName: string;
  nodes: number;
  perNode: number;
  workers: number;
}

function launchArgs(launch: Launch, placeholders: { master: string; nodeId: string | null; workers: string }): string[] {
  const args = [`config=${launch.configName}`, `config.DISTRIBUTED.NUM_NODES=${launch.nodes}`, `config.DISTRIBUTED.NUM_PROC_PER_NODE=${launch.perNode}`];
  if (launch.nodes > 1) args.push(`config.DISTRIBUTED.RUN_ID=${placeholders.master}`);
  if (launch.workers === 0) args.push(`config.DATA.NUM_DATALOADER_WORKERS=${placeholders.workers}`);
  if (launch.nodes > 1 && placeholders.nodeId !== null) args.push(`node_id=${placeholders.nodeId}`);
  return args;
}

function commandLines(launch: Launch): string[] {
  const lines = [`Launch from the root of a VISSL checkout${launch.nodes > 1 ? `, once on each of the ${launch.nodes} nodes` : ""}:`];
  const args = launchArgs(launch, { master: `<node 0 host>:${RENDEZVOUS_PORT}`, nodeId: `<0..${launch.nodes - 1}>`, workers: `<cores per node / ${launch.perNode} - 1>` });
  lines.push(`  python3 tools/run_distributed_engines.py ${args.join(" ")}`);
  if (launch.workers === 0) {
    lines.push(`(data.workers = 0 means one loader process per core, less one per GPU process for its trainer.)`);
  }
  return lines;
}

function sbatchScript(launch: Launch, title: string): string {
  const lines = [
    "#!/bin/bash",
    `# ${title}`,
    "# Generated by `seerc compile --target vissl`; edits are lost on the next compile.",
    `# Submit from the root of a VISSL checkout holding configs/config/${launch.configName}.yaml.`,
    `#SBATCH --job-name=${launch.configName.replace(/[^A-Za-z0-9_.-]/g, "_")}`,
    `#SBATCH --nodes=${launch.nodes}`,
    "#SBATCH --ntasks-per-node=1",
    `#SBATCH --gpus-per-node=${launch.perNode}`,
    "#SBATCH --exclusive",
    "#SBATCH --output=%x-%j.out",
    "",
    "set -euo pipefail",
    'MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
    `MASTER_PORT=\${MASTER_PORT:-${RENDEZVOUS_PORT}}`,
  ];
  if (launch.workers === 0) {
    lines.push(
      "# data.workers = 0: one loader process per core, less one per GPU process for its trainer.",
      `WORKERS=$(( SLURM_CPUS_ON_NODE / ${launch.perNode} - 1 ))`,
      'if [ "$WORKERS" -lt 0 ]; then WORKERS=0; fi',
    );
  }
  // VISSL reads the node's rank from SLURM_NODEID when started by srun.
  const args = launchArgs(launch, { master: '"${MASTER_ADDR}:${MASTER_PORT}"', nodeId: null, workers: '"${WORKERS}"' });
  if (launch.nodes === 1) args.push('config.DISTRIBUTED.RUN_ID="${MASTER_ADDR}:${MASTER_PORT}"');
  lines.push("srun --ntasks-per-node=1 python3 tools/run_distributed_engines.py \\");
  args.forEach((arg, i) => lines.push(`  ${arg}${i === args.length - 1 ? "" : " \\"}`));
  return lines.join("\n") + "\n";
}

function yamlFile(headerLines: string[], config: Mapping, skip = false): string {
  if (skip) return "";
  // Hydra reads `@package` from the comment block at the top of the file.
  const header = ["# @package _global_", "#", ...headerLines.map((l) => (l.length > 0 ? `# ${l}` : "#"))].join("\n");
  return `${header}\n${renderYaml({ config })}`;
}

// ---------------------------------------------------------------------------------------------
// Pre-training

function baseName(configName: string): string {
  const parts = configName.split("/");
  return parts[parts.length - 1];
}

function pretrainingConfig(ir: ExperimentIR, run: RunLength | null, perNode: number, report: Reporter): Mapping {
  const train = ir.train;

  if (train.micro_batch < train.batch_per_device) {
    report.cannot("train.micro_batch", `VISSL's train step has no gradient accumulation; micro-batches of ${train.micro_batch} within a device batch of ${train.batch_per_device} cannot be run`, "remove `micro_batch`");
  }
  if (ir.data.max_pixels !== DEFAULT_MAX_PIXELS) {
    report.warn("data.max_pixels", `VISSL has no pixel limit of its own; PIL's decompression-bomb limit (about 89M pixels warns, twice that fails) applies instead of ${fmt(ir.data.max_pixels)}`);
  }

  const source = sourceConfig(ir.data.source, "data.source", ir.name, false, report);
  const trainData: Mapping = {
    DATA_SOURCES: source?.DATA_SOURCES ?? [],
    DATA_PATHS: source?.DATA_PATHS ?? [],
    DATASET_NAMES: source?.DATASET_NAMES ?? [],
    LABEL_TYPE: "sample_index",
    BATCHSIZE_PER_REPLICA: train.batch_per_device,
    DROP_LAST: false,
    // Resuming from a mid-epoch checkpoint must continue the epoch, not restart it.
    USE_STATEFUL_DISTRIBUTED_SAMPLER: true,
  };
  if (run?.dataLimit != null) {
    trainData.DATA_LIMIT = run.dataLimit;
    trainData.DATA_LIMIT_SAMPLING = { SEED: ir.seed, IS_BALANCED: false, SKIP_NUM_SAMPLES: 0 };
  }
  trainData.TRANSFORMS = trainTransforms(ir.augment, report);
  trainData.COLLATE_FUNCTION = "multicrop_collator";
  const data: Mapping = {};
  if (ir.data.workers > 0) data.NUM_DATALOADER_WORKERS = ir.data.workers;
  data.TRAIN = trainData;

  // Prototype freezing: VISSL's FreezeParametersHook drops the gradient while `iteration < N`, and
  // `iteration` is already k + 1 during step k, so N = steps + 1 keeps exactly `steps` updates off.
  const freeze = ir.loss.freeze_prototypes;
  let frozen: YamlValue = [];
  if (freeze.steps === null) {
    report.cannot("loss.freeze_prototypes", `\`${freeze.amount} ${freeze.unit}\` needs the dataset size to be counted in steps, and VISSL takes the freeze in iterations`, "declare `data.images`, or give the freeze in steps");
  } else if (freeze.steps > 0) {
    frozen = flow([[PROTOTYPES_PARAMETER, freeze.steps + 1]]);
  }

  const sync = train.sync_batchnorm;
  let groupSize = 0;
  if (sync.mode === "group" && sync.group_size !== null) {
    groupSize = sync.group_size;
    if (train.devices % sync.group_size !== 0) {
      report.cannot("train.sync_batchnorm", `VISSL splits the ${fmt(train.devices)} processes into consecutive groups of ${sync.group_size}, which leaves a smaller last group`, `use a group size that divides ${fmt(train.devices)}`);
    }
  }
  const model: Mapping = {
    TRUNK: trunkConfig(ir.trunk, report),
    HEAD: { PARAMS: headParams(ir, report) },
    TEMP_FROZEN_PARAMS_ITER_MAP: frozen,
    SYNC_BN_CONFIG: { CONVERT_BN_TO_SYNC_BN: sync.mode !== "none", SYNC_BN_TYPE: "apex", GROUP_SIZE: groupSize },
    AMP_PARAMS: { USE_AMP: train.precision === "mixed", AMP_TYPE: "apex", AMP_ARGS: flow({ opt_level: "O1" }) },
    // VISSL checkpoints buckets of residual blocks; asking for one split per block (plus the stem,
    // pooling and flatten modules) makes every block its own bucket, as seerc recomputes per block.
    ACTIVATION_CHECKPOINTING: {
      USE_ACTIVATION_CHECKPOINTING: train.activation_checkpointing,
      NUM_ACTIVATION_CHECKPOINTING_SPLITS: ir.trunk.stages.reduce((n, s) => n + s.depth, 0) + 3,
    },
  };

  const queue = ir.loss.queue;
  const world = train.devices;
  let queueConfig: Mapping = { queue_length: 0, start_iter: 0, local_queue_length: 0 };
  if (queue) {
    if (queue.start.steps === null) report.cannot("loss.queue.start", "VISSL starts the queue at an iteration, and this start needs the dataset size to be counted in steps", "give the start in steps");
    queueConfig = { queue_length: queue.length, start_iter: queue.start.steps ?? 0, local_queue_length: Math.floor(queue.length / world) };
    report.warn(
      "loss.queue",
      "VISSL uses the queue from its start iteration on, while the queue still holds its random initial rows, and fills it only from then; seerc fills it from the start and uses it once full",
    );
  }
  const loss: Mapping = {
    name: "swav_loss",
    swav_loss: {
      temperature: float(ir.loss.temperature),
      use_double_precision: false,
      normalize_last_layer: true,
      num_iters: ir.loss.sinkhorn.iterations,
      epsilon: float(ir.loss.sinkhorn.epsilon),
      num_crops: ir.augment.crops.reduce((n, c) => n + c.count, 0),
      crops_for_assign: ir.loss.assign_crops,
      num_prototypes: [ir.loss.prototypes],
      embedding_dim: ir.head.dims[ir.head.dims.length - 1],
      temp_hard_assignment_iters: 0,
      queue: queueConfig,
    },
  };

  const { fields: optimizerFields, clipGradNorm } = optimizerConfig(ir.optimizer, "optimizer", report);
  if (clipGradNorm !== null) model.GRAD_CLIP = { USE_GRAD_CLIP: true, NORM_TYPE: 2, MAX_NORM: float(clipGradNorm) };

  let schedule: VisslSchedule | null = null;
  if (run && run.stepsPerEpoch !== null && ir.schedule.pieces.length > 0) {
    const total = run.epochs * run.stepsPerEpoch;
    schedule = visslScheduleFromSteps(ir.schedule.pieces, total);
    const mismatch = scheduleMismatch(ir.schedule.pieces, schedule, run.epochs, run.stepsPerEpoch);
    if (mismatch) {
      report.rewrites("schedule", `VISSL's scheduler would apply a learning rate of ${mismatch.actual} at step ${fmt(mismatch.step)}, where the schedule gives ${mismatch.expected}`, "ClassyVision moves to the next piece once `where + 1e-6` passes the piece's end, so boundaries shift by a step in runs of over a million steps; shorten the run or merge the pieces");
    }
  } else if (run) {
    const fromEpochs = visslScheduleFromEpochs(ir.schedule.written_pieces, run.epochs);
    if (fromEpochs.ok) schedule = fromEpochs.schedule;
    else report.cannot("schedule", `VISSL lays the schedule out in fractions of the run, and ${fromEpochs.reason} while the run's step count is known only at run time`, "declare `data.images`");
  }
  const optimizer: Mapping = {
    ...optimizerFields,
    num_epochs: run?.epochs ?? 1,
    head_optimizer_params: { use_different_lr: false, use_different_wd: false },
    param_schedulers: { lr: schedule ? lrConfig(schedule) : { auto_lr_scaling: { auto_scale: false } } },
  };

  const every = train.checkpoint_every;
  const checkpoint: Mapping = { DIR: `checkpoints/${ir.name}`, AUTO_RESUME: true, CHECKPOINT_FREQUENCY: run?.epochs ?? 1, CHECKPOINT_ITER_FREQUENCY: -1 };
  if (every.unit === "epochs" && every.of === null && Number.isInteger(every.amount)) {
    checkpoint.CHECKPOINT_FREQUENCY = every.amount;
  } else if (every.steps !== null) {
    checkpoint.CHECKPOINT_ITER_FREQUENCY = every.steps;
  } else {
    report.cannot("train.checkpoint_every", "VISSL checkpoints every N iterations or every N epochs, and this interval needs the dataset size to be counted in either", "give the interval in steps or whole epochs");
  }
  if (run?.stepsPerEpoch != null && every.steps !== null && every.steps > 0) {
    const saved = Math.floor((run.epochs * run.stepsPerEpoch) / every.steps);
    if (saved > train.keep_checkpoints) {
      report.warn("train.keep_checkpoints", `VISSL keeps every checkpoint it writes (${fmt(saved)} in this run), not the last ${train.keep_checkpoints}`, "delete old checkpoints from the checkpoint folder while it runs");
    }
  }

  const config: Mapping = {
    LOG_FREQUENCY: train.log_every,
    TEST_MODEL: false,
    SEED_VALUE: ir.seed,
    DATA: data,
    MODEL: model,
    LOSS: loss,
    OPTIMIZER: optimizer,
    DISTRIBUTED: { BACKEND: "nccl", NUM_NODES: train.nodes, NUM_PROC_PER_NODE: perNode, INIT_METHOD: "tcp", RUN_ID: "auto" },
    MACHINE: { DEVICE: "gpu" },
    CHECKPOINT: checkpoint,
  };
  checkLossInference(config, report);
  return config;
}

// ---------------------------------------------------------------------------------------------
// Evaluations

interface EvaluationConfig {
  config: Mapping;
  /** The pre-training checkpoint it starts from. */
  weights: string;
}

function evaluationConfig(ir: ExperimentIR, ev: EvaluationIR, run: RunLength | null, perNode: number, report: Reporter, path: string): EvaluationConfig | null {
  const skip = (why: string, hint?: string): null => {
    report.warn(path, `evaluation \`${ev.name}\` is skipped: ${why}`, hint);
    return null;
  };
  if (ev.kind === "knn") return skip("VISSL runs k-NN through tools/nearest_neighbor_test.py on extracted features, not as a training config");
  if (ev.kind === "lowshot") return skip("VISSL's low-shot benchmarks are SVM/logistic-regression tools over extracted features, not this protocol");
  if (ir.trunk.generator === null) return skip("the trunk cannot be written for VISSL");
  const local = new Reporter();
  const source = sourceConfig(ev.data.source, `${path}.data`, ev.name, true, local);
  if (!source) return skip(local.diagnostics.map((d) => d.message).join("; "));
  if (ev.data.source.kind !== "named") return skip("VISSL needs a held-out split, which only catalogue datasets (e.g. imagenet_1k) name", "evaluate on a dataset known by name");
  if (ev.epochs === null || ev.batch === null || ev.optimizer === null || ev.schedule === null) return skip("it has no training settings");
  if (ev.batch % perNode !== 0) return skip(`its batch of ${ev.batch} does not split evenly over one node's ${perNode} GPUs`);
  const scheduleResult = visslScheduleFromEpochs(ev.schedule.written_pieces, ev.epochs);
  if (!scheduleResult.ok) return skip(scheduleResult.reason);
  const optimizer = optimizerConfig(ev.optimizer, `${path}.optimizer`, local);
  if (local.diagnostics.length > 0) return skip(local.diagnostics.map((d) => d.message).join("; "));

  const perReplica = ev.batch / perNode;
  const size = ev.image_size;
  const normalize = { name: "Normalize", mean: ir.augment.normalize.mean.map(float), std: ir.augment.normalize.std.map(float) };
  const split = (transforms: Mapping[]): Mapping => ({
    DATA_SOURCES: source.DATA_SOURCES,
    LABEL_SOURCES: source.LABEL_SOURCES,
    DATASET_NAMES: source.DATASET_NAMES,
    BATCHSIZE_PER_REPLICA: perReplica,
    TRANSFORMS: transforms,
  });
  const stage = ev.kind === "linear" ? (ev.stage ?? ir.trunk.stages.length) : ir.trunk.stages.length;
  if (stage < 1 || stage > ir.trunk.stages.length) return skip(`the trunk has no stage ${stage}`);
  const width = ir.trunk.stages[stage - 1].width;
  const classes = source.classes ?? 0;
  const trunk = trunkConfig(ir.trunk, new Reporter());
  const model: Mapping = { TRUNK: trunk, HEAD: { PARAMS: flow([["mlp", { dims: [width, classes] }]]) } };
  if (ev.kind === "linear") {
    // VISSL's feature blocks are conv1, res2.. for the stem and each stage.
    model.FEATURE_EVAL_SETTINGS = {
      EVAL_MODE_ON: true,
      FREEZE_TRUNK_ONLY: true,
      SHOULD_FLATTEN_FEATS: true,
      LINEAR_EVAL_FEAT_POOL_OPS_MAP: flow([[`res${stage + 1}`, ["AdaptiveAvgPool2d", [[1, 1]]]]]),
    };
  }
  // VISSL names the last checkpoint of a run after its last (0-based) training phase.
  const weights = `checkpoints/${ir.name}/model_final_checkpoint_phase${(run?.epochs ?? 1) - 1}.torch`;
  model.WEIGHTS_INIT = { PARAMS_FILE: weights, STATE_DICT_KEY_NAME: "classy_state_dict" };
  if (optimizer.clipGradNorm !== null) model.GRAD_CLIP = { USE_GRAD_CLIP: true, NORM_TYPE: 2, MAX_NORM: float(optimizer.clipGradNorm) };
  const config: Mapping = {
    LOG_FREQUENCY: ir.train.log_every,
    TEST_MODEL: true,
    TEST_EVERY_NUM_EPOCH: 1,
    SEED_VALUE: ir.seed,
    DATA: {
      TRAIN: split([{ name: "RandomResizedCrop", size }, { name: "RandomHorizontalFlip", p: float(0.5) }, { name: "ToTensor" }, normalize]),
      TEST: split([{ name: "Resize", size: Math.round(size / EVAL_CENTER_CROP_FRACTION) }, { name: "CenterCrop", size }, { name: "ToTensor" }, normalize]),
    },
    METERS: { name: "accuracy_list_meter", accuracy_list_meter: { num_meters: 1, topk_values: [1, 5] } },
    MODEL: model,
    LOSS: { name: "cross_entropy_multiple_output_single_target", cross_entropy_multiple_output_single_target: { ignore_index: -1 } },
    OPTIMIZER: {
      ...optimizer.fields,
      num_epochs: ev.epochs,
      head_optimizer_params: { use_different_lr: false, use_different_wd: false },
      param_schedulers: { lr: lrConfig(scheduleResult.schedule) },
    },
    DISTRIBUTED: { BACKEND: "nccl", NUM_NODES: 1, NUM_PROC_PER_NODE: perNode, INIT_METHOD: "tcp", RUN_ID: "auto" },
    MACHINE: { DEVICE: "gpu" },
    CHECKPOINT: { DIR: `checkpoints/${ir.name}_eval_${ev.name}`, AUTO_RESUME: true, CHECKPOINT_FREQUENCY: 1 },
  };
  return { config, weights };
}

// ---------------------------------------------------------------------------------------------

/** Turns an experiment into VISSL config files (and sbatch scripts with `launcher: "slurm"`). */
export function compileToVissl(ir: ExperimentIR, options: VisslOptions): VisslOutput {
  const report = new Reporter();
  const train = ir.train;
  let perNode = Math.floor(train.devices / train.nodes);
  if (train.devices % train.nodes !== 0 || perNode < 1) {
    report.cannot("train.nodes", `VISSL starts the same number of processes on every node, and ${fmt(train.devices)} devices do not split evenly over ${fmt(train.nodes)} nodes`, "use a device count that is a multiple of the node count");
    perNode = Math.max(1, perNode);
  }
  const run = runLength(ir, report);
  const config = pretrainingConfig(ir, run, perNode, report);

  const base = baseName(options.configName);
  const launch: Launch = { configName: options.configName, nodes: train.nodes, perNode, workers: ir.data.workers };
  const header = [
    `VISSL configuration of the seerc experiment \`${ir.name}\`.`,
    "Generated by `seerc compile --target vissl`; edits are lost on the next compile.",
    `Install as configs/config/${options.configName}.yaml in a VISSL checkout.`,
    ...commandLines(launch),
    "",
    `Global batch ${fmt(train.batch_per_device)} per GPU x ${fmt(train.nodes)} nodes x ${fmt(perNode)} GPUs = ${fmt(train.batch_per_device * train.nodes * perNode)}.`,
    `Run length: ${run ? run.explanation : "not expressible (see the diagnostics)"}.`,
    "Learning rates are used as written: auto_lr_scaling is off.",
  ];
  const files: Array<{ name: string; text: string }> = [{ name: `${base}.yaml`, text: yamlFile(header, config, options.diagnosticsOnly) }];
  if (options.launcher === "slurm") {
    files.push({ name: `${base}.sbatch`, text: sbatchScript(launch, `VISSL pre-training of the seerc experiment \`${ir.name}\` on ${fmt(train.nodes)} node(s) x ${fmt(perNode)} GPUs.`) });
  }

  const usedNames = new Set<string>();
  for (const [i, ev] of ir.evaluate.entries()) {
    const evaluation = evaluationConfig(ir, ev, run, perNode, report, `evaluate.${i}`);
    if (!evaluation) continue;
    let suffix = `eval_${ev.name}`;
    for (let n = 2; usedNames.has(suffix); n++) suffix = `eval_${ev.name}_${n}`;
    usedNames.add(suffix);
    const evName = `${options.configName}_${suffix}`;
    const evLaunch: Launch = { configName: evName, nodes: 1, perNode, workers: ev.data.workers };
    const evHeader = [
      `VISSL ${ev.kind === "linear" ? "linear evaluation" : "fine-tuning"} of the seerc experiment \`${ir.name}\`, evaluation ${i} (\`${ev.name}\`).`,
      "Generated by `seerc compile --target vissl`; edits are lost on the next compile.",
      `Run after the pre-training: it starts from ${evaluation.weights}.`,
      `Install as configs/config/${evName}.yaml in a VISSL checkout.`,
      ...commandLines(evLaunch),
      "",
      `Batch ${fmt(ev.batch ?? 0)} = ${fmt((ev.batch ?? 0) / perNode)} per GPU x ${perNode} GPUs; ${fmt(ev.epochs ?? 0)} epochs; learning rates as written.`,
      `Pre-processing follows VISSL's benchmark configs: RandomResizedCrop(${ev.image_size}) + flip for training, Resize(${Math.round(ev.image_size / EVAL_CENTER_CROP_FRACTION)}) + CenterCrop(${ev.image_size}) for testing.`,
    ];
    files.push({ name: `${base}_${suffix}.yaml`, text: yamlFile(evHeader, evaluation.config, options.diagnosticsOnly) });
    if (options.launcher === "slurm") {
      files.push({ name: `${base}_${suffix}.sbatch`, text: sbatchScript(evLaunch, `VISSL ${ev.kind} evaluation \`${ev.name}\` of the seerc experiment \`${ir.name}\`.`) });
    }
  }
  return { files, diagnostics: report.diagnostics };
}

