// The VISSL mapping as a table: every IR field, where it goes in VISSL's config, and what is
// reported when it cannot go there. grammar/VISSL.md is this table rendered; a test keeps the two
// equal and checks that every field of a real IR is covered by some row.

export interface VisslMappingRow {
  /** IR paths (prefixes: `cost` covers every `cost.*` field; `*` stands for a list index). */
  ir: string[];
  /** Where it goes in VISSL's `config`, or `-` when nowhere. */
  vissl: string;
  /** How, and what is reported (SEER6003 warning, SEER6004 rewrite, SEER6005 inexpressible). */
  rule: string;
}

export const VISSL_MAPPING: readonly VisslMappingRow[] = [
  // Identity and bookkeeping
  { ir: ["name"], vissl: "CHECKPOINT.DIR, DATASET_NAMES", rule: "Checkpoints go to `checkpoints/<name>` (relative to the VISSL checkout); the name also labels a folder dataset." },
  { ir: ["seed"], vissl: "SEED_VALUE, DATA.TRAIN.DATA_LIMIT_SAMPLING.SEED", rule: "As written." },
  { ir: ["ir_version", "hash", "sources", "target"], vissl: "-", rule: "No VISSL counterpart; the IR is saved beside seerc's own runs." },
  { ir: ["cost"], vissl: "-", rule: "seerc's own estimate; VISSL needs none of it." },
  // Data
  {
    ir: ["data.source"],
    vissl: "DATA.TRAIN.DATA_SOURCES, DATA_PATHS, DATASET_NAMES",
    rule: "`folder`/`image_folder` → `disk_folder` (torchvision ImageFolder: SEER6003 for `folder`, whose loose top-level files VISSL skips); named datasets → VISSL's catalogue (`imagenet1k_folder`, `places205_folder`, `inaturalist2018_filelist`). `include`/`exclude`, `list`, `idx`, `synthetic` and other named datasets: SEER6005.",
  },
  { ir: ["data.labelled"], vissl: "DATA.TRAIN.LABEL_TYPE", rule: "Pre-training never reads labels: `sample_index`." },
  {
    ir: ["data.images"],
    vissl: "DATA.TRAIN.DATA_LIMIT, DATA_LIMIT_SAMPLING",
    rule: "When declared, the epoch is pinned to exactly that many images (a seeded subset if the folder holds more; VISSL fails at start-up if it holds fewer), so the step count cannot drift with the folder.",
  },
  { ir: ["data.workers"], vissl: "DATA.NUM_DATALOADER_WORKERS", rule: "Per GPU process. `0` (one per core, less one per trainer) is computed by the launch command from the node's cores." },
  { ir: ["data.max_pixels"], vissl: "-", rule: "No VISSL setting; PIL's decompression-bomb limit applies. SEER6003 when not the default 100M." },
  // Trunk
  {
    ir: ["trunk.kind", "trunk.generator", "trunk.preset"],
    vissl: "MODEL.TRUNK.NAME = regnet, TRUNK_PARAMS.REGNET.{depth, w_0, w_a, w_m, group_width}",
    rule: "ClassyVision's RegNet, always pycls rounding: `rounding = torchvision` is SEER6005 when the stage table it gives differs. `anynet`: SEER6005 (VISSL builds RegNets from generator numbers or ClassyVision names only).",
  },
  { ir: ["trunk.se_ratio"], vissl: "TRUNK_PARAMS.REGNET.use_se, se_ratio", rule: "`regnety` with a ratio > 0 → `use_se: true` and the ratio; `regnet` → `use_se: false`." },
  { ir: ["trunk.bottleneck"], vissl: "TRUNK_PARAMS.REGNET.bottleneck_multiplier", rule: "As written." },
  { ir: ["trunk.stem_width"], vissl: "TRUNK_PARAMS.REGNET.stem_width, stem_type", rule: "3x3/2 stem: `simple_stem_in`." },
  { ir: ["trunk.zero_init_final_bn"], vissl: "-", rule: "ClassyVision starts every BatchNorm scale at 1: `true` is SEER6005 (SEER's runs used `false`)." },
  { ir: ["trunk.stages", "trunk.width", "trunk.total_stride", "trunk.parameters"], vissl: "-", rule: "Derived; VISSL derives the same table from the generator numbers (checked)." },
  // Augmentation
  {
    ir: ["augment.crops"],
    vissl: "DATA.TRAIN.TRANSFORMS[0] ImgPilToMultiCrop {total_num_crops, size_crops, num_crops, crop_scales}",
    rule: "First transform, as VISSL reads `num_crops` of the loss from it. Aspect ratios other than 3/4 .. 4/3: SEER6005.",
  },
  { ir: ["augment.flip"], vissl: "RandomHorizontalFlip {p}", rule: "Left out when 0." },
  {
    ir: ["augment.color_jitter", "augment.grayscale"],
    vissl: "ImgPilColorDistortion {strength} | ImgPilRandomColorJitter {strength, p} + RandomGrayscale {p} | ColorJitter",
    rule: "Jitter 0.8/0.8/0.8/0.2 x strength with p 0.8 and grayscale 0.2 → ImgPilColorDistortion; other p → ImgPilRandomColorJitter (+ RandomGrayscale); other proportions only with p = 1 (torchvision ColorJitter), else SEER6005.",
  },
  { ir: ["augment.blur"], vissl: "ImgPilGaussianBlur {p, radius_min, radius_max}", rule: "As written." },
  { ir: ["augment.solarize"], vissl: "ImgPilSolarize {p, threshold}", rule: "threshold = ceil(255 t): PIL inverts 8-bit values ≥ it, i.e. exactly those with v/255 ≥ t." },
  { ir: ["augment.normalize"], vissl: "ToTensor, Normalize {mean, std}", rule: "As written." },
  { ir: ["augment.kind", "augment.preset"], vissl: "-", rule: "Informational." },
  // Head and loss
  { ir: ["head.dims", "head.batchnorm"], vissl: "MODEL.HEAD.PARAMS swav_head {dims, use_bn}", rule: "As written; VISSL also reads the loss's `embedding_dim` from the last dim." },
  { ir: ["head.activation"], vissl: "-", rule: "swav_head uses ReLU: `gelu` is SEER6005." },
  { ir: ["head.kind", "head.parameters"], vissl: "-", rule: "Informational." },
  { ir: ["loss.prototypes"], vissl: "swav_head num_clusters, LOSS.swav_loss.num_prototypes", rule: "Written in both places, as VISSL copies one into the other." },
  { ir: ["loss.temperature", "loss.sinkhorn"], vissl: "LOSS.swav_loss.{temperature, epsilon, num_iters}", rule: "As written; `use_double_precision: false`, `normalize_last_layer: true` (prototypes renormalised after every update), `temp_hard_assignment_iters: 0`." },
  { ir: ["loss.assign_crops"], vissl: "LOSS.swav_loss.crops_for_assign", rule: "Same crop order as ImgPilToMultiCrop." },
  {
    ir: ["loss.queue"],
    vissl: "LOSS.swav_loss.queue.{queue_length, start_iter, local_queue_length}",
    rule: "Length per assigned crop; local = length / GPUs. SEER6004 if VISSL's rounding to a multiple of the global batch would change it. SEER6003: VISSL uses the queue from `start_iter` while it still holds random rows, seerc once it is full.",
  },
  {
    ir: ["loss.freeze_prototypes"],
    vissl: "MODEL.TEMP_FROZEN_PARAMS_ITER_MAP [[module.heads.0.prototypes0.weight, steps + 1]]",
    rule: "VISSL drops the gradient while `iteration < N` and `iteration` is k + 1 at step k, so N = steps + 1 freezes exactly `steps` updates (VISSL's own 313 freezes 312). Unknown step count: SEER6005.",
  },
  { ir: ["loss.kind", "loss.prototype_parameters"], vissl: "LOSS.name = swav_loss", rule: "Informational." },
  // Optimiser
  { ir: ["optimizer.kind"], vissl: "OPTIMIZER.name, use_larc", rule: "`lars` → `sgd` + LARC; `sgd` → `sgd`; `adamw` → `adamw` {betas, eps}." },
  { ir: ["optimizer.momentum", "optimizer.weight_decay", "optimizer.nesterov"], vissl: "OPTIMIZER.{momentum, weight_decay, nesterov}", rule: "As written (floats; ClassyVision rejects an integer momentum). Momentum ≥ 1: SEER6005." },
  { ir: ["optimizer.trust", "optimizer.clip"], vissl: "OPTIMIZER.larc_config.{trust_coefficient, clip}", rule: "`eps: 1e-8` (apex LARC's)." },
  {
    ir: ["optimizer.exclude_bias_and_bn"],
    vissl: "OPTIMIZER.regularize_bn, regularize_bias",
    rule: "Always `true` (seerc decays every parameter; VISSL's default leaves BatchNorm out). `exclude_bias_and_bn = true`: SEER6005, as LARC would still adapt those rates.",
  },
  { ir: ["optimizer.clip_grad_norm"], vissl: "MODEL.GRAD_CLIP {USE_GRAD_CLIP, NORM_TYPE: 2, MAX_NORM}", rule: "When set." },
  { ir: ["optimizer.beta1", "optimizer.beta2", "optimizer.eps"], vissl: "OPTIMIZER.betas, eps", rule: "`adamw` only." },
  // Schedule
  {
    ir: ["schedule"],
    vissl: "OPTIMIZER.param_schedulers.lr",
    rule: "`auto_lr_scaling.auto_scale: false`, so VISSL neither rescales the rates nor drops a warm-up on one node. One piece → that scheduler; several → `composite` with `rescaled` intervals, `lengths` = piece steps / run steps (the last as 1 - the others, as VISSL recomputes it), `update_interval: step`; step pieces become constant pieces. The rate VISSL applies is replayed at every piece boundary and 1,000 other steps: SEER6004 on any difference.",
  },
  // Training
  {
    ir: ["train.batch_per_device", "train.devices", "train.nodes", "train.global_batch"],
    vissl: "DATA.TRAIN.BATCHSIZE_PER_REPLICA, DISTRIBUTED.NUM_NODES, NUM_PROC_PER_NODE",
    rule: "GPUs per node = devices / nodes; SEER6005 when that is not whole.",
  },
  { ir: ["train.micro_batch", "train.accumulation_steps"], vissl: "-", rule: "VISSL has no gradient accumulation: a micro-batch below the device batch is SEER6005." },
  {
    ir: ["train.length", "train.total_steps", "train.steps_per_epoch"],
    vissl: "OPTIMIZER.num_epochs, DATA.TRAIN.DATA_LIMIT, DROP_LAST: false",
    rule: "VISSL runs epochs x ceil(images / global batch) steps. Steps a whole number of epochs → that many epochs; fewer than one epoch → 1 epoch over a seeded subset of steps x global batch images; otherwise SEER6005. Unknown dataset size: whole epochs only.",
  },
  { ir: ["train.precision"], vissl: "MODEL.AMP_PARAMS {USE_AMP, AMP_TYPE: apex, AMP_ARGS: {opt_level: O1}}", rule: "`mixed` → apex O1 (fp16 GEMMs and convolutions), as SEER." },
  {
    ir: ["train.activation_checkpointing"],
    vissl: "MODEL.ACTIVATION_CHECKPOINTING {USE_ACTIVATION_CHECKPOINTING, NUM_ACTIVATION_CHECKPOINTING_SPLITS}",
    rule: "Splits = blocks + 3, which makes every residual block its own checkpointed segment.",
  },
  { ir: ["train.sync_batchnorm"], vissl: "MODEL.SYNC_BN_CONFIG {CONVERT_BN_TO_SYNC_BN, SYNC_BN_TYPE: apex, GROUP_SIZE}", rule: "`all` → group 0 (global); `group N` → N, SEER6005 unless N divides the GPU count." },
  {
    ir: ["train.checkpoint_every"],
    vissl: "CHECKPOINT.CHECKPOINT_ITER_FREQUENCY | CHECKPOINT_FREQUENCY",
    rule: "Steps → iteration frequency (with `USE_STATEFUL_DISTRIBUTED_SAMPLER` so a resume continues the epoch); whole epochs → epoch frequency.",
  },
  { ir: ["train.keep_checkpoints"], vissl: "-", rule: "VISSL keeps every checkpoint: SEER6003 when the run writes more than this many." },
  { ir: ["train.log_every"], vissl: "LOG_FREQUENCY", rule: "As written." },
  { ir: ["train.device"], vissl: "-", rule: "Cost-estimate profile only." },
  // Evaluations
  {
    ir: ["evaluate"],
    vissl: "one more config file per evaluation",
    rule: "`finetune` and `linear` on a catalogue dataset with schedules in whole epochs → a VISSL benchmark-shaped config (same trunk, `mlp` classifier, weights from the pre-training's final checkpoint, one node of the pre-training's GPUs per node; a lone step schedule → `multistep`). `knn`, `lowshot` and anything else: SEER6003, skipped.",
  },
];

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** grammar/VISSL.md: the mapping table, in markdown. */
export function renderVisslMappingTable(): string {
  const lines = [
    "# seerc → VISSL mapping",
    "",
    "How `seerc compile --target vissl` writes each field of the experiment IR into a VISSL config",
    "(Hydra/OmegaConf layout of VISSL's `configs/config/`, `TRUNK_PARAMS` form). Diagnostics:",
    "SEER6005 a field VISSL cannot express, SEER6004 a value VISSL would rewrite, SEER6003 a",
    "warning (not honoured, or skipped).",
    "",
    "Generated from `src/compile/targets/vissl-mapping.ts` (`renderVisslMappingTable`); do not edit by hand.",
    "",
    "| IR field | VISSL config | Rule |",
    "| --- | --- | --- |",
  ];
  for (const row of VISSL_MAPPING) {
    lines.push(`| ${escapeCell(row.ir.map((p) => `\`${p}\``).join(", "))} | ${escapeCell(row.vissl)} | ${escapeCell(row.rule)} |`);
  }
  return lines.join("\n") + "\n";
}
