import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import type { SweepPlan } from "./plan.js";
import { trialLabel } from "./plan.js";
import { readMetric, type SummaryNumbers } from "./metric.js";

/**
 * state.json of a sweep directory: one entry per trial, keyed by IR hash, rewritten atomically on every
 * change so a sweep killed at any moment can be resumed. Paths inside the sweep directory are stored
 * relative to it (the directory can be moved); a run reused from another sweep keeps its absolute path.
 */
export type TrialStatus = "pending" | "running" | "completed" | "failed" | "stopped";

export interface TrialState {
  index: number;
  assignment: string;
  values: Record<string, string>;
  hash: string;
  /** The trial's IR, relative to the sweep directory. */
  ir_file: string;
  log_file: string;
  duplicate_of: number | null;
  status: TrialStatus;
  run_dir: string | null;
  exit_code: number | null;
  signal: string | null;
  metric: number | null;
  final_loss: number | null;
  steps: number | null;
  total_steps: number | null;
  attempts: number;
  /** The child process while the trial runs: a resume refuses to start a second copy of a live run. */
  pid: number | null;
  started: string | null;
  ended: string | null;
  error: string | null;
}

export interface SweepState {
  version: 1;
  sweep: string;
  base: string;
  /** The .seer file, as given on the command line. */
  file: string;
  hash: string;
  status: "running" | "completed" | "failed" | "stopped";
  /** The sweep process while it runs, and its machine. */
  pid: number | null;
  host: string | null;
  created: string;
  updated: string;
  metric: { path: string; goal: "maximize" | "minimize" } | null;
  axes: string[];
  /** Options of the first invocation; a resume keeps them unless given again. */
  options: { backend: string; steps: number | null; parallel: number; fail_fast: boolean };
  trials: TrialState[];
}

export const STATE_FILE = "state.json";

/** Write to a temporary file in the same folder, then rename: readers see the old or the new file, never half of one. */
export function writeFileAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function newSweepState(plan: SweepPlan, file: string, options: SweepState["options"], now = new Date()): SweepState {
  if (!plan.hash) throw new Error("internal: a sweep with invalid trials has no state");
  const count = plan.trials.length;
  return {
    version: 1,
    sweep: plan.name,
    base: plan.base,
    file,
    hash: plan.hash,
    status: "running",
    pid: process.pid,
    host: hostname(),
    created: now.toISOString(),
    updated: now.toISOString(),
    metric: plan.settings.metric,
    axes: plan.axes,
    options,
    trials: plan.trials.map((t) => ({
      index: t.index,
      assignment: t.assignmentText,
      values: t.values,
      hash: t.hash!,
      ir_file: join("trials", `${trialLabel(t.index, count)}.ir.json`),
      log_file: join("logs", `${trialLabel(t.index, count)}.log`),
      duplicate_of: t.duplicateOf,
      status: "pending",
      run_dir: null,
      exit_code: null,
      signal: null,
      metric: null,
      final_loss: null,
      steps: null,
      total_steps: null,
      attempts: 0,
      pid: null,
      started: null,
      ended: null,
      error: null,
    })),
  };
}

export function readState(dir: string): SweepState | null {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return null;
  const value = JSON.parse(readFileSync(path, "utf8")) as SweepState;
  if (value.version !== 1 || !Array.isArray(value.trials)) throw new Error(`${path} is not a seerc sweep state (version ${String(value.version)})`);
  return value;
}

export function writeState(dir: string, state: SweepState): void {
  state.updated = new Date().toISOString();
  writeFileAtomically(join(dir, STATE_FILE), JSON.stringify(state, null, 2) + "\n");
}

/** A path as stored: relative when inside the sweep directory. */
export function storedPath(dir: string, path: string): string {
  const rel = relative(dir, path);
  return rel.startsWith("..") || isAbsolute(rel) ? resolve(path) : rel;
}

export function absolutePath(dir: string, stored: string): string {
  return isAbsolute(stored) ? stored : resolve(dir, stored);
}

/** The fields of a run's summary.json the sweep reads. */
export interface RunSummaryFields extends SummaryNumbers {
  status?: "running" | "completed" | "stopped" | "failed";
  total_steps?: number | null;
  error?: string | null;
  pid?: number | null;
  host?: string | null;
}

export function readRunSummary(runDir: string): RunSummaryFields | null {
  try {
    return JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as RunSummaryFields;
  } catch {
    return null;
  }
}

/** Whether a run directory holds a checkpoint to resume from (`seerc run --resume` needs one). */
export function hasCheckpoint(runDir: string): boolean {
  try {
    return readdirSync(join(runDir, "checkpoints")).some((name) => !name.startsWith("."));
  } catch {
    return false;
  }
}

export function processAlive(pid: number | null | undefined): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Copies a run's numbers into the trial's entry. */
export function fillFromSummary(trial: TrialState, summary: RunSummaryFields | null, metricPath: string | null): void {
  if (!summary) return;
  trial.final_loss = summary.final_loss ?? trial.final_loss;
  trial.steps = summary.steps ?? trial.steps;
  trial.total_steps = summary.total_steps ?? trial.total_steps;
  // A stopped run's numbers are progress, not results: only a completed run has a metric.
  trial.metric = metricPath && summary.status === "completed" ? readMetric(summary, metricPath) : null;
}

/** Duplicates show their original's outcome (they share its run). */
export function syncDuplicates(state: SweepState): void {
  const byIndex = new Map(state.trials.map((t) => [t.index, t]));
  for (const t of state.trials) {
    if (t.duplicate_of === null) continue;
    const original = byIndex.get(t.duplicate_of);
    if (!original) continue;
    const { status, run_dir, exit_code, signal, metric, final_loss, steps, total_steps, started, ended, error } = original;
    Object.assign(t, { status, run_dir, exit_code, signal, metric, final_loss, steps, total_steps, started, ended, error, pid: null });
  }
}

export interface ResumeCheck {
  /** Trials whose run process is still alive (the sweep was killed, its children were not). */
  live: Array<{ index: number; pid: number; runDir: string | null }>;
}

/**
 * Brings a state read from disk up to date before resuming: a trial left `running` by a killed sweep
 * becomes completed (its run finished on its own) or stopped; a completed trial whose run directory is
 * gone runs again. Live leftover runs are reported, not touched.
 */
export function settleForResume(dir: string, state: SweepState): ResumeCheck {
  const live: ResumeCheck["live"] = [];
  const host = hostname();
  for (const t of state.trials) {
    if (t.duplicate_of !== null) continue;
    const runDir = t.run_dir ? absolutePath(dir, t.run_dir) : null;
    const summary = runDir ? readRunSummary(runDir) : null;
    if (t.status === "running") {
      const pid = t.pid ?? (summary?.host === host ? summary?.pid : null) ?? null;
      if (summary?.status === "completed") {
        t.status = "completed";
        fillFromSummary(t, summary, state.metric?.path ?? null);
      } else if (processAlive(pid)) {
        live.push({ index: t.index, pid: pid!, runDir });
        continue;
      } else {
        t.status = "stopped";
        t.error = t.error ?? "the sweep ended while this trial ran";
      }
      t.pid = null;
    }
    if (t.status === "completed" && (!runDir || summary?.status !== "completed")) {
      t.status = "pending";
      t.run_dir = null;
    }
  }
  syncDuplicates(state);
  return { live };
}

/**
 * Completed runs of earlier versions of a sweep (other `<name>-*` directories under the same root),
 * by IR hash: a resumed sweep whose file was edited reuses the trials that did not change.
 */
export function completedRunsElsewhere(root: string, name: string, except: string): Map<string, { runDir: string; from: string }> {
  const found = new Map<string, { runDir: string; from: string }>();
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return found;
  }
  for (const entry of entries.sort()) {
    const dir = join(root, entry);
    if (!entry.startsWith(`${name}-`) || resolve(dir) === resolve(except)) continue;
    let state: SweepState | null;
    try {
      state = readState(dir);
    } catch {
      continue;
    }
    if (!state || state.sweep !== name) continue;
    for (const t of state.trials) {
      if (t.status !== "completed" || !t.run_dir || found.has(t.hash)) continue;
      const runDir = absolutePath(dir, t.run_dir);
      if (readRunSummary(runDir)?.status === "completed") found.set(t.hash, { runDir, from: dir });
    }
  }
  return found;
}

export function countByStatus(state: SweepState): Record<TrialStatus, number> {
  const counts: Record<TrialStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, stopped: 0 };
  for (const t of state.trials) counts[t.status]++;
  return counts;
}
