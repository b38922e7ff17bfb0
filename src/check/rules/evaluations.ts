import type { Rule } from "./types.js";

/** SEER2005: an evaluation's stage must exist in the trunk; low-shot fractions must leave some labels. */
export const evaluations: Rule = ({ ctx, exp, derived }) => {
  exp.evaluate.forEach((e, i) => {
    const stages = derived.table?.stages.length;
    if (e.stage != null && stages !== undefined && e.stage > stages) {
      ctx.report("SEER2005", `\`stage = ${e.stage}\` but the trunk has ${stages} stages`, ctx.spanOf(`evaluate.${i}.stage`), { suggestions: [String(stages)] });
    }
    if (e.kind === "lowshot" && e.fraction != null && e.fraction <= 0) {
      ctx.report("SEER2005", "a low-shot fraction must be greater than 0", ctx.spanOf(`evaluate.${i}.fraction`));
    }
  });
};
