import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planCropGroups, sampleCropParams, sampleResizedCropBox, validateAugmentSpec } from "../../../src/runtime/data/augment-params.js";
import { DataSourceError } from "../../../src/runtime/data/errors.js";
import { Rng } from "../../../src/runtime/data/random.js";
import { SEER_AUGMENT } from "../../../src/runtime/data/recipes.js";
import type { AugmentSpec } from "../../../src/runtime/data/types.js";

/** Passes when `observed` is within `sigmas` standard errors of a binomial(n, p) proportion. */
function assertRate(observed: number, n: number, p: number, sigmas = 5, what = "rate"): void {
  const sd = Math.sqrt((p * (1 - p)) / n);
  assert.ok(Math.abs(observed / n - p) <= sigmas * sd + 1e-12, `${what}: ${observed}/${n} = ${(observed / n).toFixed(4)}, expected ${p} ± ${(sigmas * sd).toFixed(4)}`);
}

describe("RandomResizedCrop parameters", () => {
  const H = 375;
  const W = 500;

  it("keeps crop areas within the scale range (up to integer rounding) and covers it", () => {
    const scale: [number, number] = [0.14, 1];
    let nearLow = 0;
    let nearHigh = 0;
    for (let i = 0; i < 20000; i++) {
      const box = sampleResizedCropBox(Rng.forKey([1, i]), H, W, scale, [3 / 4, 4 / 3]);
      const fraction = (box.height * box.width) / (H * W);
      const rounding = (box.height + box.width + 1) / (H * W);
      assert.ok(fraction >= scale[0] - rounding && fraction <= scale[1] + rounding, `area fraction ${fraction}`);
      assert.ok(box.top >= 0 && box.top + box.height <= H && box.left >= 0 && box.left + box.width <= W, JSON.stringify(box));
      if (fraction < 0.2) nearLow++;
      if (fraction > 0.9) nearHigh++;
    }
    assert.ok(nearLow > 100 && nearHigh > 10, `range covered: ${nearLow} near 0.14, ${nearHigh} near 1`);
  });

  it("draws area uniformly and the aspect ratio log-uniformly when nothing is rejected", () => {
    // Small crops of a 500×375 image always fit, so the draws are the raw distributions.
    const n = 20000;
    let areaSum = 0;
    let logRatioSum = 0;
    let logRatioSquares = 0;
    let topPosition = 0;
    for (let i = 0; i < n; i++) {
      const box = sampleResizedCropBox(Rng.forKey([2, i]), H, W, [0.05, 0.14], [3 / 4, 4 / 3]);
      areaSum += (box.height * box.width) / (H * W);
      const logRatio = Math.log(box.width / box.height);
      logRatioSum += logRatio;
      logRatioSquares += logRatio * logRatio;
      assert.ok(box.width / box.height >= 0.75 - 0.02 && box.width / box.height <= 4 / 3 + 0.02);
      topPosition += box.top / (H - box.height);
    }
    const areaMean = areaSum / n;
    const areaSe = 0.09 / Math.sqrt(12) / Math.sqrt(n);
    assert.ok(Math.abs(areaMean - 0.095) < 5 * areaSe + 2e-4, `mean area ${areaMean}`);
    // log-uniform on [log 3/4, log 4/3]: mean 0, variance (2 log(4/3))² / 12.
    const halfWidth = Math.log(4 / 3);
    const expectedVariance = (2 * halfWidth) ** 2 / 12;
    assert.ok(Math.abs(logRatioSum / n) < 5 * Math.sqrt(expectedVariance / n) + 2e-3, `mean log ratio ${logRatioSum / n}`);
    assert.ok(Math.abs(logRatioSquares / n - expectedVariance) < 0.1 * expectedVariance, `log-ratio variance ${logRatioSquares / n} vs ${expectedVariance}`);
    assert.ok(Math.abs(topPosition / n - 0.5) < 0.02, `mean relative top ${topPosition / n}`);
  });

  it("falls back to the centre crop clamped to the ratio range after 10 failed tries", () => {
    // No 100×100 box has area 10000 and w/h in [2, 3]: torchvision's fallback keeps the full width and h = round(100 / 2).
    const box = sampleResizedCropBox(Rng.forKey([3]), 100, 100, [1, 1], [2, 3]);
    assert.deepEqual(box, { top: 25, left: 0, height: 50, width: 100 });
    const tall = sampleResizedCropBox(Rng.forKey([3]), 100, 100, [1, 1], [0.25, 0.5]);
    assert.deepEqual(tall, { top: 0, left: 25, height: 100, width: 50 });
  });

  it("gives exact boxes when scale and ratio are fixed", () => {
    for (let i = 0; i < 50; i++) {
      const box = sampleResizedCropBox(Rng.forKey([4, i]), 100, 100, [0.25, 0.25], [1, 1]);
      assert.equal(box.width, 50);
      assert.equal(box.height, 50);
    }
  });
});

describe("per-crop augmentation parameters", () => {
  const augment: AugmentSpec = {
    ...SEER_AUGMENT,
    flip: 0.3,
    colorJitter: { p: 0.8, brightness: 0.4, contrast: 1.5, saturation: 0.2, hue: 0.1 },
    grayscale: 0.2,
    blur: { p: 0.5, radius: [0.1, 2.0] },
    solarize: { p: 0.1, threshold: 0.5 },
  };
  const crop = augment.crops[0];
  const n = 20000;
  const draws = Array.from({ length: n }, (_, i) => sampleCropParams(Rng.forKey([9, i]), 375, 500, crop, augment));

  it("flips, jitters, grays, blurs and solarizes at their probabilities", () => {
    assertRate(draws.filter((d) => d.flip).length, n, 0.3, 5, "flip");
    assertRate(draws.filter((d) => d.jitter).length, n, 0.8, 5, "jitter");
    assertRate(draws.filter((d) => d.grayscale).length, n, 0.2, 5, "grayscale");
    assertRate(draws.filter((d) => d.blurSigma !== null).length, n, 0.5, 5, "blur");
    assertRate(draws.filter((d) => d.solarize).length, n, 0.1, 5, "solarize");
  });

  it("keeps jitter factors within torchvision's ranges and covers them", () => {
    const jitters = draws.flatMap((d) => (d.jitter ? [d.jitter] : []));
    const range = (values: number[]) => [Math.min(...values), Math.max(...values)];
    const [bLow, bHigh] = range(jitters.map((j) => j.brightness!));
    assert.ok(bLow >= 0.6 && bLow < 0.61 && bHigh <= 1.4 && bHigh > 1.39, `brightness ${bLow}..${bHigh}`);
    const [cLow, cHigh] = range(jitters.map((j) => j.contrast!));
    assert.ok(cLow >= 0 && cLow < 0.01 && cHigh <= 2.5 && cHigh > 2.49, `contrast clamps at 0: ${cLow}..${cHigh}`);
    const [hLow, hHigh] = range(jitters.map((j) => j.hue!));
    assert.ok(hLow >= -0.1 && hLow < -0.099 && hHigh <= 0.1 && hHigh > 0.099, `hue ${hLow}..${hHigh}`);
    const sigmas = draws.flatMap((d) => (d.blurSigma === null ? [] : [d.blurSigma]));
    const [sLow, sHigh] = range(sigmas);
    assert.ok(sLow >= 0.1 && sLow < 0.11 && sHigh <= 2 && sHigh > 1.99, `blur sigma ${sLow}..${sHigh}`);
  });

  it("applies the four jitter operations in a uniformly random order", () => {
    const jitters = draws.flatMap((d) => (d.jitter ? [d.jitter] : []));
    const firstCounts = [0, 0, 0, 0];
    for (const j of jitters) {
      assert.deepEqual([...j.order].sort(), [0, 1, 2, 3]);
      firstCounts[j.order[0]]++;
    }
    for (const count of firstCounts) assertRate(count, jitters.length, 0.25, 5, "first operation");
  });

  it("turns an operation off when its strength is 0", () => {
    const off = { ...augment, colorJitter: { p: 1, brightness: 0, contrast: 0, saturation: 0.5, hue: 0 } };
    const params = sampleCropParams(Rng.forKey([1]), 100, 100, crop, off);
    assert.equal(params.jitter!.brightness, null);
    assert.equal(params.jitter!.contrast, null);
    assert.equal(params.jitter!.hue, null);
    assert.ok(params.jitter!.saturation! >= 0.5 && params.jitter!.saturation! <= 1.5);
  });
});

describe("crop groups and validation", () => {
  it("batches crops of one size together, in order of first appearance", () => {
    const groups = planCropGroups([
      { count: 2, size: 96, scale: [0.05, 0.14], ratio: [0.75, 4 / 3] },
      { count: 1, size: 224, scale: [0.14, 1], ratio: [0.75, 4 / 3] },
      { count: 3, size: 96, scale: [0.2, 0.3], ratio: [1, 1] },
    ]);
    assert.deepEqual(
      groups.map((g) => [g.size, g.count, g.members.map((m) => m.scale[0])]),
      [
        [96, 5, [0.05, 0.05, 0.2, 0.2, 0.2]],
        [224, 1, [0.14]],
      ],
    );
  });

  it("rejects impossible specs with the field named", () => {
    const bad = (patch: Partial<AugmentSpec>, field: RegExp) =>
      assert.throws(
        () => validateAugmentSpec({ ...SEER_AUGMENT, ...patch }),
        (e: unknown) => e instanceof DataSourceError && e.code === "data-config" && field.test(e.message),
      );
    bad({ crops: [] }, /crops is empty/);
    bad({ crops: [{ count: 1, size: 0, scale: [0.1, 1], ratio: [1, 1] }] }, /crops\[0\]\.size/);
    bad({ crops: [{ count: 1, size: 8, scale: [0.5, 0.2], ratio: [1, 1] }] }, /crops\[0\]\.scale/);
    bad({ flip: 1.5 }, /flip/);
    bad({ colorJitter: { p: 0.8, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.7 } }, /hue/);
    bad({ blur: { p: 0.5, radius: [0, 2] } }, /blur\.radius/);
    bad({ solarize: { p: 0.2, threshold: 128 } }, /0\.\.1 intensity/);
    bad({ normalize: { mean: [0, 0, 0], std: [1, 0, 1] } }, /std\[1\]/);
    validateAugmentSpec(SEER_AUGMENT);
  });
});
