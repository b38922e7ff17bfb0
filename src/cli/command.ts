import { flag, type FlagSpec, type ParsedArgs } from "./args.js";
import type { BackendPreference } from "../runtime/backend.js";

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

const BACKEND_CHOICES: BackendPreference[] = ["auto", "tensorflow", "wasm", "cpu"];
export const BACKEND_FLAG: FlagSpec = { name: "backend", value: true, choices: BACKEND_CHOICES, doc: "auto: native TensorFlow if installed, else wasm, else cpu" };

/** The --backend flag's value (one of its choices, which the parser checked), `auto` when absent. */
export function backendPreference(args: ParsedArgs): BackendPreference {
  return (flag(args, "backend") ?? "auto") as BackendPreference;
}
