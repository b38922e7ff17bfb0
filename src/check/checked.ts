import type { WrittenBatch, WrittenCrop, WrittenDim, WrittenSchedule, WrittenSource } from "./readers.js";
import type { WrittenDuration } from "./walker.js";

/**
 * The typed view of what the walker produced for an experiment: registry field names, defaults
 * filled, units not yet converted. A field is null when absent or when its value was broken
 * (then a diagnostic was reported and rules that need it are skipped).
 */
export interface CheckedExperiment {
  seed: number | null;
  target: "tfjs" | "vissl" | null;
  data: CheckedData | null;
  trunk: CheckedTrunk | null;
  augment: CheckedAugment | null;
  head: CheckedHead | null;
  loss: CheckedLoss | null;
  optimizer: CheckedOptimizer | null;
  schedule: WrittenSchedule | null;
  train: CheckedTrain | null;
  evaluate: CheckedEvaluation[];
}

export interface CheckedData {
  source: WrittenSource | null;
  images: number | null;
  include: string[] | null;
  exclude: string[] | null;
  split: "train" | "test" | null;
  classes: number | null;
  image_size: number | null;
  max_pixels: number | null;
  workers: number | null;
}

export type CheckedTrunk =
  | { kind: "regnety" | "regnet"; w0: number | null; wa: number | null; wm: number | null; group_width: number | null; depth: number | null; se_ratio?: number | null; bottleneck: number | null; stem_width: number | null; rounding: "pycls" | "torchvision" | null; zero_init_final_bn: boolean | null }
  | { kind: "anynet"; depths: number[] | null; widths: number[] | null; group_widths: number[] | null; se_ratio: number | null; bottleneck: number | null; stem_width: number | null; zero_init_final_bn: boolean | null };

export interface CheckedAugment {
  kind: "multicrop";
  crop: WrittenCrop[];
  flip: number | null;
  color_jitter: { strength: number | null; p: number | null; brightness: number | null; contrast: number | null; saturation: number | null; hue: number | null } | null;
  grayscale: number | null;
  blur: { p: number | null; radius: [number, number] | null } | null;
  solarize: { p: number | null; threshold: number | null } | null;
  normalize: { mean: [number, number, number] | null; std: [number, number, number] | null } | null;
}

export interface CheckedHead {
  kind: "mlp";
  dims: WrittenDim[] | null;
  batchnorm: boolean | null;
  activation: "relu" | "gelu" | null;
}

export interface CheckedLoss {
  kind: "swav";
  prototypes: number | null;
  temperature: number | null;
  sinkhorn: { epsilon: number | null; iterations: number | null } | null;
  assign_crops: number[] | null;
  queue: { length: number | null; start: WrittenDuration | null } | null;
  freeze_prototypes: WrittenDuration | null;
}

export type CheckedOptimizer =
  | { kind: "lars"; momentum: number; weight_decay: number; trust: number; exclude_bias_and_bn: boolean; clip: boolean; clip_grad_norm: number | null }
  | { kind: "sgd"; momentum: number; nesterov: boolean; weight_decay: number; clip_grad_norm: number | null }
  | { kind: "adamw"; beta1: number; beta2: number; eps: number; weight_decay: number; clip_grad_norm: number | null };

export interface CheckedTrain {
  batch: WrittenBatch | null;
  global_batch: number | null;
  micro_batch: number | null;
  steps: number | null;
  epochs: number | null;
  images: number | null;
  precision: "fp32" | "mixed" | null;
  activation_checkpointing: boolean | null;
  sync_batchnorm: { mode: "none" | "all" | "group"; group_size: number | null } | null;
  device: string | null;
  nodes: number | null;
  checkpoint_every: WrittenDuration | null;
  keep_checkpoints: number | null;
  log_every: number | null;
}

export interface CheckedEvaluation {
  kind: "linear" | "knn" | "finetune" | "lowshot";
  data: WrittenSource | null;
  epochs?: number | null;
  batch?: number | null;
  optimizer?: CheckedOptimizer | null;
  schedule?: WrittenSchedule | null;
  k?: number | null;
  temperature?: number | null;
  stage?: number | null;
  fraction?: number | null;
  protocol?: "linear" | "finetune" | null;
  image_size?: number | null;
}
