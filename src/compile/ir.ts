/**
 * ExperimentIR: the contract between the compiler and everything after it (runtime, targets,
 * sweeps). JSON only, every default filled, every derived value present, validated against the
 * published schema (`seerc schema`) and hashed canonically. Field names follow the language.
 */

export const IR_VERSION = 1;

export type DurationUnit = "steps" | "epochs" | "images";

/** A duration as written, and its length in steps once the batch and dataset size are known. */
export interface DurationIR {
  amount: number;
  unit: DurationUnit;
  /** `1 epoch of imagenet_1k at 4096`: the epoch is of another dataset at another batch. */
  of: { dataset: string; images: number; batch: number } | null;
  /** Steps of this run; null when it can only be known at run time (a folder of unknown size). */
  steps: number | null;
}

export type SourceIR =
  | { kind: "folder"; path: string; include: string[]; exclude: string[] }
  | { kind: "image_folder"; path: string }
  | { kind: "idx"; path: string; split: "train" | "test" }
  | { kind: "list"; file: string }
  | { kind: "synthetic"; images: number; classes: number; size: number; seed: number; split: "train" | "test" }
  | { kind: "named"; name: string; images: number; classes: number };

export interface DataIR {
  source: SourceIR;
  /** Images in the source when known before running; null for folders of undeclared size. */
  images: number | null;
  labelled: boolean;
  max_pixels: number;
  workers: number;
}

export interface StageIR {
  depth: number;
  width: number;
  group_width: number;
  groups: number;
  stride: number;
  bottleneck_width: number;
  se_width: number;
}

export interface TrunkIR {
  kind: "regnety" | "regnet" | "anynet";
  /** Generator parameters as written (regnet/regnety), or null for anynet. */
  generator: { w0: number; wa: number; wm: number; group_width: number; depth: number; rounding: "pycls" | "torchvision" } | null;
  preset: string | null;
  se_ratio: number;
  bottleneck: number;
  stem_width: number;
  zero_init_final_bn: boolean;
  stages: StageIR[];
  width: number;
  total_stride: number;
  parameters: number;
}

export interface CropIR {
  count: number;
  size: number;
  scale: [number, number];
  ratio: [number, number];
}

export interface AugmentIR {
  kind: "multicrop";
  preset: string | null;
  crops: CropIR[];
  flip: number;
  color_jitter: { p: number; strength: number; brightness: number; contrast: number; saturation: number; hue: number } | null;
  grayscale: number;
  blur: { p: number; radius: [number, number] } | null;
  solarize: { p: number; threshold: number } | null;
  normalize: { mean: [number, number, number]; std: [number, number, number] };
}

export interface HeadIR {
  kind: "mlp";
  dims: number[];
  batchnorm: boolean;
  activation: "relu" | "gelu";
  parameters: number;
}

export interface LossIR {
  kind: "swav";
  prototypes: number;
  temperature: number;
  sinkhorn: { epsilon: number; iterations: number };
  assign_crops: number[];
  queue: { length: number; start: DurationIR } | null;
  freeze_prototypes: DurationIR;
  prototype_parameters: number;
}

export type OptimizerIR =
  | { kind: "lars"; momentum: number; weight_decay: number; trust: number; exclude_bias_and_bn: boolean; clip: boolean; clip_grad_norm: number | null }
  | { kind: "sgd"; momentum: number; nesterov: boolean; weight_decay: number; clip_grad_norm: number | null }
  | { kind: "adamw"; beta1: number; beta2: number; eps: number; weight_decay: number; clip_grad_norm: number | null };

export type SchedulePieceIR =
  | { kind: "constant"; start_step: number; end_step: number; value: number }
  | { kind: "linear"; start_step: number; end_step: number; from: number; to: number }
  | { kind: "cosine"; start_step: number; end_step: number; from: number; to: number }
  | { kind: "step"; start_step: number; end_step: number; value: number; milestones: Array<{ step: number; factor: number }> };

/** A schedule piece as written (durations not yet in steps), so a run can lay it out once its length is known. */
export type WrittenPieceIR =
  | { kind: "constant"; value: number; over: Omit<DurationIR, "steps"> | null; restart: boolean }
  | { kind: "linear" | "cosine"; from: number | null; to: number; over: Omit<DurationIR, "steps"> | null; restart: boolean }
  | { kind: "step"; value: number; milestones: Array<{ factor: number; at: Omit<DurationIR, "steps"> }>; over: null; restart: boolean };

export interface ScheduleIR {
  /** The schedule as written, in canonical form. */
  written: string;
  written_pieces: WrittenPieceIR[];
  /** Pieces in steps, covering [0, total_steps) without gaps. Empty when the length is known only at run time. */
  pieces: SchedulePieceIR[];
}

export interface TrainIR {
  batch_per_device: number;
  devices: number;
  nodes: number;
  global_batch: number;
  micro_batch: number;
  /** Micro-batches per step when the whole global batch runs in one process (the tfjs target). */
  accumulation_steps: number;
  length: DurationIR;
  total_steps: number | null;
  steps_per_epoch: number | null;
  precision: "fp32" | "mixed";
  activation_checkpointing: boolean;
  sync_batchnorm: { mode: "none" | "all" | "group"; group_size: number | null };
  device: string;
  checkpoint_every: DurationIR;
  keep_checkpoints: number;
  log_every: number;
}

export interface EvaluationIR {
  kind: "linear" | "knn" | "finetune" | "lowshot";
  name: string;
  data: DataIR;
  epochs: number | null;
  batch: number | null;
  optimizer: OptimizerIR | null;
  schedule: ScheduleIR | null;
  k: number | null;
  temperature: number | null;
  stage: number | null;
  fraction: number | null;
  protocol: "linear" | "finetune" | null;
  image_size: number;
}

export interface CostIR {
  flops_per_image: number;
  flops_per_crop: Array<{ size: number; count: number; flops: number }>;
  parameters_total: number;
  activation_bytes_per_device: number;
  device_memory_bytes: number;
  step_seconds: number | null;
  total_seconds: number | null;
  device_profile: string;
}

export interface ExperimentIR {
  ir_version: number;
  name: string;
  seed: number;
  target: "tfjs" | "vissl";
  data: DataIR;
  trunk: TrunkIR;
  augment: AugmentIR;
  head: HeadIR;
  loss: LossIR;
  optimizer: OptimizerIR;
  schedule: ScheduleIR;
  train: TrainIR;
  evaluate: EvaluationIR[];
  cost: CostIR;
  /** Files the experiment came from (relative to the entry file's folder), for the run directory; not hashed. */
  sources: string[];
  /** sha256 of the canonical JSON of everything above except `sources`. */
  hash: string;
}
