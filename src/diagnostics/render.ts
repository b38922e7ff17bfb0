import type { Diagnostic, Span } from "./types.js";
import { countBySeverity } from "./make.js";

/** Text of every file (and every `-s` argument) that diagnostics may point into. */
export type SourceTexts = ReadonlyMap<string, string>;

export interface TextRenderOptions {
  color: boolean;
  /** Paths are shown relative to this directory when given. */
  cwd?: string;
}

const ansi = {
  red: (s: string) => `\x1b[31m${s}\x1b[39m`,
  yellow: (s: string) => `\x1b[33m${s}\x1b[39m`,
  cyan: (s: string) => `\x1b[36m${s}\x1b[39m`,
  bold: (s: string) => `\x1b[1m${s}\x1b[22m`,
  dim: (s: string) => `\x1b[2m${s}\x1b[22m`,
};
const plain = { red: (s: string) => s, yellow: (s: string) => s, cyan: (s: string) => s, bold: (s: string) => s, dim: (s: string) => s };

export function displayPath(file: string, cwd?: string): string {
  if (!cwd || !file.startsWith("/")) return file;
  const prefix = cwd.endsWith("/") ? cwd : cwd + "/";
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}

function location(span: Span, cwd?: string): string {
  return `${displayPath(span.file, cwd)}:${span.line}:${span.column}`;
}

/** The source line(s) of a span with a caret underline, like a compiler's code frame. */
export function codeFrame(span: Span, text: string, color: boolean): string {
  const c = color ? ansi : plain;
  const lines = text.split("\n");
  const lineText = (lines[span.line - 1] ?? "").replace(/\r$/, "").replace(/\t/g, " ");
  const gutterWidth = String(span.endLine).length;
  const gutter = (n: number | "") => c.dim(`${String(n).padStart(gutterWidth)} | `);
  const shown = lineText.length > 160 ? lineText.slice(0, 160) + "…" : lineText;
  const startCol = Math.min(span.column, shown.length + 1);
  const endCol = span.endLine === span.line ? Math.max(span.endColumn, startCol + 1) : shown.length + 1;
  const width = Math.max(1, Math.min(endCol, shown.length + 2) - startCol);
  const out = [gutter(span.line) + shown, gutter("") + " ".repeat(startCol - 1) + c.red("^".repeat(width))];
  if (span.endLine > span.line) out.push(c.dim(`${" ".repeat(gutterWidth)} | … through line ${span.endLine}`));
  return out.join("\n");
}

export function renderText(diagnostics: readonly Diagnostic[], sources: SourceTexts, options: TextRenderOptions): string {
  const c = options.color ? ansi : plain;
  const blocks: string[] = [];
  for (const d of diagnostics) {
    const sev = d.severity === "error" ? c.red(c.bold("error")) : d.severity === "warning" ? c.yellow(c.bold("warning")) : c.cyan(c.bold("info"));
    const where = d.span ? `${c.bold(location(d.span, options.cwd))}: ` : "";
    const lines = [`${where}${sev} ${c.dim(d.code)}: ${d.message}`];
    const text = d.span ? sources.get(d.span.file) : undefined;
    if (d.span && text !== undefined) lines.push(codeFrame(d.span, text, options.color));
    for (const r of d.related) {
      lines.push(`  ${c.cyan("note")}: ${location(r.span, options.cwd)}: ${r.message}`);
      const rtext = sources.get(r.span.file);
      if (rtext !== undefined) lines.push(codeFrame(r.span, rtext, options.color).replace(/^/gm, "  "));
    }
    if (d.hint) lines.push(`  ${c.cyan("hint")}: ${d.hint}`);
    blocks.push(lines.join("\n"));
  }
  return blocks.join("\n\n");
}

export function summaryLine(diagnostics: readonly Diagnostic[], fileCount: number): string {
  const { errors, warnings } = countBySeverity(diagnostics);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")} in ${plural(fileCount, "file")}`;
}

export interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
  hint?: string;
  suggestions: string[];
  related: Array<{ message: string; file: string; line: number; column: number; endLine: number; endColumn: number }>;
}

export function toJson(diagnostics: readonly Diagnostic[], cwd?: string): JsonDiagnostic[] {
  return diagnostics.map((d) => {
    const out: JsonDiagnostic = {
      code: d.code,
      severity: d.severity,
      message: d.message,
      file: d.span ? displayPath(d.span.file, cwd) : null,
      line: d.span?.line ?? null,
      column: d.span?.column ?? null,
      endLine: d.span?.endLine ?? null,
      endColumn: d.span?.endColumn ?? null,
      suggestions: d.suggestions,
      related: d.related.map((r) => ({ message: r.message, file: displayPath(r.span.file, cwd), line: r.span.line, column: r.span.column, endLine: r.span.endLine, endColumn: r.span.endColumn })),
    };
    if (d.hint) out.hint = d.hint;
    return out;
  });
}

/** GitHub Actions workflow commands: one `::error file=…,line=…::message` per diagnostic. */
export function renderGithub(diagnostics: readonly Diagnostic[], cwd?: string): string {
  const escapeData = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const escapeProp = (s: string) => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
  return diagnostics
    .map((d) => {
      const level = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "notice";
      const props = [`title=${escapeProp(d.code)}`];
      if (d.span) {
        props.unshift(`file=${escapeProp(displayPath(d.span.file, cwd))}`, `line=${d.span.line}`, `col=${d.span.column}`, `endLine=${d.span.endLine}`, `endColumn=${d.span.endColumn}`);
      }
      const message = d.hint ? `${d.message} (${d.hint})` : d.message;
      return `::${level} ${props.join(",")}::${escapeData(message)}`;
    })
    .join("\n");
}
