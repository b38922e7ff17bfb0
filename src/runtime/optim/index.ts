export { createOptimizer } from "./create.js";
export { isBiasOrNormByName } from "./bias-or-norm.js";
export { slotKey, SLOT_SEPARATOR } from "./optimizer.js";
export { LARC_DEFAULT_EPS } from "./lars.js";
export type * from "./types.js";
