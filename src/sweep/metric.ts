import type { EvaluationIR, ExperimentIR } from "../compile/ir.js";

/**
 * What a sweep's `metric = PATH maximize|minimize` may name, and how it is read back from a finished
 * run's summary.json: `final_loss`, `steps` and `wall_seconds` are the run's own numbers;
 * `evaluate.<name>.<metric>` is `evaluations.<name>.<metric>` of the summary, filed by the runtime under
 * the evaluation's name (its kind, numbered `-2`, `-3` when several share it).
 */

export const RUN_METRICS = ["final_loss", "steps", "wall_seconds"] as const;

/**
 * The numbers each evaluation protocol reports (src/runtime/eval/protocols.ts writes them into its
 * `eval_result` event). Kept here as plain data because the checker must not load the runtime.
 */
const PROTOCOL_METRICS: Record<"knn" | "linear" | "finetune", readonly string[]> = {
  knn: ["top1", "top5", "k", "temperature", "train_images", "test_images"],
  linear: ["top1", "top5", "train_top1", "train_loss", "epochs", "steps", "train_images", "test_images"],
  finetune: ["top1", "top5", "train_loss", "epochs", "steps", "train_images", "test_images"],
};

function evaluationMetrics(e: EvaluationIR): string[] {
  const protocol = e.kind === "lowshot" ? (e.protocol ?? "linear") : e.kind;
  const names = [...PROTOCOL_METRICS[protocol]];
  if (e.kind === "lowshot") names.push("fraction");
  if (e.stage !== null) names.push("stage");
  return names;
}

/** The names results are filed under: each evaluation's name, with `-2`, `-3`… when several share one. */
export function evaluationKeys(evaluations: readonly EvaluationIR[]): string[] {
  const totals = new Map<string, number>();
  for (const e of evaluations) totals.set(e.name, (totals.get(e.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  return evaluations.map((e) => {
    const n = (seen.get(e.name) ?? 0) + 1;
    seen.set(e.name, n);
    return totals.get(e.name)! > 1 && n > 1 ? `${e.name}-${n}` : e.name;
  });
}

/** Every metric path a run of this experiment produces. */
export function metricPaths(ir: Pick<ExperimentIR, "evaluate">): string[] {
  const paths: string[] = [...RUN_METRICS];
  const keys = evaluationKeys(ir.evaluate);
  ir.evaluate.forEach((e, i) => {
    for (const m of evaluationMetrics(e)) paths.push(`evaluate.${keys[i]}.${m}`);
  });
  return paths;
}

/** The shape of summary.json this module reads (src/cli/run-dir.ts writes it). */
export interface SummaryNumbers {
  final_loss?: number | null;
  steps?: number | null;
  wall_seconds?: number | null;
  evaluations?: Record<string, Record<string, number>>;
}

/** The metric's value in a run's summary, or null when the run did not produce it. */
export function readMetric(summary: SummaryNumbers | null, path: string): number | null {
  if (!summary) return null;
  let value: unknown;
  if (path.startsWith("evaluate.")) {
    const rest = path.slice("evaluate.".length);
    const dot = rest.lastIndexOf(".");
    if (dot <= 0) return null;
    value = summary.evaluations?.[rest.slice(0, dot)]?.[rest.slice(dot + 1)];
  } else if ((RUN_METRICS as readonly string[]).includes(path)) {
    value = summary[path as (typeof RUN_METRICS)[number]];
  }
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Orders values best first for the goal; trials without a value go last, in index order. */
export function compareMetric(goal: "maximize" | "minimize"): (a: number | null, b: number | null) => number {
  return (a, b) => {
    if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
    return goal === "maximize" ? b - a : a - b;
  };
}
