import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { effectiveStatus, latestHistory, parseJsonLines, readLastJsonLine, readRunDirectory, renderReportHtml, reportCommand, type MetricRow } from "../../src/cli/report.js";
import { linePlot, niceTicks } from "../../src/cli/ui/svg-plot.js";

function metric(step: number, overrides: Partial<MetricRow> = {}): MetricRow {
  return {
    step,
    loss: 4.6 - 0.02 * step,
    lr: 0.01 * step,
    images_per_s: 30,
    step_ms: 900,
    data_wait_ms: 100,
    prototypes_used: 28,
    assignment_entropy: 4.4,
    rss_bytes: 900 * 2 ** 20,
    tensors: 468,
    tensor_bytes: 24 * 2 ** 20,
    ...overrides,
  };
}

const lines = (rows: object[]) => rows.map((r) => JSON.stringify(r) + "\n").join("");

/** A run directory as a killed-then-resumed run leaves it: steps 1..30, then 21..40 again, a cut-off last line. */
function fixtureRun(): string {
  const dir = mkdtempSync(join(tmpdir(), "seerc-report-"));
  writeFileSync(join(dir, "ir.json"), JSON.stringify({ name: "fixture", hash: "abcdef0123456789ff", loss: { prototypes: 100 }, train: { global_batch: 32, total_steps: 40 } }));
  writeFileSync(
    join(dir, "summary.json"),
    JSON.stringify({ experiment: "fixture", hash: "abcdef0123456789ff", status: "completed", started: "2026-11-29T17:00:00.000Z", ended: "2026-11-29T17:01:00.000Z", steps: 40, total_steps: 40, final_loss: 3.8, wall_seconds: 60, backend: "wasm", backend_reason: "requested", evaluations: { knn: { top1: 0.5 } }, skipped_files: 0, error: null, pid: 1, host: "elsewhere" }),
  );
  const first = Array.from({ length: 30 }, (_, i) => metric(i + 1));
  const redone = Array.from({ length: 20 }, (_, i) => metric(i + 21, { loss: 4.6 - 0.02 * (i + 21) - 0.001 }));
  writeFileSync(join(dir, "metrics.jsonl"), lines([...first, ...redone]) + '{"step": 41, "loss": 3.');
  writeFileSync(
    join(dir, "events.jsonl"),
    lines([
      { type: "checkpoint", step: 40, path: join(dir, "checkpoints", "step-00000040"), reason: "final" },
      { type: "warning", code: "SEER7004", message: "skipping a damaged checkpoint: <truncated>" },
      { type: "eval_result", protocol: "knn", metrics: { top1: 0.5, top5: 0.9 }, perClass: [0.75, 0.25], confusion: [[3, 1], [3, 1]], classNames: ["circle", "square"] },
    ]),
  );
  return dir;
}

test("JSON lines: a cut-off last line is left out and noted; damaged lines elsewhere are counted", () => {
  assert.deepEqual(parseJsonLines('{"a":1}\n{"a":2}\n{"a":'), { rows: [{ a: 1 }, { a: 2 }], truncatedLast: true, badLines: 0 });
  assert.deepEqual(parseJsonLines('{"a":1}\nnot json\n{"a":3}\n'), { rows: [{ a: 1 }, { a: 3 }], truncatedLast: false, badLines: 1 });
});

test("a resumed run's redone steps replace the first attempt's", () => {
  const rows = [1, 2, 3, 4, 5, 3, 4, 5, 6].map((step, i) => metric(step, { loss: i }));
  assert.deepEqual(latestHistory(rows).map((r) => [r.step, r.loss]), [[1, 0], [2, 1], [3, 5], [4, 6], [5, 7], [6, 8]]);
});

test("the last complete line is read from the file's tail, even past a half-written one", () => {
  const dir = mkdtempSync(join(tmpdir(), "seerc-tail-"));
  const path = join(dir, "metrics.jsonl");
  writeFileSync(path, lines(Array.from({ length: 2000 }, (_, i) => metric(i + 1))) + '{"step": 2001, "lo');
  assert.ok(readFileSync(path).length > 64 * 1024, "the file is longer than the tail read");
  assert.equal(readLastJsonLine<MetricRow>(path)?.step, 2000);
  assert.equal(readLastJsonLine(join(dir, "absent.jsonl")), null);
});

test("nice ticks are 1, 2, 2.5 or 5 times a power of ten and cover the range", () => {
  assert.deepEqual(niceTicks(0, 4.6), [0, 1, 2, 3, 4, 5]);
  // Range 1.72 / 5 = 0.344 → step 0.5, from floor(2.9 / 0.5) * 0.5 = 2.5.
  assert.deepEqual(niceTicks(2.9, 4.62), [2.5, 3, 3.5, 4, 4.5, 5]);
  // 0.0006 / 5 = 0.00012 → step 0.0002.
  assert.deepEqual(niceTicks(0, 0.0006), [0, 0.0002, 0.0004, 0.0006]);
});

test("a plot maps data to the plot area: the x range exactly, y widened to ticks", () => {
  // 640 x 260 with margins 64/16/30/42 leaves a 560 x 188 area from (64, 30); ticks 0..10 by 2.
  const svg = linePlot({ title: "t", xLabel: "step", yLabel: "v", series: [{ name: "v", points: [[0, 0], [5, 4], [10, 10]], color: "#000" }], fromZero: true });
  assert.match(svg, /data-series="v" d="M64 218 L344 142\.8 L624 30"/);
  assert.match(svg, /<text class="tick-y"[^>]*>10<\/text>/);
  assert.match(svg, /<text class="axis-label"[^>]*>step<\/text>/);
});

test("report.html from a fixture run has the plots, the summary, the evaluation with its confusion matrix", () => {
  const dir = fixtureRun();
  const record = readRunDirectory(dir);
  assert.equal(record.metrics.length, 40);
  assert.equal(record.metrics[25].loss, 4.6 - 0.02 * 26 - 0.001, "step 26 comes from the resumed attempt");
  const html = renderReportHtml(record);
  const titles = [...html.matchAll(/<text class="plot-title"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(titles, ["Loss", "Learning rate", "Prototypes in use", "Assignment entropy", "Throughput", "Data wait", "Memory"]);
  // The loss path has one vertex per step: 40 (the cut-off step 41 is left out).
  const lossPath = html.match(/data-series="loss" d="([^"]*)"/)![1];
  assert.equal(lossPath.split(/[ML]/).filter((s) => s.trim()).length, 40);
  for (const series of ["learning rate", "prototypes in use", "images/s", "assignment entropy", "process RSS"]) assert.match(html, new RegExp(`data-series="${series}"`));
  assert.match(html, /ln K = 4\.605 \(collapse level\)/);
  assert.match(html, /most a batch can use = min\(K, batch\) = 32/);
  // Step 40 of the resumed attempt: 4.6 - 0.02 x 40 - 0.001.
  assert.match(html, /<th>final loss<\/th><td>3\.7990<\/td>/);
  assert.match(html, /<th>data wait<\/th><td>10% of step time<\/td>/);
  assert.match(html, /the last line of metrics\.jsonl was cut short/);
  assert.match(html, /<h3>knn<\/h3>/);
  assert.match(html, /<td>top1<\/td><td class="num">50\.00%<\/td>/);
  assert.match(html, /<h4>Confusion matrix<\/h4>/);
  // Row "circle": 3 of 4 predicted circle → shade 0.75 (white text above 0.55).
  assert.match(html, /<tr><th>circle<\/th><td class="num" style="background: rgba\(31, 119, 180, 0\.750\); color: #fff">3<\/td>/);
  assert.match(html, /<td>square<\/td><td class="num">25\.0%<\/td>/);
  assert.match(html, /skipping a damaged checkpoint: &lt;truncated&gt;/, "text is escaped");
  assert.doesNotMatch(html, /<script|<link|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, "self-contained: no scripts, no fetched resources");
});

test("with many classes the report lists the worst confusions instead of the whole matrix", () => {
  const dir = fixtureRun();
  const classes = 40;
  const confusion = Array.from({ length: classes }, (_, i) => Array.from({ length: classes }, (_, j) => (i === j ? 10 : 0)));
  confusion[3][7] = 9;
  confusion[5][6] = 2;
  writeFileSync(join(dir, "events.jsonl"), lines([{ type: "eval_result", protocol: "linear", metrics: { top1: 0.9 }, perClass: Array(classes).fill(0.9), confusion }]));
  const html = renderReportHtml(readRunDirectory(dir));
  assert.doesNotMatch(html, /<h4>Confusion matrix/);
  // Class 3: 9 of its 19 images predicted as 7 = 47.4%; then class 5 → 6: 2 of 12 = 16.7%.
  assert.match(html, /<table class="confused">.*<tr><td>3<\/td><td>7<\/td><td class="num">9<\/td><td class="num">47\.4%<\/td><\/tr><tr><td>5<\/td><td>6<\/td><td class="num">2<\/td><td class="num">16\.7%<\/td><\/tr><\/table>/);
  assert.match(html, /<details><summary>Accuracy per class \(40 classes\)<\/summary>/);
});

test("a run with nothing recorded yet still gets a report", () => {
  const dir = mkdtempSync(join(tmpdir(), "seerc-empty-"));
  writeFileSync(join(dir, "ir.json"), JSON.stringify({ name: "empty", hash: "00ff" }));
  const html = renderReportHtml(readRunDirectory(dir));
  assert.match(html, /no data yet/);
  assert.match(html, /No steps recorded yet/);
  assert.match(html, /summary\.json is missing/);
});

test("seerc report writes report.html into the run directory, or where -o says", async () => {
  const dir = fixtureRun();
  assert.equal(await reportCommand.run([dir]), 0);
  assert.ok(existsSync(join(dir, "report.html")));
  const elsewhere = join(mkdtempSync(join(tmpdir(), "seerc-out-")), "nested", "r.html");
  assert.equal(await reportCommand.run([dir, "-o", elsewhere]), 0);
  assert.match(readFileSync(elsewhere, "utf8"), /<title>fixture — seerc run report<\/title>/);
  const notRun = mkdtempSync(join(tmpdir(), "seerc-notrun-"));
  mkdirSync(join(notRun, "x"));
  await assert.rejects(reportCommand.run([notRun]), /is not a run directory/);
});

test("a summary left at running by a process that is gone reads as interrupted", async () => {
  const child = execa("node", ["-e", ""]);
  const gone = child.pid!;
  await child;
  assert.equal(effectiveStatus({ status: "running", pid: gone, host: hostname() }), "interrupted");
  assert.equal(effectiveStatus({ status: "running", pid: process.pid, host: hostname() }), "running");
  assert.equal(effectiveStatus({ status: "running", pid: gone, host: "another-machine" }), "running", "another machine's processes cannot be checked");
  assert.equal(effectiveStatus({ status: "completed", pid: gone, host: hostname() }), "completed");
  assert.equal(effectiveStatus(null), "unknown");
});
