import type { CheckContext } from "../context.js";
import type { CheckedExperiment } from "../checked.js";
import type { Derived } from "../../compile/derive.js";

export interface RuleOptions {
  /** The target the experiment is checked for (the file's `target`, or `--target`). */
  target: "tfjs" | "vissl";
  /** The backend when known (`seerc run --backend …`); null at plain check time. */
  backend: "tensorflow" | "wasm" | "cpu" | null;
}

export interface RuleInput {
  ctx: CheckContext;
  exp: CheckedExperiment;
  derived: Derived;
  options: RuleOptions;
}

/** A rule reads the checked experiment and its derived values and reports diagnostics; it never throws. */
export type Rule = (input: RuleInput) => void;
