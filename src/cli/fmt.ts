import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { parseArgs, UsageError } from "./args.js";
import { HELP_FLAG, type Command } from "./command.js";
import { expandSeerFiles } from "./files.js";
import { parseSource } from "../language/parse.js";
import { formatSource } from "../language/format.js";
import { printDiagnostics } from "./workspace.js";
import { displayPath } from "../diagnostics/render.js";
import { out } from "./io.js";

export const fmtCommand: Command = {
  name: "fmt",
  summary: "rewrite .seer files in canonical layout (comments kept)",
  usage: "seerc fmt FILES|FOLDERS… [--check] [--stdout]",
  flags: [
    { name: "check", doc: "write nothing; exit 1 and name the files that are not formatted" },
    { name: "stdout", doc: "print the formatted text instead of rewriting the files" },
    HELP_FLAG,
  ],
  examples: ["seerc fmt experiments/", "seerc fmt --check experiments/ stdlib/"],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.positionals.length === 0) throw new UsageError("seerc fmt needs at least one file or folder; see `seerc fmt --help`");
    const files = expandSeerFiles(args.positionals);
    const checkOnly = args.flags.has("check");
    const toStdout = args.flags.has("stdout");
    const unformatted: string[] = [];
    let failed = false;
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
      const parsed = parseSource(text, file);
      if (parsed.diagnostics.some((d) => d.severity === "error")) {
        // A file with syntax errors is left as it is: formatting a guess could lose what the user wrote.
        printDiagnostics(parsed.diagnostics, new Map([[file, text]]), "text", 1, "stderr");
        failed = true;
        continue;
      }
      const formatted = formatSource(parsed.file, text);
      if (toStdout) {
        out(formatted.replace(/\n$/, ""));
        continue;
      }
      if (formatted === text) continue;
      unformatted.push(file);
      if (!checkOnly) {
        const tmp = `${file}.seerc-fmt.tmp`;
        writeFileSync(tmp, formatted);
        renameSync(tmp, file);
      }
    }
    const cwd = process.cwd();
    if (checkOnly) {
      for (const f of unformatted) out(`not formatted: ${displayPath(f, cwd)}`);
      if (unformatted.length > 0) out(`${unformatted.length} of ${files.length} files need \`seerc fmt\``);
      return failed ? 2 : unformatted.length > 0 ? 1 : 0;
    }
    if (!toStdout) for (const f of unformatted) out(`formatted ${displayPath(f, cwd)}`);
    return failed ? 2 : 0;
  },
};
