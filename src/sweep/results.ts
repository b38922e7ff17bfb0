import { join } from "node:path";
import { compareMetric } from "./metric.js";
import { writeFileAtomically, type SweepState, type TrialState } from "./state.js";

/**
 * The sweep's results beside its state: results.csv (one row per trial, in trial order, for
 * spreadsheets), results.json (the same rows ranked by the metric) and summary.txt (the ranked table
 * the command prints at the end).
 */

export interface ResultRow {
  rank: number | null;
  trial: number;
  values: Record<string, string>;
  status: TrialState["status"];
  metric: number | null;
  final_loss: number | null;
  steps: number | null;
  hash: string;
  duplicate_of: number | null;
  run_dir: string | null;
}

/** The number a trial is ranked by: its metric (its final loss when the sweep names none), once completed. */
function rankValue(state: SweepState, t: TrialState): number | null {
  if (t.status !== "completed") return null;
  return state.metric ? t.metric : t.final_loss;
}

/** Completed trials best first by the metric (by final loss, lowest first, when the sweep names none); the rest after them, in trial order. */
export function rankedTrials(state: SweepState): TrialState[] {
  const value = (t: TrialState) => rankValue(state, t);
  const order = compareMetric(state.metric?.goal ?? "minimize");
  return [...state.trials].sort((a, b) => order(value(a), value(b)) || a.index - b.index);
}

export function resultRows(state: SweepState): ResultRow[] {
  let rank = 0;
  return rankedTrials(state).map((t) => ({
    rank: rankValue(state, t) !== null && t.duplicate_of === null ? ++rank : null,
    trial: t.index,
    values: t.values,
    status: t.status,
    metric: t.metric,
    final_loss: t.final_loss,
    steps: t.steps,
    hash: t.hash,
    duplicate_of: t.duplicate_of,
    run_dir: t.run_dir,
  }));
}

function csvCell(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function resultsCsv(state: SweepState): string {
  // A metric that is one of the standard columns is not repeated.
  const metricColumn = state.metric && state.metric.path !== "final_loss" && state.metric.path !== "steps" ? [state.metric.path] : [];
  const header = ["trial", ...state.axes, "status", ...metricColumn, "final_loss", "steps", "ir_hash", "duplicate_of", "run_dir"];
  const lines = [header.map(csvCell).join(",")];
  for (const t of state.trials) {
    const metric = metricColumn.length ? [t.metric] : [];
    lines.push([t.index, ...state.axes.map((a) => t.values[a] ?? ""), t.status, ...metric, t.final_loss, t.steps, t.hash, t.duplicate_of, t.run_dir].map(csvCell).join(","));
  }
  return lines.join("\n") + "\n";
}

function number(value: number | null): string {
  if (value === null) return "-";
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** The ranked table: rank, trial, the axes' values, status, metric, final loss, steps. */
export function summaryTable(state: SweepState): string {
  const metricTitle = state.metric && state.metric.path !== "final_loss" ? `${state.metric.path} (${state.metric.goal})` : null;
  const lossTitle = state.metric?.path === "final_loss" ? `final loss (${state.metric.goal})` : "final loss";
  const header = ["rank", "trial", ...state.axes, "status", ...(metricTitle ? [metricTitle] : []), lossTitle, "steps"];
  const rows = resultRows(state).map((r) => [
    r.rank === null ? "" : String(r.rank),
    String(r.trial),
    ...state.axes.map((a) => r.values[a] ?? ""),
    r.duplicate_of === null ? r.status : `= trial ${r.duplicate_of}`,
    ...(metricTitle ? [number(r.metric)] : []),
    number(r.final_loss),
    r.steps === null ? "-" : String(r.steps),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const numeric = (c: number) => c < 2 || c >= 2 + state.axes.length + 1;
  return all.map((row) => row.map((cell, c) => (numeric(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd()).join("\n");
}

export function writeResults(dir: string, state: SweepState): void {
  writeFileAtomically(join(dir, "results.csv"), resultsCsv(state));
  const json = { sweep: state.sweep, hash: state.hash, metric: state.metric, status: state.status, trials: resultRows(state) };
  writeFileAtomically(join(dir, "results.json"), JSON.stringify(json, null, 2) + "\n");
  writeFileAtomically(join(dir, "summary.txt"), `sweep ${state.sweep} (${state.base}), ${state.trials.length} trials\n${summaryTable(state)}\n`);
}
