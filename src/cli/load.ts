import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ExperimentIR } from "../compile/ir.js";
import { validateIR } from "../compile/schema.js";
import { canonicalHash } from "../compile/hash.js";
import { countBySeverity } from "../diagnostics/make.js";
import type { CheckOptions, ExperimentResult } from "../check/check.js";
import { UsageError } from "./args.js";
import { checkFiles, printDiagnostics, promoteWarnings, type Workspace } from "./workspace.js";

export interface LoadedExperiment {
  ir: ExperimentIR;
  /** Present when the input was a .seer file. */
  result: ExperimentResult | null;
  workspace: Workspace | null;
}

/** A problem that has already been printed; the command exits with this code. */
export class ReportedFailure extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/**
 * Reads what `run`, `explain` and `compile` take: a .seer file (checked; errors printed, exit 1)
 * or an IR .json file (validated against the schema and its hash verified, so an edited or
 * truncated IR is refused before anything runs).
 */
export function loadExperiment(path: string, options: CheckOptions & { experiment?: string; strict?: boolean }): LoadedExperiment {
  if (path.endsWith(".json")) {
    if ((options.overrides ?? []).length > 0) throw new UsageError("-s overrides apply to .seer files; an IR file is already resolved");
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(code === "ENOENT" ? `cannot read ${path}: no such file` : `${path} is not valid JSON: ${(e as Error).message}`);
    }
    const problems = validateIR(value);
    if (problems.length > 0) {
      throw new UsageError(`${path} is not a valid seerc IR (SEER7007):\n${problems.slice(0, 10).map((p) => `  ${p.path}: ${p.message}`).join("\n")}`);
    }
    const ir = value as ExperimentIR;
    const hash = canonicalHash(ir as unknown as Record<string, unknown>);
    if (hash !== ir.hash) throw new UsageError(`${path}: the IR's content does not match its hash (SEER7007); it was edited or damaged. Recompile it with \`seerc compile\`.`);
    return { ir, result: null, workspace: null };
  }
  let ws: Workspace;
  try {
    ws = checkFiles([resolve(path)], options);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let diagnostics = ws.diagnostics;
  if (options.strict) diagnostics = promoteWarnings(diagnostics);
  if (diagnostics.some((d) => d.code === "SEER1010")) {
    printDiagnostics(diagnostics, ws.texts, "text", 1, "stderr");
    throw new ReportedFailure(2);
  }
  const candidates = options.experiment ? ws.experiments.filter((e) => e.name === options.experiment) : ws.experiments.filter((e) => e.file === resolve(path));
  if (candidates.length === 0) {
    const names = ws.experiments.map((e) => e.name);
    throw new UsageError(options.experiment ? `no experiment \`${options.experiment}\` in ${path}${names.length ? ` (it has ${names.join(", ")})` : ""}` : `${path} defines no experiment`);
  }
  if (candidates.length > 1) throw new UsageError(`${path} defines several experiments (${candidates.map((c) => c.name).join(", ")}); choose one with --experiment NAME`);
  const chosen = candidates[0];
  // Problems of other experiments in the same file do not stop this one.
  const own = new Set([...ws.program.diagnostics, ...chosen.diagnostics].map((d) => `${d.code}|${d.span?.file}|${d.span?.start}|${d.message}`));
  const relevant = diagnostics.filter((d) => own.has(`${d.code}|${d.span?.file}|${d.span?.start}|${d.message}`));
  const { errors } = countBySeverity(relevant);
  if (errors > 0 || !chosen.ir) {
    printDiagnostics(relevant, ws.texts, "text", 1, "stderr");
    throw new ReportedFailure(1);
  }
  if (relevant.length > 0) printDiagnostics(relevant, ws.texts, "text", 1, "stderr");
  return { ir: chosen.ir, result: chosen, workspace: ws };
}
