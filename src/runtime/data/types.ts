// The data pipeline's contract: plain specs in (lowered from `.seer` by the compiler), plain typed arrays out.
// Nothing here may depend on TensorFlow.js, so the trainer and the evaluation code can use it on any backend.

/** Where images come from. */
export type SourceSpec =
  /** Recursive and unlabelled; listed lazily. Globs: see `glob.ts` (case-insensitive; a pattern without `/` matches the file name). */
  | { kind: "folder"; path: string; include?: string[]; exclude?: string[] }
  /** One sub-folder per class (sorted names give class indices, as torchvision's ImageFolder). */
  | { kind: "image_folder"; path: string }
  /** MNIST / Fashion-MNIST IDX files in `path` (`train-…` or `t10k-…`, gzipped or not). */
  | { kind: "idx"; path: string; split: "train" | "test" }
  /** Text file of image paths, one a line; relative paths are resolved against the list file's folder. */
  | { kind: "list"; file: string }
  /** Generated images with latent classes (shape × texture × colour), deterministic from `seed`. */
  | { kind: "synthetic"; images: number; classes: number; size: number; seed: number };

/** One multi-crop entry: `count` RandomResizedCrops of `size`×`size` px. */
export interface CropSpec {
  count: number;
  size: number;
  /** Fraction of the image area, as torchvision's RandomResizedCrop `scale`. */
  scale: [number, number];
  /** Aspect-ratio range w/h, sampled log-uniformly (torchvision: 3/4..4/3). */
  ratio: [number, number];
}

export interface ColorJitterSpec {
  p: number;
  brightness: number;
  contrast: number;
  saturation: number;
  /** In turns of the colour wheel, 0..0.5 (torchvision semantics). */
  hue: number;
}

export interface AugmentSpec {
  crops: CropSpec[];
  /** Probability of a horizontal flip. */
  flip: number;
  colorJitter: ColorJitterSpec | null;
  /** Probability of converting to grayscale (ITU-R 601 luma, replicated to 3 channels). */
  grayscale: number;
  /**
   * Gaussian blur applied with probability `p`; `radius` is the range of the standard deviation (sigma) in
   * pixels **of the crop being blurred** (VISSL/PIL semantics: SEER's 224 px and 96 px crops both draw
   * sigma from [0.1, 2.0]). A recipe wanting a blur relative to the crop size scales the range itself.
   */
  blur: { p: number; radius: [number, number] } | null;
  /** Pixels at or above `threshold` (on the 0..1 intensity scale; BYOL's 128/255 ≈ 0.5) are inverted. */
  solarize: { p: number; threshold: number } | null;
  /** Per-channel mean and std on the 0..1 scale (ImageNet: [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]). */
  normalize: { mean: [number, number, number]; std: [number, number, number] };
}

export type SkipReason =
  | "empty" /** zero-byte file */
  | "truncated" /** the image data ends early */
  | "not-an-image" /** no decoder recognises the bytes (e.g. a text file named .jpg) */
  | "corrupt" /** recognised but undecodable */
  | "too-many-pixels" /** width × height over the decompression-bomb limit */
  | "too-large" /** file bigger than the byte limit */
  | "permission-denied"
  | "missing" /** deleted after listing, or a dangling symlink */
  | "unreadable" /** any other I/O error */
  | "symlink-loop"; /** a directory symlink pointing at one of its ancestors (not followed) */

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  /** The decoder's or the OS's own words, for logs. */
  detail?: string;
}

/** One group of crops of the same size. */
export interface CropBatch {
  size: number;
  /** Crops per image in this group. */
  count: number;
  /**
   * `[batch*count, size, size, 3]` NHWC, crop-major: rows `0..batch-1` are every image's first crop of this
   * size, rows `batch..2*batch-1` their second crop, and so on (the order SwAV concatenates views in).
   * Backed by a SharedArrayBuffer owned by this batch alone.
   */
  data: Float32Array;
}

/** Where the stream stands: enough to resume exactly (pass `nextStep` as `startStep` with the same seed and batch size). */
export interface DataCursor {
  seed: number;
  batchSize: number;
  nextStep: number;
  /** Sample positions consumed so far (`nextStep * batchSize` while no pass has ended early). */
  samplesConsumed: number;
}

export interface Batch {
  step: number;
  /** Epoch of the batch's first sample (a training batch may straddle two epochs). */
  epoch: number;
  /** Number of images in this batch (the configured batch size except for the last batch of a finite pass). */
  size: number;
  crops: CropBatch[];
  /** Class index of each image actually used, for labelled sources. */
  labels?: Int32Array;
  /** Source index of each image actually used (for a lazily listed folder: its ordinal in that epoch's listing). */
  indices: Int32Array;
  /** File of each image actually used, for file-based sources. */
  paths?: string[];
  /** Milliseconds the consumer waited for this batch inside `next()`. */
  dataWaitMs: number;
  /** Files skipped while assembling this batch (and listing problems found meanwhile). */
  skipped: SkippedFile[];
  cursor: DataCursor;
}

/** How a worker finds one image. */
export type SampleRef =
  | { kind: "file"; path: string }
  | { kind: "pixels"; index: number }
  | { kind: "synthetic"; index: number };

/** What a worker needs, once, to resolve `SampleRef`s of a source (shared memory, never copied per job). */
export type SourceWorkerContext =
  | { kind: "files" }
  | { kind: "pixels"; pixels: SharedArrayBuffer; count: number; width: number; height: number; channels: 1 | 3 }
  | { kind: "synthetic"; images: number; classes: number; size: number; seed: number };

/** Limits against hostile input. */
export interface DecodeLimits {
  /** Largest width × height accepted (decompression bombs). */
  maxPixels: number;
  /** Largest file accepted, in bytes. */
  maxBytes: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxPixels: 100_000_000, maxBytes: 256 * 1024 * 1024 };
