// Drawing the random parameters of one crop, separately from rendering it, so the statistics (crop areas,
// flip and jitter rates, factor ranges) can be tested on millions of draws without touching pixels.
// Semantics follow torchvision (RandomResizedCrop.get_params, ColorJitter.get_params, RandomApply) and the
// VISSL SwAV pipeline SEER used: crop → flip → jitter (p) → grayscale (p) → blur (p) → solarize (p).

import { DataSourceError } from "./errors.js";
import { roundHalfEven, Rng } from "./random.js";
import type { AugmentSpec, CropSpec } from "./types.js";

export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

export const JITTER_BRIGHTNESS = 0;
export const JITTER_CONTRAST = 1;
export const JITTER_SATURATION = 2;
export const JITTER_HUE = 3;

export interface JitterParams {
  /** A permutation of the four operations, as torchvision's `randperm(4)`. */
  order: number[];
  /** Multiplicative factors (null: the operation is off because its strength is 0). */
  brightness: number | null;
  contrast: number | null;
  saturation: number | null;
  /** Hue shift in turns, in [-hue, hue]. */
  hue: number | null;
}

export interface CropParams {
  box: CropBox;
  flip: boolean;
  jitter: JitterParams | null;
  grayscale: boolean;
  blurSigma: number | null;
  solarize: boolean;
}

const MAX_CROP_TRIES = 10;

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 draws of an area fraction (uniform in `scale`) and a
 * log-uniform aspect ratio; the first box that fits wins; otherwise a centre crop clamped to the ratio range.
 */
export function sampleResizedCropBox(rng: Rng, height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number]): CropBox {
  const area = height * width;
  const logRatioLow = Math.log(ratio[0]);
  const logRatioHigh = Math.log(ratio[1]);
  for (let attempt = 0; attempt < MAX_CROP_TRIES; attempt++) {
    const targetArea = area * rng.range(scale[0], scale[1]);
    const aspect = Math.exp(rng.range(logRatioLow, logRatioHigh));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  return centreFallbackBox(height, width, ratio);
}

export function centreFallbackBox(height: number, width: number, ratio: readonly [number, number]): CropBox {
  const inputRatio = width / height;
  let w: number;
  let h: number;
  if (inputRatio < Math.min(ratio[0], ratio[1])) {
    w = width;
    h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  } else if (inputRatio > Math.max(ratio[0], ratio[1])) {
    h = height;
    w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  } else {
    w = width;
    h = height;
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

function jitterFactor(rng: Rng, strength: number): number | null {
  if (strength === 0) return null;
  return rng.range(Math.max(0, 1 - strength), 1 + strength);
}

/** Draws everything about one crop from its own generator (keyed by seed, epoch, position, attempt, crop). */
export function sampleCropParams(rng: Rng, imageHeight: number, imageWidth: number, crop: CropSpec, augment: AugmentSpec): CropParams {
  const box = sampleResizedCropBox(rng, imageHeight, imageWidth, crop.scale, crop.ratio);
  const flip = rng.bernoulli(augment.flip);
  let jitter: JitterParams | null = null;
  const cj = augment.colorJitter;
  if (cj && rng.bernoulli(cj.p)) {
    const order = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    jitter = {
      order,
      brightness: jitterFactor(rng, cj.brightness),
      contrast: jitterFactor(rng, cj.contrast),
      saturation: jitterFactor(rng, cj.saturation),
      hue: cj.hue === 0 ? null : rng.range(-cj.hue, cj.hue),
    };
  }
  const grayscale = rng.bernoulli(augment.grayscale);
  const blurSigma = augment.blur && rng.bernoulli(augment.blur.p) ? rng.range(augment.blur.radius[0], augment.blur.radius[1]) : null;
  const solarize = augment.solarize !== null && rng.bernoulli(augment.solarize.p);
  return { box, flip, jitter, grayscale, blurSigma, solarize };
}

/** Same-size crops share one output array; groups keep the order in which their size first appears. */
export interface CropGroupPlan {
  size: number;
  count: number;
  /** For each crop of the group, in output order: its CropSpec. */
  members: CropSpec[];
}

export function planCropGroups(crops: readonly CropSpec[]): CropGroupPlan[] {
  const groups: CropGroupPlan[] = [];
  for (const crop of crops) {
    let group = groups.find((g) => g.size === crop.size);
    if (!group) {
      group = { size: crop.size, count: 0, members: [] };
      groups.push(group);
    }
    for (let k = 0; k < crop.count; k++) group.members.push(crop);
    group.count += crop.count;
  }
  return groups;
}

function configError(message: string): DataSourceError {
  return new DataSourceError("data-config", message);
}

function checkProbability(name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw configError(`${name} must be a probability in [0, 1], got ${p}`);
}

/** Rejects specs the renderer cannot honour, with the offending field named. */
export function validateAugmentSpec(augment: AugmentSpec): void {
  if (augment.crops.length === 0) throw configError("augment.crops is empty: at least one crop is needed");
  augment.crops.forEach((crop, i) => {
    const at = `augment.crops[${i}]`;
    if (!Number.isInteger(crop.count) || crop.count < 1) throw configError(`${at}.count must be a positive integer, got ${crop.count}`);
    if (!Number.isInteger(crop.size) || crop.size < 1) throw configError(`${at}.size must be a positive integer, got ${crop.size}`);
    const [s0, s1] = crop.scale;
    if (!(s0 > 0 && s0 <= s1 && s1 <= 1)) throw configError(`${at}.scale must satisfy 0 < low <= high <= 1, got (${s0}, ${s1})`);
    const [r0, r1] = crop.ratio;
    if (!(r0 > 0 && r0 <= r1)) throw configError(`${at}.ratio must satisfy 0 < low <= high, got (${r0}, ${r1})`);
  });
  checkProbability("augment.flip", augment.flip);
  checkProbability("augment.grayscale", augment.grayscale);
  const cj = augment.colorJitter;
  if (cj) {
    checkProbability("augment.colorJitter.p", cj.p);
    for (const key of ["brightness", "contrast", "saturation"] as const) {
      if (!(cj[key] >= 0)) throw configError(`augment.colorJitter.${key} must be >= 0, got ${cj[key]}`);
    }
    if (!(cj.hue >= 0 && cj.hue <= 0.5)) throw configError(`augment.colorJitter.hue must be in [0, 0.5], got ${cj.hue}`);
  }
  if (augment.blur) {
    checkProbability("augment.blur.p", augment.blur.p);
    const [b0, b1] = augment.blur.radius;
    if (!(b0 > 0 && b0 <= b1)) throw configError(`augment.blur.radius must satisfy 0 < low <= high, got (${b0}, ${b1})`);
  }
  if (augment.solarize) {
    checkProbability("augment.solarize.p", augment.solarize.p);
    const t = augment.solarize.threshold;
    if (!(t >= 0 && t <= 1)) throw configError(`augment.solarize.threshold is on the 0..1 intensity scale, got ${t}`);
  }
  for (let c = 0; c < 3; c++) {
    if (!(augment.normalize.std[c] > 0)) throw configError(`augment.normalize.std[${c}] must be > 0, got ${augment.normalize.std[c]}`);
    if (!Number.isFinite(augment.normalize.mean[c])) throw configError(`augment.normalize.mean[${c}] must be a number`);
  }
}
