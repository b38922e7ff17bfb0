import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "../helpers.js";

/** Rule schedule: the written pieces laid over the run of 20 steps (SEER3002–3006, 3008, 3010), nothing adjusted to fit. */

function check(schedule: string, parts: Parameters<typeof experiment>[0] = {}) {
  const text = experiment({ schedule: `  schedule = ${schedule}`, ...parts });
  return { text, r: checkSnippet(text) };
}

describe("rule schedule", () => {
  it("passes a warm-up shorter than the run followed by a piece to the end", () => {
    const { r } = check("warmup linear 0.1 -> 1.0 over 5 steps, then cosine -> 0.01");
    assert.deepEqual(located(r.diagnostics), []);
    assert.deepEqual(r.experiments[0].ir?.schedule.pieces.map((p) => [p.start_step, p.end_step]), [[0, 5], [5, 20]]);
  });

  const failing: Array<[string, string, string, string, RegExp]> = [
    ["a warm-up longer than the run", "warmup linear 0.1 -> 1.0 over 30 steps, then cosine -> 0.01", "SEER3003", "warmup", /this piece ends at step 30 but the run has 20 steps/],
    ["a jump between pieces", "linear 0.1 -> 1.0 over 10 steps, then cosine 0.5 -> 0.01", "SEER3004", "cosine 0.5", /the schedule jumps from 1 to 0\.5 here/],
    ["a negative rate", "linear 0.1 -> -1.0", "SEER3005", "linear", /a learning rate cannot be negative/],
    ["a schedule that ends early", "constant 0.1 over 10 steps", "SEER3006", "constant", /the schedule ends at step 10 but the run has 20 steps/],
    ["a step point outside the run", "step 0.1, x0.1 at 30 steps", "SEER3008", "30 steps", /step 30\) is outside the schedule's 20 steps/],
    ["a middle piece without a length", "constant 0.1, then cosine -> 0.01", "SEER3010", "constant", /only the last schedule piece may leave out its length/],
  ];
  for (const [name, schedule, code, needle, message] of failing) {
    it(`rejects ${name}, at the piece`, () => {
      const { text, r } = check(schedule);
      assert.deepEqual(located(r.diagnostics), [at(code, text, needle)]);
      assert.match(r.diagnostics[0].message, message);
    });
  }

  it("the jump points back at the piece it jumps from, and `restart` allows it", () => {
    const { text, r } = check("linear 0.1 -> 1.0 over 10 steps, then cosine 0.5 -> 0.01");
    assert.equal(r.diagnostics[0].related[0].span.column, at("", text, "linear").column);
    assert.deepEqual(located(check("linear 0.1 -> 1.0 over 10 steps, then restart cosine 0.5 -> 0.01").r.diagnostics), []);
  });

  it("a length in epochs needs the dataset size (SEER3002)", () => {
    const { text, r } = check("linear 0.1 -> 1.0 over 1 epoch, then cosine -> 0.01", { data: '  data {\n    source = folder(".")\n  }' });
    assert.deepEqual(located(r.diagnostics), [at("SEER3002", text, "linear")]);
  });
});
