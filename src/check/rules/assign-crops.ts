import type { Rule } from "./types.js";

/** SEER4005: assign_crops must index existing crops; SEER4006: warn when an assigned crop is a small one. */
export const assignCrops: Rule = ({ ctx, exp }) => {
  const indices = exp.loss?.assign_crops;
  const crops = exp.augment?.crop;
  if (!indices || !crops || crops.length === 0 || ctx.isBroken("augment.crop")) return;
  const sizes = crops.flatMap((c) => Array.from({ length: c.count }, () => c.size));
  const largest = Math.max(...sizes);
  const span = ctx.spans.get("loss.assign_crops");
  const seen = new Set<number>();
  for (const i of indices) {
    if (seen.has(i)) ctx.report("SEER4005", `crop ${i} is listed twice in \`assign_crops\``, span);
    seen.add(i);
    if (i >= sizes.length) {
      ctx.report("SEER4005", `\`assign_crops\` names crop ${i}, but the recipe has ${sizes.length} crops (0..${sizes.length - 1})`, span, {
        related: ctx.spanOf("augment") ? [{ span: ctx.spanOf("augment")!, message: "the crops are defined here" }] : [],
      });
    } else if (sizes[i] < largest) {
      ctx.report("SEER4006", `\`assign_crops\` includes crop ${i}, a ${sizes[i]}px crop; SwAV computes codes on the large (${largest}px) crops`, span);
    }
  }
  if (sizes.length < 2) ctx.report("SEER4005", "SwAV's swapped prediction needs at least two crops per image", ctx.spanOf("augment"));
};
