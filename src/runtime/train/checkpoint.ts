import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ExperimentIR } from "../../compile/ir.js";
import { canonicalJson, canonicalPretty } from "../../compile/hash.js";
import { decodeSafetensors, encodeSafetensors, readSafetensors, SafetensorsError, writeFileDurably, type NamedTensor } from "./safetensors.js";

/**
 * A checkpoint is a folder `checkpoints/step-00000040/` holding
 *   model.safetensors      every model variable (trunk, head, prototypes, BatchNorm running statistics)
 *   optimizer.safetensors  the optimiser's slots (momentum, Adam moments), its step count in the metadata
 *   queue.safetensors      the SwAV embedding queue, when the loss has one
 *   state.json             step, IR hash, data cursor, loss
 *   ir.json                the experiment, so a checkpoint is usable on its own
 * It is written into a temporary folder and renamed into place, so a kill leaves either the whole
 * checkpoint or none; `state.json` is written last and marks it complete.
 */

export const CHECKPOINT_FORMAT = 1;

export interface CheckpointState {
  format: number;
  step: number;
  ir_hash: string;
  experiment: string;
  data_cursor: { seed: number; batchSize: number; nextStep: number; samplesConsumed: number };
  loss: number | null;
  created: string;
  optimizer_kind: string;
  optimizer_steps: number;
  queue_filled: number | null;
}

export interface CheckpointContents {
  state: CheckpointState;
  model: Map<string, NamedTensor>;
  optimizer: Map<string, NamedTensor>;
  queue: Map<string, NamedTensor> | null;
}

export class CheckpointError extends Error {}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, "0")}`;
}

export function writeCheckpoint(runDir: string, ir: ExperimentIR, contents: CheckpointContents, keep: number): string {
  const root = join(runDir, "checkpoints");
  mkdirSync(root, { recursive: true });
  const name = checkpointName(contents.state.step);
  const final = join(root, name);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeFileDurably(join(tmp, "model.safetensors"), encodeSafetensors(contents.model, { format: "seerc", ir_hash: ir.hash }));
  writeFileDurably(join(tmp, "optimizer.safetensors"), encodeSafetensors(contents.optimizer, { kind: contents.state.optimizer_kind, steps: String(contents.state.optimizer_steps) }));
  if (contents.queue) writeFileDurably(join(tmp, "queue.safetensors"), encodeSafetensors(contents.queue));
  writeFileDurably(join(tmp, "ir.json"), canonicalPretty(ir));
  writeFileDurably(join(tmp, "state.json"), JSON.stringify(contents.state, null, 2) + "\n");
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  pruneCheckpoints(root, keep);
  return final;
}

function pruneCheckpoints(root: string, keep: number): void {
  const all = listCheckpointDirs(root);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(root, old), { recursive: true, force: true });
  for (const name of readdirSync(root)) if (name.startsWith(".step-") && !name.endsWith(`-${process.pid}`)) rmSync(join(root, name), { recursive: true, force: true });
}

/** Completed checkpoint folders, oldest first. */
export function listCheckpointDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => /^step-\d{8}$/.test(n))
    .sort();
}

export function readCheckpoint(dir: string): CheckpointContents {
  const statePath = join(dir, "state.json");
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(statePath, "utf8"));
  } catch (e) {
    throw new CheckpointError(`${statePath} is missing or damaged: ${(e as Error).message}`);
  }
  if (state.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${dir} was written in checkpoint format ${state.format}; this seerc reads format ${CHECKPOINT_FORMAT}`);
  try {
    const model = readSafetensors(join(dir, "model.safetensors")).tensors;
    const optimizer = readSafetensors(join(dir, "optimizer.safetensors")).tensors;
    const queuePath = join(dir, "queue.safetensors");
    const queue = existsSync(queuePath) ? decodeSafetensors(readFileSync(queuePath), queuePath).tensors : null;
    return { state, model, optimizer, queue };
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(e.message);
    throw e;
  }
}

export interface LatestCheckpoint {
  dir: string;
  contents: CheckpointContents;
  /** Newer checkpoints that could not be read, with why (a truncated write, say). */
  skipped: Array<{ dir: string; reason: string }>;
}

/** The newest checkpoint that reads completely; damaged newer ones are reported, never silently used. */
export function latestGoodCheckpoint(runDir: string): LatestCheckpoint | null {
  const root = join(runDir, "checkpoints");
  const skipped: Array<{ dir: string; reason: string }> = [];
  for (const name of listCheckpointDirs(root).reverse()) {
    const dir = join(root, name);
    try {
      return { dir, contents: readCheckpoint(dir), skipped };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      skipped.push({ dir, reason: e.message });
    }
  }
  return null;
}

/** Dotted paths where two IRs differ, for "this run was made with a different experiment" messages. */
export function diffIR(a: unknown, b: unknown, path = ""): string[] {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) return [];
  const bothObjects = a && b && typeof a === "object" && typeof b === "object";
  if (bothObjects && Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((item, i) => diffIR(item, b[i], `${path}[${i}]`));
  }
  if (bothObjects && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== "hash" && k !== "sources");
    return keys.flatMap((k) => diffIR((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  const show = (v: unknown) => {
    const s = v === undefined ? "(absent)" : canonicalJson(v);
    return s.length > 60 ? s.slice(0, 60) + "…" : s;
  };
  return [`${path || "(root)"}: ${show(a)} → ${show(b)}`];
}
