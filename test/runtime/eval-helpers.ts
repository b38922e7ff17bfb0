// Shared fixtures of the evaluation and interop tests: a tiny experiment compiled from .seer text,
// checkpoints written from a model, models with non-trivial BatchNorm state, captured CLI output.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import type { ExperimentIR } from "../../src/compile/ir.js";
import { loadExperiment } from "../../src/cli/load.js";
import type { SwavModel } from "../../src/runtime/model/index.js";
import { writeCheckpoint } from "../../src/runtime/train/checkpoint.js";
import type { NamedTensor } from "../../src/runtime/train/safetensors.js";

/** A two-stage RegNetY (grouped 3x3 convs, SE, projections) small enough for unit tests. */
export function tinySeer(options: { name?: string; widths?: [number, number]; evaluate?: string } = {}): string {
  const [w1, w2] = options.widths ?? [16, 32];
  return `experiment ${options.name ?? "tiny"} {
  seed = 3
  data {
    source = synthetic()
    images = 128
    classes = 10
    image_size = 32px
  }
  trunk = anynet { depths = [1, 2], widths = [${w1}, ${w2}], group_widths = [8, 8], stem_width = 8, zero_init_final_bn = false }
  augment = multicrop {
    crop 2 x 32px scale 0.3 .. 1.0
  }
  head = mlp [trunk.width, 16, 8]
  loss = swav { prototypes = 10 }
  optimizer = sgd { momentum = 0.9 }
  schedule = constant 0.1
  train { batch = 8, steps = 2 }
${options.evaluate ?? "  evaluate knn { data = synthetic(), k = 5, image_size = 32px }"}
}
`;
}

export function tempDir(prefix = "seerc-eval-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Checks and compiles .seer text (written to `dir`) to its IR. */
export function compileSeer(text: string, dir: string, file = "experiment.seer"): ExperimentIR {
  const path = join(dir, file);
  writeFileSync(path, text);
  return loadExperiment(path, {}).ir;
}

export function modelTensors(model: SwavModel): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, v] of model.variables) out.set(name, { dtype: "F32", shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) });
  return out;
}

/** Writes `model` as a run folder's checkpoint at `step` (with ir.json beside it); returns the checkpoint folder. */
export function writeModelCheckpoint(runDir: string, ir: ExperimentIR, model: SwavModel, step: number): string {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, "ir.json"), JSON.stringify(ir));
  return writeCheckpoint(
    runDir,
    ir,
    {
      state: { format: 1, step, ir_hash: ir.hash, experiment: ir.name, data_cursor: { seed: 0, batchSize: 8, nextStep: step, samplesConsumed: 8 * step }, loss: 1, created: new Date(0).toISOString(), optimizer_kind: "sgd", optimizer_steps: step, queue_filled: null },
      model: modelTensors(model),
      optimizer: new Map(),
      queue: null,
    },
    3,
  );
}

/** Deterministic uniform numbers in [0, 1) (an LCG independent of the code under test). */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/**
 * Gives every BatchNorm a non-trivial state (gamma, beta, running mean and variance drawn from an LCG),
 * so that eval-mode outputs depend on every stored tensor and a layout mistake cannot hide.
 */
export function randomizeBatchNorms(model: SwavModel, seed: number): void {
  const random = lcg(seed);
  for (const [name, v] of model.variables) {
    const role = model.roleOf(name);
    const draw = (low: number, high: number) => Float32Array.from({ length: v.size }, () => low + (high - low) * random());
    if (role === "bn_weight") v.assign(tf.tensor(draw(0.5, 1.5), v.shape));
    else if (role === "bn_bias") v.assign(tf.tensor(draw(-0.2, 0.2), v.shape));
    else if (role === "bn_running_mean") v.assign(tf.tensor(draw(-0.1, 0.1), v.shape));
    else if (role === "bn_running_var") v.assign(tf.tensor(draw(0.5, 2), v.shape));
  }
}

export interface CliResult {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs seerc commands (the eval/embed/export commands included) one after another in a child process
 * and returns each one's exit code and output. A child, because capturing stdout inside a test file
 * would also swallow the test runner's own report.
 */
export function runCli(commands: string[][]): CliResult[] {
  const driver = fileURLToPath(new URL("./eval-cli-driver.ts", import.meta.url));
  const child = spawnSync(process.execPath, ["--import", "tsx", driver, JSON.stringify(commands)], { encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: "1" } });
  const last = child.stdout.trimEnd().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as CliResult[];
  } catch {
    throw new Error(`the CLI driver failed (exit ${child.status}):\n${child.stdout}\n${child.stderr}`);
  }
}
