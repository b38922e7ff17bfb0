import type * as A from "../language/ast.js";
import type { Diagnostic, Span } from "../diagnostics/types.js";
import { diagnostic } from "../diagnostics/make.js";
import { didYouMean, suggestNames } from "../diagnostics/did-you-mean.js";
import type { Program } from "../language/loader.js";
import { checkExperiment, type CheckOptions, type ExperimentResult } from "../check/check.js";
import { visibleDefinitions } from "../check/binder.js";
import { CheckContext } from "../check/context.js";
import { OVERRIDE_LAYER, walkBlock, entriesOf } from "../check/walker.js";
import { describeAssignment, expandGrid, expandRandom, readAxis, type Axis, type Trial } from "./expand.js";
import { dirname } from "node:path";
import { metricPaths } from "./metric.js";

export interface SweepSettings {
  strategy: { kind: "grid" } | { kind: "random"; trials: number };
  parallel: number;
  fail_fast: boolean;
  metric: { path: string; goal: "maximize" | "minimize" } | null;
  seed: number;
}

export interface CheckedTrial {
  trial: Trial;
  result: ExperimentResult;
  /** Index of an earlier trial with the same IR hash, whose run this one reuses. */
  duplicateOf: number | null;
}

export interface SweepResult {
  name: string;
  base: string;
  settings: SweepSettings | null;
  axes: Axis[];
  trials: CheckedTrial[];
  diagnostics: Diagnostic[];
}

const within = (inner: { file: string; start: number; end: number }, outer: { file: string; start: number; end: number }) =>
  inner.file === outer.file && inner.start >= outer.start && inner.end <= outer.end;

/** Expands a sweep and checks every trial exactly like a hand-written experiment; problems are reported at the sweep line that produced them. */
export function checkSweep(program: Program, file: string, decl: A.SweepDecl, options: CheckOptions = {}): SweepResult {
  const diagnostics: Diagnostic[] = [];
  const defs = visibleDefinitions(program, file, diagnostics);
  const result: SweepResult = { name: decl.name.name, base: decl.base.name, settings: null, axes: [], trials: [], diagnostics };
  const baseDef = defs.get(decl.base.name);
  if (!baseDef || baseDef.decl.kind !== "Experiment") {
    const experiments = [...defs.values()].filter((d) => d.decl.kind === "Experiment").map((d) => d.name);
    const suggestions = suggestNames(decl.base.name, experiments);
    diagnostics.push(diagnostic("SEER2010", `sweep \`${decl.name.name}\` is from unknown experiment \`${decl.base.name}\`.${didYouMean(suggestions)}`, decl.base.span, { suggestions }));
    return result;
  }
  const settingsStatements = decl.body.statements.filter((s) => s.op !== "in");
  const ctx = new CheckContext(defs, dirname(file));
  const settings = walkBlock(ctx, "sweep", entriesOf({ ...decl.body, statements: settingsStatements }, 0), "", decl.name.span) as unknown as SweepSettings;
  diagnostics.push(...ctx.diagnostics);
  result.settings = { ...settings, metric: settings.metric ?? null };
  const axisStatements = decl.body.statements.filter((s) => s.op === "in");
  for (const s of axisStatements) {
    const axis = readAxis(s, diagnostics);
    if (axis) result.axes.push(axis);
  }
  if (result.axes.length === 0) {
    // Axes that were written but are broken are already reported.
    if (axisStatements.length === 0) diagnostics.push(diagnostic("SEER5005", "a sweep needs at least one axis `path in [values]`", decl.name.span));
    return result;
  }
  if (ctx.errorCount > 0 || diagnostics.some((d) => d.severity === "error")) return result;
  const strategy = settings.strategy;
  if (strategy.kind === "grid") {
    const continuous = result.axes.find((a) => a.kind === "uniform" || a.kind === "loguniform");
    if (continuous) {
      diagnostics.push(diagnostic("SEER5003", `\`${continuous.pathText}\` is drawn from a distribution, which needs \`strategy = random N\``, continuous.span));
      return result;
    }
  }
  const trials = strategy.kind === "grid" ? expandGrid(result.axes) : expandRandom(result.axes, strategy.trials, settings.seed);
  // Problems the base experiment has on its own are the base's to report, not each trial's.
  const keyOf = (d: Diagnostic) => `${d.code}|${d.span?.file}:${d.span?.start}|${d.message}`;
  const seen = new Map<string, string>(checkExperiment(program, baseDef.file, baseDef.decl as A.ExperimentDecl, options).diagnostics.map((d) => [keyOf(d), d.message]));
  const hashes = new Map<string, number>();
  for (const trial of trials) {
    const extraEntries = trial.assignment.map((a) => ({ path: a.path, op: "=" as const, value: a.value, span: a.value.span, layer: OVERRIDE_LAYER - 1 }));
    const checked = checkExperiment(program, baseDef.file, baseDef.decl as A.ExperimentDecl, { ...options, extraEntries });
    for (const d of checked.diagnostics) {
      const local = d.span && within(d.span, decl.span);
      const anchored: Diagnostic = local
        ? { ...d, message: `${d.message} (trial ${trial.index}: ${describeAssignment(trial.assignment)})` }
        : {
            ...d,
            message: `trial ${trial.index} (${describeAssignment(trial.assignment)}): ${d.message}`,
            span: trial.assignment[0].axisSpan,
            related: d.span ? [{ span: d.span, message: "reported here in the base experiment" }, ...d.related] : d.related,
          };
      const key = keyOf(d);
      if (seen.has(key)) continue;
      seen.set(key, anchored.message);
      diagnostics.push(anchored);
    }
    let duplicateOf: number | null = null;
    if (checked.ir) {
      const prev = hashes.get(checked.ir.hash);
      if (prev !== undefined) {
        duplicateOf = prev;
        diagnostics.push(diagnostic("SEER5004", `trial ${trial.index} (${describeAssignment(trial.assignment)}) is the same experiment as trial ${prev}; it runs once`, trial.assignment[0].axisSpan));
      } else hashes.set(checked.ir.hash, trial.index);
    }
    result.trials.push({ trial, result: checked, duplicateOf });
  }
  const metric = result.settings.metric;
  const metricStatement = settingsStatements.find((s) => s.path.length === 1 && s.path[0].name === "metric");
  if (metric && metricStatement) {
    const written = metricStatement.value.kind === "Phrase" ? metricStatement.value.items[0] : metricStatement.value;
    diagnostics.push(...checkMetric(metric.path, written.span, decl.base.name, result.trials));
  }
  return result;
}

/**
 * The metric must be a number every trial's run reports. A trial is named only when the others do
 * report it (an axis over the evaluate blocks).
 */
function checkMetric(path: string, span: Span, base: string, trials: readonly CheckedTrial[]): Diagnostic[] {
  const compiled = trials.filter((t) => t.result.ir !== null);
  const missing = compiled.find((t) => !metricPaths(t.result.ir!).includes(path));
  if (!missing) return [];
  const ir = missing.result.ir!;
  const known = metricPaths(ir);
  const where = compiled.length > 1 && compiled.some((t) => metricPaths(t.result.ir!).includes(path)) ? ` in trial ${missing.trial.index} (${describeAssignment(missing.trial.assignment)})` : "";
  if (path.startsWith("evaluate.") && ir.evaluate.length === 0) {
    return [diagnostic("SEER2009", `the metric \`${path}\` needs an \`evaluate\` block, and \`${base}\` has none${where}; a run reports ${known.map((k) => `\`${k}\``).join(", ")}`, span)];
  }
  const suggestions = suggestNames(path, known);
  return [
    diagnostic("SEER2009", `a run of \`${base}\` does not report the metric \`${path}\`${where}.${didYouMean(suggestions)}`, span, {
      suggestions,
      hint: suggestions.length === 0 ? `metrics: ${known.join(", ")}` : undefined,
    }),
  ];
}
