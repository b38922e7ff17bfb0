export { sinkhorn, sinkhornWithQueue } from "./sinkhorn.js";
export { swavLoss, swavLossWithCodes } from "./loss.js";
export type { SwavLossOptions, SwavLossResult, SwavLossStats, PrototypeUsage } from "./loss.js";
export { EmbeddingQueue } from "./queue.js";
export type { EmbeddingQueueConfig, EmbeddingQueueState } from "./queue.js";
export { withoutGradient } from "./no-gradient.js";
