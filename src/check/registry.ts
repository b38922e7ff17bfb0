/**
 * The field registry: every block kind, its fields, their types, units, ranges, defaults and docs.
 * It is the single source for the checker, the IR's JSON Schema, `seerc explain --fields`, the
 * field tables in grammar/, and editor completion. Adding a field here is the whole job of
 * making it known; lowering copies checked values into the IR under the same names.
 */

export type DurationUnit = "steps" | "epochs" | "images";

export type FieldType =
  | { type: "int"; min?: number; max?: number }
  | { type: "number"; min?: number; max?: number; exclusiveMin?: boolean }
  /** A probability in [0, 1]; `50%` is accepted. */
  | { type: "probability" }
  | { type: "bool" }
  | { type: "string" }
  | { type: "enum"; values: readonly string[] }
  /** `low .. high`, both numbers, low <= high. */
  | { type: "range"; min?: number; max?: number }
  | { type: "numbers"; length?: number; min?: number }
  | { type: "ints"; min?: number }
  /** `8000 steps`, `2 epochs`, `1B images`, `1 epoch of imagenet_1k at 4096`. */
  | { type: "duration" }
  /** A size in pixels: `224px`. */
  | { type: "pixels"; min?: number }
  /** A nested block with a fixed kind: `sinkhorn { … }`. */
  | { type: "block"; block: string }
  /** `kind { … }`, `kind [dims] { … }` or a preset name; the kind chooses the block. */
  | { type: "variant"; family: string }
  /** A value with its own grammar, read by a dedicated reader in check/readers.ts. */
  | { type: "custom"; reader: "source" | "batch" | "schedule" | "crop" | "dims" | "sync_batchnorm" | "queue" | "evaluate" | "dataset" | "metric" | "strategy" };

export interface FieldSpec {
  name: string;
  doc: string;
  type: FieldType;
  /** Filled into the IR when the user leaves the field out. Omitted = the field is optional and absent means "none". */
  default?: unknown;
  required?: boolean;
  /** May be written several times (`crop …`, `evaluate …`); collected into a list. */
  repeatable?: boolean;
  /** Fields of the same block that may not be written together. */
  conflictsWith?: string[];
  /** Documentation of the unit, e.g. "steps | epochs | images". */
  unit?: string;
}

export interface BlockSpec {
  kind: string;
  doc: string;
  fields: FieldSpec[];
  /** Families this kind belongs to (`trunk`, `optimizer`…): `trunk = regnety { … }`. */
  family?: string;
}

/** A constant learning-rate schedule as a default value (defaults have no source text to point at). */
function constantSchedule(value: number): unknown {
  const span = { file: "<default>", start: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };
  return { written: `constant ${value}`, pieces: [{ kind: "constant", value, over: null, restart: false, span }] };
}

const probability: FieldType = { type: "probability" };
const positive: FieldType = { type: "number", min: 0, exclusiveMin: true };
const nonNegative: FieldType = { type: "number", min: 0 };

/** The five numbers a RegNet is generated from, and the rounding convention that turns them into stages. */
const REGNET_GENERATOR_FIELDS: FieldSpec[] = [
  { name: "w0", doc: "Initial width; a positive multiple of 8.", type: { type: "int", min: 1 }, required: true },
  { name: "wa", doc: "Width slope (per block).", type: nonNegative, required: true },
  { name: "wm", doc: "Width multiplier between stages; > 1.", type: { type: "number", min: 1, exclusiveMin: true }, required: true },
  { name: "group_width", doc: "Channels per group of the 3x3 convolutions.", type: { type: "int", min: 1 }, required: true },
  { name: "depth", doc: "Total number of blocks.", type: { type: "int", min: 1, max: 200 }, required: true },
];

/** Block settings every RegNet-family trunk shares. */
const REGNET_BLOCK_FIELDS: FieldSpec[] = [
  { name: "bottleneck", doc: "Bottleneck multiplier.", type: positive, default: 1 },
  { name: "stem_width", doc: "Channels of the stem convolution.", type: { type: "int", min: 1 }, default: 32 },
  { name: "rounding", doc: "Width rounding convention: `pycls` (ClassyVision, what SEER used: round half to even) or `torchvision`.", type: { type: "enum", values: ["pycls", "torchvision"] }, default: "pycls" },
  { name: "zero_init_final_bn", doc: "Start each block's last BatchNorm at gamma 0 (residual branch off at init). Off by default, as in pycls and the SEER runs.", type: { type: "bool" }, default: false },
];

export const DEVICE_PROFILE_NAMES = ["cpu", "v100_32gb", "a100_40gb", "h100_80gb", "h200"] as const;
export const TARGETS = ["tfjs", "vissl"] as const;

const BLOCKS: BlockSpec[] = [
  {
    kind: "experiment",
    doc: "A pretraining experiment: data, model, loss, optimisation and evaluation.",
    fields: [
      { name: "seed", doc: "Seed of every random choice (initialisation, data order, augmentation).", type: { type: "int", min: 0 }, default: 0 },
      { name: "target", doc: "Where the experiment is meant to run: `tfjs` (in-process with `seerc run`) or `vissl` (clusters). Features are checked against it.", type: { type: "enum", values: TARGETS }, default: "tfjs" },
      { name: "data", doc: "The unlabelled pretraining data.", type: { type: "block", block: "data" }, required: true },
      { name: "trunk", doc: "The convolutional trunk: `regnety { … }`, `regnet { … }`, `anynet { … }` or a preset such as `RegNetY_400MF`.", type: { type: "variant", family: "trunk" }, required: true },
      { name: "augment", doc: "The augmentation recipe: `multicrop { … }` or a preset.", type: { type: "variant", family: "augment" }, required: true },
      { name: "head", doc: "The projection head: `mlp [trunk.width, …, dim] { … }`.", type: { type: "variant", family: "head" }, required: true },
      { name: "loss", doc: "The self-supervised loss: `swav { … }`.", type: { type: "variant", family: "loss" }, required: true },
      { name: "optimizer", doc: "The optimiser: `lars { … }`, `sgd { … }` or `adamw { … }`.", type: { type: "variant", family: "optimizer" }, required: true },
      { name: "schedule", doc: "The learning-rate schedule, e.g. `warmup linear 0.15 -> 9.6 over 8000 steps, then cosine -> 0.0096`.", type: { type: "custom", reader: "schedule" }, required: true },
      { name: "train", doc: "Batch, length, precision and bookkeeping of the run.", type: { type: "block", block: "train" }, required: true },
      { name: "evaluate", doc: "An evaluation protocol run after pretraining: `evaluate linear { … }`, `knn`, `finetune`, `lowshot`.", type: { type: "custom", reader: "evaluate" }, repeatable: true },
    ],
  },
  {
    kind: "data",
    doc: "Where the images come from.",
    fields: [
      { name: "source", doc: "`folder(\"path\")` (any images, recursive), `image_folder(\"path\")` (one sub-folder per class), `idx(\"path\")` (MNIST-style IDX files), `list(\"file\")` (a text file of paths) or `synthetic()` (built-in generated images).", type: { type: "custom", reader: "source" }, required: true },
      { name: "images", doc: "How many images the source holds (for `synthetic`: how many to generate). When declared, durations in epochs convert to steps at check time; a folder's real count is verified at run time.", type: { type: "int", min: 1 } },
      { name: "include", doc: "Glob patterns of files to take from a folder (default: every image file).", type: { type: "custom", reader: "dataset" } },
      { name: "exclude", doc: "Glob patterns of files to skip.", type: { type: "custom", reader: "dataset" } },
      { name: "split", doc: "Which split of a dataset that defines splits (`idx`, `synthetic`): `train` or `test`.", type: { type: "enum", values: ["train", "test"] }, default: "train" },
      { name: "classes", doc: "Number of latent classes of `synthetic()` images.", type: { type: "int", min: 2, max: 1000 }, default: 10 },
      { name: "image_size", doc: "Side of `synthetic()` images.", type: { type: "pixels", min: 8 }, default: 64, unit: "px" },
      { name: "max_pixels", doc: "Images with more pixels are skipped as possible decompression bombs.", type: { type: "int", min: 1 }, default: 100_000_000 },
      { name: "workers", doc: "Decoding threads (0 = one per core, minus one for the trainer).", type: { type: "int", min: 0, max: 256 }, default: 0 },
    ],
  },
  // Trunks
  {
    kind: "regnety",
    family: "trunk",
    doc: "RegNetY: RegNet with squeeze-and-excitation, generated from (w0, wa, wm, group width, depth).",
    fields: [
      ...REGNET_GENERATOR_FIELDS,
      { name: "se_ratio", doc: "Squeeze-excitation width relative to the block input width.", type: { type: "number", min: 0, max: 1, exclusiveMin: true }, default: 0.25 },
      ...REGNET_BLOCK_FIELDS,
    ],
  },
  {
    kind: "regnet",
    family: "trunk",
    doc: "RegNetX-style RegNet without squeeze-and-excitation.",
    fields: [...REGNET_GENERATOR_FIELDS, ...REGNET_BLOCK_FIELDS],
  },
  {
    kind: "anynet",
    family: "trunk",
    doc: "An AnyNet trunk with explicit per-stage depths, widths and group widths.",
    fields: [
      { name: "depths", doc: "Blocks per stage.", type: { type: "ints", min: 1 }, required: true },
      { name: "widths", doc: "Output width per stage.", type: { type: "ints", min: 1 }, required: true },
      { name: "group_widths", doc: "Group width per stage.", type: { type: "ints", min: 1 }, required: true },
      { name: "se_ratio", doc: "Squeeze-excitation ratio (0 = none).", type: { type: "number", min: 0, max: 1 }, default: 0.25 },
      { name: "bottleneck", doc: "Bottleneck multiplier.", type: positive, default: 1 },
      { name: "stem_width", doc: "Channels of the stem convolution.", type: { type: "int", min: 1 }, default: 32 },
      { name: "zero_init_final_bn", doc: "Start each block's last BatchNorm at gamma 0. Off by default, as in pycls.", type: { type: "bool" }, default: false },
    ],
  },
  // Augmentation
  {
    kind: "multicrop",
    family: "augment",
    doc: "SwAV multi-crop: several random resized crops per image at different sizes, then photometric augmentations.",
    fields: [
      { name: "crop", doc: "`crop N x SIZEpx scale LOW .. HIGH [ratio LOW .. HIGH]`: N random resized crops of SIZE pixels covering LOW..HIGH of the image area.", type: { type: "custom", reader: "crop" }, repeatable: true, required: true },
      { name: "flip", doc: "Probability of a horizontal flip.", type: probability, default: 0.5 },
      { name: "color_jitter", doc: "Colour distortion (brightness, contrast, saturation, hue), applied with probability p.", type: { type: "block", block: "color_jitter" } },
      { name: "grayscale", doc: "Probability of converting a crop to grayscale.", type: probability, default: 0 },
      { name: "blur", doc: "Gaussian blur with probability p and a radius range.", type: { type: "block", block: "blur" } },
      { name: "solarize", doc: "Solarisation with probability p above a threshold.", type: { type: "block", block: "solarize" } },
      { name: "normalize", doc: "Per-channel mean/std normalisation (default: ImageNet's).", type: { type: "block", block: "normalize" }, default: {} },
    ],
  },
  {
    kind: "color_jitter",
    doc: "Colour distortion. `strength` s sets brightness/contrast/saturation 0.8s and hue 0.2s unless given explicitly.",
    fields: [
      { name: "strength", doc: "Overall strength s.", type: nonNegative, default: 1 },
      { name: "p", doc: "Probability of applying the jitter.", type: probability, default: 0.8 },
      { name: "brightness", doc: "Brightness factor range ±b (default 0.8 × strength).", type: nonNegative },
      { name: "contrast", doc: "Contrast factor range ±c (default 0.8 × strength).", type: nonNegative },
      { name: "saturation", doc: "Saturation factor range ±s (default 0.8 × strength).", type: nonNegative },
      { name: "hue", doc: "Hue shift range ±h, at most 0.5 (default 0.2 × strength).", type: { type: "number", min: 0, max: 0.5 } },
    ],
  },
  {
    kind: "blur",
    doc: "Gaussian blur.",
    fields: [
      { name: "p", doc: "Probability of blurring.", type: probability, default: 0.5 },
      { name: "radius", doc: "Range of the blur's sigma, in pixels of a 224px crop (scaled with the crop size).", type: { type: "range", min: 0 }, default: [0.1, 2.0] },
    ],
  },
  {
    kind: "solarize",
    doc: "Solarisation: pixel values above the threshold are inverted.",
    fields: [
      { name: "p", doc: "Probability of solarising.", type: probability, default: 0.2 },
      { name: "threshold", doc: "Threshold on [0, 1] intensities.", type: probability, default: 0.5 },
    ],
  },
  {
    kind: "normalize",
    doc: "Per-channel normalisation after augmentation.",
    fields: [
      { name: "mean", doc: "RGB mean on [0, 1] intensities.", type: { type: "numbers", length: 3 }, default: [0.485, 0.456, 0.406] },
      { name: "std", doc: "RGB standard deviation.", type: { type: "numbers", length: 3, min: 0 }, default: [0.229, 0.224, 0.225] },
    ],
  },
  // Head
  {
    kind: "mlp",
    family: "head",
    doc: "Projection head `mlp [in, hidden…, out] { … }`: Linear layers with ReLU between them, then L2 normalisation.",
    fields: [
      { name: "dims", doc: "Layer widths; the first must equal the trunk's width (`trunk.width`).", type: { type: "custom", reader: "dims" }, required: true },
      { name: "batchnorm", doc: "BatchNorm after each hidden Linear.", type: { type: "bool" }, default: false },
      { name: "activation", doc: "Activation between layers.", type: { type: "enum", values: ["relu", "gelu"] }, default: "relu" },
    ],
  },
  // Loss
  {
    kind: "swav",
    family: "loss",
    doc: "SwAV: swapped prediction of Sinkhorn-Knopp cluster assignments over learnable prototypes.",
    fields: [
      { name: "prototypes", doc: "Number of prototypes K.", type: { type: "int", min: 2 }, required: true },
      { name: "temperature", doc: "Softmax temperature of the predictions.", type: positive, default: 0.1 },
      { name: "sinkhorn", doc: "Sinkhorn-Knopp settings.", type: { type: "block", block: "sinkhorn" }, default: {} },
      { name: "assign_crops", doc: "Indices of the crops whose codes are computed (usually the two large crops).", type: { type: "ints", min: 0 }, default: [0, 1] },
      { name: "queue", doc: "A queue of past embeddings added to each Sinkhorn call: `queue { length = 3840, start = 15 epochs }`.", type: { type: "block", block: "queue" } },
      { name: "freeze_prototypes", doc: "Keep the prototypes fixed for this long at the start.", type: { type: "duration" }, default: { amount: 0, unit: "steps", of: null }, unit: "steps | epochs | images" },
    ],
  },
  {
    kind: "sinkhorn",
    doc: "Sinkhorn-Knopp optimal-transport settings.",
    fields: [
      { name: "epsilon", doc: "Entropic regularisation; > 0.", type: positive, default: 0.05 },
      { name: "iterations", doc: "Number of normalisation rounds; >= 1.", type: { type: "int", min: 1, max: 1000 }, default: 3 },
    ],
  },
  {
    kind: "queue",
    doc: "Queue of past embeddings that stabilises Sinkhorn with small batches.",
    fields: [
      { name: "length", doc: "Embeddings kept per assigned crop; a multiple of the global batch.", type: { type: "int", min: 1 }, required: true },
      { name: "start", doc: "When the queue starts being used.", type: { type: "duration" }, default: { amount: 0, unit: "steps", of: null }, unit: "steps | epochs | images" },
    ],
  },
  // Optimisers
  {
    kind: "lars",
    family: "optimizer",
    doc: "SGD with momentum and LARS/LARC layer-wise adaptive rates (trust coefficient).",
    fields: [
      { name: "momentum", doc: "Momentum.", type: { type: "number", min: 0, max: 1 }, default: 0.9 },
      { name: "weight_decay", doc: "L2 weight decay.", type: nonNegative, default: 1e-6 },
      { name: "trust", doc: "Trust coefficient eta of the adaptive rate.", type: positive, default: 0.001 },
      { name: "exclude_bias_and_bn", doc: "Exclude biases and BatchNorm parameters from weight decay and adaptation (SEER decays them: false).", type: { type: "bool" }, default: false },
      { name: "clip", doc: "Clip the adaptive rate at the global rate (LARC clipping mode).", type: { type: "bool" }, default: false },
      { name: "clip_grad_norm", doc: "Clip the global gradient norm to this value.", type: positive },
    ],
  },
  {
    kind: "sgd",
    family: "optimizer",
    doc: "SGD with (Nesterov) momentum and weight decay, PyTorch semantics.",
    fields: [
      { name: "momentum", doc: "Momentum.", type: { type: "number", min: 0, max: 1 }, default: 0.9 },
      { name: "nesterov", doc: "Nesterov momentum.", type: { type: "bool" }, default: false },
      { name: "weight_decay", doc: "L2 weight decay.", type: nonNegative, default: 0 },
      { name: "clip_grad_norm", doc: "Clip the global gradient norm to this value.", type: positive },
    ],
  },
  {
    kind: "adamw",
    family: "optimizer",
    doc: "Adam with decoupled weight decay.",
    fields: [
      { name: "beta1", doc: "First-moment decay.", type: { type: "number", min: 0, max: 1 }, default: 0.9 },
      { name: "beta2", doc: "Second-moment decay.", type: { type: "number", min: 0, max: 1 }, default: 0.999 },
      { name: "eps", doc: "Denominator epsilon.", type: positive, default: 1e-8 },
      { name: "weight_decay", doc: "Decoupled weight decay.", type: nonNegative, default: 0.01 },
      { name: "clip_grad_norm", doc: "Clip the global gradient norm to this value.", type: positive },
    ],
  },
  // Training
  {
    kind: "train",
    doc: "How the run is batched, how long it is, and its bookkeeping.",
    fields: [
      { name: "batch", doc: "`B per device x D devices` or a global batch `B`.", type: { type: "custom", reader: "batch" }, required: true },
      { name: "global_batch", doc: "The global batch, if you want it stated; must agree with `batch`.", type: { type: "int", min: 1 } },
      { name: "micro_batch", doc: "Split each device's batch into micro-batches of this size (gradient accumulation; Sinkhorn still sees the whole batch).", type: { type: "int", min: 1 } },
      { name: "steps", doc: "Length of the run in steps.", type: { type: "int", min: 1 }, conflictsWith: ["epochs", "images"] },
      { name: "epochs", doc: "Length of the run in passes over the data.", type: { type: "number", min: 0, exclusiveMin: true }, conflictsWith: ["steps", "images"] },
      { name: "images", doc: "Length of the run in images seen.", type: { type: "int", min: 1 }, conflictsWith: ["steps", "epochs"] },
      { name: "precision", doc: "`fp32` or `mixed` (fp16 GEMMs and convolutions).", type: { type: "enum", values: ["fp32", "mixed"] }, default: "fp32" },
      { name: "activation_checkpointing", doc: "Recompute each block's activations in the backward pass to save memory.", type: { type: "bool" }, default: false },
      { name: "sync_batchnorm", doc: "`none`, `all`, or `group N`: BatchNorm statistics synchronised across devices.", type: { type: "custom", reader: "sync_batchnorm" }, default: { mode: "none", group_size: null } },
      { name: "device", doc: "Device profile for cost estimates: " + DEVICE_PROFILE_NAMES.join(", ") + ".", type: { type: "enum", values: DEVICE_PROFILE_NAMES }, default: "cpu" },
      { name: "nodes", doc: "Machines the devices are spread over (for cluster targets).", type: { type: "int", min: 1 }, default: 1 },
      { name: "checkpoint_every", doc: "Checkpoint interval.", type: { type: "duration" }, default: { amount: 500, unit: "steps", of: null }, unit: "steps | epochs | images" },
      { name: "keep_checkpoints", doc: "How many recent checkpoints to keep.", type: { type: "int", min: 1 }, default: 3 },
      { name: "log_every", doc: "Logging interval in steps.", type: { type: "int", min: 1 }, default: 10 },
    ],
  },
  // Evaluation
  {
    kind: "eval_linear",
    doc: "Linear probe: a linear classifier on frozen, pooled trunk features.",
    fields: [
      { name: "data", doc: "Labelled data: `idx(…)`, `image_folder(…)`, `synthetic()` or a named dataset.", type: { type: "custom", reader: "source" }, required: true },
      { name: "epochs", doc: "Training epochs of the classifier.", type: { type: "int", min: 1 }, default: 10 },
      { name: "batch", doc: "Batch size.", type: { type: "int", min: 1 }, default: 256 },
      { name: "optimizer", doc: "Optimiser of the classifier.", type: { type: "variant", family: "optimizer" }, default: { kind: "sgd", momentum: 0.9, nesterov: false, weight_decay: 0 } },
      { name: "schedule", doc: "Learning-rate schedule of the classifier.", type: { type: "custom", reader: "schedule" }, default: constantSchedule(0.1) },
      { name: "stage", doc: "Which trunk stage's pooled output to use (1-based; default the last).", type: { type: "int", min: 1 } },
      { name: "image_size", doc: "Centre-crop size of evaluation images.", type: { type: "pixels", min: 8 } },
    ],
  },
  {
    kind: "eval_knn",
    doc: "k-nearest neighbours on L2-normalised features with similarity-weighted votes.",
    fields: [
      { name: "data", doc: "Labelled data.", type: { type: "custom", reader: "source" }, required: true },
      { name: "k", doc: "Neighbours per query.", type: { type: "int", min: 1 }, default: 20 },
      { name: "temperature", doc: "Temperature of the vote weights exp(sim / T).", type: positive, default: 0.07 },
      { name: "stage", doc: "Which trunk stage's pooled output to use (1-based; default the last).", type: { type: "int", min: 1 } },
      { name: "image_size", doc: "Centre-crop size of evaluation images.", type: { type: "pixels", min: 8 } },
    ],
  },
  {
    kind: "eval_finetune",
    doc: "Fine-tune the whole network with a fresh classifier.",
    fields: [
      { name: "data", doc: "Labelled data.", type: { type: "custom", reader: "source" }, required: true },
      { name: "epochs", doc: "Training epochs.", type: { type: "int", min: 1 }, default: 10 },
      { name: "batch", doc: "Batch size.", type: { type: "int", min: 1 }, default: 256 },
      { name: "optimizer", doc: "Optimiser.", type: { type: "variant", family: "optimizer" }, default: { kind: "sgd", momentum: 0.9, nesterov: false, weight_decay: 1e-4 } },
      { name: "schedule", doc: "Learning-rate schedule.", type: { type: "custom", reader: "schedule" }, default: constantSchedule(0.01) },
      { name: "image_size", doc: "Crop size of training and evaluation images.", type: { type: "pixels", min: 8 } },
    ],
  },
  {
    kind: "eval_lowshot",
    doc: "Low-shot: linear probe or fine-tuning on a fixed, seeded, class-balanced fraction of the labels.",
    fields: [
      { name: "data", doc: "Labelled data.", type: { type: "custom", reader: "source" }, required: true },
      { name: "fraction", doc: "Fraction of labelled training images used (e.g. `1%`, `10%`).", type: { type: "probability" }, required: true },
      { name: "protocol", doc: "`linear` or `finetune`.", type: { type: "enum", values: ["linear", "finetune"] }, default: "linear" },
      { name: "epochs", doc: "Training epochs.", type: { type: "int", min: 1 }, default: 10 },
      { name: "batch", doc: "Batch size.", type: { type: "int", min: 1 }, default: 256 },
      { name: "optimizer", doc: "Optimiser.", type: { type: "variant", family: "optimizer" }, default: { kind: "sgd", momentum: 0.9, nesterov: false, weight_decay: 0 } },
      { name: "schedule", doc: "Learning-rate schedule.", type: { type: "custom", reader: "schedule" }, default: constantSchedule(0.1) },
      { name: "image_size", doc: "Crop size of images.", type: { type: "pixels", min: 8 } },
    ],
  },
  // Sweeps
  {
    kind: "sweep",
    doc: "A set of trials derived from a base experiment: `path in [values]` axes plus these settings.",
    fields: [
      { name: "strategy", doc: "`grid` (every combination) or `random N` (N samples).", type: { type: "custom", reader: "strategy" }, default: { kind: "grid" } },
      { name: "parallel", doc: "Trials run at once.", type: { type: "int", min: 1, max: 64 }, default: 1 },
      { name: "fail_fast", doc: "Stop launching trials after the first failure.", type: { type: "bool" }, default: false },
      { name: "metric", doc: "`path maximize|minimize`, e.g. `evaluate.knn.top1 maximize`; orders the summary.", type: { type: "custom", reader: "metric" } },
      { name: "seed", doc: "Seed of random search.", type: { type: "int", min: 0 }, default: 0 },
    ],
  },
];

export const BLOCK_SPECS: ReadonlyMap<string, BlockSpec> = new Map(BLOCKS.map((b) => [b.kind, b]));

export function blockSpec(kind: string): BlockSpec {
  const spec = BLOCK_SPECS.get(kind);
  if (!spec) throw new Error(`internal: no block spec for ${kind}`);
  return spec;
}

export function familyKinds(family: string): string[] {
  return BLOCKS.filter((b) => b.family === family).map((b) => b.kind);
}

export function fieldSpec(kind: string, name: string): FieldSpec | undefined {
  return BLOCK_SPECS.get(kind)?.fields.find((f) => f.name === name);
}

export const EVALUATION_KINDS = ["linear", "knn", "finetune", "lowshot"] as const;
export type EvaluationKind = (typeof EVALUATION_KINDS)[number];

/** Datasets known by name, with the sizes that make durations like `1 epoch of imagenet_1k` convertible. */
export const KNOWN_DATASETS: Record<string, { trainImages: number; testImages: number; classes: number; doc: string }> = {
  imagenet_1k: { trainImages: 1_281_167, testImages: 50_000, classes: 1000, doc: "ImageNet-1k (ILSVRC 2012)" },
  imagenet_22k: { trainImages: 14_197_122, testImages: 0, classes: 21_841, doc: "ImageNet-22k (full ImageNet)" },
  inaturalist_2018: { trainImages: 437_513, testImages: 24_426, classes: 8142, doc: "iNaturalist 2018" },
  places205: { trainImages: 2_448_873, testImages: 20_500, classes: 205, doc: "Places205" },
  fashion_mnist: { trainImages: 60_000, testImages: 10_000, classes: 10, doc: "Fashion-MNIST" },
};
