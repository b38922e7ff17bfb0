// A model with the weights of a checkpoint: a checkpoint folder (`…/checkpoints/step-00000040`) or a
// run folder (its newest checkpoint that reads completely). The architecture comes from an IR; weights
// of another architecture are a SEER7008 error naming the tensors that differ, never a stack trace.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ExperimentIR } from "../../compile/ir.js";
import { createSwavModel, ModelSpecError, type SwavModel } from "../model/index.js";
import { CheckpointError, latestGoodCheckpoint, readCheckpoint, type CheckpointContents } from "../train/checkpoint.js";
import { loadWeights, TrainingError } from "../train/trainer.js";
import { modelSpecOf } from "../train/specs.js";
import { EvaluationError } from "./errors.js";

export interface FoundCheckpoint {
  /** The checkpoint folder. */
  dir: string;
  contents: CheckpointContents;
  /** Newer checkpoints of a run folder that could not be read, with why. */
  skipped: Array<{ dir: string; reason: string }>;
}

/** Whether `path` is a checkpoint folder (it has state.json and model.safetensors). */
export function isCheckpointDir(path: string): boolean {
  return existsSync(join(path, "state.json")) && existsSync(join(path, "model.safetensors"));
}

/** The checkpoint at `path`, or a run folder's newest good one. */
export function findCheckpoint(path: string): FoundCheckpoint {
  const dir = resolve(path);
  if (!existsSync(dir)) throw new EvaluationError("SEER7004", `${path} does not exist`);
  if (isCheckpointDir(dir)) {
    try {
      return { dir, contents: readCheckpoint(dir), skipped: [] };
    } catch (e) {
      if (e instanceof CheckpointError) throw new EvaluationError("SEER7004", e.message);
      throw e;
    }
  }
  if (!existsSync(join(dir, "checkpoints"))) {
    throw new EvaluationError("SEER7004", `${path} is neither a checkpoint folder (state.json, model.safetensors) nor a run folder (checkpoints/)`);
  }
  const latest = latestGoodCheckpoint(dir);
  if (!latest) throw new EvaluationError("SEER7004", `${path} has no readable checkpoint in checkpoints/`);
  return latest;
}

/** The folder whose ir.json describes the checkpoint's experiment (the checkpoint's own, else the run's). */
export function irPathFor(path: string, checkpointDir: string): string {
  const own = join(checkpointDir, "ir.json");
  return existsSync(own) ? own : join(resolve(path), "ir.json");
}

/** Builds the IR's model and loads the checkpoint's weights into it. */
export function modelFromCheckpoint(ir: ExperimentIR, found: FoundCheckpoint): SwavModel {
  let model: SwavModel;
  try {
    model = createSwavModel(modelSpecOf(ir));
  } catch (e) {
    if (e instanceof ModelSpecError) throw new EvaluationError("SEER7008", `experiment \`${ir.name}\` describes a model that cannot be built: ${e.message}`);
    throw e;
  }
  try {
    loadWeights(model, found.contents.model, found.dir);
  } catch (e) {
    model.dispose();
    if (e instanceof TrainingError) {
      throw new EvaluationError(e.code, `${e.message}. The checkpoint was written by experiment \`${found.contents.state.experiment}\` (IR ${found.contents.state.ir_hash.slice(0, 12)}); \`${ir.name}\` (IR ${ir.hash.slice(0, 12)}) builds another model.`);
    }
    throw e;
  }
  return model;
}
