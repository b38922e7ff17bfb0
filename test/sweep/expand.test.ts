import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { checkSnippet, experiment, positionOf, REPO_ROOT } from "../check/helpers.js";
import { checkFiles } from "../../src/cli/workspace.js";
import { expandGrid, expandRandom, seededRandom, type Axis } from "../../src/sweep/expand.js";
import { planSweep, sweepHash } from "../../src/sweep/plan.js";
import type { Span } from "../../src/diagnostics/types.js";

const SPAN: Span = { file: "<test>", start: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };
const ident = (name: string) => ({ kind: "Ident" as const, name, span: SPAN });
const num = (value: number) => ({ kind: "Number" as const, text: String(value), value, unit: null, span: SPAN });

function axis(path: string, kind: Axis["kind"], values: number[] = [], bounds?: [number, number]): Axis {
  return { path: path.split(".").map(ident), pathText: path, span: SPAN, kind, values: values.map(num), bounds };
}

function sweepOf(body: string, experimentText = experiment()) {
  const r = checkSnippet(`${experimentText}\nsweep s from t {\n${body}\n}\n`);
  assert.equal(r.sweeps.length, 1);
  return { ...r, sweep: r.sweeps[0] };
}

test("a grid has one trial per combination, the last axis varying fastest", () => {
  const { sweep, diagnostics } = sweepOf("  seed in [0, 1, 2]\n  loss.temperature in 0.1 .. 0.3 step 0.1");
  assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
  assert.equal(sweep.trials.length, 9);
  assert.deepEqual(
    sweep.trials.slice(0, 4).map((t) => t.trial.assignment.map((a) => a.text).join(" ")),
    ["0 0.1", "0 0.2", "0 0.3", "1 0.1"],
  );
  // Every combination is a different experiment.
  assert.equal(new Set(sweep.trials.map((t) => t.result.ir?.hash)).size, 9);
  assert.deepEqual(sweep.trials.map((t) => t.result.ir!.loss.temperature), [0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3]);
});

test("the scaling study expands to 6 trunks x 2 prototype counts x 3 seeds", () => {
  const ws = checkFiles([resolve(REPO_ROOT, "experiments/scaling.seer")]);
  const sweep = ws.sweeps.find((s) => s.name === "scaling")!;
  assert.equal(sweep.trials.length, 36);
  const plan = planSweep(sweep)!;
  assert.equal(plan.unique.length, 36);
  assert.deepEqual(plan.axes, ["trunk", "loss.prototypes", "seed"]);
  assert.deepEqual(new Set(plan.trials.map((t) => t.ir!.loss.prototypes)), new Set([3000, 16000]));
  assert.equal(plan.dirName, `scaling-${plan.hash!.slice(0, 8)}`);
});

test("random search is reproducible from the sweep's seed and changes with it", () => {
  const body = (seed: number) => `  loss.temperature in uniform(0.05, 0.2)\n  loss.sinkhorn.epsilon in loguniform(0.01, 0.1)\n  optimizer.momentum in choice([0.8, 0.85, 0.9])\n  strategy = random 6\n  seed = ${seed}`;
  const a = sweepOf(body(7)).sweep;
  const b = sweepOf(body(7)).sweep;
  const c = sweepOf(body(8)).sweep;
  const texts = (s: typeof a) => s.trials.map((t) => t.trial.assignment.map((x) => x.text).join(" "));
  assert.equal(a.trials.length, 6);
  assert.deepEqual(texts(a), texts(b));
  assert.deepEqual(a.trials.map((t) => t.result.ir!.hash), b.trials.map((t) => t.result.ir!.hash));
  assert.notDeepEqual(texts(a), texts(c));
  for (const t of a.trials) {
    const ir = t.result.ir!;
    assert.ok(ir.loss.temperature >= 0.05 && ir.loss.temperature <= 0.2, `temperature ${ir.loss.temperature}`);
    assert.ok(ir.loss.sinkhorn.epsilon >= 0.01 && ir.loss.sinkhorn.epsilon <= 0.1, `epsilon ${ir.loss.sinkhorn.epsilon}`);
  }
});

test("uniform and loguniform axes follow their distributions", () => {
  const n = 4000;
  const trials = expandRandom([axis("a", "uniform", [], [2, 4]), axis("b", "loguniform", [], [1e-3, 10])], n, 11);
  const a = trials.map((t) => Number(t.assignment[0].text));
  const b = trials.map((t) => Number(t.assignment[1].text));
  // Uniform on [2, 4]: mean 3, variance (4-2)^2/12 = 1/3; the sample mean's standard error is sqrt(1/3/n) ≈ 0.009.
  const mean = a.reduce((s, v) => s + v, 0) / n;
  assert.ok(Math.abs(mean - 3) < 0.05, `uniform mean ${mean}`);
  // Log-uniform over four decades: a quarter of the draws fall in each decade (a plain uniform would put 0.1% below 1e-2).
  const firstDecade = b.filter((v) => v < 1e-2).length / n;
  const lastDecade = b.filter((v) => v >= 1).length / n;
  assert.ok(Math.abs(firstDecade - 0.25) < 0.03, `share below 1e-2: ${firstDecade}`);
  assert.ok(Math.abs(lastDecade - 0.25) < 0.03, `share above 1: ${lastDecade}`);
  assert.ok(b.every((v) => v >= 1e-3 && v <= 10));
  // The generator itself: same seed, same stream; roughly uniform on [0, 1).
  const r1 = seededRandom(5), r2 = seededRandom(5);
  const s1 = Array.from({ length: 1000 }, r1);
  assert.deepEqual(s1, Array.from({ length: 1000 }, r2));
  assert.ok(Math.abs(s1.reduce((s, v) => s + v, 0) / 1000 - 0.5) < 0.05);
});

test("grid expansion of plain axes needs no checker", () => {
  const trials = expandGrid([axis("x", "list", [1, 2]), axis("y", "range", [10, 20, 30])]);
  assert.equal(trials.length, 6);
  assert.deepEqual(trials.map((t) => t.index), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(trials[5].assignment.map((a) => a.text), ["2", "30"]);
});

test("identical trials are marked as duplicates of the first and run once", () => {
  const body = "  seed in [1, 2, 1]\n  loss.temperature in [0.1, 0.10]";
  const text = `${experiment()}\nsweep s from t {\n${body}\n}\n`;
  const { sweep, diagnostics } = sweepOf(body);
  assert.equal(sweep.trials.length, 6);
  // 0.1 and 0.10 are the same number; seed 1 appears twice: only two distinct experiments remain.
  assert.deepEqual(sweep.trials.map((t) => t.duplicateOf), [null, 0, null, 2, 0, 0]);
  const plan = planSweep(sweep)!;
  assert.deepEqual(plan.unique.map((t) => t.index), [0, 2]);
  const warnings = diagnostics.filter((d) => d.code === "SEER5004");
  assert.equal(warnings.length, 4);
  assert.ok(warnings.every((d) => d.severity === "warning"));
  assert.match(warnings[0].message, /trial 1 \(seed=1, loss\.temperature=0\.10\) is the same experiment as trial 0/);
  // Reported at the value that starts the trial's assignment, in the sweep.
  assert.deepEqual({ line: warnings.at(-1)!.span!.line, column: warnings.at(-1)!.span!.column }, positionOf(text, "1]"));
});

test("the sweep hash depends on every trial hash and their order", () => {
  const h = sweepHash(["a", "b"]);
  assert.equal(h, sweepHash(["a", "b"]));
  assert.notEqual(h, sweepHash(["b", "a"]));
  assert.notEqual(h, sweepHash(["a", "b", "c"]));
  assert.match(h, /^[0-9a-f]{64}$/);
});
