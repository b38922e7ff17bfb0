// Data-pipeline throughput: seerc's worker pool against torchvision transforms + DataLoader, on the same
// generated JPEGs, the same recipe and the same number of workers.
//   node --import tsx bench/data.ts [--json] [--images N] [--batches K] [--workers 1,2] [--recipes seer,cpu] [--repeat R]
// Each side runs R times, alternating (default 2), and its best run counts: on a shared machine the best
// run is the one least disturbed by other load.
// With --json: one JSON object a line per (recipe, workers):
//   { recipe, workers, seerc_images_per_s, torchvision_images_per_s, ratio }
// plus seerc_cpu_ms_per_image and torchvision_cpu_ms_per_image: CPU time (all threads / all worker
// processes) per image, which other load on a shared machine barely moves, unlike images/s.
// (torchvision figures are null, with a note on stderr, when /usr/bin/python3 cannot import torch + torchvision).
// Then the quickstart check: how fast the quickstart trainer consumes images (a short `seerc run` of
// experiments/quickstart.seer, its step events) against what its own pipeline (synthetic source, its
// multi-crop recipe, its batch and worker count) delivers alone; the target is at least 3x. With --json
// that is one more object: { recipe: "quickstart", workers, pipeline_images_per_s,
// trainer_images_per_s, ratio, data_wait_share }. --no-quickstart skips it.

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { createBatchStream, CPU_AUGMENT, openSource, SEER_AUGMENT, type AugmentSpec, type SourceSpec } from "../src/runtime/data/index.js";
import { renderSyntheticImage } from "../src/runtime/data/synthetic.js";
import { augmentSpecOf, sourceSpecOf } from "../src/runtime/train/specs.js";
import { loadExperiment } from "../src/cli/load.js";
import type { RunEvent } from "../src/runtime/train/events.js";

const execFileAsync = promisify(execFile);
const PYTHON = "/usr/bin/python3";

interface Args {
  json: boolean;
  images: number;
  batches: number;
  workers: number[];
  recipes: string[];
  repeat: number;
  quickstart: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, images: 320, batches: 0, workers: [1, 2], recipes: ["seer", "cpu"], repeat: 2, quickstart: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? "";
    if (flag === "--json") args.json = true;
    else if (flag === "--images") args.images = Number(value());
    else if (flag === "--batches") args.batches = Number(value());
    else if (flag === "--workers") args.workers = value().split(",").map(Number);
    else if (flag === "--recipes") args.recipes = value().split(",").filter(Boolean);
    else if (flag === "--repeat") args.repeat = Math.max(1, Number(value()));
    else if (flag === "--no-quickstart") args.quickstart = false;
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

const RECIPES: Record<string, { augment: AugmentSpec; batchSize: number; label: string }> = {
  seer: { augment: SEER_AUGMENT, batchSize: 16, label: "SEER 2x224+4x96" },
  cpu: { augment: CPU_AUGMENT, batchSize: 64, label: "CPU 2x64+2x32" },
};

/** 500×375 photos-like JPEGs (textured shapes over gradients with noise), generated once and reused. */
async function ensureImages(count: number): Promise<{ dir: string; files: string[] }> {
  const dir = join(tmpdir(), `seerc-bench-data-500x375-${count}`);
  await mkdir(dir, { recursive: true });
  const existing = (await readdir(dir)).filter((f) => f.endsWith(".jpg"));
  if (existing.length !== count) {
    for (let i = 0; i < count; i++) {
      const square = renderSyntheticImage({ images: count, classes: 30, size: 500, seed: 2024 }, i);
      await sharp(square, { raw: { width: 500, height: 500, channels: 3 } })
        .extract({ left: 0, top: 62, width: 500, height: 375 })
        .jpeg({ quality: 90 })
        .toFile(join(dir, `img-${String(i).padStart(5, "0")}.jpg`));
    }
  }
  const files = (await readdir(dir)).filter((f) => f.endsWith(".jpg")).sort().map((f) => join(dir, f));
  return { dir, files };
}

function warmupBatches(workers: number): number {
  return 1 + 2 * workers;
}

interface Measure {
  imagesPerSecond: number;
  cpuMsPerImage: number;
}

async function seercThroughput(sourceSpec: SourceSpec, augment: AugmentSpec, batchSize: number, batches: number, workers: number): Promise<Measure> {
  const source = await openSource(sourceSpec);
  // Same queue depth as torchvision's DataLoader (prefetch_factor 2 per worker); start-up and filling the
  // queue are not timed, so the queue is full at both ends of the timed window.
  const prefetch = 2 * workers;
  const stream = createBatchStream({ source, augment, batchSize, seed: 1, workers, prefetch });
  for (let b = 0; b < warmupBatches(workers); b++) await stream.next();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let images = 0;
  for (let b = 0; b < batches; b++) {
    const { value } = await stream.next();
    images += value!.size;
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  await stream.close();
  return { imagesPerSecond: images / seconds, cpuMsPerImage: (cpu.user + cpu.system) / 1000 / images };
}

async function torchvisionAvailable(): Promise<string | null> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  try {
    await execFileAsync(PYTHON, ["-c", "import torch, torchvision, PIL"]);
    return null;
  } catch (error) {
    return `${PYTHON} cannot import torch/torchvision (${(error as Error).message.split("\n").slice(-2).join(" ").trim()})`;
  }
}

async function torchvisionThroughput(filesList: string, augment: AugmentSpec, batchSize: number, batches: number, workers: number): Promise<Measure> {
  const script = new URL("./torchvision_data.py", import.meta.url).pathname;
  const { stdout } = await execFileAsync(
    PYTHON,
    [script, "--files", filesList, "--recipe", JSON.stringify(augment), "--workers", String(workers), "--batch-size", String(batchSize), "--batches", String(batches), "--warmup", String(warmupBatches(workers))],
    { maxBuffer: 1 << 20, env: { ...process.env, OMP_NUM_THREADS: "1" } },
  );
  const line = stdout.trim().split("\n").pop()!;
  const result = JSON.parse(line) as { images_per_s: number; cpu_ms_per_image: number };
  return { imagesPerSecond: result.images_per_s, cpuMsPerImage: result.cpu_ms_per_image };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { dir, files } = await ensureImages(args.images);
  const filesList = join(dir, "files.txt");
  await writeFile(filesList, files.join("\n") + "\n");
  const missingTorch = await torchvisionAvailable();
  if (missingTorch) process.stderr.write(`note: torchvision comparison skipped: ${missingTorch}\n`);
  if (!args.json) {
    console.log(`data pipeline: ${files.length} JPEGs 500x375 in ${dir}`);
    console.log("recipe               workers  seerc img/s  torchvision img/s  ratio  CPU ms/img (seerc / torchvision)");
  }
  for (const name of args.recipes) {
    const recipe = RECIPES[name];
    if (!recipe) throw new Error(`unknown recipe ${name} (known: ${Object.keys(RECIPES).join(", ")})`);
    // At least 16 timed batches (passes repeat over the files), so the timed window dwarfs the queues.
    const batches = args.batches > 0 ? args.batches : Math.max(16, Math.floor(files.length / recipe.batchSize));
    for (const workers of args.workers) {
      let seerc: Measure = { imagesPerSecond: 0, cpuMsPerImage: Infinity };
      let torchvision: Measure | null = missingTorch ? null : { imagesPerSecond: 0, cpuMsPerImage: Infinity };
      const best = (a: Measure, b: Measure): Measure => ({ imagesPerSecond: Math.max(a.imagesPerSecond, b.imagesPerSecond), cpuMsPerImage: Math.min(a.cpuMsPerImage, b.cpuMsPerImage) });
      for (let r = 0; r < args.repeat; r++) {
        seerc = best(seerc, await seercThroughput({ kind: "folder", path: dir }, recipe.augment, recipe.batchSize, batches, workers));
        if (torchvision) torchvision = best(torchvision, await torchvisionThroughput(filesList, recipe.augment, recipe.batchSize, batches, workers));
      }
      const ratio = torchvision ? seerc.imagesPerSecond / torchvision.imagesPerSecond : null;
      if (args.json) {
        console.log(
          JSON.stringify({
            recipe: name,
            workers,
            seerc_images_per_s: seerc.imagesPerSecond,
            torchvision_images_per_s: torchvision?.imagesPerSecond ?? null,
            ratio,
            seerc_cpu_ms_per_image: seerc.cpuMsPerImage,
            torchvision_cpu_ms_per_image: torchvision?.cpuMsPerImage ?? null,
          }),
        );
      } else {
        const tv = torchvision === null ? "n/a" : torchvision.imagesPerSecond.toFixed(1);
        const r = ratio === null ? "n/a" : `${ratio.toFixed(2)}x`;
        const cpu = `${seerc.cpuMsPerImage.toFixed(2)} / ${torchvision === null ? "n/a" : torchvision.cpuMsPerImage.toFixed(2)}`;
        console.log(`${recipe.label.padEnd(20)} ${String(workers).padStart(7)}  ${seerc.imagesPerSecond.toFixed(1).padStart(11)}  ${tv.padStart(17)}  ${r.padStart(5)}  ${cpu.padStart(15)}`);
      }
    }
  }
  if (args.quickstart) await printQuickstart(args.json);
}

const QUICKSTART = new URL("../experiments/quickstart.seer", import.meta.url).pathname;
const SEERC = new URL("../bin/seerc.js", import.meta.url).pathname;
const QUICKSTART_STEPS = 160;
/** Steps left out at the start: the first steps compile kernels and fill the queue. */
const QUICKSTART_SETTLE_STEPS = 30;

interface QuickstartFigures {
  workers: number;
  trainerImagesPerSecond: number;
  pipelineImagesPerSecond: number;
  dataWaitShare: number;
}

/**
 * The trainer's appetite comes from its own step events (compute time only, so the figure is what it
 * would consume if it never waited); the pipeline's supply is the same source, recipe, batch and worker
 * count read alone, as fast as it goes.
 */
async function quickstartFigures(): Promise<QuickstartFigures> {
  if (!existsSync(new URL("../dist/cli/seerc.mjs", import.meta.url))) throw new Error("dist/ is missing: run `npm run build` first");
  const runs = mkdtempSync(join(tmpdir(), "seerc-bench-quickstart-"));
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      [SEERC, "run", QUICKSTART, "--json", "--no-eval", "--steps", String(QUICKSTART_STEPS), "--runs", runs],
      { maxBuffer: 64 << 20 },
    );
    const events = stdout.trim().split("\n").map((line) => JSON.parse(line) as RunEvent);
    const start = events.find((e) => e.type === "run_start");
    const steps = events.filter((e): e is Extract<RunEvent, { type: "step" }> => e.type === "step").slice(QUICKSTART_SETTLE_STEPS);
    if (!start || start.type !== "run_start" || steps.length === 0) throw new Error("the quickstart run produced no step events");
    const computeMs = steps.reduce((sum, e) => sum + e.stepMs, 0);
    const waitMs = steps.reduce((sum, e) => sum + e.dataWaitMs, 0);
    const trainerImagesPerSecond = (start.globalBatch * steps.length * 1000) / computeMs;

    const { ir } = loadExperiment(QUICKSTART, {});
    const batches = 4 * QUICKSTART_SETTLE_STEPS;
    const pipeline = await seercThroughput(sourceSpecOf(ir.data.source), augmentSpecOf(ir.augment), ir.train.global_batch, batches, start.data.workers);
    return { workers: start.data.workers, trainerImagesPerSecond, pipelineImagesPerSecond: pipeline.imagesPerSecond, dataWaitShare: waitMs / (computeMs + waitMs) };
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
}

async function printQuickstart(json: boolean): Promise<void> {
  const q = await quickstartFigures();
  const ratio = q.pipelineImagesPerSecond / q.trainerImagesPerSecond;
  if (json) {
    console.log(
      JSON.stringify({
        recipe: "quickstart",
        workers: q.workers,
        pipeline_images_per_s: q.pipelineImagesPerSecond,
        trainer_images_per_s: q.trainerImagesPerSecond,
        ratio,
        data_wait_share: q.dataWaitShare,
      }),
    );
    return;
  }
  console.log("");
  console.log(`quickstart (synthetic 32px, 2x32 crops, batch 64, ${q.workers} worker${q.workers === 1 ? "" : "s"}; target: pipeline at least 3x what the trainer consumes)`);
  console.log(`  trainer consumes   ${q.trainerImagesPerSecond.toFixed(0).padStart(7)} img/s  (compute time of steps ${QUICKSTART_SETTLE_STEPS + 1}..${QUICKSTART_STEPS})`);
  console.log(`  pipeline delivers  ${q.pipelineImagesPerSecond.toFixed(0).padStart(7)} img/s  (alone)`);
  console.log(`  ratio              ${ratio.toFixed(2).padStart(6)}x`);
  console.log(`  data wait in run   ${(100 * q.dataWaitShare).toFixed(1).padStart(6)}%  of step time (target under 5%)`);
}

await main();
