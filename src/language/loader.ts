import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../diagnostics/types.js";
import { diagnostic } from "../diagnostics/make.js";
import type { SourceFile } from "./ast.js";
import { parseSource } from "./parse.js";

/** The stdlib folder ships beside src/ and dist/ at the package root. */
export const STDLIB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../stdlib");

export interface Program {
  /** The files named on the command line, in order. */
  entries: string[];
  /** Every file reached, keyed by absolute path; each is parsed once. */
  files: Map<string, SourceFile>;
  texts: Map<string, string>;
  /** Import edges: file → the absolute paths it imports, in order. */
  imports: Map<string, string[]>;
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  /** Text to use instead of reading the disk (tests, editors, stdin). */
  overlay?: ReadonlyMap<string, string>;
  stdlibDir?: string;
}

export class FileReadError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot read ${path}: ${reason}`);
  }
}

function readText(path: string, overlay?: ReadonlyMap<string, string>): string {
  const over = overlay?.get(path);
  if (over !== undefined) return over;
  try {
    if (statSync(path).isDirectory()) throw new FileReadError(path, "it is a directory");
    return readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof FileReadError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileReadError(path, code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String((err as Error).message));
  }
}

/** `import "regnet"` names a stdlib file; `import "./x.seer"` or `"../x"` a path relative to the importer. */
export function resolveImport(spec: string, importer: string, stdlibDir = STDLIB_DIR): string {
  const withExt = spec.endsWith(".seer") ? spec : `${spec}.seer`;
  if (spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/")) return resolve(dirname(importer), withExt);
  return join(stdlibDir, withExt);
}

/**
 * Parses the entry files and everything they import. Never throws for user input: unreadable entry
 * files are reported as SEER1010 (the CLI turns those into exit code 2), missing imports and cycles
 * at the import's span.
 */
export function loadProgram(entryPaths: readonly string[], options: LoadOptions = {}): Program {
  const program: Program = { entries: [], files: new Map(), texts: new Map(), imports: new Map(), diagnostics: [] };
  const stdlibDir = options.stdlibDir ?? STDLIB_DIR;

  const visit = (path: string, stack: string[]): void => {
    if (program.files.has(path)) return;
    let text: string;
    try {
      text = readText(path, options.overlay);
    } catch (err) {
      program.diagnostics.push(diagnostic("SEER1010", (err as Error).message, undefined));
      return;
    }
    const parsed = parseSource(text, path);
    program.files.set(path, parsed.file);
    program.texts.set(path, text);
    program.diagnostics.push(...parsed.diagnostics);
    const edges: string[] = [];
    program.imports.set(path, edges);
    for (const imp of parsed.file.imports) {
      const target = resolveImport(imp.spec, path, stdlibDir);
      if (stack.includes(target) || target === path) {
        const cycle = [...stack.slice(stack.indexOf(target)), path, target].map((p) => p.split("/").pop()).join(" → ");
        program.diagnostics.push(diagnostic("SEER1012", `import cycle: ${cycle}`, imp.specSpan, { hint: "move the shared definitions into a file both can import" }));
        continue;
      }
      if (!options.overlay?.has(target)) {
        try {
          statSync(target);
        } catch {
          const isStdlib = !(imp.spec.startsWith(".") || imp.spec.startsWith("/"));
          program.diagnostics.push(diagnostic("SEER1011", `cannot find ${isStdlib ? "stdlib module" : "file"} "${imp.spec}" (looked for ${target})`, imp.specSpan, {
            hint: isStdlib ? "stdlib modules: " + listStdlib(stdlibDir).join(", ") + "; relative paths start with ./" : "paths are relative to the importing file",
          }));
          continue;
        }
      }
      edges.push(target);
      visit(target, [...stack, path]);
    }
  };

  for (const entry of entryPaths) {
    const abs = resolve(entry);
    program.entries.push(abs);
    visit(abs, []);
  }
  return program;
}

function listStdlib(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith(".seer")).map((n) => n.slice(0, -5)).sort();
  } catch {
    return [];
  }
}
