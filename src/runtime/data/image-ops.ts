// Pixel operations on interleaved RGB, in plain typed arrays. Resampling reads 8-bit pixels and writes
// floats on the 0..1 scale; every later operation works in place on those floats (no 8-bit rounding
// between steps, unlike PIL). Definitions follow torchvision's tensor functional ops.

/** Which input pixels (and how much of each) make each output pixel along one axis. */
export interface AxisWeights {
  count: number;
  /** First input index used by each output. */
  first: Int32Array;
  /** Number of input indices used by each output. */
  taps: Int32Array;
  maxTaps: number;
  /** `count × maxTaps`, normalised to sum 1 per output. */
  weights: Float32Array;
}

/**
 * Antialiased linear resampling of the input span [start, start+length) to `outSize` samples (PIL's
 * bilinear resize, which torchvision uses for PIL images): output i is centred at start + (i + 0.5)·scale,
 * scale = length / outSize, and averages the inputs under a triangle whose half-width is max(scale, 1)
 * input pixels, clipped to the span. Upscaling is thus ordinary bilinear interpolation; downscaling
 * widens the triangle so every input pixel contributes (no aliasing).
 * Only outputs [windowStart, windowStart + windowSize) are computed (centre crops after a resize).
 * `start` and `length` may be fractional (a crop box mapped onto a pre-shrunk image); pixels are then
 * clipped to those the span touches, and to [0, extent).
 */
export function axisWeights(start: number, length: number, outSize: number, windowStart = 0, windowSize = outSize, extent = Math.ceil(start + length)): AxisWeights {
  const scale = length / outSize;
  const support = Math.max(scale, 1);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(windowSize);
  const taps = new Int32Array(windowSize);
  const weights = new Float32Array(windowSize * maxTaps);
  const lowest = Math.max(0, Math.floor(start));
  const highest = Math.min(extent, Math.ceil(start + length)) - 1;
  for (let i = 0; i < windowSize; i++) {
    const centre = start + (windowStart + i + 0.5) * scale;
    let low = Math.ceil(centre - support - 0.5);
    let high = Math.floor(centre + support - 0.5);
    if (low < lowest) low = lowest;
    if (high > highest) high = highest;
    let total = 0;
    let n = 0;
    const row = i * maxTaps;
    for (let k = low; k <= high; k++) {
      const w = Math.max(0, 1 - Math.abs((k + 0.5 - centre) / support));
      weights[row + n++] = w;
      total += w;
    }
    // Trim zero-weight edges so the hot loop never multiplies by 0.
    let skip = 0;
    while (skip < n - 1 && weights[row + skip] === 0) skip++;
    let used = n - skip;
    while (used > 1 && weights[row + skip + used - 1] === 0) used--;
    for (let t = 0; t < used; t++) weights[row + t] = weights[row + skip + t] / total;
    first[i] = low + skip;
    taps[i] = used;
  }
  return { count: windowSize, first, taps, maxTaps, weights };
}

/**
 * A 2×2 box average of 8-bit RGB: the antialiased halving of an image. An odd last row or column is
 * dropped, so stored pixel (x, y) covers source pixels [2x, 2x + 2) × [2y, 2y + 2) exactly (scale ½).
 */
export function halveRgb(source: Uint8Array, width: number, height: number): { width: number; height: number; data: Uint8Array } {
  const halfWidth = width >> 1;
  const halfHeight = height >> 1;
  const data = new Uint8Array(halfWidth * halfHeight * 3);
  const stride = width * 3;
  for (let y = 0; y < halfHeight; y++) {
    let top = 2 * y * stride;
    let bottom = top + stride;
    let o = y * halfWidth * 3;
    for (let x = 0; x < halfWidth; x++) {
      data[o] = (source[top] + source[top + 3] + source[bottom] + source[bottom + 3] + 2) >> 2;
      data[o + 1] = (source[top + 1] + source[top + 4] + source[bottom + 1] + source[bottom + 4] + 2) >> 2;
      data[o + 2] = (source[top + 2] + source[top + 5] + source[bottom + 2] + source[bottom + 5] + 2) >> 2;
      top += 6;
      bottom += 6;
      o += 3;
    }
  }
  return { width: halfWidth, height: halfHeight, data };
}

/** Grows on demand and is reused between crops (no per-crop allocation in the hot path). */
export class Scratch {
  private buffer = new Float32Array(0);
  get(length: number): Float32Array {
    if (this.buffer.length < length) this.buffer = new Float32Array(Math.max(length, this.buffer.length * 2));
    return this.buffer;
  }
}

/**
 * Separable resampling of 8-bit RGB `source` (width `sourceWidth`) with the given axis weights into
 * `out[offset …]` (ys.count × xs.count × 3 floats on the 0..1 scale). `flip` mirrors the output
 * horizontally (torchvision flips after resizing, which is the same thing).
 */
export function resample(source: Uint8Array, sourceWidth: number, xs: AxisWeights, ys: AxisWeights, flip: boolean, out: Float32Array, offset: number, scratch: Scratch): void {
  let rowStart = Infinity;
  let rowEnd = -Infinity;
  for (let y = 0; y < ys.count; y++) {
    rowStart = Math.min(rowStart, ys.first[y]);
    rowEnd = Math.max(rowEnd, ys.first[y] + ys.taps[y]);
  }
  const outWidth = xs.count;
  const rowLength = outWidth * 3;
  const rows = rowEnd - rowStart;
  const horizontal = scratch.get(rows * rowLength);
  const { first: xFirst, taps: xTaps, weights: xWeights, maxTaps: xStride } = xs;
  for (let r = 0; r < rows; r++) {
    const sourceRow = (rowStart + r) * sourceWidth * 3;
    const targetRow = r * rowLength;
    for (let x = 0; x < outWidth; x++) {
      let p = sourceRow + xFirst[x] * 3;
      const n = xTaps[x];
      const w0 = x * xStride;
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let t = 0; t < n; t++) {
        const w = xWeights[w0 + t];
        red += source[p] * w;
        green += source[p + 1] * w;
        blue += source[p + 2] * w;
        p += 3;
      }
      const o = targetRow + (flip ? outWidth - 1 - x : x) * 3;
      horizontal[o] = red;
      horizontal[o + 1] = green;
      horizontal[o + 2] = blue;
    }
  }
  const { first: yFirst, taps: yTaps, weights: yWeights, maxTaps: yStride } = ys;
  const toUnit = 1 / 255;
  for (let y = 0; y < ys.count; y++) {
    const target = offset + y * rowLength;
    const n = yTaps[y];
    const w0 = y * yStride;
    const base = (yFirst[y] - rowStart) * rowLength;
    // Taps two at a time: half the read-modify-write traffic on the output row.
    let t: number;
    if (n >= 2) {
      const wa = yWeights[w0] * toUnit;
      const wb = yWeights[w0 + 1] * toUnit;
      const second = base + rowLength;
      for (let i = 0; i < rowLength; i++) out[target + i] = horizontal[base + i] * wa + horizontal[second + i] * wb;
      t = 2;
    } else {
      const wa = yWeights[w0] * toUnit;
      for (let i = 0; i < rowLength; i++) out[target + i] = horizontal[base + i] * wa;
      t = 1;
    }
    for (; t + 1 < n; t += 2) {
      const wa = yWeights[w0 + t] * toUnit;
      const wb = yWeights[w0 + t + 1] * toUnit;
      const first = base + t * rowLength;
      const second = first + rowLength;
      for (let i = 0; i < rowLength; i++) out[target + i] += horizontal[first + i] * wa + horizontal[second + i] * wb;
    }
    if (t < n) {
      const wa = yWeights[w0 + t] * toUnit;
      const first = base + t * rowLength;
      for (let i = 0; i < rowLength; i++) out[target + i] += horizontal[first + i] * wa;
    }
  }
}

// ITU-R BT.601 luma, as PIL's "L" conversion and torchvision's rgb_to_grayscale.
const LUMA_RED = 0.299;
const LUMA_GREEN = 0.587;
const LUMA_BLUE = 0.114;

function clampUnit(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

/** torchvision adjust_brightness: blend with black, clamped. */
export function adjustBrightness(data: Float32Array, offset: number, pixels: number, factor: number): void {
  const end = offset + pixels * 3;
  for (let i = offset; i < end; i++) {
    const v = data[i] * factor;
    data[i] = v > 1 ? 1 : v;
  }
}

/** torchvision adjust_contrast: blend with the mean luma of the whole crop, clamped. */
export function adjustContrast(data: Float32Array, offset: number, pixels: number, factor: number): void {
  const end = offset + pixels * 3;
  let sum = 0;
  for (let i = offset; i < end; i += 3) sum += LUMA_RED * data[i] + LUMA_GREEN * data[i + 1] + LUMA_BLUE * data[i + 2];
  const blended = (1 - factor) * (sum / pixels);
  for (let i = offset; i < end; i++) data[i] = clampUnit(factor * data[i] + blended);
}

/** torchvision adjust_saturation: blend each pixel with its own luma, clamped. */
export function adjustSaturation(data: Float32Array, offset: number, pixels: number, factor: number): void {
  const end = offset + pixels * 3;
  const keep = 1 - factor;
  for (let i = offset; i < end; i += 3) {
    const r = data[i];
    const g = data[i + 1];
    const b = data[i + 2];
    const gray = keep * (LUMA_RED * r + LUMA_GREEN * g + LUMA_BLUE * b);
    data[i] = clampUnit(factor * r + gray);
    data[i + 1] = clampUnit(factor * g + gray);
    data[i + 2] = clampUnit(factor * b + gray);
  }
}

/**
 * torchvision adjust_hue: rotate the HSV hue by `shift` turns, keeping S and V. Because S and V are kept,
 * each pixel's max and min channel stay put; only which channel holds them and the middle value change.
 */
export function adjustHue(data: Float32Array, offset: number, pixels: number, shift: number): void {
  const end = offset + pixels * 3;
  for (let i = offset; i < end; i += 3) {
    const r = data[i];
    const g = data[i + 1];
    const b = data[i + 2];
    const max = r > g ? (r > b ? r : b) : g > b ? g : b;
    const min = r < g ? (r < b ? r : b) : g < b ? g : b;
    const chroma = max - min;
    if (chroma === 0) continue;
    let hue: number;
    if (max === r) hue = (g - b) / chroma;
    else if (max === g) hue = 2 + (b - r) / chroma;
    else hue = 4 + (r - g) / chroma;
    hue = hue / 6 + shift;
    hue -= Math.floor(hue);
    const sector6 = hue * 6;
    const sector = Math.floor(sector6);
    const rising = min + chroma * (sector6 - sector);
    const falling = max - chroma * (sector6 - sector);
    switch (sector) {
      case 0:
        data[i] = max, data[i + 1] = rising, data[i + 2] = min;
        break;
      case 1:
        data[i] = falling, data[i + 1] = max, data[i + 2] = min;
        break;
      case 2:
        data[i] = min, data[i + 1] = max, data[i + 2] = rising;
        break;
      case 3:
        data[i] = min, data[i + 1] = falling, data[i + 2] = max;
        break;
      case 4:
        data[i] = rising, data[i + 1] = min, data[i + 2] = max;
        break;
      default:
        data[i] = max, data[i + 1] = min, data[i + 2] = falling;
    }
  }
}

export function toGrayscale(data: Float32Array, offset: number, pixels: number): void {
  const end = offset + pixels * 3;
  for (let i = offset; i < end; i += 3) {
    const gray = LUMA_RED * data[i] + LUMA_GREEN * data[i + 1] + LUMA_BLUE * data[i + 2];
    data[i] = gray;
    data[i + 1] = gray;
    data[i + 2] = gray;
  }
}

/** torchvision solarize on floats: invert every value at or above the threshold. */
export function solarize(data: Float32Array, offset: number, pixels: number, threshold: number): void {
  const end = offset + pixels * 3;
  for (let i = offset; i < end; i++) if (data[i] >= threshold) data[i] = 1 - data[i];
}

export function normalize(data: Float32Array, offset: number, pixels: number, mean: readonly number[], std: readonly number[]): void {
  const end = offset + pixels * 3;
  const m0 = mean[0];
  const m1 = mean[1];
  const m2 = mean[2];
  const s0 = 1 / std[0];
  const s1 = 1 / std[1];
  const s2 = 1 / std[2];
  for (let i = offset; i < end; i += 3) {
    data[i] = (data[i] - m0) * s0;
    data[i + 1] = (data[i + 1] - m1) * s1;
    data[i + 2] = (data[i + 2] - m2) * s2;
  }
}

/**
 * One box of the extended box filter (Gwosdek et al. 2011): weight 1 on offsets -r..r and `alpha` on ±(r+1),
 * normalised, with r and alpha chosen so the kernel's variance is exactly `variance`. Its variance is
 * [r(r+1)(2r+1)/3 + 2·alpha·(r+1)²] / (2r+1+2·alpha); solving for alpha gives the formula below.
 */
export function extendedBox(variance: number): { radius: number; alpha: number } {
  const length = Math.sqrt(12 * variance + 1);
  const radius = Math.floor((length - 1) / 2);
  const alpha = ((2 * radius + 1) * (3 * variance - radius * (radius + 1))) / (6 * ((radius + 1) * (radius + 1) - variance));
  return { radius, alpha };
}

const BOX_PASSES = 3;

/** One horizontal box pass over every row, the three channels of a row at once, edges extended. */
function horizontalBoxPass(data: Float32Array, offset: number, width: number, height: number, radius: number, alpha: number, line: Float32Array): void {
  const pad = radius + 1;
  const norm = 1 / (2 * radius + 1 + 2 * alpha);
  const rowLength = width * 3;
  for (let y = 0; y < height; y++) {
    const row = offset + y * rowLength;
    for (let i = 0; i < rowLength; i++) line[pad * 3 + i] = data[row + i];
    for (let i = 0; i < pad; i++) {
      for (let c = 0; c < 3; c++) {
        line[i * 3 + c] = data[row + c];
        line[(pad + width + i) * 3 + c] = data[row + rowLength - 3 + c];
      }
    }
    for (let c = 0; c < 3; c++) {
      let inner = 0;
      for (let k = -radius; k <= radius; k++) inner += line[(pad + k) * 3 + c];
      for (let x = 0; x < width; x++) {
        const centre = (pad + x) * 3 + c;
        const outerLeft = line[centre - (radius + 1) * 3];
        const outerRight = line[centre + (radius + 1) * 3];
        data[row + x * 3 + c] = (inner + alpha * (outerLeft + outerRight)) * norm;
        inner += outerRight - line[centre - radius * 3];
      }
    }
  }
}

/** One vertical box pass, whole rows at a time (contiguous memory), from a copy of the image. */
function verticalBoxPass(data: Float32Array, offset: number, width: number, height: number, radius: number, alpha: number, copy: Float32Array, sums: Float32Array): void {
  const rowLength = width * 3;
  const norm = 1 / (2 * radius + 1 + 2 * alpha);
  copy.set(data.subarray(offset, offset + rowLength * height));
  const rowAt = (y: number) => (y < 0 ? 0 : y >= height ? height - 1 : y) * rowLength;
  sums.fill(0, 0, rowLength);
  for (let k = -radius; k <= radius; k++) {
    const r = rowAt(k);
    for (let i = 0; i < rowLength; i++) sums[i] += copy[r + i];
  }
  for (let y = 0; y < height; y++) {
    const target = offset + y * rowLength;
    const above = rowAt(y - radius - 1);
    const below = rowAt(y + radius + 1);
    const leaving = rowAt(y - radius);
    for (let i = 0; i < rowLength; i++) {
      const outerBelow = copy[below + i];
      data[target + i] = (sums[i] + alpha * (copy[above + i] + outerBelow)) * norm;
      sums[i] += outerBelow - copy[leaving + i];
    }
  }
}

// Specialised passes for the radii SEER's blur range needs (sigma up to ~2.45 px gives radius 0 or 1):
// the window slides through locals, so each element costs one load and one store instead of a copy into a
// padded line and a running sum. Same arithmetic as the general passes (the tests compare them).

function horizontalPassRadius0(data: Float32Array, offset: number, width: number, height: number, alpha: number): void {
  const norm = 1 / (1 + 2 * alpha);
  const rowLength = width * 3;
  for (let y = 0; y < height; y++) {
    const row = offset + y * rowLength;
    let p0 = data[row];
    let p1 = data[row + 1];
    let p2 = data[row + 2];
    let c0 = p0;
    let c1 = p1;
    let c2 = p2;
    const last = row + rowLength - 3;
    for (let i = row; i < last; i += 3) {
      const n0 = data[i + 3];
      const n1 = data[i + 4];
      const n2 = data[i + 5];
      data[i] = (c0 + alpha * (p0 + n0)) * norm;
      data[i + 1] = (c1 + alpha * (p1 + n1)) * norm;
      data[i + 2] = (c2 + alpha * (p2 + n2)) * norm;
      p0 = c0;
      p1 = c1;
      p2 = c2;
      c0 = n0;
      c1 = n1;
      c2 = n2;
    }
    data[last] = (c0 + alpha * (p0 + c0)) * norm;
    data[last + 1] = (c1 + alpha * (p1 + c1)) * norm;
    data[last + 2] = (c2 + alpha * (p2 + c2)) * norm;
  }
}

function verticalPassRadius0(data: Float32Array, offset: number, width: number, height: number, alpha: number, previous: Float32Array): void {
  const norm = 1 / (1 + 2 * alpha);
  const rowLength = width * 3;
  for (let i = 0; i < rowLength; i++) previous[i] = data[offset + i];
  for (let y = 0; y < height; y++) {
    const row = offset + y * rowLength;
    const next = y + 1 < height ? row + rowLength : row;
    for (let i = 0; i < rowLength; i++) {
      const centre = data[row + i];
      data[row + i] = (centre + alpha * (previous[i] + data[next + i])) * norm;
      previous[i] = centre;
    }
  }
}

function horizontalPassRadius1(data: Float32Array, offset: number, width: number, height: number, alpha: number): void {
  const norm = 1 / (3 + 2 * alpha);
  const rowLength = width * 3;
  for (let y = 0; y < height; y++) {
    const row = offset + y * rowLength;
    const lastPixel = row + rowLength - 3;
    // Window x-2 .. x+2 per channel: a, b, centre, d held; e loaded (edges extended).
    let a0 = data[row];
    let a1 = data[row + 1];
    let a2 = data[row + 2];
    let b0 = a0;
    let b1 = a1;
    let b2 = a2;
    let c0 = a0;
    let c1 = a1;
    let c2 = a2;
    const second = width > 1 ? row + 3 : row;
    let d0 = data[second];
    let d1 = data[second + 1];
    let d2 = data[second + 2];
    for (let i = row; i <= lastPixel; i += 3) {
      const ahead = i + 6 <= lastPixel ? i + 6 : lastPixel;
      const e0 = data[ahead];
      const e1 = data[ahead + 1];
      const e2 = data[ahead + 2];
      data[i] = (b0 + c0 + d0 + alpha * (a0 + e0)) * norm;
      data[i + 1] = (b1 + c1 + d1 + alpha * (a1 + e1)) * norm;
      data[i + 2] = (b2 + c2 + d2 + alpha * (a2 + e2)) * norm;
      a0 = b0;
      a1 = b1;
      a2 = b2;
      b0 = c0;
      b1 = c1;
      b2 = c2;
      c0 = d0;
      c1 = d1;
      c2 = d2;
      d0 = e0;
      d1 = e1;
      d2 = e2;
    }
  }
}

function verticalPassRadius1(data: Float32Array, offset: number, width: number, height: number, alpha: number, rowsAbove: Float32Array): void {
  const norm = 1 / (3 + 2 * alpha);
  const rowLength = width * 3;
  let twoAbove = rowsAbove.subarray(0, rowLength);
  let oneAbove = rowsAbove.subarray(rowLength, 2 * rowLength);
  for (let i = 0; i < rowLength; i++) {
    twoAbove[i] = data[offset + i];
    oneAbove[i] = data[offset + i];
  }
  const lastRow = offset + (height - 1) * rowLength;
  for (let y = 0; y < height; y++) {
    const row = offset + y * rowLength;
    const below1 = Math.min(row + rowLength, lastRow);
    const below2 = Math.min(row + 2 * rowLength, lastRow);
    for (let i = 0; i < rowLength; i++) {
      const centre = data[row + i];
      data[row + i] = (oneAbove[i] + centre + data[below1 + i] + alpha * (twoAbove[i] + data[below2 + i])) * norm;
      twoAbove[i] = centre; // becomes "one above" after the swap below
    }
    const swap = twoAbove;
    twoAbove = oneAbove;
    oneAbove = swap;
  }
}

/**
 * Gaussian blur of standard deviation `sigma` px, as PIL's GaussianBlur (which VISSL's SEER recipe uses):
 * three extended box passes per axis, each of variance sigma²/3, edges extended. The impulse response has
 * variance exactly sigma² per axis.
 */
export function gaussianBlur(data: Float32Array, offset: number, width: number, height: number, sigma: number, scratch: Scratch, general = false): void {
  const { radius, alpha } = extendedBox((sigma * sigma) / BOX_PASSES);
  const rowLength = width * 3;
  if (!general && radius === 0) {
    const previous = scratch.get(rowLength);
    for (let pass = 0; pass < BOX_PASSES; pass++) horizontalPassRadius0(data, offset, width, height, alpha);
    for (let pass = 0; pass < BOX_PASSES; pass++) verticalPassRadius0(data, offset, width, height, alpha, previous);
    return;
  }
  if (!general && radius === 1) {
    const rowsAbove = scratch.get(2 * rowLength);
    for (let pass = 0; pass < BOX_PASSES; pass++) horizontalPassRadius1(data, offset, width, height, alpha);
    for (let pass = 0; pass < BOX_PASSES; pass++) verticalPassRadius1(data, offset, width, height, alpha, rowsAbove);
    return;
  }
  const lineLength = (width + 2 * (radius + 1)) * 3;
  const work = scratch.get(lineLength + rowLength + rowLength * height);
  const line = work.subarray(0, lineLength);
  const sums = work.subarray(lineLength, lineLength + rowLength);
  const copy = work.subarray(lineLength + rowLength);
  for (let pass = 0; pass < BOX_PASSES; pass++) horizontalBoxPass(data, offset, width, height, radius, alpha, line);
  for (let pass = 0; pass < BOX_PASSES; pass++) verticalBoxPass(data, offset, width, height, radius, alpha, copy, sums);
}
