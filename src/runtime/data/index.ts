// Public surface of the data pipeline (no TensorFlow.js anywhere below this folder).
export type {
  AugmentSpec,
  Batch,
  ColorJitterSpec,
  CropBatch,
  CropSpec,
  DataCursor,
  DecodeLimits,
  SkippedFile,
  SkipReason,
  SourceSpec,
} from "./types.js";
export { DEFAULT_DECODE_LIMITS } from "./types.js";
export { DataSourceError, isDataSourceError, type DataErrorCode } from "./errors.js";
export { openSource, type ImageSource, type ListEvent } from "./sources.js";
export { createBatchStream, type BatchStream, type BatchStreamOptions } from "./batch-stream.js";
export { defaultWorkerCount } from "./pool.js";
export { validateAugmentSpec, planCropGroups } from "./augment-params.js";
export { CPU_AUGMENT, IMAGENET_NORMALIZE, SEER_AUGMENT } from "./recipes.js";
