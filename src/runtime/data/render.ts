// Turning one decoded image into its crops, written straight into the batch's output arrays.

import { JITTER_BRIGHTNESS, JITTER_CONTRAST, JITTER_HUE, JITTER_SATURATION, sampleCropParams, type CropGroupPlan, type CropParams } from "./augment-params.js";
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  axisWeights,
  gaussianBlur,
  normalize,
  resample,
  solarize,
  toGrayscale,
  type Scratch,
} from "./image-ops.js";
import { roundHalfEven, Rng, STREAM } from "./random.js";
import type { AugmentSpec } from "./types.js";

/**
 * Decoded pixels: 8-bit sRGB, 3 interleaved channels, row-major, `width` × `height`. When the decoder
 * shrank a large image on load, `sourceWidth` × `sourceHeight` are the file's (oriented) dimensions: crop
 * boxes are drawn on those, exactly as on the full image, then mapped onto the stored pixels, by
 * `scale` (stored pixels per source pixel) when given, else by width / sourceWidth and height / sourceHeight.
 */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
  sourceWidth?: number;
  sourceHeight?: number;
  scale?: { x: number; y: number };
}

/** Stored pixels per source pixel, along each axis. */
function storedScale(image: RgbImage): { x: number; y: number } {
  return image.scale ?? { x: image.width / (image.sourceWidth ?? image.width), y: image.height / (image.sourceHeight ?? image.height) };
}

/** Renders one crop whose parameters are already drawn, into `out[offset …]` (size × size × 3). */
export function renderCrop(image: RgbImage, params: CropParams, size: number, augment: AugmentSpec, out: Float32Array, offset: number, scratch: Scratch): void {
  const { box } = params;
  const { x: scaleX, y: scaleY } = storedScale(image);
  const xs = scaleX === 1 ? axisWeights(box.left, box.width, size) : axisWeights(box.left * scaleX, box.width * scaleX, size, 0, size, image.width);
  const ys = scaleY === 1 ? axisWeights(box.top, box.height, size) : axisWeights(box.top * scaleY, box.height * scaleY, size, 0, size, image.height);
  resample(image.data, image.width, xs, ys, params.flip, out, offset, scratch);
  const pixels = size * size;
  const jitter = params.jitter;
  if (jitter) {
    for (const op of jitter.order) {
      if (op === JITTER_BRIGHTNESS && jitter.brightness !== null) adjustBrightness(out, offset, pixels, jitter.brightness);
      else if (op === JITTER_CONTRAST && jitter.contrast !== null) adjustContrast(out, offset, pixels, jitter.contrast);
      else if (op === JITTER_SATURATION && jitter.saturation !== null) adjustSaturation(out, offset, pixels, jitter.saturation);
      else if (op === JITTER_HUE && jitter.hue !== null) adjustHue(out, offset, pixels, jitter.hue);
    }
  }
  if (params.grayscale) toGrayscale(out, offset, pixels);
  if (params.blurSigma !== null) gaussianBlur(out, offset, size, size, params.blurSigma, scratch);
  if (params.solarize && augment.solarize) solarize(out, offset, pixels, augment.solarize.threshold);
  normalize(out, offset, pixels, augment.normalize.mean, augment.normalize.std);
}

/**
 * Every crop of one training sample. Crop j (counting across groups in output order) draws from
 * Rng(seed, epoch, positionInEpoch, attempt, crop j): nothing depends on which worker runs it.
 * Image `slot`'s k-th crop of a group lands at row k·batchSize + slot (crop-major layout).
 */
export function renderTrainingSample(
  image: RgbImage,
  key: readonly [seed: number, epoch: number, positionInEpoch: number, attempt: number],
  augment: AugmentSpec,
  groups: readonly CropGroupPlan[],
  outputs: readonly Float32Array[],
  slot: number,
  batchSize: number,
  scratch: Scratch,
): void {
  let cropNumber = 0;
  groups.forEach((group, g) => {
    const cropLength = group.size * group.size * 3;
    for (let k = 0; k < group.count; k++) {
      const rng = Rng.forKey([...key, STREAM.crop, cropNumber++]);
      const params = sampleCropParams(rng, image.sourceHeight ?? image.height, image.sourceWidth ?? image.width, group.members[k], augment);
      renderCrop(image, params, group.size, augment, outputs[g], (k * batchSize + slot) * cropLength, scratch);
    }
  });
}

export function evalResizeShorterSide(size: number, resizeRatio: number): number {
  return Math.max(size, Math.floor(size / resizeRatio + 1e-9));
}

/**
 * Evaluation view: resize the shorter side to floor(size / resizeRatio) (256 for 224 at the usual 0.875),
 * longer side in proportion (truncated, as torchvision's Resize), then the centre size × size crop
 * (offsets rounded half to even, as torchvision's CenterCrop); normalised, nothing random.
 */
export function renderEvalSample(image: RgbImage, size: number, resizeRatio: number, augment: AugmentSpec, out: Float32Array, offset: number, scratch: Scratch): void {
  const shorter = evalResizeShorterSide(size, resizeRatio);
  const width = image.sourceWidth ?? image.width;
  const height = image.sourceHeight ?? image.height;
  let resizedWidth: number;
  let resizedHeight: number;
  if (width <= height) {
    resizedWidth = shorter;
    resizedHeight = Math.max(size, Math.floor((shorter * height) / width));
  } else {
    resizedHeight = shorter;
    resizedWidth = Math.max(size, Math.floor((shorter * width) / height));
  }
  const top = roundHalfEven((resizedHeight - size) / 2);
  const left = roundHalfEven((resizedWidth - size) / 2);
  const scale = storedScale(image);
  const xs = axisWeights(0, width * scale.x, resizedWidth, left, size, image.width);
  const ys = axisWeights(0, height * scale.y, resizedHeight, top, size, image.height);
  resample(image.data, image.width, xs, ys, false, out, offset, scratch);
  normalize(out, offset, size * size, augment.normalize.mean, augment.normalize.std);
}
