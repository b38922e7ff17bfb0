import type { Rule } from "./types.js";

/** SEER3007: a stated global batch must equal per-device x devices; micro-batches must divide the device batch (SEER6006 says what accumulation means for BatchNorm). */
export const batch: Rule = ({ ctx, exp, derived, options }) => {
  const train = exp.train;
  const written = train?.batch;
  if (!train || !written || derived.globalBatch === null) return;
  if (train.global_batch !== null && train.global_batch !== derived.globalBatch) {
    ctx.report("SEER3007", `\`global_batch = ${train.global_batch}\` disagrees with \`batch\`: ${written.perDevice} per device x ${written.devices} devices = ${derived.globalBatch}`, ctx.spans.get("train.global_batch"), {
      related: [{ span: ctx.spans.get("train.batch")!, message: `the batch gives ${derived.globalBatch}` }],
      suggestions: [String(derived.globalBatch)],
    });
  }
  if (train.micro_batch !== null) {
    if (written.perDevice % train.micro_batch !== 0 || train.micro_batch > written.perDevice) {
      const divisors = Array.from({ length: written.perDevice }, (_, i) => i + 1).filter((d) => written.perDevice % d === 0);
      ctx.report("SEER2005", `\`micro_batch = ${train.micro_batch}\` must divide the batch per device (${written.perDevice})`, ctx.spans.get("train.micro_batch"), {
        suggestions: divisors.filter((d) => Math.abs(d - train.micro_batch!) <= train.micro_batch!).slice(-3).map(String),
      });
      // With no whole number of micro-batches there is no accumulation to describe.
      return;
    } else if (train.micro_batch < written.perDevice) {
      ctx.report("SEER6006", `gradients are accumulated over ${written.perDevice / train.micro_batch} micro-batches of ${train.micro_batch}; Sinkhorn sees the whole batch, but BatchNorm statistics are computed per micro-batch`, ctx.spans.get("train.micro_batch"));
      return;
    }
  }
  if (options.target === "tfjs" && written.devices > 1) {
    const micro = train.micro_batch ?? written.perDevice;
    ctx.report("SEER6006", `the tfjs target runs the ${written.devices} devices' batches one after another in one process: gradients are accumulated over ${derived.globalBatch / micro} micro-batches of ${micro}; Sinkhorn sees the whole global batch, BatchNorm statistics are per micro-batch`, ctx.spans.get("train.batch"));
  }
};
