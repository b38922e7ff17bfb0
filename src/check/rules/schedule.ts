import type { Rule } from "./types.js";

/** SEER3003–3006, 3008, 3010: the schedule's pieces laid over the run (warm-up shorter than the run, continuity, coverage, no negative rates). */
export const schedule: Rule = ({ ctx, derived }) => {
  for (const p of derived.schedule?.problems ?? []) {
    ctx.report(p.code, p.message, p.span, { related: p.related ? [p.related] : [], hint: p.hint });
  }
};
