import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  axisWeights,
  extendedBox,
  gaussianBlur,
  halveRgb,
  normalize,
  resample,
  Scratch,
  solarize,
  toGrayscale,
} from "../../../src/runtime/data/image-ops.js";
import { Rng } from "../../../src/runtime/data/random.js";

function close(actual: number, expected: number, tolerance: number, what = ""): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} vs ${expected}`);
}

describe("antialiased resampling", () => {
  it("averages with the triangle filter [1, 3, 3, 1] / 8 when halving", () => {
    // Triangle of half-width 2 input pixels centred between pixels 2k and 2k+1: distances 1.5, 0.5, 0.5, 1.5.
    const w = axisWeights(0, 16, 8);
    const i = 3;
    assert.equal(w.first[i], 5);
    assert.equal(w.taps[i], 4);
    const weights = Array.from(w.weights.subarray(i * w.maxTaps, i * w.maxTaps + 4));
    weights.forEach((value, k) => close(value, [1, 3, 3, 1][k] / 8, 1e-7));
  });

  it("is the identity at the same size and bilinear interpolation when enlarging", () => {
    const scratch = new Scratch();
    const width = 10;
    const source = new Uint8Array(width * 3);
    for (let x = 0; x < width; x++) source.fill(10 * x + 5, x * 3, x * 3 + 3);
    const same = new Float32Array(width * 3);
    resample(source, width, axisWeights(0, width, width), axisWeights(0, 1, 1), false, same, 0, scratch);
    for (let x = 0; x < width; x++) close(same[x * 3], (10 * x + 5) / 255, 1e-7);
    // Doubling: output i samples position (i + 0.5) / 2 in pixel units, where the ramp 10·x + 5 at pixel
    // centres (x + 0.5) reads 10·position.
    const doubled = new Float32Array(20 * 3);
    resample(source, width, axisWeights(0, width, 20), axisWeights(0, 1, 1), false, doubled, 0, scratch);
    for (let i = 1; i < 19; i++) close(doubled[i * 3 + 1], (10 * (i + 0.5)) / 2 / 255, 1e-6, `output ${i}`);
  });

  it("mirrors exactly when flipping and keeps flat images flat", () => {
    const scratch = new Scratch();
    const width = 37;
    const height = 23;
    const rng = Rng.forKey([5]);
    const source = Uint8Array.from({ length: width * height * 3 }, () => rng.int(256));
    const xs = axisWeights(3, 30, 13);
    const ys = axisWeights(2, 19, 11);
    const plain = new Float32Array(13 * 11 * 3);
    const flipped = new Float32Array(13 * 11 * 3);
    resample(source, width, xs, ys, false, plain, 0, scratch);
    resample(source, width, xs, ys, true, flipped, 0, scratch);
    for (let y = 0; y < 11; y++) for (let x = 0; x < 13; x++) for (let c = 0; c < 3; c++) assert.equal(flipped[(y * 13 + x) * 3 + c], plain[(y * 13 + 12 - x) * 3 + c]);
    const flat = new Uint8Array(width * height * 3).fill(200);
    resample(flat, width, axisWeights(0, width, 5), axisWeights(0, height, 7), false, plain, 0, scratch);
    for (let i = 0; i < 5 * 7 * 3; i++) close(plain[i], 200 / 255, 1e-6);
  });

  it("reads only inside the crop box", () => {
    const width = 20;
    const source = new Uint8Array(width * 20 * 3).fill(255);
    for (let y = 5; y < 15; y++) for (let x = 5; x < 15; x++) source.fill(0, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const out = new Float32Array(4 * 4 * 3);
    resample(source, width, axisWeights(5, 10, 4), axisWeights(5, 10, 4), false, out, 0, new Scratch());
    assert.ok(out.every((v) => v === 0));
  });
});

describe("colour operations (torchvision tensor semantics)", () => {
  const pixel = (values: number[]) => Float32Array.from(values);

  it("brightness scales and clamps", () => {
    const data = pixel([0.5, 0.8, 0.1]);
    adjustBrightness(data, 0, 1, 1.5);
    [0.75, 1, 0.15].forEach((v, i) => close(data[i], v, 1e-6));
  });

  it("contrast blends towards the mean luma of the whole image", () => {
    const data = pixel([1, 0, 0, 0, 0, 1]);
    // Luma 0.299 and 0.114: mean 0.2065. Factor 0.5: 0.5·v + 0.5·0.2065.
    adjustContrast(data, 0, 2, 0.5);
    [0.60325, 0.10325, 0.10325, 0.10325, 0.10325, 0.60325].forEach((v, i) => close(data[i], v, 1e-6));
  });

  it("saturation blends each pixel with its own luma; 0 gives gray, 1 changes nothing", () => {
    const data = pixel([0.2, 0.6, 0.9]);
    adjustSaturation(data, 0, 1, 1);
    [0.2, 0.6, 0.9].forEach((v, i) => close(data[i], v, 1e-7));
    adjustSaturation(data, 0, 1, 0);
    const gray = 0.299 * 0.2 + 0.587 * 0.6 + 0.114 * 0.9;
    for (let i = 0; i < 3; i++) close(data[i], gray, 1e-6);
  });

  // Python's colorsys, transcribed: an independent reference for the hue rotation.
  function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    if (minc === maxc) return [0, 0, maxc];
    const s = (maxc - minc) / maxc;
    const rc = (maxc - r) / (maxc - minc);
    const gc = (maxc - g) / (maxc - minc);
    const bc = (maxc - b) / (maxc - minc);
    let h = r === maxc ? bc - gc : g === maxc ? 2 + rc - bc : 4 + gc - rc;
    h = (((h / 6) % 1) + 1) % 1;
    return [h, s, maxc];
  }
  function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
    if (s === 0) return [v, v, v];
    let i = Math.floor(h * 6);
    const f = h * 6 - i;
    const p = v * (1 - s);
    const q = v * (1 - s * f);
    const t = v * (1 - s * (1 - f));
    i %= 6;
    return [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i] as [number, number, number];
  }

  it("hue rotates like an HSV round trip", () => {
    const primary = pixel([1, 0, 0, 1, 0, 0, 0.5, 0.5, 0.5]);
    adjustHue(primary, 0, 1, 1 / 3);
    adjustHue(primary, 3, 1, -1 / 3);
    adjustHue(primary, 6, 1, 0.25);
    [0, 1, 0, 0, 0, 1, 0.5, 0.5, 0.5].forEach((v, i) => close(primary[i], v, 1e-6));
    const rng = Rng.forKey([13]);
    for (let trial = 0; trial < 2000; trial++) {
      const rgb = [rng.uniform(), rng.uniform(), rng.uniform()];
      const shift = rng.range(-0.5, 0.5);
      const data = pixel(rgb);
      adjustHue(data, 0, 1, shift);
      const [h, s, v] = rgbToHsv(Math.fround(rgb[0]), Math.fround(rgb[1]), Math.fround(rgb[2]));
      const expected = hsvToRgb((((h + shift) % 1) + 1) % 1, s, v);
      for (let c = 0; c < 3; c++) close(data[c], expected[c], 2e-6, `trial ${trial}`);
    }
  });

  it("grayscale uses BT.601 luma; solarize inverts at and above the threshold; normalize standardises", () => {
    const data = pixel([1, 0, 0, 0.6, 0.4, 0.5]);
    toGrayscale(data, 0, 1);
    [0.299, 0.299, 0.299].forEach((v, i) => close(data[i], v, 1e-7));
    solarize(data, 3, 1, 0.5);
    [0.4, 0.4, 0.5].forEach((v, i) => close(data[3 + i], v, 1e-6));
    const n = pixel([0.485, 0.456 + 0.224, 0]);
    normalize(n, 0, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    [0, 1, -0.406 / 0.225].forEach((v, i) => close(n[i], v, 1e-6));
  });
});

describe("Gaussian blur by extended box filtering", () => {
  it("chooses box radius and end weight so each box has exactly the requested variance", () => {
    for (const variance of [0.0033, 0.1, 0.5, 0.66, 0.7, 1.3, 2.5, 5]) {
      const { radius, alpha } = extendedBox(variance);
      assert.ok(alpha >= 0 && alpha < 1, `alpha ${alpha}`);
      let total = 0;
      let second = 0;
      for (let k = -radius - 1; k <= radius + 1; k++) {
        const w = Math.abs(k) === radius + 1 ? alpha : 1;
        total += w;
        second += w * k * k;
      }
      close(second / total, variance, 1e-12, `variance ${variance}`);
    }
  });

  it("has an impulse response of unit mass and variance sigma² along each axis", () => {
    const size = 41;
    const centre = 20;
    for (const sigma of [0.1, 0.6, 1.3, 1.7, 2.0, 3.2]) {
      for (const general of [false, true]) {
        const data = new Float32Array(size * size * 3);
        data.fill(1, (centre * size + centre) * 3, (centre * size + centre) * 3 + 3);
        gaussianBlur(data, 0, size, size, sigma, new Scratch(), general);
        let mass = 0;
        let varianceX = 0;
        let varianceY = 0;
        let asymmetry = 0;
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const v = data[(y * size + x) * 3 + 1];
            mass += v;
            varianceX += v * (x - centre) ** 2;
            varianceY += v * (y - centre) ** 2;
            asymmetry = Math.max(asymmetry, Math.abs(v - data[(y * size + (2 * centre - x)) * 3 + 1]));
          }
        }
        close(mass, 1, 1e-5, `mass at sigma ${sigma}`);
        close(varianceX, sigma * sigma, 1e-4 * Math.max(1, sigma * sigma), `x variance at sigma ${sigma} (general ${general})`);
        close(varianceY, sigma * sigma, 1e-4 * Math.max(1, sigma * sigma), `y variance at sigma ${sigma}`);
        assert.ok(asymmetry < 1e-6);
      }
    }
  });

  it("keeps flat images flat (edges extended) and agrees between the fast and general passes", () => {
    const flat = new Float32Array(9 * 7 * 3).fill(0.3);
    gaussianBlur(flat, 0, 9, 7, 1.9, new Scratch());
    for (const v of flat) close(v, 0.3, 1e-6);
    const rng = Rng.forKey([17]);
    for (const sigma of [0.2, 1.2, 1.6, 2.2]) {
      const base = Float32Array.from({ length: 30 * 20 * 3 }, () => rng.uniform());
      const fast = base.slice();
      const general = base.slice();
      gaussianBlur(fast, 0, 30, 20, sigma, new Scratch());
      gaussianBlur(general, 0, 30, 20, sigma, new Scratch(), true);
      for (let i = 0; i < base.length; i++) close(fast[i], general[i], 1e-5);
    }
  });
});

describe("halving", () => {
  it("averages 2×2 blocks, rounding half up, and drops an odd last row and column", () => {
    // 5×3 image: channel c of pixel (x, y) = 10·x + 100·y + c, except one block with a rounding case.
    const width = 5;
    const height = 3;
    const source = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) source[(y * width + x) * 3 + c] = 10 * x + 100 * y + c;
    source[0] = 1; // block (0, 0), red: (1 + 10 + 100 + 110 + 2) >> 2 = 55 (55.25 rounds to 55)
    source[3] = 12; // ... and now (1 + 12 + 100 + 110) / 4 = 55.75 → 56
    const half = halveRgb(source, width, height);
    assert.deepEqual([half.width, half.height], [2, 1]);
    // Block (1, 0) covers x 2..3, y 0..1: red (20 + 30 + 120 + 130) / 4 = 75.
    assert.deepEqual(Array.from(half.data), [56, 56, 57, 75, 76, 77]);
  });
});
