import type { Diagnostic, Span } from "../diagnostics/types.js";
import { diagnostic, type DiagnosticExtras } from "../diagnostics/make.js";
import type { DiagnosticCode } from "../diagnostics/catalog.js";
import type * as A from "../language/ast.js";
import { KNOWN_DATASETS } from "./registry.js";

/** A top-level definition visible by name. */
export interface Definition {
  name: string;
  decl: A.TopDecl;
  file: string;
}

/** Where each checked value was written, by its dotted path in the checked tree ("loss.temperature"). */
export type SpanMap = Map<string, Span>;

export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  readonly spans: SpanMap = new Map();
  /** Paths whose value could not be read; rules that need them are skipped (no cascades). */
  readonly broken = new Set<string>();
  /** Presets used, by checked path: "trunk" → "RegNetY_400MF". */
  readonly presets = new Map<string, string>();
  readonly knownDatasets = KNOWN_DATASETS;
  /** The experiment's `extends` chain could not be resolved: a field it leaves out may be set in the base, so none is reported missing. */
  baseUnresolved = false;

  constructor(
    readonly definitions: ReadonlyMap<string, Definition>,
    /** Folder relative paths in `folder("…")` are resolved against. */
    readonly baseDir: string,
  ) {}

  report(code: DiagnosticCode, message: string, span: Span | undefined, extras?: DiagnosticExtras): void {
    this.diagnostics.push(diagnostic(code, message, span, extras));
  }

  spanOf(path: string): Span | undefined {
    for (let p = path; p; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
      const s = this.spans.get(p);
      if (s) return s;
    }
    return undefined;
  }

  isBroken(...paths: string[]): boolean {
    for (const path of paths) {
      for (const b of this.broken) if (b === path || b.startsWith(path + ".") || path.startsWith(b + ".")) return true;
    }
    return false;
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }
}
