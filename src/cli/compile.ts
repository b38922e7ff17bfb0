import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { flag, flagAll, parseArgs, UsageError } from "./args.js";
import { HELP_FLAG, OVERRIDE_FLAG, type Command } from "./command.js";
import { loadExperiment } from "./load.js";
import { overridesFrom } from "./workspace.js";
import { canonicalPretty } from "../compile/hash.js";
import { irSchema } from "../compile/schema.js";
import { out } from "./io.js";

export function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export const compileCommand: Command = {
  name: "compile",
  summary: "lower an experiment to the hashed JSON IR (or another target)",
  usage: "seerc compile FILE --target json|vissl [-o OUT] [--experiment NAME] [-s path=value …]",
  flags: [
    { name: "target", value: true, choices: ["json", "vissl"], doc: "json: the IR (default); vissl: a VISSL config for clusters" },
    { name: "output", short: "o", value: true, doc: "write to this file (json) or folder (vissl) instead of stdout" },
    { name: "experiment", value: true, doc: "which experiment, when the file defines several" },
    { name: "launcher", value: true, choices: ["none", "slurm"], doc: "vissl: also write a SLURM submission script" },
    { name: "config-name", value: true, doc: "vissl: the config's name (default: the experiment's)" },
    { name: "strict", doc: "treat warnings as errors" },
    OVERRIDE_FLAG,
    HELP_FLAG,
  ],
  examples: ["seerc compile experiments/quickstart.seer -o quickstart.ir.json", "seerc compile experiments/seer_1p3b.seer --target vissl -o vissl/ --launcher slurm"],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.positionals.length !== 1) throw new UsageError("seerc compile takes one file; see `seerc compile --help`");
    const target = flag(args, "target") ?? "json";
    const loaded = loadExperiment(args.positionals[0], {
      overrides: overridesFrom(flagAll(args, "set")),
      experiment: flag(args, "experiment"),
      strict: args.flags.has("strict"),
      target: target === "vissl" ? "vissl" : undefined,
    });
    const output = flag(args, "output");
    if (target === "json") {
      const text = canonicalPretty(loaded.ir);
      if (output) {
        writeAtomically(output, text);
        out(`wrote ${output} (hash ${loaded.ir.hash.slice(0, 12)})`);
      } else out(text);
      return 0;
    }
    const { compileVissl } = await import("./compile-vissl.js");
    return compileVissl(loaded.ir, { output, launcher: (flag(args, "launcher") ?? "none") as "none" | "slurm", strict: args.flags.has("strict"), configName: flag(args, "config-name") ?? loaded.ir.name });
  },
};

export const schemaCommand: Command = {
  name: "schema",
  summary: "print the JSON Schema of the IR",
  usage: "seerc schema [-o FILE]",
  flags: [{ name: "output", short: "o", value: true, doc: "write to this file" }, HELP_FLAG],
  examples: ["seerc schema > experiment-ir.schema.json"],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    const text = JSON.stringify(irSchema(), null, 2) + "\n";
    const output = flag(args, "output");
    if (output) writeAtomically(output, text);
    else out(text);
    return 0;
  },
};

export function joinOutput(folder: string, name: string): string {
  return join(folder, name);
}
