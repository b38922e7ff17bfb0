import type { Rule } from "./types.js";

/**
 * SEER6001–6003: features whose effect depends on where the experiment runs. The in-process
 * TensorFlow.js target has no float16 dtype and one device (larger global batches are accumulated),
 * so mixed precision and synchronised BatchNorm cannot be honoured there; this is said, never ignored.
 */
export const targetFeatures: Rule = ({ ctx, exp, options }) => {
  const train = exp.train;
  if (!train || options.target !== "tfjs") return;
  if (train.precision === "mixed") {
    ctx.report("SEER6001", "`precision = mixed` cannot be honoured by the tfjs target: TensorFlow.js has no float16 dtype, so the run would be fp32", ctx.spans.get("train.precision"), {
      hint: "write `precision = fp32`, or set `target = vissl` for a cluster run",
    });
  }
  if (train.sync_batchnorm && train.sync_batchnorm.mode !== "none") {
    ctx.report("SEER6002", "`sync_batchnorm` cannot be honoured by the tfjs target: it trains on one device, where BatchNorm statistics are per (micro-)batch", ctx.spans.get("train.sync_batchnorm"), {
      hint: "write `sync_batchnorm = none`, or set `target = vissl`",
    });
  }
  if ((train.nodes ?? 1) > 1) {
    ctx.report("SEER6003", `\`nodes = ${train.nodes}\` has no meaning for the tfjs target, which runs in one process`, ctx.spans.get("train.nodes"), { hint: "remove it, or set `target = vissl`" });
  }
};
