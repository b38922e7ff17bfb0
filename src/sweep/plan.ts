import { createHash } from "node:crypto";
import type { ExperimentIR } from "../compile/ir.js";
import type { SweepResult, SweepSettings } from "./check.js";
import { describeAssignment, type TrialAssignment } from "./expand.js";

/**
 * A checked sweep reduced to what running, resuming and emitting need: each trial's assignment, IR and
 * hash, which trials repeat an earlier one, and the sweep's identity (the hash of its trial hashes,
 * which names its directory so that the same sweep always lands in the same place).
 */
export interface PlannedTrial {
  index: number;
  assignment: TrialAssignment[];
  /** `seed=1, loss.temperature=0.1` */
  assignmentText: string;
  /** Swept path → value as written, one entry per axis. */
  values: Record<string, string>;
  /** Null when the trial does not check. */
  ir: ExperimentIR | null;
  hash: string | null;
  duplicateOf: number | null;
}

export interface SweepPlan {
  name: string;
  base: string;
  settings: SweepSettings;
  axes: string[];
  trials: PlannedTrial[];
  /** The trials that run: valid, and the first of their IR hash. */
  unique: PlannedTrial[];
  /** Null while some trial does not check. */
  hash: string | null;
  /** `<name>-<hash8>`, the sweep directory's name. */
  dirName: string | null;
}

/** sha256 over the trials' IR hashes in trial order: adding, removing or changing a trial changes it. */
export function sweepHash(trialHashes: readonly string[]): string {
  return createHash("sha256").update(trialHashes.join("\n")).digest("hex");
}

export function planSweep(result: SweepResult): SweepPlan | null {
  if (!result.settings) return null;
  const trials: PlannedTrial[] = result.trials.map(({ trial, result: checked, duplicateOf }) => ({
    index: trial.index,
    assignment: trial.assignment,
    assignmentText: describeAssignment(trial.assignment),
    values: Object.fromEntries(trial.assignment.map((a) => [a.pathText, a.text])),
    ir: checked.ir,
    hash: checked.ir?.hash ?? null,
    duplicateOf,
  }));
  const allValid = trials.length > 0 && trials.every((t) => t.hash !== null);
  const hash = allValid ? sweepHash(trials.map((t) => t.hash!)) : null;
  return {
    name: result.name,
    base: result.base,
    settings: result.settings,
    axes: result.axes.map((a) => a.pathText),
    trials,
    unique: trials.filter((t) => t.ir !== null && t.duplicateOf === null),
    hash,
    dirName: hash ? `${result.name}-${hash.slice(0, 8)}` : null,
  };
}

/** Estimated seconds of one trial from the cost model; `steps` (a `--steps` cap) shortens the run. Null when the length is known only at run time. */
export function estimatedSeconds(ir: ExperimentIR, steps?: number): number | null {
  const perStep = ir.cost.step_seconds;
  if (steps !== undefined && perStep !== null) {
    const total = ir.train.total_steps;
    return perStep * (total === null ? steps : Math.min(steps, total));
  }
  return ir.cost.total_seconds;
}

/** Zero-padded trial numbers, wide enough for the largest index (at least 3 digits): trial file and log names sort in order. */
export function trialLabel(index: number, count: number): string {
  return String(index).padStart(Math.max(3, String(Math.max(0, count - 1)).length), "0");
}
