import { flag, flagAll, intFlag, parseArgs, UsageError } from "./args.js";
import { HELP_FLAG, OVERRIDE_FLAG, type Command } from "./command.js";
import { expandSeerFiles } from "./files.js";
import { checkFiles, overridesFrom, printDiagnostics, promoteWarnings, type OutputFormat } from "./workspace.js";
import { countBySeverity } from "../diagnostics/make.js";
import { out } from "./io.js";

export const checkCommand: Command = {
  name: "check",
  summary: "type-check .seer files and report every problem",
  usage: "seerc check FILES|FOLDERS|GLOBS… [--format text|json|github] [--strict] [--max-errors N] [-s path=value …]",
  flags: [
    { name: "format", value: true, choices: ["text", "json", "github"], doc: "text (code frames), json (an array) or github (workflow annotations)" },
    { name: "strict", doc: "treat warnings as errors" },
    { name: "max-errors", value: true, doc: "show at most N errors (all are still counted)" },
    { name: "target", value: true, choices: ["tfjs", "vissl"], doc: "check against this target instead of each experiment's own" },
    OVERRIDE_FLAG,
    HELP_FLAG,
  ],
  examples: ["seerc check experiments/", "seerc check run.seer --format json", "seerc check \"configs/**/*.seer\" --strict --format github"],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.positionals.length === 0) throw new UsageError("seerc check needs at least one file or folder; see `seerc check --help`");
    const files = expandSeerFiles(args.positionals);
    const format = (flag(args, "format") ?? "text") as OutputFormat;
    const target = flag(args, "target") as "tfjs" | "vissl" | undefined;
    const ws = checkFiles(files, { overrides: overridesFrom(flagAll(args, "set")), target });
    let diagnostics = ws.diagnostics;
    if (args.flags.has("strict")) diagnostics = promoteWarnings(diagnostics);
    const unreadable = diagnostics.some((d) => d.code === "SEER1010");
    const maxErrors = intFlag(args, "max-errors");
    let shown = diagnostics;
    if (maxErrors !== undefined) {
      let errors = 0;
      shown = diagnostics.filter((d) => d.severity !== "error" || ++errors <= maxErrors);
    }
    printDiagnostics(shown, ws.texts, format, ws.program.entries.length, "stdout", diagnostics);
    const { errors } = countBySeverity(diagnostics);
    if (format === "text" && shown.length < diagnostics.length) out(`(${diagnostics.length - shown.length} more not shown; raise --max-errors)`);
    return unreadable ? 2 : errors > 0 ? 1 : 0;
  },
};
