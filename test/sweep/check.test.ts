import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSnippet, checkText, experiment, positionOf } from "../check/helpers.js";
import { seerc, SWEEP_FIXTURES, TINY } from "./helpers.js";
import { metricPaths, readMetric } from "../../src/sweep/metric.js";

const TINY_TEXT = readFileSync(TINY, "utf8");

function checkSweepText(body: string) {
  const text = `import "${TINY}"\nsweep s from tiny {\n${body}\n}\n`;
  const r = checkSnippet(text);
  return { text, ...r, sweep: r.sweeps[0] };
}

test("an invalid trial is reported at its value in the sweep, with the trial's full assignment", () => {
  const path = join(SWEEP_FIXTURES, "invalid.seer");
  const text = readFileSync(path, "utf8");
  const r = checkText(path, text);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, "SEER2005");
  assert.deepEqual({ line: errors[0].span!.line, column: errors[0].span!.column }, positionOf(text, "-0.5"));
  assert.match(errors[0].message, /\(trial 1: loss\.temperature=-0\.5\)$/);
  assert.deepEqual(r.sweeps[0].trials.map((t) => t.result.ir !== null), [true, false, true]);
});

test("a problem the assignment causes in the base experiment is shown at the sweep line, with the base's line as a note", () => {
  const { text, diagnostics } = checkSweepText("  train.batch in [8, 6]\n  seed in [4, 5]");
  const errors = diagnostics.filter((d) => d.severity === "error");
  // Queue length 16 is a multiple of 8 but not of 6: trials 2 and 3 fail; one diagnostic per distinct problem.
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, "SEER3009");
  assert.match(errors[0].message, /^trial 2 \(train\.batch=6, seed=4\): queue length 16/);
  assert.deepEqual({ line: errors[0].span!.line, column: errors[0].span!.column }, positionOf(text, "6]"));
  const note = errors[0].related[0];
  assert.equal(note.span.file, TINY);
  assert.deepEqual({ line: note.span.line, column: note.span.column }, positionOf(TINY_TEXT, "16, start"));
});

test("a swept path that does not exist is an unknown field with a suggestion", () => {
  const { text, diagnostics } = checkSweepText("  loss.temprature in [0.1, 0.2]");
  const d = diagnostics.find((x) => x.code === "SEER2001");
  assert.ok(d, JSON.stringify(diagnostics.map((x) => x.message)));
  assert.match(d.message, /did you mean `temperature`/i);
  assert.deepEqual({ line: d.span!.line, column: d.span!.column }, positionOf(text, "temprature"));
});

test("the metric path is checked against what a run reports", () => {
  const ok = checkSweepText("  seed in [1, 2]\n  metric = final_loss minimize");
  assert.deepEqual(ok.diagnostics.filter((d) => d.severity === "error"), []);
  assert.deepEqual(ok.sweep.settings!.metric, { path: "final_loss", goal: "minimize" });

  const typo = checkSweepText("  seed in [1, 2]\n  metric = final_los minimize");
  const d = typo.diagnostics.find((x) => x.code === "SEER2009")!;
  assert.ok(d);
  assert.deepEqual(d.suggestions, ["final_loss"]);
  assert.deepEqual({ line: d.span!.line, column: d.span!.column }, positionOf(typo.text, "final_los"));

  const noEval = checkSweepText("  seed in [1, 2]\n  metric = evaluate.knn.top1 maximize");
  assert.match(noEval.diagnostics.find((x) => x.code === "SEER2009")!.message, /needs an `evaluate` block, and `tiny` has none/);
});

test("evaluation metrics are named after the evaluate blocks, and read from the run summary", () => {
  const base = experiment({ extra: "  evaluate knn {\n    data = synthetic()\n  }\n  evaluate linear {\n    data = synthetic()\n  }" });
  const good = checkSnippet(`${base}\nsweep s from t {\n  seed in [1, 2]\n  metric = evaluate.knn.top1 maximize\n}\n`);
  assert.deepEqual(good.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  const paths = metricPaths(good.sweeps[0].trials[0].result.ir!);
  assert.ok(paths.includes("evaluate.knn.top1") && paths.includes("evaluate.linear.train_top1") && paths.includes("final_loss"));
  const bad = checkSnippet(`${base}\nsweep s from t {\n  seed in [1, 2]\n  metric = evaluate.knn.top maximize\n}\n`);
  const d = bad.diagnostics.find((x) => x.code === "SEER2009")!;
  assert.ok(d.suggestions.includes("evaluate.knn.top1"), d.message);

  const summary = { final_loss: 2.5, steps: 6, evaluations: { knn: { top1: 0.42 }, "knn-2": { top1: 0.5 } } };
  assert.equal(readMetric(summary, "evaluate.knn.top1"), 0.42);
  assert.equal(readMetric(summary, "evaluate.knn-2.top1"), 0.5);
  assert.equal(readMetric(summary, "final_loss"), 2.5);
  assert.equal(readMetric(summary, "evaluate.linear.top1"), null);
  assert.equal(readMetric(null, "final_loss"), null);
});

test("seerc sweep --dry-run lists the trials and exits 1 with the invalid ones rendered at the sweep line", async () => {
  const r = await seerc(["sweep", join(SWEEP_FIXTURES, "invalid.seer"), "--dry-run"]);
  assert.equal(r.exitCode, 1, r.all);
  const out = r.stdout;
  assert.match(out, /sweep bad_temperature from tiny .*: 3 trials, grid/);
  assert.match(out, /^\s+1\s+-0\.5\s+-\s.*invalid \(see below\)$/m);
  assert.match(out, /^\s+0\s+0\.1\s+[0-9a-f]{12}\s/m);
  assert.match(out, /invalid\.seer:5:29: error SEER2005: .*\(trial 1: loss\.temperature=-0\.5\)/);
  assert.match(out, /5 \|   loss\.temperature in \[0\.1, -0\.5, 0\.2\]/);
  assert.match(out, /2 to run, 1 invalid\. Estimated time: /);
});

test("seerc sweep --dry-run --json gives every trial's assignment, hash and estimate", async () => {
  const r = await seerc(["sweep", join(SWEEP_FIXTURES, "tiny-grid.seer"), "--dry-run", "--json", "--steps", "3"]);
  assert.equal(r.exitCode, 0, r.all);
  const plan = JSON.parse(r.stdout);
  assert.equal(plan.sweep, "tiny_grid");
  assert.equal(plan.trials.length, 6);
  assert.deepEqual(plan.trials[3].assignment, { seed: "2", "loss.temperature": "0.2" });
  assert.ok(plan.trials.every((t: { hash: string; estimated_seconds: number }) => /^[0-9a-f]{64}$/.test(t.hash) && t.estimated_seconds > 0));
  const sum = plan.trials.reduce((s: number, t: { estimated_seconds: number }) => s + t.estimated_seconds, 0);
  assert.ok(Math.abs(plan.estimated_seconds - sum) < 1e-9);
  assert.equal(plan.directory, `tiny_grid-${plan.hash.slice(0, 8)}`);
});
