import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "./helpers.js";

/** Sweeps (src/sweep/check.ts): every trial is checked like a hand-written experiment; problems are reported at the sweep line that made them. */

const base = experiment({ name: "base", extra: "  evaluate knn { data = synthetic() }" });
const sweep = (body: string) => `${base}sweep s from base {\n${body}\n}\n`;

describe("sweeps", () => {
  it("a grid is every combination, each with its own IR and hash", () => {
    const r = checkSnippet(sweep("  seed in [0, 1]\n  loss.temperature in [0.1, 0.2]\n  strategy = grid"));
    assert.deepEqual(located(r.diagnostics), []);
    const trials = r.sweeps[0].trials;
    assert.equal(trials.length, 4);
    assert.deepEqual(trials.map((t) => [t.result.ir!.seed, t.result.ir!.loss.temperature]).sort(), [[0, 0.1], [0, 0.2], [1, 0.1], [1, 0.2]]);
    assert.equal(new Set(trials.map((t) => t.result.ir!.hash)).size, 4);
  });

  it("random search draws the number of trials asked for", () => {
    const r = checkSnippet(sweep("  seed in [0, 1, 2]\n  strategy = random 2"));
    assert.deepEqual(located(r.diagnostics), []);
    assert.equal(r.sweeps[0].trials.length, 2);
  });

  it("a metric a run reports is accepted; one it does not is named with the close ones", () => {
    assert.deepEqual(located(checkSnippet(sweep("  seed in [0, 1]\n  metric = evaluate.knn.top1 maximize")).diagnostics), []);
    const text = sweep("  seed in [0, 1]\n  metric = evaluate.knn.top2 maximize");
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2009", text, "evaluate.knn.top2")]);
    assert.match(r.diagnostics[0].message, /Did you mean `evaluate\.knn\.top1`/);
  });

  const failing: Array<[string, string, string, string, RegExp]> = [
    ["a misspelt strategy", "  seed in [0, 1]\n  strategy = gird", "SEER5003", "gird", /Did you mean `grid`\?/],
    ["random search with no trials", "  seed in [0, 1]\n  strategy = random 0", "SEER5003", "0\n}", /at least one trial/],
    ["a metric without a goal word", "  seed in [0, 1]\n  metric = evaluate.knn.top1 maximise", "SEER2004", "evaluate.knn.top1", /`metric` is written `PATH maximize` or `PATH minimize`/],
    ["a swept path that does not exist", "  loss.temprature in [0.1, 0.2]", "SEER2001", "temprature", /unknown field `temprature`.*\(trial 0: loss\.temprature=0\.1\)/],
    ["a swept value that does not check", "  loss.temperature in [0.1, -0.2]", "SEER2005", "-0.2", /must be greater than 0.*\(trial 1: loss\.temperature=-0\.2\)/],
    ["an axis that is not a list", "  seed in 3", "SEER5005", "3\n}", /the axis `seed` takes a list/],
  ];
  for (const [name, body, code, needle, message] of failing) {
    it(`rejects ${name}`, () => {
      const text = sweep(body);
      const r = checkSnippet(text);
      assert.deepEqual(located(r.diagnostics), [at(code, text, needle)]);
      assert.match(r.diagnostics[0].message, message);
    });
  }

  it("a sweep without axes", () => {
    const text = sweep("  strategy = grid");
    assert.deepEqual(located(checkSnippet(text).diagnostics), [at("SEER5005", text, "s from")]);
  });

  it("trials that are the same experiment run once (SEER5004, a warning)", () => {
    const text = sweep("  seed in [0, 0]");
    const r = checkSnippet(text);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity]), [["SEER5004", "warning"]]);
    assert.equal(r.sweeps[0].trials[1].duplicateOf, 0);
  });

  it("an unknown base experiment, with the close one", () => {
    const text = `${base}sweep s from bsae {\n  seed in [0, 1]\n}\n`;
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2010", text, "bsae")]);
    assert.match(r.diagnostics[0].message, /Did you mean `base`\?/);
  });
});
