import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

import { checkFiles } from "../../src/cli/workspace.js";
import type { ExperimentIR } from "../../src/compile/ir.js";
import { renderVisslMappingTable, VISSL_MAPPING } from "../../src/compile/targets/vissl-mapping.js";
import { compileToVissl, type VisslOutput } from "../../src/compile/targets/vissl.js";
import { formatFloat, renderYaml, float } from "../../src/compile/targets/yaml.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const GOLDEN = join(ROOT, "test/golden/vissl");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function irOf(file: string): ExperimentIR {
  const ws = checkFiles([file]);
  // Target problems (SEER600x) are reported by the checker too; the IR is still made, and these tests read them from compileToVissl.
  const errors = ws.diagnostics.filter((d) => d.severity === "error" && !d.code.startsWith("SEER600"));
  assert.deepEqual(errors.map((d) => `${d.code} ${d.message}`), []);
  const ir = ws.experiments[0]?.ir;
  assert.ok(ir, `no IR for ${file}`);
  return ir;
}

const SEER_1P3B = irOf(join(ROOT, "experiments/seer_1p3b.seer"));
const SEER_128GF = irOf(join(ROOT, "experiments/seer_128gf.seer"));

const clone = (ir: ExperimentIR): ExperimentIR => structuredClone(ir);
const compile = (ir: ExperimentIR, launcher: "none" | "slurm" = "slurm"): VisslOutput => compileToVissl(ir, { launcher, configName: ir.name });
const file = (out: VisslOutput, name: string): string => {
  const found = out.files.find((f) => f.name === name);
  assert.ok(found, `no file ${name} among ${out.files.map((f) => f.name).join(", ")}`);
  return found.text;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const configOf = (text: string): any => parse(text).config;
const codes = (out: VisslOutput): string[] => out.diagnostics.map((d) => `${d.code} ${d.message.split(":")[0]}`).sort();

describe("VISSL target: golden files", () => {
  for (const ir of [SEER_1P3B, SEER_128GF]) {
    it(`${ir.name} matches test/golden/vissl (UPDATE_GOLDEN=1 refreshes)`, () => {
      const out = compile(ir);
      if (UPDATE) {
        mkdirSync(GOLDEN, { recursive: true });
        for (const f of readdirSync(GOLDEN)) if (f.startsWith(`${ir.name}.`) || f.startsWith(`${ir.name}_`)) rmSync(join(GOLDEN, f));
        for (const f of out.files) writeFileSync(join(GOLDEN, f.name), f.text);
      }
      const golden = readdirSync(GOLDEN).filter((f) => f.startsWith(`${ir.name}.`) || f.startsWith(`${ir.name}_`)).sort();
      assert.deepEqual(out.files.map((f) => f.name).sort(), golden);
      for (const f of out.files) assert.equal(f.text, readFileSync(join(GOLDEN, f.name), "utf8"), f.name);
    });
  }
});

/** ClassyVision's CompositeParamScheduler piece choice, re-stated from its source for an independent check. */
function classyCompositePiece(lengths: number[], where: number): number {
  let i = 0;
  let total = lengths[0];
  while (where + 1e-6 > total && i < lengths.length - 1) {
    i += 1;
    total += lengths[i];
  }
  return i;
}

describe("VISSL target: the SEER 1.3B run", () => {
  const out = compile(SEER_1P3B);
  const text = file(out, "seer_1p3b.yaml");
  const c = configOf(text);
  const globalBatch = c.DATA.TRAIN.BATCHSIZE_PER_REPLICA * c.DISTRIBUTED.NUM_NODES * c.DISTRIBUTED.NUM_PROC_PER_NODE;
  // VISSL's steps: epochs x ceil(images per epoch / global batch), the paper's 1B images at 8,192.
  const totalSteps = c.OPTIMIZER.num_epochs * Math.ceil(c.DATA.TRAIN.DATA_LIMIT / globalBatch);

  it("is a Hydra `_global_` package rooted at `config:`", () => {
    assert.equal(text.split("\n")[0], "# @package _global_");
    assert.deepEqual(Object.keys(parse(text)), ["config"]);
  });

  it("trains with a global batch of 16 x 64 nodes x 8 GPUs = 8,192 for 122,071 steps", () => {
    assert.equal(c.DATA.TRAIN.BATCHSIZE_PER_REPLICA, 16);
    assert.equal(c.DISTRIBUTED.NUM_NODES, 64);
    assert.equal(c.DISTRIBUTED.NUM_PROC_PER_NODE, 8);
    assert.equal(globalBatch, 8192);
    assert.equal(c.DATA.TRAIN.DATA_LIMIT, 1_000_000_000);
    assert.equal(c.DATA.TRAIN.DROP_LAST, false);
    assert.equal(c.OPTIMIZER.num_epochs, 1);
    assert.equal(totalSteps, 122_071);
    assert.equal(totalSteps, SEER_1P3B.train.total_steps);
  });

  it("writes learning rates as given, with VISSL's auto-scaling off", () => {
    const lr = c.OPTIMIZER.param_schedulers.lr;
    assert.equal(lr.auto_lr_scaling.auto_scale, false);
    assert.equal(lr.name, "composite");
    assert.equal(lr.update_interval, "step");
    assert.deepEqual(lr.interval_scaling, ["rescaled", "rescaled"]);
    assert.deepEqual(lr.schedulers, [
      { name: "linear", start_value: 0.15, end_value: 9.6 },
      { name: "cosine", start_value: 9.6, end_value: 0.0096 },
    ]);
  });

  it("lays the warm-up over exactly the first 8,000 of the 122,071 steps", () => {
    const lengths: number[] = c.OPTIMIZER.param_schedulers.lr.lengths;
    // VISSL keeps the lengths as written only if their float sum is 1 (else it recomputes the last).
    assert.equal(lengths[0] + lengths[1], 1);
    assert.ok(Math.abs(lengths[0] * totalSteps - 8000) < 1e-6);
    let firstCosineStep = -1;
    for (let step = 0; step < totalSteps; step++) {
      if (classyCompositePiece(lengths, step / totalSteps) === 1) {
        firstCosineStep = step;
        break;
      }
    }
    assert.equal(firstCosineStep, 8000);
  });

  it("gives the paper's rates at the ends of the warm-up and of the run", () => {
    const lengths: number[] = c.OPTIMIZER.param_schedulers.lr.lengths;
    const rateAt = (step: number): number => {
      const where = step / totalSteps;
      const piece = classyCompositePiece(lengths, where);
      const start = piece === 0 ? 0 : lengths[0];
      const w = (where - start) / lengths[piece];
      return piece === 0 ? w * 9.6 + (1 - w) * 0.15 : 0.0096 + 0.5 * (9.6 - 0.0096) * (1 + Math.cos(Math.PI * w));
    };
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
    close(rateAt(0), 0.15);
    close(rateAt(4000), (0.15 + 9.6) / 2);
    close(rateAt(8000), 9.6);
    // Cosine from 9.6 at step 8,000 to 0.0096 at step 122,071, evaluated at the last step 122,070.
    close(rateAt(122_070), 0.0096 + 0.5 * (9.6 - 0.0096) * (1 + Math.cos((Math.PI * 114_070) / 114_071)));
  });

  it("keeps the head, prototypes and loss fields VISSL would otherwise infer consistent", () => {
    const [name, head] = c.MODEL.HEAD.PARAMS[0];
    assert.equal(name, "swav_head");
    assert.deepEqual(head.dims, [10444, 8192, 8192, 256]);
    assert.equal(head.dims[0], SEER_1P3B.trunk.width);
    assert.equal(head.use_bn, false);
    assert.deepEqual(head.num_clusters, [16000]);
    const loss = c.LOSS.swav_loss;
    assert.equal(c.LOSS.name, "swav_loss");
    assert.deepEqual(loss.num_prototypes, [16000]);
    assert.equal(loss.embedding_dim, 256);
    assert.equal(loss.num_crops, c.DATA.TRAIN.TRANSFORMS[0].total_num_crops);
    assert.equal(loss.num_crops, 6);
    assert.equal(loss.temperature, 0.1);
    assert.equal(loss.epsilon, 0.05);
    assert.equal(loss.num_iters, 10);
    assert.deepEqual(loss.crops_for_assign, [0, 1]);
  });

  it("freezes the prototypes for exactly 313 updates under VISSL's hook arithmetic", () => {
    const [[param, n]] = c.MODEL.TEMP_FROZEN_PARAMS_ITER_MAP;
    assert.equal(param, "module.heads.0.prototypes0.weight");
    // FreezeParametersHook drops the gradient while task.iteration < n, and iteration is k + 1 at step k.
    let frozen = 0;
    for (let k = 0; k < 1000; k++) if (k + 1 < n) frozen++;
    assert.equal(frozen, 313);
  });

  it("builds the RegNetY-256GF trunk with mixed precision, checkpointing and synced BatchNorm in groups of 64", () => {
    assert.equal(c.MODEL.TRUNK.NAME, "regnet");
    assert.deepEqual(c.MODEL.TRUNK.TRUNK_PARAMS.REGNET, {
      depth: 27, w_0: 640, w_a: 230.83, w_m: 2.53, group_width: 373, bottleneck_multiplier: 1, stem_type: "simple_stem_in",
      stem_width: 32, block_type: "res_bottleneck_block", activation: "relu", use_se: true, se_ratio: 0.25,
    });
    assert.deepEqual(c.MODEL.AMP_PARAMS, { USE_AMP: true, AMP_TYPE: "apex", AMP_ARGS: { opt_level: "O1" } });
    assert.deepEqual(c.MODEL.SYNC_BN_CONFIG, { CONVERT_BN_TO_SYNC_BN: true, SYNC_BN_TYPE: "apex", GROUP_SIZE: 64 });
    // 27 blocks + stem + pooling + flatten: one checkpointed segment per block.
    assert.deepEqual(c.MODEL.ACTIVATION_CHECKPOINTING, { USE_ACTIVATION_CHECKPOINTING: true, NUM_ACTIVATION_CHECKPOINTING_SPLITS: 30 });
  });

  it("maps LARS to SGD + LARC and decays every parameter", () => {
    const o = c.OPTIMIZER;
    assert.equal(o.name, "sgd");
    assert.equal(o.use_larc, true);
    assert.deepEqual(o.larc_config, { clip: false, eps: 1e-8, trust_coefficient: 0.001 });
    assert.equal(o.momentum, 0.9);
    assert.equal(o.weight_decay, 1e-5);
    assert.equal(o.regularize_bn, true);
    assert.equal(o.regularize_bias, true);
  });

  it("writes the multi-crop pipeline in SEER's order", () => {
    assert.deepEqual(c.DATA.TRAIN.TRANSFORMS, [
      { name: "ImgPilToMultiCrop", total_num_crops: 6, size_crops: [224, 96], num_crops: [2, 4], crop_scales: [[0.14, 1], [0.05, 0.14]] },
      { name: "RandomHorizontalFlip", p: 0.5 },
      { name: "ImgPilColorDistortion", strength: 1 },
      { name: "ImgPilGaussianBlur", p: 0.5, radius_min: 0.1, radius_max: 2 },
      { name: "ToTensor" },
      { name: "Normalize", mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    ]);
    assert.equal(c.DATA.TRAIN.COLLATE_FUNCTION, "multicrop_collator");
  });

  it("checkpoints every 5,000 steps and logs every 10", () => {
    assert.equal(c.CHECKPOINT.CHECKPOINT_ITER_FREQUENCY, 5000);
    assert.equal(c.DATA.TRAIN.USE_STATEFUL_DISTRIBUTED_SAMPLER, true);
    assert.equal(c.LOG_FREQUENCY, 10);
    assert.equal(c.SEED_VALUE, 0);
  });

  it("states the launch command in the header and in the sbatch script", () => {
    assert.ok(
      text.includes(
        "#   python3 tools/run_distributed_engines.py config=seer_1p3b config.DISTRIBUTED.NUM_NODES=64 config.DISTRIBUTED.NUM_PROC_PER_NODE=8 config.DISTRIBUTED.RUN_ID=<node 0 host>:40050",
      ),
    );
    const sbatch = file(out, "seer_1p3b.sbatch");
    assert.ok(sbatch.startsWith("#!/bin/bash\n"));
    for (const line of ["#SBATCH --nodes=64", "#SBATCH --gpus-per-node=8", "#SBATCH --ntasks-per-node=1", "srun --ntasks-per-node=1 python3 tools/run_distributed_engines.py \\", "  config=seer_1p3b \\", "  config.DISTRIBUTED.NUM_NODES=64 \\", "  config.DISTRIBUTED.NUM_PROC_PER_NODE=8 \\"]) {
      assert.ok(sbatch.split("\n").includes(line), line);
    }
    assert.equal(compile(SEER_1P3B, "none").files.some((f) => f.name.endsWith(".sbatch")), false);
  });

  it("reports what VISSL cannot honour, and nothing it would rewrite", () => {
    const expected = ["SEER6003 data.source"];
    if (SEER_1P3B.trunk.zero_init_final_bn) expected.push("SEER6005 trunk.zero_init_final_bn");
    assert.deepEqual(codes(out), expected.sort());
    for (const d of out.diagnostics) assert.equal(d.span, undefined);
  });

  it("emits the ImageNet fine-tuning as a VISSL benchmark-shaped config", () => {
    const ft = configOf(file(out, "seer_1p3b_eval_finetune.yaml"));
    assert.equal(ft.DATA.TRAIN.BATCHSIZE_PER_REPLICA * ft.DISTRIBUTED.NUM_NODES * ft.DISTRIBUTED.NUM_PROC_PER_NODE, 256);
    assert.deepEqual(ft.DATA.TRAIN.DATASET_NAMES, ["imagenet1k_folder"]);
    assert.deepEqual(ft.DATA.TEST.DATASET_NAMES, ["imagenet1k_folder"]);
    assert.equal(ft.OPTIMIZER.num_epochs, 35);
    assert.equal(ft.OPTIMIZER.momentum, 0.9);
    assert.equal(ft.OPTIMIZER.weight_decay, 1e-4);
    assert.equal(ft.OPTIMIZER.use_larc, false);
    const lr = ft.OPTIMIZER.param_schedulers.lr;
    assert.equal(lr.auto_lr_scaling.auto_scale, false);
    assert.equal(lr.name, "multistep");
    assert.deepEqual(lr.values, [0.0125, 0.0125 * 0.1]);
    assert.deepEqual(lr.milestones, [30]);
    assert.deepEqual(ft.MODEL.HEAD.PARAMS, [["mlp", { dims: [10444, 1000] }]]);
    assert.equal(ft.MODEL.WEIGHTS_INIT.PARAMS_FILE, "checkpoints/seer_1p3b/model_final_checkpoint_phase0.torch");
  });
});

describe("VISSL target: the SEER RegNetY-128GF run", () => {
  const c = configOf(file(compile(SEER_128GF), "seer_128gf.yaml"));
  it("has the 128GF trunk, its head input width from the IR, and the same recipe", () => {
    assert.deepEqual(
      [c.MODEL.TRUNK.TRUNK_PARAMS.REGNET.w_0, c.MODEL.TRUNK.TRUNK_PARAMS.REGNET.w_a, c.MODEL.TRUNK.TRUNK_PARAMS.REGNET.w_m, c.MODEL.TRUNK.TRUNK_PARAMS.REGNET.group_width],
      [456, 160.83, 2.52, 264],
    );
    const head = c.MODEL.HEAD.PARAMS[0][1];
    assert.equal(head.dims[0], SEER_128GF.trunk.width);
    assert.equal(head.dims[0], 7392);
    assert.deepEqual(head.num_clusters, [16000]);
    assert.equal(c.DATA.TRAIN.BATCHSIZE_PER_REPLICA * c.DISTRIBUTED.NUM_NODES * c.DISTRIBUTED.NUM_PROC_PER_NODE, 8192);
    assert.equal(c.MODEL.AMP_PARAMS.USE_AMP, true);
    assert.equal(c.MODEL.SYNC_BN_CONFIG.GROUP_SIZE, 64);
  });
});

describe("VISSL target: what VISSL cannot run is reported", () => {
  const dir = mkdtempSync(join(tmpdir(), "seerc-vissl-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const seerFile = join(ROOT, "experiments/seer_1p3b.seer");
  const snippet = (name: string, body: string): ExperimentIR => {
    const path = join(dir, `${name}.seer`);
    writeFileSync(path, `import ${JSON.stringify(seerFile)}\n\nexperiment ${name} extends seer_1p3b {\n${body}\n}\n`);
    return irOf(path);
  };
  const trunkNoZeroInit = "  trunk = regnety { w0 = 640, wa = 230.83, wm = 2.53, group_width = 373, depth = 27, se_ratio = 0.25, zero_init_final_bn = false }";

  it("compiles SEER with zero_init_final_bn = false without errors", () => {
    const out = compile(snippet("seer_ready", trunkNoZeroInit));
    assert.deepEqual(out.diagnostics.filter((d) => d.severity === "error"), []);
  });

  it("LARS that keeps biases and BatchNorm out of the adaptation: SEER6005", () => {
    const out = compile(snippet("seer_excl", `${trunkNoZeroInit}\n  optimizer = lars { momentum = 0.9, weight_decay = 1e-5, trust = 0.001, exclude_bias_and_bn = true }`));
    assert.ok(codes(out).includes("SEER6005 optimizer.exclude_bias_and_bn"), codes(out).join("; "));
    assert.equal(out.diagnostics.find((d) => d.code === "SEER6005")?.severity, "error");
  });

  it("a k-NN evaluation is skipped with a SEER6003 warning", () => {
    const out = compile(snippet("seer_knn", `${trunkNoZeroInit}\n  evaluate knn { data = imagenet_1k }`));
    assert.ok(codes(out).includes("SEER6003 evaluate.1"), codes(out).join("; "));
    assert.deepEqual(out.files.map((f) => f.name).filter((n) => n.includes("_eval_knn")), []);
  });

  it("a linear probe becomes a frozen-trunk config on the chosen stage's pooled features", () => {
    const out = compile(snippet("seer_linear", `${trunkNoZeroInit}\n  evaluate linear { data = imagenet_1k, stage = 3 }`));
    const c = configOf(file(out, "seer_linear_eval_linear.yaml"));
    assert.deepEqual(c.MODEL.FEATURE_EVAL_SETTINGS, {
      EVAL_MODE_ON: true,
      FREEZE_TRUNK_ONLY: true,
      SHOULD_FLATTEN_FEATS: true,
      // VISSL names the stem conv1 and stage k res{k+1}.
      LINEAR_EVAL_FEAT_POOL_OPS_MAP: [["res4", ["AdaptiveAvgPool2d", [[1, 1]]]]],
    });
    assert.deepEqual(c.MODEL.HEAD.PARAMS, [["mlp", { dims: [4103, 1000] }]]);
    // The language's default probe: 10 epochs, batch 256, constant 0.1.
    assert.equal(c.OPTIMIZER.num_epochs, 10);
    assert.deepEqual(c.OPTIMIZER.param_schedulers.lr, { auto_lr_scaling: { auto_scale: false }, name: "constant", value: 0.1, update_interval: "epoch" });
  });

  const mutated = (change: (ir: ExperimentIR) => void): VisslOutput => {
    const ir = clone(SEER_1P3B);
    ir.trunk.zero_init_final_bn = false;
    change(ir);
    return compile(ir);
  };

  it("an explicit AnyNet trunk: SEER6005", () => {
    assert.ok(codes(mutated((ir) => ((ir.trunk.kind = "anynet"), (ir.trunk.generator = null)))).includes("SEER6005 trunk"));
  });

  it("devices that do not split evenly over the nodes: SEER6005", () => {
    assert.ok(codes(mutated((ir) => (ir.train.nodes = 60))).includes("SEER6005 train.nodes"));
  });

  it("gradient accumulation: SEER6005", () => {
    assert.ok(codes(mutated((ir) => (ir.train.micro_batch = 8))).includes("SEER6005 train.micro_batch"));
  });

  it("a GELU head: SEER6005", () => {
    assert.ok(codes(mutated((ir) => (ir.head.activation = "gelu"))).includes("SEER6005 head.activation"));
  });

  it("torchvision rounding whose stage table differs from the pycls one VISSL builds: SEER6005", () => {
    const out = mutated((ir) => {
      ir.trunk.generator!.rounding = "torchvision";
      ir.trunk.stages[0] = { ...ir.trunk.stages[0], width: 752 };
    });
    assert.ok(codes(out).includes("SEER6005 trunk.generator.rounding"));
  });

  it("a crop aspect-ratio range VISSL's multi-crop cannot take: SEER6005", () => {
    assert.ok(codes(mutated((ir) => (ir.augment.crops[1].ratio = [0.5, 2]))).includes("SEER6005 augment.crops.1.ratio"));
  });

  it("a run that is not a whole number of VISSL epochs: SEER6005", () => {
    const out = mutated((ir) => {
      ir.train.total_steps = 200_000;
      ir.schedule.pieces[1].end_step = 200_000;
    });
    assert.ok(codes(out).includes("SEER6005 train.length"));
  });

  it("a run shorter than one epoch takes a seeded subset of exactly steps x batch images", () => {
    const out = mutated((ir) => {
      ir.train.total_steps = 100_000;
      ir.schedule.pieces[1].end_step = 100_000;
    });
    const c = configOf(file(out, "seer_1p3b.yaml"));
    assert.equal(c.DATA.TRAIN.DATA_LIMIT, 100_000 * 8192);
    assert.equal(c.OPTIMIZER.num_epochs, 1);
    assert.equal(codes(out).some((s) => s.startsWith("SEER6004") || s.startsWith("SEER6005")), false);
  });

  it("a queue VISSL would shorten to a multiple of the global batch: SEER6004", () => {
    const out = mutated((ir) => {
      ir.loss.queue = { length: 10_000, start: { amount: 0, unit: "steps", of: null, steps: 0 } };
    });
    assert.ok(codes(out).includes("SEER6004 loss.queue.length"), codes(out).join("; "));
    assert.ok(codes(out).includes("SEER6003 loss.queue"));
  });

  it("a warm-up boundary closer than ClassyVision's 1e-6 tolerance on `where`: SEER6004", () => {
    // Two million steps: where(7,999) + 1e-6 passes 8,000 / 2M, so VISSL would start the cosine a step early.
    const out = mutated((ir) => {
      const steps = 2_000_000;
      ir.data.images = steps * 8192;
      ir.train.total_steps = steps;
      ir.schedule.pieces[1].end_step = steps;
    });
    assert.ok(codes(out).includes("SEER6004 schedule"), codes(out).join("; "));
  });

  it("colour, grayscale and solarisation settings outside ImgPilColorDistortion's fixed ones", () => {
    const transforms = (change: (ir: ExperimentIR) => void) => configOf(file(mutated(change), "seer_1p3b.yaml")).DATA.TRAIN.TRANSFORMS.slice(2, -2);
    assert.deepEqual(
      transforms((ir) => {
        ir.augment.grayscale = 0.3;
        ir.augment.solarize = { p: 0.2, threshold: 0.5 };
      }),
      [
        { name: "ImgPilRandomColorJitter", strength: 1, p: 0.8 },
        { name: "RandomGrayscale", p: 0.3 },
        { name: "ImgPilGaussianBlur", p: 0.5, radius_min: 0.1, radius_max: 2 },
        // 8-bit values v with v / 255 >= 0.5 are those >= 128.
        { name: "ImgPilSolarize", p: 0.2, threshold: 128 },
      ],
    );
    const skewed = mutated((ir) => (ir.augment.color_jitter = { p: 0.8, strength: 1, brightness: 0.4, contrast: 0.8, saturation: 0.8, hue: 0.2 }));
    assert.ok(codes(skewed).includes("SEER6005 augment.color_jitter"));
  });

  it("AdamW keeps its betas and epsilon", () => {
    const c = configOf(file(mutated((ir) => (ir.optimizer = { kind: "adamw", beta1: 0.9, beta2: 0.95, eps: 1e-6, weight_decay: 0.05, clip_grad_norm: 1 })), "seer_1p3b.yaml"));
    assert.deepEqual(
      { name: c.OPTIMIZER.name, betas: c.OPTIMIZER.betas, eps: c.OPTIMIZER.eps, weight_decay: c.OPTIMIZER.weight_decay },
      { name: "adamw", betas: [0.9, 0.95], eps: 1e-6, weight_decay: 0.05 },
    );
    assert.deepEqual(c.MODEL.GRAD_CLIP, { USE_GRAD_CLIP: true, NORM_TYPE: 2, MAX_NORM: 1 });
  });

  it("a single-node run keeps its warm-up: auto-scaling, the only path where VISSL drops it, is off", () => {
    const out = mutated((ir) => {
      ir.train.nodes = 1;
      ir.train.devices = 8;
      ir.train.batch_per_device = 1024;
      ir.train.micro_batch = 1024;
      ir.train.sync_batchnorm = { mode: "all", group_size: null };
    });
    const c = configOf(file(out, "seer_1p3b.yaml"));
    assert.equal(c.DISTRIBUTED.NUM_NODES, 1);
    assert.equal(c.OPTIMIZER.param_schedulers.lr.auto_lr_scaling.auto_scale, false);
    assert.deepEqual(c.OPTIMIZER.param_schedulers.lr.schedulers[0], { name: "linear", start_value: 0.15, end_value: 9.6 });
    assert.equal(c.MODEL.SYNC_BN_CONFIG.GROUP_SIZE, 0);
    assert.equal(codes(out).some((s) => s.startsWith("SEER6004") || s.startsWith("SEER6005")), false);
  });

  it("synced BatchNorm groups that do not divide the GPUs: SEER6005", () => {
    assert.ok(codes(mutated((ir) => (ir.train.sync_batchnorm = { mode: "group", group_size: 48 }))).includes("SEER6005 train.sync_batchnorm"));
  });
});

describe("VISSL target: YAML that Python reads back unchanged", () => {
  it("writes floats PyYAML (YAML 1.1) reads as floats", () => {
    assert.equal(formatFloat(1e-5), "0.00001");
    assert.equal(formatFloat(1e-8), "1.0e-8");
    assert.equal(formatFloat(1), "1.0");
    assert.equal(formatFloat(1e21), "1.0e+21");
    // PyYAML's float pattern: a dot is required, and an exponent must be signed.
    const pyyamlFloat = /^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$/;
    for (const x of [1e-5, 1e-8, 1, 1e21, 0.1 + 0.2, 2.53, 230.83, 5e-324]) assert.match(formatFloat(x), pyyamlFloat);
  });

  it("round-trips numbers and awkward strings under YAML 1.1 and 1.2", () => {
    const values = { a: float(0.1 + 0.2), b: float(1e-8), c: 1_000_000_000, d: "yes", e: "O1", f: "/data/x y", g: "a: b", h: "", i: [float(1), 2], j: { k: null, l: true }, m: "1.5" };
    const text = renderYaml(values);
    for (const version of ["1.1", "1.2"] as const) {
      assert.deepEqual(parse(text, { version }), { a: 0.1 + 0.2, b: 1e-8, c: 1_000_000_000, d: "yes", e: "O1", f: "/data/x y", g: "a: b", h: "", i: [1, 2], j: { k: null, l: true }, m: "1.5" });
    }
  });
});

describe("VISSL target: grammar/VISSL.md", () => {
  it("is the generated mapping table", () => {
    const path = join(ROOT, "grammar/VISSL.md");
    if (UPDATE) writeFileSync(path, renderVisslMappingTable());
    assert.equal(readFileSync(path, "utf8"), renderVisslMappingTable());
  });

  it("covers every field of the SEER IRs", () => {
    const leaves = (value: unknown, path: string[], out: Set<string>): Set<string> => {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
      } else if (Array.isArray(value) && value.some((v) => v !== null && typeof v === "object")) {
        for (const v of value) leaves(v, [...path, "*"], out);
      } else out.add(path.join("."));
      return out;
    };
    const fields = leaves(SEER_1P3B, [], leaves(SEER_128GF, [], new Set()));
    const covered = (field: string) => VISSL_MAPPING.some((row) => row.ir.some((p) => field === p || field.startsWith(`${p}.`)));
    assert.deepEqual([...fields].filter((f) => !covered(f)), []);
  });
});
