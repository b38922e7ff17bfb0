import { durationSteps, describeDuration } from "../../compile/schedule.js";
import type { WrittenDuration } from "../../compile/schedule.js";
import type { Rule } from "./types.js";

/** SEER3008: prototype freezing and the queue's start must fall inside the run; SEER3011 when a length is known only at run time. */
export const durations: Rule = ({ ctx, exp, derived }) => {
  if (derived.globalBatch === null) return;
  const run = { globalBatch: derived.globalBatch, datasetImages: derived.datasetImages };
  const points: Array<[string, WrittenDuration | null | undefined, string]> = [
    ["loss.freeze_prototypes", exp.loss?.freeze_prototypes, "prototype freezing"],
    ["loss.queue.start", exp.loss?.queue?.start, "the queue's start"],
    ["train.checkpoint_every", exp.train?.checkpoint_every, "the checkpoint interval"],
  ];
  for (const [path, d, what] of points) {
    if (!d) continue;
    const steps = durationSteps(d, run);
    const span = ctx.spanOf(path);
    if (steps === null) {
      ctx.report("SEER3011", `${what} (\`${describeDuration(d)}\`) converts to steps once the dataset size is known at run time`, span, {
        hint: "declare `data.images` to see it now",
      });
      continue;
    }
    if (derived.totalSteps !== null && steps >= derived.totalSteps && path !== "train.checkpoint_every" && steps > 0) {
      const when = path === "loss.queue.start" ? `starts at step ${steps.toLocaleString("en-US")}` : `lasts ${steps.toLocaleString("en-US")} steps`;
      const subject = path === "loss.queue.start" ? "the queue" : what;
      ctx.report("SEER3008", `${subject} ${when}, but the run has only ${derived.totalSteps.toLocaleString("en-US")} steps`, span);
    }
    if (path === "train.checkpoint_every" && steps < 1) ctx.report("SEER2005", "the checkpoint interval must be at least one step", span);
  }
};
