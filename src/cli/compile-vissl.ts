import type { ExperimentIR } from "../compile/ir.js";
import { compileToVissl } from "../compile/targets/vissl.js";
import { promoteWarnings, printDiagnostics } from "./workspace.js";
import { countBySeverity } from "../diagnostics/make.js";
import { joinOutput, writeAtomically } from "./compile.js";
import { out } from "./io.js";

/** `seerc compile --target vissl`: nothing is written when VISSL cannot run the experiment as written. */
export function compileVissl(ir: ExperimentIR, options: { output?: string; launcher: "none" | "slurm"; strict: boolean; configName: string }): number {
  const result = compileToVissl(ir, { launcher: options.launcher, configName: options.configName });
  const diagnostics = options.strict ? promoteWarnings(result.diagnostics) : result.diagnostics;
  if (diagnostics.length > 0) printDiagnostics(diagnostics, new Map(), "text", 1, "stderr");
  if (countBySeverity(diagnostics).errors > 0) return 1;
  if (!options.output) {
    for (const f of result.files) out(result.files.length > 1 ? `# ---- ${f.name}\n${f.text}` : f.text);
    return 0;
  }
  for (const f of result.files) {
    const path = joinOutput(options.output, f.name);
    writeAtomically(path, f.text);
    out(`wrote ${path}`);
  }
  return 0;
}
