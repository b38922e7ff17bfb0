import { existsSync } from "node:fs";
import type { WrittenSource } from "../readers.js";
import type { CheckContext } from "../context.js";
import type { Rule } from "./types.js";

const LABELLED = new Set(["image_folder", "idx", "synthetic", "named"]);

function checkSource(ctx: CheckContext, source: WrittenSource, path: string, target: "tfjs" | "vissl", needsLabels: boolean): void {
  const span = ctx.spanOf(path);
  if (needsLabels && !LABELLED.has(source.kind)) {
    ctx.report("SEER2004", `an evaluation needs labelled data; \`${source.kind}(…)\` has no labels`, span, {
      hint: "use `image_folder(\"…\")` (one sub-folder per class), `idx(\"…\")`, `synthetic()` or a named dataset",
    });
  }
  // Paths of cluster targets name the cluster's file system, not this machine's.
  if (target !== "tfjs") return;
  if (source.kind === "named") {
    ctx.report("SEER7001", `\`${source.name}\` is a dataset name, with no local copy to read for an in-process run`, span, {
      hint: "point at a local copy, e.g. `image_folder(\"/data/imagenet/train\")`, or set `target = vissl`",
    });
    return;
  }
  if (source.kind === "synthetic") return;
  const file = source.kind === "list" ? source.file : source.path;
  if (!existsSync(file)) {
    // A warning, not an error: configs are often checked (in CI, on a laptop) where the data is not;
    // `seerc run` stops before step one if the path is still missing then.
    ctx.report("SEER7001", `\`${source.written}\` does not exist here (looked for ${file})`, span, {
      severity: "warning",
      hint: "relative paths are relative to the .seer file's folder; a run needs the data present",
    });
  }
}

/** SEER7001: local data paths should exist for in-process runs (a warning: the data may live elsewhere); SEER2006: `synthetic()` needs its size; evaluations need labels. */
export const dataSources: Rule = ({ ctx, exp, options }) => {
  const data = exp.data;
  if (data?.source) {
    checkSource(ctx, data.source, "data.source", options.target, false);
    // A written but broken `images` is already reported.
    if (data.source.kind === "synthetic" && data.images === null && !ctx.isBroken("data.images")) {
      ctx.report("SEER2006", "`synthetic()` needs `images = N` in the data block: how many images to generate", ctx.spanOf("data.source"), { suggestions: ["images = 2048"] });
    }
  }
  exp.evaluate.forEach((e, i) => {
    if (e.data) checkSource(ctx, e.data, `evaluate.${i}.data`, options.target, true);
  });
};
