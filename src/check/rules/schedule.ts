import type { Rule } from "./types.js";

/** SEER3003–3006, 3008, 3010: the schedule's pieces laid over the run (warm-up shorter than the run, continuity, coverage, no negative rates). */
export const schedule: Rule = ({ ctx, derived }) => {
  // A schedule preset (`schedule = seer_schedule`) has its pieces in another file; the problem is this experiment's use of it.
  const use = ctx.spans.get("schedule");
  for (const p of derived.schedule?.problems ?? []) {
    const inPreset = use !== undefined && (p.span.file !== use.file || p.span.start < use.start || p.span.end > use.end);
    const related = [...(inPreset ? [{ span: p.span, message: "the piece, as the preset defines it" }] : []), ...(p.related ? [p.related] : [])];
    ctx.report(p.code, p.message, inPreset ? use : p.span, { related, hint: p.hint });
  }
};
