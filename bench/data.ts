// Data-pipeline throughput: seerc's worker pool against torchvision transforms + DataLoader, on the same
// generated JPEGs, the same recipe and the same number of workers.
//   node --import tsx bench/data.ts [--json] [--images N] [--batches K] [--workers 1,2] [--recipes seer,cpu] [--repeat R]
// Each side runs R times, alternating (default 2), and its best run counts: on a shared machine the best
// run is the one least disturbed by other load.
// With --json: one JSON object a line per (recipe, workers):
//   { recipe, workers, seerc_images_per_s, torchvision_images_per_s, ratio }
// (torchvision figures are null, with a note on stderr, when /usr/bin/python3 cannot import torch + torchvision).

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { createBatchStream, CPU_AUGMENT, openSource, SEER_AUGMENT, type AugmentSpec } from "../src/runtime/data/index.js";
import { renderSyntheticImage } from "../src/runtime/data/synthetic.js";

const execFileAsync = promisify(execFile);
const PYTHON = "/usr/bin/python3";

interface Args {
  json: boolean;
  images: number;
  batches: number;
  workers: number[];
  recipes: string[];
  repeat: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, images: 320, batches: 0, workers: [1, 2], recipes: ["seer", "cpu"], repeat: 2 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? "";
    if (flag === "--json") args.json = true;
    else if (flag === "--images") args.images = Number(value());
    else if (flag === "--batches") args.batches = Number(value());
    else if (flag === "--workers") args.workers = value().split(",").map(Number);
    else if (flag === "--recipes") args.recipes = value().split(",");
    else if (flag === "--repeat") args.repeat = Math.max(1, Number(value()));
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

async function seercThroughput(dir: string, augment: AugmentSpec, batchSize: number, batches: number, workers: number): Promise<number> {
  const source = await openSource({ kind: "folder", path: dir });
  const stream = createBatchStream({ source, augment, batchSize, seed: 1, workers, prefetch: 2 });
  await stream.next(); // worker start-up, not timed (as on the torchvision side)
  const started = performance.now();
  let images = 0;
  for (let b = 0; b < batches; b++) {
    const { value } = await stream.next();
    images += value!.size;
  }
  const seconds = (performance.now() - started) / 1000;
  await stream.close();
  return images / seconds;
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

async function torchvisionThroughput(filesList: string, augment: AugmentSpec, batchSize: number, batches: number, workers: number): Promise<number> {
  const script = new URL("./torchvision_data.py", import.meta.url).pathname;
  const { stdout } = await execFileAsync(
    PYTHON,
    [script, "--files", filesList, "--recipe", JSON.stringify(augment), "--workers", String(workers), "--batch-size", String(batchSize), "--batches", String(batches)],
    { maxBuffer: 1 << 20, env: { ...process.env, OMP_NUM_THREADS: "1" } },
  );
  const line = stdout.trim().split("\n").pop()!;
  return (JSON.parse(line) as { images_per_s: number }).images_per_s;
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
    console.log("recipe               workers  seerc img/s  torchvision img/s  ratio");
  }
  for (const name of args.recipes) {
    const recipe = RECIPES[name];
    if (!recipe) throw new Error(`unknown recipe ${name} (known: ${Object.keys(RECIPES).join(", ")})`);
    // Roughly one pass over the files after the untimed first batch.
    const batches = args.batches > 0 ? args.batches : Math.max(2, Math.floor(files.length / recipe.batchSize) - 1);
    for (const workers of args.workers) {
      let seerc = 0;
      let torchvision: number | null = missingTorch ? null : 0;
      for (let r = 0; r < args.repeat; r++) {
        seerc = Math.max(seerc, await seercThroughput(dir, recipe.augment, recipe.batchSize, batches, workers));
        if (torchvision !== null) torchvision = Math.max(torchvision, await torchvisionThroughput(filesList, recipe.augment, recipe.batchSize, batches, workers));
      }
      const ratio = torchvision ? seerc / torchvision : null;
      if (args.json) {
        console.log(JSON.stringify({ recipe: name, workers, seerc_images_per_s: seerc, torchvision_images_per_s: torchvision, ratio }));
      } else {
        const tv = torchvision === null ? "n/a" : torchvision.toFixed(1);
        const r = ratio === null ? "n/a" : `${ratio.toFixed(2)}x`;
        console.log(`${recipe.label.padEnd(20)} ${String(workers).padStart(7)}  ${seerc.toFixed(1).padStart(11)}  ${tv.padStart(17)}  ${r.padStart(5)}`);
      }
    }
  }
}

await main();
