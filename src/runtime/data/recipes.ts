// Reference augmentation recipes (facts from the SEER/SwAV papers and VISSL's configs), used by the
// benchmark and the tests; the compiler lowers `.seer` files to the same AugmentSpec shape.

import type { AugmentSpec } from "./types.js";

export const IMAGENET_NORMALIZE: AugmentSpec["normalize"] = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** SEER / SwAV multi-crop: 2×224 at scale (0.14, 1) + 4×96 at (0.05, 0.14), VISSL colour distortion strength 1. */
export const SEER_AUGMENT: AugmentSpec = {
  crops: [
    { count: 2, size: 224, scale: [0.14, 1], ratio: [3 / 4, 4 / 3] },
    { count: 4, size: 96, scale: [0.05, 0.14], ratio: [3 / 4, 4 / 3] },
  ],
  flip: 0.5,
  colorJitter: { p: 0.8, brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 },
  grayscale: 0.2,
  blur: { p: 0.5, radius: [0.1, 2.0] },
  solarize: null,
  normalize: IMAGENET_NORMALIZE,
};

/**
 * A CPU-sized multi-crop: 2×64 + 2×32 with SEER's scale ranges and colour distortion; the blur range is
 * SEER's scaled by 64/224 so the large crops are blurred as much, relative to their size, as SEER's 224s.
 */
export const CPU_AUGMENT: AugmentSpec = {
  ...SEER_AUGMENT,
  crops: [
    { count: 2, size: 64, scale: [0.14, 1], ratio: [3 / 4, 4 / 3] },
    { count: 2, size: 32, scale: [0.05, 0.14], ratio: [3 / 4, 4 / 3] },
  ],
  blur: { p: 0.5, radius: [0.1 * (64 / 224), 2.0 * (64 / 224)] },
};
