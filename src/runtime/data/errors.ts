import type { SkipReason } from "./types.js";

export type DataErrorCode =
  | "data-not-found" /** the source path does not exist */
  | "data-not-a-directory"
  | "data-empty" /** no image files in the source */
  | "data-all-unreadable" /** every file tried for a batch was bad */
  | "data-idx-format" /** an IDX file is malformed or the pair disagrees */
  | "data-list-format"
  | "data-config"; /** an invalid augmentation or stream option */

/**
 * A problem the user must fix in their data or config. Its message is written for users (it names the path
 * and says what to do); the CLI prints `message` and `hint`, never the stack.
 */
export class DataSourceError extends Error {
  override readonly name = "DataSourceError";
  constructor(
    readonly code: DataErrorCode,
    message: string,
    readonly path?: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A single bad file: caught by the pipeline, reported in `Batch.skipped`, replaced. Never reaches users as an exception. */
export class SkipError extends Error {
  override readonly name = "SkipError";
  constructor(
    readonly reason: SkipReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

export function isDataSourceError(value: unknown): value is DataSourceError {
  return value instanceof Error && value.name === "DataSourceError" && typeof (value as DataSourceError).code === "string";
}
