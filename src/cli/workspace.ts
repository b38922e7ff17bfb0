import type { Diagnostic } from "../diagnostics/types.js";
import { sortDiagnostics } from "../diagnostics/make.js";
import { renderGithub, renderText, summaryLine, toJson } from "../diagnostics/render.js";
import { loadProgram, type Program } from "../language/loader.js";
import { checkExperiment, checkPreset, type CheckOptions, type ExperimentResult, type Override } from "../check/check.js";
import { checkSweep, type SweepResult } from "../sweep/check.js";
import { out, useColor } from "./io.js";

export interface Workspace {
  program: Program;
  experiments: ExperimentResult[];
  sweeps: SweepResult[];
  diagnostics: Diagnostic[];
  /** Texts of every file and override, for code frames. */
  texts: Map<string, string>;
}

export function overridesFrom(values: readonly string[]): Override[] {
  return values.map((text, i) => ({ text, file: `<-s #${i + 1}>` }));
}

/** Loads files (from `overlay` where it has them, else the disk) and checks every declaration in them (experiments, sweeps, presets). */
export function checkFiles(files: readonly string[], options: CheckOptions & { overlay?: ReadonlyMap<string, string> } = {}): Workspace {
  const program = loadProgram(files, { overlay: options.overlay });
  const diagnostics = [...program.diagnostics];
  const experiments: ExperimentResult[] = [];
  const sweeps: SweepResult[] = [];
  for (const file of program.entries) {
    const ast = program.files.get(file);
    if (!ast) continue;
    for (const decl of ast.decls) {
      if (decl.kind === "Experiment") {
        const r = checkExperiment(program, file, decl, options);
        experiments.push(r);
        diagnostics.push(...r.diagnostics);
      } else if (decl.kind === "Sweep") {
        const r = checkSweep(program, file, decl, options);
        sweeps.push(r);
        diagnostics.push(...r.diagnostics);
      } else {
        diagnostics.push(...checkPreset(program, file, decl));
      }
    }
  }
  const texts = new Map(program.texts);
  for (const o of options.overrides ?? []) texts.set(o.file, o.text);
  return { program, experiments, sweeps, diagnostics: dedupe(sortDiagnostics(diagnostics)), texts };
}

/** The same problem reached through two entry files (or a shared import) is shown once. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}|${d.span?.file}|${d.span?.start}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export type OutputFormat = "text" | "json" | "github";

/** `counted` is what the summary line counts: all the diagnostics, when only some are shown (`--max-errors`). */
export function printDiagnostics(diagnostics: readonly Diagnostic[], texts: ReadonlyMap<string, string>, format: OutputFormat, fileCount: number, stream: "stdout" | "stderr" = "stdout", counted: readonly Diagnostic[] = diagnostics): void {
  const cwd = process.cwd();
  const write = stream === "stdout" ? out : (t: string) => process.stderr.write(t.endsWith("\n") ? t : t + "\n");
  if (format === "json") {
    write(JSON.stringify(toJson(diagnostics, cwd), null, 2));
    return;
  }
  if (format === "github") {
    if (diagnostics.length > 0) write(renderGithub(diagnostics, cwd));
    write(summaryLine(counted, fileCount));
    return;
  }
  if (diagnostics.length > 0) write(renderText(diagnostics, texts, { color: useColor(stream === "stdout" ? process.stdout : process.stderr), cwd }) + "\n");
  write(summaryLine(counted, fileCount));
}

export function promoteWarnings(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => (d.severity === "warning" ? { ...d, severity: "error" as const } : d));
}
