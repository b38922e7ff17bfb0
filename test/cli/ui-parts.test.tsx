// The dashboard's pure parts: SwAV health verdicts, the bounded loss series, text charts, formatting.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assessSwavHealth, type HealthSample } from "../../src/cli/ui/health.js";
import { blockChart, DecimatedSeries, resample } from "../../src/cli/ui/series.js";
import { fitPieces, formatBytes, formatClock, formatMetric } from "../../src/cli/ui/format.js";
import { progressBarText } from "../../src/cli/ui/widgets.js";

const LN100 = Math.log(100);
const sample = (loss: number, used: number, entropy = 4.5): HealthSample => ({ loss, prototypesUsed: used, assignmentEntropy: entropy, maxEntropy: LN100 });
const repeat = (n: number, f: (i: number) => HealthSample) => Array.from({ length: n }, (_, i) => f(i));

test("health: fewer than ten steps is warming up, whatever they show", () => {
  assert.equal(assessSwavHealth(repeat(9, () => sample(LN100, 1)), 100, 32).verdict, "warming up");
});

test("health: loss flat at ln K with one prototype in use is collapse", () => {
  const h = assessSwavHealth(repeat(20, (i) => sample(LN100 + 0.002 * (i % 2), 1, LN100)), 100, 32);
  assert.equal(h.verdict, "collapsed");
  assert.equal(h.window, 20);
  assert.equal(h.reachable, 32);
  assert.ok(Math.abs(h.loss - (LN100 + 0.001)) < 1e-12, `mean loss ${h.loss}`);
  assert.ok(Math.abs(h.lossSpread - 0.002) < 1e-12);
  assert.match(h.message!, /stuck at ln K = 4\.605 with 1\.0 of 100 prototypes/);
});

test("health: one prototype but a loss still falling is uneven use, not collapse", () => {
  // From 4.9 down by 0.05 a step: a spread of 0.95 nats, far above 2% of ln K.
  const h = assessSwavHealth(repeat(20, (i) => sample(4.9 - 0.05 * i, 1)), 100, 32);
  assert.equal(h.verdict, "uneven");
});

test("health: a loss stuck at ln K with many prototypes in use is not collapse (the first steps look like that)", () => {
  assert.equal(assessSwavHealth(repeat(20, () => sample(LN100, 30)), 100, 32).verdict, "healthy");
});

test("health: low entropy of the mean code is uneven; an entropy of 0 means not measured", () => {
  assert.equal(assessSwavHealth(repeat(20, () => sample(4, 30, 1.5)), 100, 32).verdict, "uneven");
  const unmeasured = assessSwavHealth(repeat(20, () => sample(4, 30, 0)), 100, 32);
  assert.equal(unmeasured.verdict, "healthy");
  assert.equal(unmeasured.entropy, null);
});

test("health: the reachable count is min(K, batch), so small batches are judged fairly", () => {
  // 7 of 8 reachable prototypes is healthy even though K = 3000.
  assert.equal(assessSwavHealth(repeat(12, (i) => sample(7 - 0.1 * i, 7, 1.9)), 3000, 8).verdict, "uneven", "entropy 1.9 of ln 3000 = 8.0 is uneven");
  assert.equal(assessSwavHealth(repeat(12, (i) => sample(7 - 0.1 * i, 7, 6)), 3000, 8).verdict, "healthy");
});

test("a decimated series keeps at most its capacity and the exact mean of what it covers", () => {
  const s = new DecimatedSeries(8);
  for (let step = 1; step <= 100; step++) s.push(step, step * 2);
  const points = s.values();
  assert.ok(points.length <= 9, `${points.length} points`);
  assert.equal(s.stepsPerPoint, 16);
  // The first finished point covers steps 1..16: mean step 8.5, mean value 17.
  assert.deepEqual(points[0], { x: 8.5, y: 17 });
  // Every point is (x, 2x), because averaging preserves the line.
  for (const p of points) assert.ok(Math.abs(p.y - 2 * p.x) < 1e-9);
  assert.equal(points[points.length - 1].x, (97 + 100) / 2, "the partly filled last bucket is steps 97..100");
});

test("resample averages buckets; blockChart scales min to one eighth and max to full height", () => {
  assert.deepEqual(resample([1, 2, 3, 4, 5, 6], 3), [1.5, 3.5, 5.5]);
  assert.deepEqual(resample([1, 2], 5), [1, 2]);
  assert.deepEqual(blockChart([0, 1], 2, 2), [" █", "▁█"]);
  // 0..8 over 1 row: level 1 + round(v/8 * 7).
  assert.equal(blockChart([0, 4, 8], 3, 1)[0], "▁▅█");
});

test("formatting: clocks, binary sizes, metrics, fitting pieces and bars", () => {
  assert.equal(formatClock(42), "0:42");
  assert.equal(formatClock(3723), "1:02:03");
  assert.equal(formatClock(90061), "1d 01:01:01");
  assert.equal(formatClock(Number.NaN), "--:--");
  assert.equal(formatBytes(900 * 2 ** 20), "900 MiB");
  assert.equal(formatBytes(1.5 * 2 ** 30), "1.5 GiB");
  assert.equal(formatMetric("top1", 0.4523), "45.23%");
  assert.equal(formatMetric("loss", 1.23456), "1.235");
  assert.equal(formatMetric("temperature", 0.07), "0.07");
  assert.equal(formatMetric("train_images", 2048), "2,048");
  assert.equal(fitPieces(["aaaa", "bbbbbbbbbb", "cc"], 10, " · "), "aaaa · cc");
  // 15 columns: 10 cells, a space and " 50%".
  assert.equal(progressBarText(0.5, 15), "█████░░░░░  50%");
  assert.equal(progressBarText(1, 14).length, 14);
});
