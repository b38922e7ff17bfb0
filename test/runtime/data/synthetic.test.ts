import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderSyntheticImage, syntheticClassNames, syntheticLabel, syntheticLabels } from "../../../src/runtime/data/synthetic.js";

const size = 48;

/** Hue histogram (24 bins) of vivid pixels: a feature computed from pixels alone. */
function hueHistogram(pixels: Uint8Array): number[] {
  const bins = new Array(24).fill(0);
  let count = 0;
  for (let i = 0; i < pixels.length; i += 3) {
    const r = pixels[i] / 255;
    const g = pixels[i + 1] / 255;
    const b = pixels[i + 2] / 255;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (max < 0.5 || (max - min) / max < 0.5) continue;
    let h = max === r ? (g - b) / (max - min) : max === g ? 2 + (b - r) / (max - min) : 4 + (r - g) / (max - min);
    h = (((h / 6) % 1) + 1) % 1;
    bins[Math.floor(h * 24) % 24]++;
    count++;
  }
  return bins.map((v) => v / Math.max(1, count));
}

/** Fraction of pixels with a strong luminance gradient (edges of shape and texture). */
function edgeDensity(pixels: Uint8Array): number {
  const luma = (x: number, y: number) => {
    const o = (y * size + x) * 3;
    return 0.299 * pixels[o] + 0.587 * pixels[o + 1] + 0.114 * pixels[o + 2];
  };
  let strong = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      if (Math.hypot(luma(x + 1, y) - luma(x - 1, y), luma(x, y + 1) - luma(x, y - 1)) > 40) strong++;
    }
  }
  return strong / (size * size);
}

describe("synthetic images", () => {
  it("are a pure function of (seed, index) and differ across seeds and indices", () => {
    const spec = { images: 100, classes: 10, size, seed: 42 };
    const a = renderSyntheticImage(spec, 7);
    assert.deepEqual(renderSyntheticImage(spec, 7), a);
    assert.equal(a.length, size * size * 3);
    assert.notDeepEqual(renderSyntheticImage(spec, 8), a);
    assert.notDeepEqual(renderSyntheticImage({ ...spec, seed: 43 }, 7), a);
  });

  it("have balanced, deterministic labels", () => {
    const spec = { images: 5000, classes: 10, size, seed: 3 };
    const labels = syntheticLabels(spec);
    assert.deepEqual(syntheticLabels(spec), labels);
    const counts = new Array(10).fill(0);
    for (const l of labels) counts[l]++;
    const sd = Math.sqrt(5000 * 0.1 * 0.9);
    for (const c of counts) assert.ok(Math.abs(c - 500) < 5 * sd, `class count ${c}`);
    assert.equal(labels[17], syntheticLabel(spec, 17));
  });

  it("carry their class in the pixels: a nearest-centroid probe trained on one seed works on another", () => {
    const classes = 10;
    const train = { images: 400, classes, size, seed: 1 };
    const test = { images: 200, classes, size, seed: 2 };
    const sums: number[][] = Array.from({ length: classes }, () => new Array(24).fill(0));
    const counts = new Array(classes).fill(0);
    for (let i = 0; i < train.images; i++) {
      const label = syntheticLabel(train, i);
      hueHistogram(renderSyntheticImage(train, i)).forEach((v, k) => (sums[label][k] += v));
      counts[label]++;
    }
    const centroids = sums.map((s, c) => s.map((v) => v / counts[c]));
    let correct = 0;
    for (let i = 0; i < test.images; i++) {
      const feature = hueHistogram(renderSyntheticImage(test, i));
      const distances = centroids.map((c) => c.reduce((d, v, k) => d + (v - feature[k]) ** 2, 0));
      if (distances.indexOf(Math.min(...distances)) === syntheticLabel(test, i)) correct++;
    }
    assert.ok(correct / test.images > 0.6, `probe accuracy ${correct / test.images} (chance 0.1)`);
  });

  it("draw textures that survive the loss of colour: striped classes have more edges than solid ones", () => {
    const spec = { images: 600, classes: 12, size, seed: 5 };
    const density = [0, 0];
    const count = [0, 0];
    for (let i = 0; i < spec.images; i++) {
      const label = syntheticLabel(spec, i);
      const striped = label >= 6 ? 1 : 0; // classes 0-5 solid, 6-11 stripes (texture = floor(class / 6))
      density[striped] += edgeDensity(renderSyntheticImage(spec, i));
      count[striped]++;
    }
    const solid = density[0] / count[0];
    const stripes = density[1] / count[1];
    assert.ok(stripes > 1.5 * solid, `edge density stripes ${stripes.toFixed(4)} vs solid ${solid.toFixed(4)}`);
  });

  it("names classes by shape and texture", () => {
    const names = syntheticClassNames(12);
    assert.equal(names.length, 12);
    assert.equal(names[0], "00-disc-solid");
    assert.equal(names[7], "07-square-stripes");
    assert.equal(new Set(names).size, 12);
  });
});
