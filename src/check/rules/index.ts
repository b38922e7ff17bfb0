import type { Rule } from "./types.js";
import { regnetParameters } from "./regnet-parameters.js";
import { headInputWidth } from "./head-input-width.js";
import { crops } from "./crops.js";
import { assignCrops } from "./assign-crops.js";
import { schedule } from "./schedule.js";
import { batch } from "./batch.js";
import { durations } from "./durations.js";
import { queueLength } from "./queue-length.js";
import { sinkhornFeatures } from "./sinkhorn-features.js";
import { targetFeatures } from "./target-features.js";
import { memory } from "./memory.js";
import { dataSources } from "./data-sources.js";
import { evaluations } from "./evaluations.js";

/** Every semantic rule, run in this order on each experiment after its fields are read. */
export const RULES: ReadonlyArray<readonly [string, Rule]> = [
  ["regnet-parameters", regnetParameters],
  ["head-input-width", headInputWidth],
  ["crops", crops],
  ["assign-crops", assignCrops],
  ["schedule", schedule],
  ["batch", batch],
  ["durations", durations],
  ["queue-length", queueLength],
  ["sinkhorn-features", sinkhornFeatures],
  ["target-features", targetFeatures],
  ["memory", memory],
  ["data-sources", dataSources],
  ["evaluations", evaluations],
];
export type { Rule, RuleInput, RuleOptions } from "./types.js";
