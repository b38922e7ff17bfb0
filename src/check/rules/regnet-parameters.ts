import type { Rule } from "./types.js";

const FIELD_NAMES: Record<string, string> = { groupWidth: "group_width", groupWidths: "group_widths", seRatio: "se_ratio", stemWidth: "stem_width", bottleneckMultiplier: "bottleneck", bottleneckMultipliers: "bottleneck" };

/** SEER4001: the RegNet generator's preconditions (w0 a positive multiple of 8, wm > 1, …), reported at the offending field. */
export const regnetParameters: Rule = ({ ctx, derived }) => {
  for (const p of derived.trunkProblems) {
    // `groupWidths[1]` names an entry of a list field: the field is `group_widths`.
    const bare = p.field.replace(/\[\d+\]$/, "");
    const field = FIELD_NAMES[bare] ?? bare;
    const span = ctx.spans.get(`trunk.${field}`) ?? ctx.spanOf("trunk");
    const preset = ctx.presets.get("trunk");
    ctx.report("SEER4001", `invalid RegNet parameters: ${p.message}`, span, preset ? { hint: `the trunk comes from preset \`${preset}\`` } : {});
  }
};
