import type { Rule } from "./types.js";

/** SEER3009: the queue length must be a multiple of the global batch (it is filled batch by batch); never rounded silently. */
export const queueLength: Rule = ({ ctx, exp, derived }) => {
  const length = exp.loss?.queue?.length;
  const batch = derived.globalBatch;
  if (!length || !batch || length % batch === 0) return;
  const below = Math.floor(length / batch) * batch;
  const above = below + batch;
  ctx.report("SEER3009", `queue length ${length.toLocaleString("en-US")} is not a multiple of the global batch ${batch.toLocaleString("en-US")}`, ctx.spans.get("loss.queue.length"), {
    suggestions: [below, above].filter((n) => n > 0).map(String),
    hint: `the nearest valid lengths are ${[below, above].filter((n) => n > 0).map((n) => n.toLocaleString("en-US")).join(" and ")}`,
  });
};
