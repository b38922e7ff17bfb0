import type { DiagnosticCode } from "../../diagnostics/catalog.js";

/**
 * An evaluation that cannot run or finish: bad data, a schedule that does not fit, weights of another
 * architecture, a non-finite loss. The message is written for the user; the CLI adds the code and
 * never shows a stack.
 */
export class EvaluationError extends Error {
  override readonly name = "EvaluationError";
  constructor(
    readonly code: DiagnosticCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Raised inside an evaluation when the front end asked to stop (Ctrl-C); never reported as a failure. */
export class EvaluationStopped extends Error {
  override readonly name = "EvaluationStopped";
  constructor() {
    super("evaluation stopped on request");
  }
}
