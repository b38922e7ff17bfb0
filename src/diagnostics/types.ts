/** A location in a source file (or a command-line argument, whose `file` is `<arg -s …>`). Lines and columns are 1-based. */
export interface Span {
  file: string;
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export type Severity = "error" | "warning" | "info";

export interface RelatedSpan {
  span: Span;
  message: string;
}

/** One type for every phase: parser, checker, compiler, runtime and targets all report through it. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  span?: Span;
  related: RelatedSpan[];
  hint?: string;
  suggestions: string[];
}
