import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import type { Program } from "../../src/language/loader.js";
import type { CheckOptions, ExperimentResult } from "../../src/check/check.js";
import type { SweepResult } from "../../src/sweep/check.js";
import { checkFiles, overridesFrom } from "../../src/cli/workspace.js";

/** Shared by the checker's unit tests: inline .seer snippets checked through the real loader (as an overlay, never written to disk). */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Inline snippets live (virtually) in this folder, so `import "./x.seer"` and relative data paths resolve beside it. */
export const SNIPPET_DIR = resolve(REPO_ROOT, "test/check");
export const SNIPPET_PATH = resolve(SNIPPET_DIR, "snippet.seer");

export interface SnippetOptions {
  /** Other files of the overlay, by path relative to SNIPPET_DIR. */
  files?: Record<string, string>;
  /** `-s` arguments, named `<-s #1>`, `<-s #2>`, … like the CLI names them. */
  overrides?: string[];
  target?: CheckOptions["target"];
  backend?: CheckOptions["backend"];
}

export interface SnippetResult {
  program: Program;
  experiments: ExperimentResult[];
  sweeps: SweepResult[];
  /** Every diagnostic: loader, parser, checker, presets and sweeps, sorted by position, each once. */
  diagnostics: Diagnostic[];
  /** Texts of the files and `-s` arguments, for rendering. */
  texts: Map<string, string>;
}

/** Loads `text` as SNIPPET_PATH (plus `files`) and checks every declaration in it, as `seerc check` does. */
export function checkSnippet(text: string, options: SnippetOptions = {}): SnippetResult {
  return checkText(SNIPPET_PATH, text, options);
}

/** Checks `text` as if it were the file at `path` (an absolute path), through `checkFiles` as `seerc check` does; imports not in `options.files` are read from disk. */
export function checkText(path: string, text: string, options: SnippetOptions = {}): SnippetResult {
  const overlay = new Map<string, string>([[path, text]]);
  for (const [name, body] of Object.entries(options.files ?? {})) overlay.set(resolve(dirname(path), name), body);
  const ws = checkFiles([path], { overlay, overrides: overridesFrom(options.overrides ?? []), target: options.target, backend: options.backend });
  return { program: ws.program, experiments: ws.experiments, sweeps: ws.sweeps, diagnostics: ws.diagnostics, texts: ws.texts };
}

/** 1-based line and column of the `nth` occurrence of `needle` in `text` (what a diagnostic should point at). */
export function positionOf(text: string, needle: string, nth = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at === -1) throw new Error(`test setup: \`${needle}\` occurs fewer than ${nth + 1} times`);
  }
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return { line, column: at - before.lastIndexOf("\n") };
}

export interface Located {
  code: string;
  line: number | undefined;
  column: number | undefined;
  file?: string;
}

/** The diagnostics reduced to what the unit tests assert: code, line and column (and file when asked). */
export function located(diagnostics: readonly Diagnostic[], withFile = false): Located[] {
  return diagnostics.map((d) => {
    const out: Located = { code: d.code, line: d.span?.line, column: d.span?.column };
    if (withFile) out.file = d.span?.file;
    return out;
  });
}

/** `{ code, line, column }` of `code` at the `nth` occurrence of `needle` in `text`. */
export function at(code: string, text: string, needle: string, nth = 0): { code: string; line: number; column: number } {
  return { code, ...positionOf(text, needle, nth) };
}

export interface ExperimentParts {
  header?: string;
  seed?: string;
  data?: string;
  trunk?: string;
  augment?: string;
  head?: string;
  loss?: string;
  optimizer?: string;
  schedule?: string;
  train?: string;
  /** Statements added at the end of the experiment body. */
  extra?: string;
  name?: string;
}

/**
 * A small experiment that checks clean on the tfjs target (synthetic data, RegNetY-200MF, 2 x 64px +
 * 2 x 32px crops, 16 images per step for 20 steps). Each part replaces one statement, so a test
 * changes exactly the thing it is about; an empty string leaves the statement out.
 */
export function experiment(parts: ExperimentParts = {}): string {
  const pick = (value: string | undefined, fallback: string) => (value === undefined ? fallback : value);
  const lines = [
    parts.header ?? "",
    `experiment ${parts.name ?? "t"} {`,
    pick(parts.seed, "  seed = 0"),
    pick(parts.data, "  data {\n    source = synthetic()\n    images = 256\n  }"),
    pick(parts.trunk, "  trunk = regnety { w0 = 24, wa = 36.44, wm = 2.49, group_width = 8, depth = 13 }"),
    pick(parts.augment, "  augment = multicrop {\n    crop 2 x 64px scale 0.3 .. 1.0\n    crop 2 x 32px scale 0.1 .. 0.3\n  }"),
    pick(parts.head, "  head = mlp [trunk.width, 64, 32]"),
    pick(parts.loss, "  loss = swav { prototypes = 30 }"),
    pick(parts.optimizer, "  optimizer = sgd { momentum = 0.9 }"),
    pick(parts.schedule, "  schedule = constant 0.1"),
    pick(parts.train, "  train {\n    batch = 16\n    steps = 20\n  }"),
    parts.extra ?? "",
    "}",
  ];
  return lines.filter((l) => l !== "").join("\n") + "\n";
}

/** Only the diagnostics with these codes (rules are tested for their own codes; a snippet may trip others on purpose). */
export function only(diagnostics: readonly Diagnostic[], ...codes: string[]): Diagnostic[] {
  return diagnostics.filter((d) => codes.includes(d.code));
}
