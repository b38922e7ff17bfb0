export { createSwavModel, type SwavModel, type SwavForward } from "./swav-model.js";
export {
  ModelSpecError,
  planBlocks,
  validateSpec,
  type BlockPlan,
  type HeadSpec,
  type StageSpec,
  type SwavModelSpec,
  type TrunkSpec,
} from "./spec.js";
export { type ParameterRole } from "./parameters.js";
export { type ForwardMode } from "./regnet.js";
export { SWAV_MODEL_KERNELS } from "./training-kernels.js";
