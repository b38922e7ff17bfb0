import { CATALOG, type DiagnosticCode } from "./catalog.js";
import type { Diagnostic, RelatedSpan, Severity, Span } from "./types.js";

export interface DiagnosticExtras {
  severity?: Severity;
  related?: RelatedSpan[];
  hint?: string;
  suggestions?: string[];
}

/** Builds a diagnostic whose default severity comes from the catalog. */
export function diagnostic(code: DiagnosticCode, message: string, span: Span | undefined, extras: DiagnosticExtras = {}): Diagnostic {
  const result: Diagnostic = {
    code,
    severity: extras.severity ?? CATALOG[code].severity,
    message,
    related: extras.related ?? [],
    suggestions: extras.suggestions ?? [],
  };
  if (span) result.span = span;
  if (extras.hint) result.hint = extras.hint;
  return result;
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number; infos: number } {
  let errors = 0, warnings = 0, infos = 0;
  for (const d of diagnostics) {
    if (d.severity === "error") errors++;
    else if (d.severity === "warning") warnings++;
    else infos++;
  }
  return { errors, warnings, infos };
}

/** Orders diagnostics by file, then position, so output is stable whatever order phases reported them in. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const fa = a.span?.file ?? "", fb = b.span?.file ?? "";
    if (fa !== fb) return fa < fb ? -1 : 1;
    // Codes are ASCII (SEER1234): a plain comparison, without starting ICU's collator for it.
    return (a.span?.start ?? -1) - (b.span?.start ?? -1) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
  });
}
