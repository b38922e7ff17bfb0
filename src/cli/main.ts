import { didYouMean, suggestNames } from "../diagnostics/did-you-mean.js";
import { formatFlags, UsageError } from "./args.js";
import type { Command } from "./command.js";
import { err, out } from "./io.js";
import { COMMANDS } from "./commands.js";
import { ReportedFailure } from "./load.js";

const VERSION = "0.1.0";

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `seerc ${VERSION} — type-checked self-supervised pretraining experiments (SwAV + RegNetY)`,
    "",
    "Usage: seerc <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Examples:",
    "  seerc check experiments/            type-check every experiment",
    "  seerc explain experiments/quickstart.seer",
    "  seerc run experiments/quickstart.seer",
    "",
    "`seerc <command> --help` shows a command's options. Exit codes: 0 ok, 1 problems found, 2 usage or I/O error.",
  ].join("\n");
}

export function commandHelp(c: Command): string {
  return [`seerc ${c.name} — ${c.summary}`, "", `Usage: ${c.usage}`, "", "Options:", formatFlags(c.flags), "", "Examples:", ...c.examples.map((e) => `  ${e}`)].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const target = name === "help" && rest[0] ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    out(target ? commandHelp(target) : mainHelp());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    out(VERSION);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const suggestions = suggestNames(name, COMMANDS.map((c) => c.name));
    err(`seerc: unknown command \`${name}\`.${didYouMean(suggestions)} Run \`seerc --help\` for the list.`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    out(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`seerc ${command.name}: ${e.message}`);
      return 2;
    }
    if (e instanceof ReportedFailure) return e.exitCode;
    throw e;
  }
}
