import type { Rule } from "./types.js";

/** SEER4002: the head's first dimension must equal the trunk's output width. */
export const headInputWidth: Rule = ({ ctx, exp, derived }) => {
  const dims = exp.head?.dims;
  const table = derived.table;
  if (!dims || !table || typeof dims[0] !== "number") return;
  if (dims[0] === table.width) return;
  const trunkSpan = ctx.spanOf("trunk");
  const dimsSpan = ctx.spanOf("head.dims") ?? ctx.spanOf("head");
  ctx.report("SEER4002", `the head's input width is ${dims[0]} but the trunk's output width is ${table.width}`, dimsSpan, {
    related: trunkSpan ? [{ span: trunkSpan, message: `this trunk ends at width ${table.width} (stages ${table.stages.map((s) => s.width).join(", ")})` }] : [],
    hint: "write `trunk.width` as the first dimension so the head follows the trunk",
    suggestions: ["trunk.width", String(table.width)],
  });
};
