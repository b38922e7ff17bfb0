// Training-step speed: seerc's SwAV step (src/runtime/train/trainer.ts `trainStep`) on each
// TensorFlow.js backend, next to PyTorch running the same model, loss, optimiser and batch
// (bench/pytorch_swav.py: torchvision's RegNet built from the same stage table). Two models: the
// quickstart's own (experiments/quickstart.seer, wasm only: the speed target is set on it), and the
// CPU-sized run of the engine notes (RegNetY_200MF, 2x64 px + 2x32 px crops; see experimentText), on
// every backend and in the scaling tables.
//
//   node --import tsx bench/train.ts [--json] [--steps N] [--warmup N] [--no-scaling]
//                                    [--backends wasm,cpu,tensorflow] [--cpu-steps N] [--repeat R]
//
// What is timed: one optimisation step on a fixed batch already in memory: a forward per crop size,
// the SwAV loss with Sinkhorn codes, the backward pass, LARS, prototype normalisation. Data loading
// is measured by bench:data. The embedding queue is off on both sides (a queue adds one [Q x K]
// score matrix per assigned crop). Each configuration runs in a fresh process, so peak RSS is that
// configuration's alone. Numbers are medians over the timed steps after the warm-up steps; the runs a
// ratio is taken from (seerc wasm and PyTorch 2 threads, for both models) are repeated R times
// (default 2), alternating, and the fastest counts. The scaling points time 3 steps after 1 warm-up
// step, the cpu backend 1 step (it takes minutes).
//
// PyTorch runs with 2 threads (torch.set_num_threads(2)), in the default (NCHW) memory format and
// in channels_last, and with 1 thread for reference: the wasm backend computes on one thread. The
// wasm step also runs once with the generated SIMD kernels off (stock-kernel formulations only),
// for their speed-up and the loss agreement of the two paths.
//
// With --json: one JSON object a line. The quickstart model first, then per backend for RegNetY_200MF
// (a backend that could not run has available: false, a reason and null timings):
//   { kind: "step", model: "quickstart" | "RegNetY_200MF", backend, seerc_step_ms, seerc_images_per_s, pytorch_step_ms, pytorch_images_per_s,
//     ratio, pytorch_channels_last_step_ms, ratio_channels_last, pytorch_1thread_step_ms,
//     peak_rss_mb: { seerc, pytorch }, seerc_peak_rss_mb, pytorch_peak_rss_mb, rss_ratio,
//     simd_kernels, final_loss, ... } (wasm twice per model: simd_kernels true, then false)
// ratio = seerc step time / PyTorch (2 threads, default format) step time. Then one object per
// scaling point: { kind: "scaling", axis: "batch" | "model", batch, model, seerc_step_ms,
// pytorch_step_ms, ratio, ... }, and a final { kind: "machine", ... }.
// PyTorch figures are null, with a note, when /usr/bin/python3 cannot import torch + torchvision.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const PYTHON = "/usr/bin/python3";

/**
 * The benchmark's experiment: the CPU-sized SwAV + RegNetY run of the engine notes (RegNetY_200MF,
 * head [368, 512, 128], 100 prototypes, 2x64 px + 2x32 px crops, LARS), with the trunk preset and
 * batch size as parameters. Kept here rather than read from experiments/ so that editing an
 * example does not change what the benchmark measures.
 */
function experimentText(trunk: string, batch: number): string {
  return `import "regnet"
import "swav"

experiment bench_train {
  seed = 0
  data {
    source = synthetic()
    images = 2048
    classes = 10
    image_size = 64px
  }
  trunk = ${trunk}
  augment = cpu_multicrop
  head = mlp [trunk.width, 512, 128]
  loss = swav {
    prototypes = 100
    temperature = 0.1
    sinkhorn { epsilon = 0.05, iterations = 3 }
  }
  optimizer = lars { momentum = 0.9, weight_decay = 1e-6, trust = 0.001 }
  schedule = warmup linear 0.05 -> 0.6 over 10 steps, then cosine -> 0.006
  train {
    batch = ${batch}
    steps = 80
  }
}
`;
}
/**
 * The whole benchmark stays under 10 minutes on a 2-core machine: no new scaling point past 5
 * minutes, and the cpu backend (a step of ~3 minutes at batch 32) only if it starts within 6.
 */
const SCALING_BUDGET_MS = 5 * 60 * 1000;
const QUICKSTART = new URL("../experiments/quickstart.seer", import.meta.url).pathname;
const CPU_BUDGET_MS = 6 * 60 * 1000;

interface Args {
  json: boolean;
  steps: number;
  warmup: number;
  cpuSteps: number;
  scaling: boolean;
  backends: string[];
  worker: string | null;
  repeat: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, steps: 8, warmup: 2, cpuSteps: 1, scaling: true, backends: ["wasm", "cpu", "tensorflow"], worker: null, repeat: 2 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? "";
    if (flag === "--json") args.json = true;
    else if (flag === "--steps") args.steps = Math.max(1, Number(value()));
    else if (flag === "--warmup") args.warmup = Math.max(0, Number(value()));
    else if (flag === "--cpu-steps") args.cpuSteps = Math.max(1, Number(value()));
    else if (flag === "--no-scaling") args.scaling = false;
    else if (flag === "--backends") args.backends = value().split(",");
    else if (flag === "--worker") args.worker = value();
    else if (flag === "--repeat") args.repeat = Math.max(1, Number(value()));
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// Worker: one seerc configuration in this process.

interface WorkerSpec {
  backend: "wasm" | "cpu" | "tensorflow";
  /** false: the generated SIMD kernels off, so the wasm step runs on stock-kernel formulations only. */
  simdKernels?: boolean;
  /** The experiment's IR as JSON (compiled by the orchestrator, so the worker loads no compiler). */
  irFile: string;
  warmup: number;
  steps: number;
}

interface WorkerResult {
  ok: true;
  backend: string;
  backend_detail: string;
  simd_kernels: boolean;
  parameters: number;
  batch: number;
  step_ms: number[];
  median_step_ms: number;
  peak_rss_mb: number;
  losses: number[];
  finite: boolean;
}

async function runWorker(spec: WorkerSpec): Promise<void> {
  // Loaded here so that the orchestrating process never starts TensorFlow.js itself.
  const { selectBackend, BackendUnavailableError } = await import("../src/runtime/backend.js");
  const { trainStep } = await import("../src/runtime/train/trainer.js");
  const { createSwavModel } = await import("../src/runtime/model/index.js");
  const { createOptimizer } = await import("../src/runtime/optim/index.js");
  const { modelSpecOf, optimizerSpecOf } = await import("../src/runtime/train/specs.js");
  type Batch = import("../src/runtime/data/index.js").Batch;

  let info;
  try {
    info = await selectBackend(spec.backend);
  } catch (error) {
    if (error instanceof BackendUnavailableError) {
      console.log(JSON.stringify({ ok: false, backend: spec.backend, reason: error.message }));
      return;
    }
    throw error;
  }
  const { setSimdKernels, simdKernelsActive } = await import("../src/runtime/kernels/index.js");
  if (spec.simdKernels === false) setSimdKernels(false);
  const tf = await import("@tensorflow/tfjs");
  const simdKernels = simdKernelsActive(tf.backend());
  const ir = JSON.parse(readFileSync(spec.irFile, "utf8")) as import("../src/compile/ir.js").ExperimentIR;
  const model = createSwavModel(modelSpecOf(ir));
  const trainable = model.trainableVariables();
  // As train() does: biases and norm weights by role.
  const isBiasOrNorm = (name: string) => ["conv_bias", "linear_bias", "bn_weight", "bn_bias"].includes(model.roleOf(name));
  const optimizer = createOptimizer(optimizerSpecOf(ir.optimizer), trainable, { isBiasOrNorm });
  const batchSize = ir.train.global_batch;
  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 4294967296) * 3.4 - 1.7; // roughly unit variance, like PyTorch's randn batch
  };
  const crops = ir.augment.crops.map((c) => {
    const data = new Float32Array(batchSize * c.count * c.size * c.size * 3);
    for (let i = 0; i < data.length; i++) data[i] = uniform();
    return { size: c.size, count: c.count, data };
  });
  const batch = { step: 0, epoch: 0, size: batchSize, crops, indices: new Int32Array(batchSize), dataWaitMs: 0, skipped: [], cursor: { nextStep: 0 } } as unknown as Batch;
  const times: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < spec.warmup + spec.steps; step++) {
    const started = performance.now();
    const outcome = trainStep(ir, model, optimizer, null, batch, step, 0.1, false);
    const ms = performance.now() - started;
    losses.push(outcome.loss);
    if (step >= spec.warmup) times.push(ms);
  }
  const result: WorkerResult = {
    ok: true,
    backend: info.name,
    backend_detail:
      info.name === "wasm"
        ? `wasm ${info.version} (${info.simd ? "SIMD" : "no SIMD"}, ${info.threads} thread${simdKernels ? "" : ", stock kernels only"})`
        : `${info.name} ${info.version}`,
    simd_kernels: simdKernels,
    parameters: model.parameterCount(),
    batch: batchSize,
    step_ms: times,
    median_step_ms: median(times),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    losses,
    finite: losses.every(Number.isFinite),
  };
  console.log(JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------------
// Orchestration.

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Variant {
  trunk: string;
  batch: number;
}

/** The benchmark experiment for one trunk preset and batch size, written and compiled to a temporary folder. */
async function variantFile(dir: string, variant: Variant): Promise<string> {
  const file = join(dir, `bench-${variant.trunk}-b${variant.batch}.seer`);
  writeFileSync(file, experimentText(variant.trunk, variant.batch));
  const { checkFiles } = await import("../src/cli/workspace.js");
  const workspace = checkFiles([file]);
  const ir = workspace.experiments[0]?.ir;
  if (!ir) throw new Error(`${file} does not compile: ${workspace.diagnostics.map((d) => d.message).join("; ")}`);
  writeFileSync(`${file}.ir.json`, JSON.stringify(ir));
  return file;
}

type SeercOutcome = WorkerResult | { ok: false; backend: string; reason: string };

async function runSeerc(seer: string, spec: Omit<WorkerSpec, "irFile">): Promise<SeercOutcome> {
  const script = new URL(import.meta.url).pathname;
  try {
    const worker: WorkerSpec = { ...spec, irFile: `${seer}.ir.json` };
    const { stdout } = await execFileAsync("node", ["--import", "tsx", script, "--worker", JSON.stringify(worker)], { maxBuffer: 1 << 24 });
    return JSON.parse(stdout.trim().split("\n").pop()!) as SeercOutcome;
  } catch (error) {
    const message = (error as { stderr?: string; message: string }).stderr?.trim().split("\n").slice(-3).join(" ") || (error as Error).message;
    return { ok: false, backend: spec.backend, reason: message };
  }
}

interface PytorchResult {
  median_step_ms: number;
  peak_rss_mb: number;
  threads: number;
  channels_last: boolean;
  parameters: number;
  torch: string;
  torchvision: string;
  finite: boolean;
}

async function pytorchAvailable(): Promise<string | null> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  try {
    await execFileAsync(PYTHON, ["-c", "import torch, torchvision"]);
    return null;
  } catch (error) {
    return `${PYTHON} cannot import torch + torchvision (${(error as Error).message.split("\n").slice(-2).join(" ").trim()})`;
  }
}

/** The PyTorch side's run spec, read off the same IR the seerc worker trains. */
async function pytorchSpec(seer: string, options: { threads: number; channelsLast: boolean; warmup: number; steps: number }): Promise<object> {
  const { modelSpecOf } = await import("../src/runtime/train/specs.js");
  const ir = JSON.parse(readFileSync(`${seer}.ir.json`, "utf8")) as import("../src/compile/ir.js").ExperimentIR;
  const model = modelSpecOf(ir);
  const o = ir.optimizer;
  if (o.kind !== "lars") throw new Error(`the PyTorch reference implements LARS only (the experiment uses ${o.kind})`);
  return {
    trunk: model.trunk,
    head: model.head,
    prototypes: model.prototypes,
    batch: ir.train.global_batch,
    crops: ir.augment.crops.map((c) => ({ size: c.size, count: c.count })),
    assignCrops: ir.loss.assign_crops,
    temperature: ir.loss.temperature,
    epsilon: ir.loss.sinkhorn.epsilon,
    iterations: ir.loss.sinkhorn.iterations,
    optimizer: { momentum: o.momentum, weightDecay: o.weight_decay, trust: o.trust, excludeBiasAndBn: o.exclude_bias_and_bn },
    lr: 0.1,
    seed: ir.seed,
    ...options,
  };
}

async function runPytorch(spec: object): Promise<PytorchResult | { error: string }> {
  const script = new URL("./pytorch_swav.py", import.meta.url).pathname;
  try {
    const { stdout } = await execFileAsync(PYTHON, [script, "--spec", JSON.stringify(spec)], { maxBuffer: 1 << 22 });
    return JSON.parse(stdout.trim().split("\n").pop()!) as PytorchResult;
  } catch (error) {
    return { error: (error as { stderr?: string }).stderr?.trim().split("\n").slice(-2).join(" ") || (error as Error).message };
  }
}

const fmt = (value: number | null | undefined, digits = 0) => (value === null || value === undefined || !Number.isFinite(value) ? "n/a" : value.toFixed(digits));
const ratioText = (value: number | null) => (value === null ? "n/a" : `${value.toFixed(2)}x`);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...rows.map(line)].join("\n");
}

/**
 * The generated SIMD kernels against the stock-kernel formulations on the same model, batch and
 * steps: their speed-up, and the loss after the last step on both (float32 rounding differs
 * between the two, so the losses agree closely, not bit for bit).
 */
function kernelAgreement(model: string, simd: WorkerResult, stock: WorkerResult): string {
  const last = (r: WorkerResult) => r.losses[r.losses.length - 1];
  const gap = Math.abs(last(simd) - last(stock));
  return (
    `${model}: the generated SIMD kernels make the wasm step ${(stock.median_step_ms / simd.median_step_ms).toFixed(2)}x faster than stock kernels only; ` +
    `loss after ${simd.losses.length} steps ${last(simd).toFixed(5)} against ${last(stock).toFixed(5)} (|Δ| ${gap.toExponential(1)})`
  );
}

/** One main-table row: a seerc backend against the PyTorch runs. */
function stepRow(model: string, result: WorkerResult, torch2: PytorchResult | null, torch2cl: PytorchResult | null, torch1: PytorchResult | null) {
  const ratio = torch2 ? result.median_step_ms / torch2.median_step_ms : null;
  const ratioCl = torch2cl ? result.median_step_ms / torch2cl.median_step_ms : null;
  const rssRatio = torch2 ? result.peak_rss_mb / torch2.peak_rss_mb : null;
  const json = {
    kind: "step",
    backend: result.backend,
    backend_detail: result.backend_detail,
    model,
    batch: result.batch,
    parameters: result.parameters,
    steps_timed: result.step_ms.length,
    seerc_step_ms: result.median_step_ms,
    seerc_images_per_s: (result.batch * 1000) / result.median_step_ms,
    pytorch_step_ms: torch2?.median_step_ms ?? null,
    pytorch_images_per_s: torch2 ? (result.batch * 1000) / torch2.median_step_ms : null,
    ratio,
    pytorch_channels_last_step_ms: torch2cl?.median_step_ms ?? null,
    ratio_channels_last: ratioCl,
    pytorch_1thread_step_ms: torch1?.median_step_ms ?? null,
    ratio_1thread: torch1 ? result.median_step_ms / torch1.median_step_ms : null,
    peak_rss_mb: { seerc: result.peak_rss_mb, pytorch: torch2?.peak_rss_mb ?? null },
    seerc_peak_rss_mb: result.peak_rss_mb,
    pytorch_peak_rss_mb: torch2?.peak_rss_mb ?? null,
    rss_ratio: rssRatio,
    seerc_losses_finite: result.finite,
    simd_kernels: result.simd_kernels,
    final_loss: result.losses[result.losses.length - 1],
  };
  const row = [
    `seerc, tfjs ${result.backend_detail}`,
    fmt(result.median_step_ms),
    fmt((result.batch * 1000) / result.median_step_ms, 1),
    fmt(result.peak_rss_mb),
    ratioText(ratio),
    ratioText(ratioCl),
    ratioText(rssRatio),
  ];
  return { json, row };
}

/**
 * The two runs a ratio is taken from (seerc wasm, PyTorch 2 threads) run `repeat` times, alternating,
 * and each side's fastest median counts: other load on a shared machine only ever slows a run down,
 * and PyTorch's 2-thread runs most of all (its threads spin while waiting for each other).
 */
async function fastestOf<A extends { median_step_ms: number }, B extends { median_step_ms: number }>(
  repeat: number,
  first: () => Promise<A | null>,
  second: () => Promise<B | null>,
): Promise<[A | null, B | null]> {
  let a: A | null = null;
  let b: B | null = null;
  for (let r = 0; r < repeat; r++) {
    const ra = await first();
    if (ra && (a === null || ra.median_step_ms < a.median_step_ms)) a = ra;
    const rb = await second();
    if (rb && (b === null || rb.median_step_ms < b.median_step_ms)) b = rb;
  }
  return [a, b];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker !== null) {
    await runWorker(JSON.parse(args.worker) as WorkerSpec);
    return;
  }
  for (const backend of args.backends) {
    if (!["wasm", "cpu", "tensorflow"].includes(backend)) throw new Error(`unknown backend ${backend}`);
  }
  const started = Date.now();
  const notes: string[] = [];
  const out = (line: string) => {
    if (!args.json) console.log(line);
  };
  const dir = mkdtempSync(join(tmpdir(), "seerc-bench-train-"));
  try {
    const missingTorch = await pytorchAvailable();
    if (missingTorch) {
      const note = `PyTorch comparison skipped: ${missingTorch}. Install python3-torch and python3-torchvision (Debian) or torch + torchvision (pip) to compare.`;
      notes.push(note);
      process.stderr.write(`note: ${note}\n`);
    }
    const load = loadavg();
    const cpuModel = cpus()[0]?.model ?? "unknown CPU";
    const machine = `${cpuModel}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, no GPU used; Node ${process.version}`;
    out(`machine: ${machine}; load average at start ${load.map((l) => l.toFixed(1)).join(" ")}`);

    const base = await variantFile(dir, { trunk: "RegNetY_200MF", batch: 32 });
    const pytorch = async (seer: string, threads: number, channelsLast: boolean, warmup: number, steps: number) =>
      missingTorch ? null : runPytorch(await pytorchSpec(seer, { threads, channelsLast, warmup, steps }));
    const ok = (r: Awaited<ReturnType<typeof pytorch>>): PytorchResult | null => (r && !("error" in r) ? r : null);

    // --- Main table: PyTorch, then the fast backends; the cpu backend last (it takes minutes).
    const results = new Map<string, WorkerResult>();
    const unavailable = new Map<string, string>();
    let wasmFailure: string | null = null;
    const wasmRun = async (seer: string, warmup: number, steps: number): Promise<WorkerResult | null> => {
      if (!args.backends.includes("wasm")) return null;
      const result = await runSeerc(seer, { backend: "wasm", warmup, steps });
      if (!result.ok) wasmFailure = result.reason;
      return result.ok ? result : null;
    };
    const [torch2, baseWasm] = await fastestOf(args.repeat, () => pytorch(base, 2, false, args.warmup, args.steps).then(ok), () => wasmRun(base, args.warmup, args.steps));
    const torch2cl = ok(await pytorch(base, 2, true, args.warmup, args.steps));
    const torch1 = ok(await pytorch(base, 1, false, args.warmup, args.steps));
    if (!missingTorch && !torch2) notes.push("the PyTorch run failed; see stderr");
    // The same step with the generated SIMD kernels off: what they gain, and that the loss agrees.
    const stockRun = async (seer: string, warmup: number, steps: number): Promise<WorkerResult | null> => {
      if (!args.backends.includes("wasm")) return null;
      const result = await runSeerc(seer, { backend: "wasm", warmup, steps, simdKernels: false });
      return result.ok && !result.simd_kernels ? result : null;
    };
    const baseStock = baseWasm?.simd_kernels ? await stockRun(base, args.warmup, args.steps) : null;
    if (baseWasm) results.set("wasm", baseWasm);
    else if (wasmFailure) {
      unavailable.set("wasm", wasmFailure);
      notes.push(`wasm: not measured: ${wasmFailure}`);
    }
    for (const backend of args.backends.filter((b) => b !== "cpu" && b !== "wasm")) {
      const result = await runSeerc(base, { backend: backend as WorkerSpec["backend"], warmup: args.warmup, steps: args.steps });
      if (result.ok) results.set(backend, result);
      else {
        const why = backend === "tensorflow" ? `native TensorFlow did not load (${result.reason.split(". ")[0]})` : result.reason;
        unavailable.set(backend, why);
        notes.push(`${backend}: not measured: ${why}`);
      }
    }

    // --- The quickstart's own model, batch and crops (experiments/quickstart.seer): the speed target's figure.
    const quickstart = join(dir, "quickstart.seer");
    {
      const { checkFiles } = await import("../src/cli/workspace.js");
      const ir = checkFiles([QUICKSTART]).experiments[0]?.ir;
      if (!ir) throw new Error(`${QUICKSTART} does not compile`);
      writeFileSync(`${quickstart}.ir.json`, JSON.stringify(ir));
    }
    const quickstartSteps = 2 * args.steps;
    const quickstartWarmup = args.warmup + 1;
    const [quickstartTorch2, quickstartSeerc] = await fastestOf(
      args.repeat,
      () => pytorch(quickstart, 2, false, quickstartWarmup, quickstartSteps).then(ok),
      () => wasmRun(quickstart, quickstartWarmup, quickstartSteps),
    );
    const quickstartStock = quickstartSeerc?.simd_kernels ? await stockRun(quickstart, quickstartWarmup, quickstartSteps) : null;
    const quickstartTorch = {
      two: quickstartTorch2,
      twoChannelsLast: ok(await pytorch(quickstart, 2, true, quickstartWarmup, quickstartSteps)),
      one: ok(await pytorch(quickstart, 1, false, quickstartWarmup, quickstartSteps)),
    };

    // --- Scaling: batch size and model size, wasm against PyTorch (2 threads).
    const scalingSteps = 3;
    const scalingWarmup = 1;
    const scalingRows: Record<"batch" | "model", string[][]> = { batch: [], model: [] };
    const scalingJson: object[] = [];
    if (args.scaling) {
      const points: Array<Variant & { axis: "batch" | "model" }> = [
        ...[16, 32, 64, 128].map((b) => ({ axis: "batch" as const, trunk: "RegNetY_200MF", batch: b })),
        ...["RegNetY_200MF", "RegNetY_400MF", "RegNetY_800MF"].map((t) => ({ axis: "model" as const, trunk: t, batch: 32 })),
      ];
      const cache = new Map<string, { seerc: WorkerResult | null; torch: PytorchResult | null }>();
      for (const point of points) {
        const key = `${point.trunk}/${point.batch}`;
        if (!cache.has(key)) {
          if (Date.now() - started > SCALING_BUDGET_MS) {
            notes.push(`scaling point ${key} skipped: the benchmark reached its time budget`);
            continue;
          }
          const seer = await variantFile(dir, point);
          const seerc = await runSeerc(seer, { backend: "wasm", warmup: scalingWarmup, steps: scalingSteps });
          const torch = ok(await pytorch(seer, 2, false, scalingWarmup, scalingSteps));
          if (!seerc.ok) notes.push(`scaling point ${key}: seerc failed: ${seerc.reason}`);
          cache.set(key, { seerc: seerc.ok ? seerc : null, torch });
        }
        const { seerc, torch } = cache.get(key)!;
        const ratio = seerc && torch ? seerc.median_step_ms / torch.median_step_ms : null;
        scalingJson.push({
          kind: "scaling",
          axis: point.axis,
          model: point.trunk,
          batch: point.batch,
          parameters: seerc?.parameters ?? torch?.parameters ?? null,
          seerc_step_ms: seerc?.median_step_ms ?? null,
          pytorch_step_ms: torch?.median_step_ms ?? null,
          ratio,
          seerc_images_per_s: seerc ? (point.batch * 1000) / seerc.median_step_ms : null,
          pytorch_images_per_s: torch ? (point.batch * 1000) / torch.median_step_ms : null,
          peak_rss_mb: { seerc: seerc?.peak_rss_mb ?? null, pytorch: torch?.peak_rss_mb ?? null },
        });
        scalingRows[point.axis].push([
          point.axis === "batch" ? String(point.batch) : point.trunk,
          fmt(seerc?.median_step_ms),
          fmt(torch?.median_step_ms),
          ratioText(ratio),
          fmt(seerc ? (point.batch * 1000) / seerc.median_step_ms : null, 1),
          fmt(torch ? (point.batch * 1000) / torch.median_step_ms : null, 1),
          `${fmt(seerc?.peak_rss_mb)} / ${fmt(torch?.peak_rss_mb)}`,
        ]);
      }
    }

    if (args.backends.includes("cpu")) {
      if (Date.now() - started > CPU_BUDGET_MS) {
        const why = "not enough of the time budget left for a step of several minutes (run with --backends cpu --no-scaling)";
        unavailable.set("cpu", why);
        notes.push(`cpu backend skipped: ${why}`);
      } else {
        const result = await runSeerc(base, { backend: "cpu", warmup: 0, steps: args.cpuSteps });
        if (result.ok) {
          results.set("cpu", result);
          notes.push(`cpu backend: ${args.cpuSteps} step(s) only, no warm-up (a step takes minutes; the cpu backend is the numerical reference of the tests, not a training engine)`);
        } else {
          unavailable.set("cpu", result.reason);
          notes.push(`cpu: not measured: ${result.reason}`);
        }
      }
    }

    // --- Output.
    let batch = 32;
    let parameters = 0;
    const mainRows: string[][] = [];
    const mainJson: object[] = [];
    for (const backend of args.backends) {
      const result = results.get(backend);
      if (!result) {
        const reason = unavailable.get(backend) ?? "skipped (time budget)";
        mainJson.push({ kind: "step", backend, available: false, reason, seerc_step_ms: null, pytorch_step_ms: torch2?.median_step_ms ?? null, ratio: null, peak_rss_mb: { seerc: null, pytorch: torch2?.peak_rss_mb ?? null } });
        continue;
      }
      batch = result.batch;
      parameters = result.parameters;
      const { json, row } = stepRow("RegNetY_200MF", result, torch2, torch2cl, torch1);
      mainJson.push(json);
      mainRows.push(row);
      if (backend === "wasm" && baseStock) {
        const stock = stepRow("RegNetY_200MF", baseStock, torch2, torch2cl, torch1);
        mainJson.push(stock.json);
        mainRows.push(stock.row);
        notes.push(kernelAgreement("RegNetY_200MF", result, baseStock));
      }
    }
    if (torch2 && parameters > 0 && torch2.parameters !== parameters) {
      notes.push(`parameter counts differ: seerc ${parameters}, PyTorch ${torch2.parameters} (the two models are not the same)`);
    }
    const torchRows: string[][] = [];
    for (const [label, r] of [
      ["PyTorch, 2 threads", torch2],
      ["PyTorch, 2 threads, channels_last", torch2cl],
      ["PyTorch, 1 thread", torch1],
    ] as const) {
      if (r) torchRows.push([`${label} (torch ${r.torch})`, fmt(r.median_step_ms), fmt((batch * 1000) / r.median_step_ms, 1), fmt(r.peak_rss_mb), "", "", ""]);
    }
    const quickstartJson: object[] = [];
    if (quickstartSeerc) {
      const q = quickstartSeerc;
      const { json, row } = stepRow("quickstart", q, quickstartTorch.two, quickstartTorch.twoChannelsLast, quickstartTorch.one);
      quickstartJson.push(json);
      const rows = [row];
      if (quickstartStock) {
        const stock = stepRow("quickstart", quickstartStock, quickstartTorch.two, quickstartTorch.twoChannelsLast, quickstartTorch.one);
        quickstartJson.push(stock.json);
        rows.push(stock.row);
        notes.push(kernelAgreement("quickstart", q, quickstartStock));
      }
      for (const [label, r] of [
        ["PyTorch, 2 threads", quickstartTorch.two],
        ["PyTorch, 2 threads, channels_last", quickstartTorch.twoChannelsLast],
        ["PyTorch, 1 thread", quickstartTorch.one],
      ] as const) {
        if (r) rows.push([`${label} (torch ${r.torch})`, fmt(r.median_step_ms), fmt((q.batch * 1000) / r.median_step_ms, 1), fmt(r.peak_rss_mb), "", "", ""]);
      }
      out("");
      out(`SwAV training step, the quickstart's model (experiments/quickstart.seer: AnyNet 32/64/128 with SE, BN head, ${q.parameters.toLocaleString("en")} parameters), batch ${q.batch}, crops 2x32px, 30 prototypes, LARS`);
      out(`median of ${quickstartSteps} steps after ${quickstartWarmup} warm-up steps, fixed batch in memory; seerc wasm and PyTorch 2 threads: the fastest of ${args.repeat} alternating runs (target: at most 2.0x PyTorch's 2-thread step)`);
      out(table(["engine", "ms/step", "images/s", "peak RSS MB", "time vs PyTorch 2t", "vs channels_last", "RSS vs PyTorch"], rows));
    }
    out("");
    out(`SwAV training step, RegNetY_200MF (${parameters.toLocaleString("en")} parameters), head [368, 512, 128], batch ${batch}, crops 2x64px + 2x32px, 100 prototypes, 3 Sinkhorn iterations, LARS`);
    out(`median of ${args.steps} steps after ${args.warmup} warm-up steps, fixed batch in memory, queue off; seerc wasm and PyTorch 2 threads: the fastest of ${args.repeat} alternating runs`);
    out(table(["engine", "ms/step", "images/s", "peak RSS MB", "time vs PyTorch 2t", "vs channels_last", "RSS vs PyTorch"], [...mainRows, ...torchRows]));
    if (args.scaling) {
      const headers = ["ms/step seerc wasm", "PyTorch 2t", "ratio", "img/s seerc", "img/s PyTorch", "peak RSS MB (seerc / PyTorch)"];
      out("");
      out(`Scaling with batch size (RegNetY_200MF; median of ${scalingSteps} steps after ${scalingWarmup} warm-up step)`);
      out(table(["batch", ...headers], scalingRows.batch));
      out("");
      out(`Scaling with model size (batch 32, crops 2x64px + 2x32px; median of ${scalingSteps} steps after ${scalingWarmup} warm-up step)`);
      out(table(["trunk", ...headers], scalingRows.model));
    }
    const loadEnd = loadavg();
    if (loadEnd[0] > cpus().length / 2) {
      notes.push(`the machine was busy (load average ${loadEnd[0].toFixed(1)} on ${cpus().length} cores): timings are inflated, PyTorch's 2-thread runs most of all (its threads spin while waiting for each other); re-run when idle`);
    }
    if (args.json) {
      for (const row of [...quickstartJson, ...mainJson, ...scalingJson]) console.log(JSON.stringify(row));
      console.log(JSON.stringify({ kind: "machine", machine, load_average_start: load, load_average_end: loadEnd, wall_s: (Date.now() - started) / 1000, notes }));
    } else {
      out("");
      for (const note of notes) out(`note: ${note}`);
      out(`load average at end ${loadEnd.map((l) => l.toFixed(1)).join(" ")}; benchmark wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
