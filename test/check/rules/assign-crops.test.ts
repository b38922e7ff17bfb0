import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located, only } from "../helpers.js";

/** Rule assign-crops: `assign_crops` must index existing crops (SEER4005) and should name the large ones (SEER4006). */

const loss = (assign: string) => ({ loss: `  loss = swav { prototypes = 30, assign_crops = ${assign} }` });

describe("rule assign-crops", () => {
  it("passes the two large crops", () => {
    assert.deepEqual(only(checkSnippet(experiment(loss("[0, 1]"))).diagnostics, "SEER4005", "SEER4006"), []);
  });

  it("rejects an index past the last crop, at the list, pointing at the recipe", () => {
    const text = experiment(loss("[0, 5]"));
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4005", text, "[0, 5]")]);
    // 2 x 64px + 2 x 32px: crops 0..3.
    assert.equal(r.diagnostics[0].message, "`assign_crops` names crop 5, but the recipe has 4 crops (0..3)");
    assert.equal(r.diagnostics[0].related[0].span.line, at("", text, "multicrop").line);
  });

  it("rejects an index listed twice", () => {
    const text = experiment(loss("[0, 0]"));
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4005", text, "[0, 0]")]);
    assert.equal(r.diagnostics[0].message, "crop 0 is listed twice in `assign_crops`");
  });

  it("rejects a recipe with a single crop", () => {
    const text = experiment({ augment: "  augment = multicrop {\n    crop 64px scale 0.3 .. 1.0\n  }", ...loss("[0]") });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4005", text, "multicrop")]);
    assert.match(r.diagnostics[0].message, /needs at least two crops/);
  });

  it("warns when a small crop is assigned", () => {
    const text = experiment(loss("[0, 2]"));
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4006", text, "[0, 2]")]);
    assert.equal(r.diagnostics[0].message, "`assign_crops` includes crop 2, a 32px crop; SwAV computes codes on the large (64px) crops");
  });
});
