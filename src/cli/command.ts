import type { FlagSpec } from "./args.js";

export interface Command {
  name: string;
  summary: string;
  usage: string;
  flags: FlagSpec[];
  examples: string[];
  /** Resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

export const HELP_FLAG: FlagSpec = { name: "help", short: "h", doc: "show this help" };
export const OVERRIDE_FLAG: FlagSpec = { name: "set", short: "s", value: true, repeatable: true, doc: "override a field: -s loss.temperature=0.2 (checked like file text)" };
