import { didYouMean, suggestNames } from "../diagnostics/did-you-mean.js";

export interface FlagSpec {
  name: string;
  short?: string;
  /** Takes a value (`--format json`); repeatable flags collect every value. */
  value?: boolean;
  repeatable?: boolean;
  choices?: readonly string[];
  doc: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

/** A user mistake on the command line: printed with its message, exit code 2. */
export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let spec: FlagSpec | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = byName.get(name);
    } else {
      name = arg.slice(1, 2);
      inline = arg.length > 2 ? arg.slice(2) : undefined;
      spec = byShort.get(name);
    }
    if (!spec) {
      const suggestions = suggestNames(name, specs.map((s) => s.name)).map((s) => `--${s}`);
      throw new UsageError(`unknown option \`${arg}\` for \`seerc ${command}\`.${didYouMean(suggestions)} See \`seerc ${command} --help\`.`);
    }
    let value = "true";
    if (spec.value) {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`option --${spec.name} needs a value`);
      if (spec.choices && !spec.choices.includes(value)) {
        const suggestions = suggestNames(value, spec.choices);
        throw new UsageError(`--${spec.name} is one of ${spec.choices.join(", ")}; found \`${value}\`.${didYouMean(suggestions)}`);
      }
    } else if (inline !== undefined) {
      throw new UsageError(`option --${spec.name} takes no value`);
    }
    const list = flags.get(spec.name) ?? [];
    if (list.length > 0 && !spec.repeatable) throw new UsageError(`option --${spec.name} is given twice`);
    list.push(value);
    flags.set(spec.name, list);
  }
  return { positionals, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function flagAll(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

export function intFlag(args: ParsedArgs, name: string): number | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a whole number, found \`${v}\``);
  return n;
}

export function formatFlags(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const names = `${s.short ? `-${s.short}, ` : "    "}--${s.name}${s.value ? (s.choices ? ` <${s.choices.join("|")}>` : " <value>") : ""}`;
    return [names, s.doc] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `  ${n.padEnd(width)}  ${d}`).join("\n");
}
