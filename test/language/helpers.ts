import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { SourceFile } from "../../src/language/ast.js";
import { REPO_ROOT } from "../check/helpers.js";

/** Helpers of the language tests: the repository's .seer files and ASTs compared without positions. */

/** Every .seer file under the given folders of the repository, absolute, sorted. */
export function seerFilesUnder(...folders: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".seer")) out.push(path);
    }
  };
  for (const folder of folders) walk(resolve(REPO_ROOT, folder));
  return out;
}

/** Comment text as the formatter may legitimately change it: trailing blanks and the first line's indentation. */
function normalizeComment(text: string): string {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim();
}

/**
 * The AST without anything positional (spans, the file path), so two parses of differently laid
 * out text compare equal exactly when they mean the same (recursing is safe: the parser bounds the depth).
 */
export function withoutPositions(file: SourceFile): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === "span" || key === "specSpan") continue;
      out[key] = strip(inner);
    }
    return out;
  };
  return {
    imports: strip(file.imports),
    decls: strip(file.decls),
    comments: file.comments.map((c) => normalizeComment(c.text)),
  };
}
