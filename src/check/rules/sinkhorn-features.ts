import type { Rule } from "./types.js";

/**
 * SEER4007: Sinkhorn spreads each batch evenly over the prototypes; with far fewer features per call
 * than prototypes (under half), most prototypes get no sample in a batch and the codes are noise.
 * SwAV's answer is a queue of past embeddings.
 */
export const sinkhornFeatures: Rule = ({ ctx, exp, derived }) => {
  const k = exp.loss?.prototypes;
  const batch = derived.globalBatch;
  if (!k || !batch) return;
  const queue = exp.loss?.queue?.length ?? 0;
  const features = batch + queue;
  if (features * 2 >= k) return;
  const suggestedQueue = Math.ceil((k - batch) / batch) * batch;
  ctx.report("SEER4007", `each Sinkhorn call sees ${features.toLocaleString("en-US")} features for ${k.toLocaleString("en-US")} prototypes; most prototypes get no sample per batch`, ctx.spans.get("loss.prototypes"), {
    hint: queue === 0 ? `add \`queue { length = ${suggestedQueue} }\` to the loss (a multiple of the global batch), or use fewer prototypes` : "lengthen the queue or use fewer prototypes",
  });
};
