// Does SwAV pretraining help? A small RegNetY-style trunk is pretrained with SwAV on unlabelled
// Fashion-MNIST training images (/usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist) — or
// on the labelled synthetic set when that is absent — for a fixed number of steps; then a linear probe
// and a kNN classifier are evaluated on its frozen features, next to the same trunk at its random
// initialisation, for 3 seeds. Prints a markdown table (mean ± sample standard deviation over the seeds,
// then each seed's value).
//   node --import tsx bench/eval.ts [--seeds 0,1,2] [--steps N] [--trunk small|RegNetY_200MF] [--max-train N] [--max-test N] [--json]
// The default trunk is an AnyNetY (RegNetY blocks: grouped 3x3 convs, SE 0.25) with stages 32/64/128;
// `--trunk RegNetY_200MF` runs the quickstart's trunk, which in this budget stays on the SwAV loss's
// ln K plateau (see the README's evaluation section). Defaults keep the run near 10 minutes on a 2-core
// machine (wasm backend, 1 thread).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadExperiment } from "../src/cli/load.js";
import type { ExperimentIR } from "../src/compile/ir.js";
import { selectBackend } from "../src/runtime/backend.js";
import { runEvaluations } from "../src/runtime/eval/index.js";
import { createSwavModel, type SwavModel } from "../src/runtime/model/index.js";
import type { RunEvent } from "../src/runtime/train/events.js";
import { modelSpecOf } from "../src/runtime/train/specs.js";
import { train } from "../src/runtime/train/trainer.js";

const FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

interface Args {
  seeds: number[];
  steps: number;
  trunk: string;
  maxTrain: number;
  maxTest: number;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: [0, 1, 2], steps: 1200, trunk: "small", maxTrain: 5000, maxTest: 2000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? "";
    if (flag === "--seeds") args.seeds = value().split(",").map(Number);
    else if (flag === "--steps") args.steps = Number(value());
    else if (flag === "--trunk") args.trunk = value();
    else if (flag === "--max-train") args.maxTrain = Number(value());
    else if (flag === "--max-test") args.maxTest = Number(value());
    else if (flag === "--json") args.json = true;
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

const TRUNKS: Record<string, { text: string; head: string; description: string }> = {
  small: {
    text: "anynet { depths = [1, 2, 2], widths = [32, 64, 128], group_widths = [8, 8, 8], stem_width = 16, se_ratio = 0.25 }",
    head: "mlp [trunk.width, 256, 64] { batchnorm = true }",
    description: "AnyNetY stages 32/64/128 (depths 1, 2, 2; group width 8; SE 0.25)",
  },
  RegNetY_200MF: { text: "RegNetY_200MF", head: "mlp [trunk.width, 512, 128] { batchnorm = true }", description: "RegNetY_200MF (the quickstart's trunk)" },
};

/**
 * The experiment: SwAV with 30 prototypes and a BatchNorm projection head (as SwAV's own head),
 * two 32 px crops of 28 px images (scale 0.3..1, flip, colour jitter), LARS as in the quickstart,
 * and probes on 32 px centre crops.
 */
function experimentText(seed: number, args: Args, fashion: boolean): string {
  const data = fashion ? `idx("${FASHION_MNIST}")` : "synthetic()";
  const trunk = TRUNKS[args.trunk];
  if (!trunk) throw new Error(`--trunk is one of ${Object.keys(TRUNKS).join(", ")}`);
  return `import "regnet"

experiment bench_eval {
  seed = ${seed}
  data {
    source = ${data}
    ${fashion ? "images = 60000" : "images = 2048\n    image_size = 32px"}
  }
  trunk = ${trunk.text}
  augment = multicrop {
    crop 2 x 32px scale 0.3 .. 1.0
    flip = 0.5
    color_jitter { strength = 0.5, p = 0.8 }
  }
  head = ${trunk.head}
  loss = swav {
    prototypes = 30
    temperature = 0.1
    sinkhorn { epsilon = 0.05, iterations = 3 }
  }
  optimizer = lars { momentum = 0.9, weight_decay = 1e-6, trust = 0.001 }
  schedule = warmup linear 0.05 -> 0.6 over 10 steps, then cosine -> 0.06
  train {
    batch = 64
    steps = ${args.steps}
    checkpoint_every = ${args.steps} steps
    log_every = 100
  }
  evaluate linear { data = ${data}, epochs = 10, batch = 256, image_size = 32px }
  evaluate knn { data = ${data}, k = 20, image_size = 32px }
}
`;
}

interface SeedResult {
  seed: number;
  pretrainSeconds: number;
  finalLoss: number | null;
  random: Record<string, number>;
  pretrained: Record<string, number>;
}

async function evaluate(ir: ExperimentIR, model: SwavModel, args: Args): Promise<Record<string, number>> {
  const events: RunEvent[] = [];
  const report = await runEvaluations({ ir, model, emit: (e) => events.push(e), maxTrainImages: args.maxTrain, maxTestImages: args.maxTest, batchSize: 256 });
  if (report.failures.length > 0) throw new Error(report.failures.map((f) => `${f.protocol}: ${f.error.message}`).join("; "));
  const out: Record<string, number> = {};
  for (const o of report.outcomes) for (const [k, v] of Object.entries(o.metrics)) out[`${o.protocol}.${k}`] = v;
  return out;
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const fashion = existsSync(join(FASHION_MNIST, "train-images-idx3-ubyte.gz")) || existsSync(join(FASHION_MNIST, "train-images-idx3-ubyte"));
  const backend = await selectBackend("wasm");
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), "seerc-bench-eval-"));
  const results: SeedResult[] = [];
  let parameters = 0;
  const log = (line: string) => process.stderr.write(line + "\n");
  log(`bench:eval on ${fashion ? "Fashion-MNIST" : "the synthetic set (Fashion-MNIST not found)"}, ${backend.name} backend, seeds ${args.seeds.join(", ")}, ${args.steps} SwAV steps each`);
  try {
    for (const seed of args.seeds) {
      const file = join(work, `bench-${seed}.seer`);
      writeFileSync(file, experimentText(seed, args, fashion));
      const ir = loadExperiment(file, {}).ir;
      const initial = createSwavModel(modelSpecOf(ir));
      parameters = initial.parameterCount() - ir.loss.prototype_parameters;
      const random = await evaluate(ir, initial, args);
      initial.dispose();
      log(`seed ${seed}: random init: linear ${(random["linear.top1"] * 100).toFixed(2)}%, knn ${(random["knn.top1"] * 100).toFixed(2)}% (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      const t0 = Date.now();
      const trained = await train({
        ir,
        runDir: join(work, `run-${seed}`),
        backend,
        emit: (e) => {
          if (e.type === "step" && (e.step % 200 === 0 || e.step === 1)) log(`  step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(3)} (${e.imagesPerSecond.toFixed(0)} img/s)`);
        },
        control: { stopRequested: false, checkpointRequested: false },
      });
      const pretrainSeconds = (Date.now() - t0) / 1000;
      const pretrained = await evaluate(ir, trained.model, args);
      trained.model.dispose();
      log(`seed ${seed}: pretrained: linear ${(pretrained["linear.top1"] * 100).toFixed(2)}%, knn ${(pretrained["knn.top1"] * 100).toFixed(2)}% (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      results.push({ seed, pretrainSeconds, finalLoss: trained.finalLoss, random, pretrained });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const wall = (Date.now() - started) / 1000;
  if (args.json) {
    process.stdout.write(JSON.stringify({ dataset: fashion ? "fashion-mnist" : "synthetic", trunk: args.trunk, parameters, steps: args.steps, maxTrain: args.maxTrain, maxTest: args.maxTest, wallSeconds: wall, results }) + "\n");
    return;
  }
  const cell = (rows: Array<Record<string, number>>, key: string) => {
    const values = rows.map((r) => r[key] * 100);
    const { mean, std } = meanStd(values);
    return `${mean.toFixed(1)} ± ${std.toFixed(1)} (${values.map((v) => v.toFixed(1)).join(", ")})`;
  };
  const trainImages = results[0]?.pretrained["linear.train_images"];
  const testImages = results[0]?.pretrained["linear.test_images"];
  const lines = [
    `${TRUNKS[args.trunk].description}, ${(parameters / 1e6).toFixed(2)}M trunk + head parameters; SwAV on ${fashion ? "Fashion-MNIST's 60,000 training images (labels unused)" : "the synthetic images"} for ${args.steps} steps of 64 images (2 × 32 px crops, 30 prototypes); `
      + `frozen features of 32 px centre crops → linear probe (10 epochs, SGD 0.1, standardised features) and kNN (k = 20, T = 0.07) `
      + `with ${trainImages} labelled training and ${testImages} test images (class-balanced subsets). Top-1 accuracy in %, mean ± sample std over seeds ${args.seeds.join(", ")} (then each seed).`,
    "",
    "| trunk | linear probe top-1 | kNN top-1 |",
    "|---|---|---|",
    `| random initialisation | ${cell(results.map((r) => r.random), "linear.top1")} | ${cell(results.map((r) => r.random), "knn.top1")} |`,
    `| SwAV-pretrained, ${args.steps} steps | ${cell(results.map((r) => r.pretrained), "linear.top1")} | ${cell(results.map((r) => r.pretrained), "knn.top1")} |`,
    "",
    `Pretraining took ${meanStd(results.map((r) => r.pretrainSeconds)).mean.toFixed(0)} s a seed on ${backend.name} (${backend.threads ?? 1} thread); the whole benchmark ${(wall / 60).toFixed(1)} min.`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

await main();
