import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located, only } from "../helpers.js";

/** Rule head-input-width (SEER4002): the head's first dimension must be the trunk's output width. */

describe("rule head-input-width", () => {
  it("passes `trunk.width`, and the right number written out", () => {
    assert.deepEqual(only(checkSnippet(experiment()).diagnostics, "SEER4002"), []);
    // RegNetY-200MF ends at width 368 (pycls model zoo: stage widths 24, 56, 152, 368).
    assert.deepEqual(located(checkSnippet(experiment({ head: "  head = mlp [368, 64, 32]" })).diagnostics), []);
  });

  it("rejects another width, at the dimensions, pointing at the trunk and offering the fixes", () => {
    const text = experiment({ head: "  head = mlp [100, 64, 32]" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4002", text, "[100")]);
    const d = r.diagnostics[0];
    assert.equal(d.message, "the head's input width is 100 but the trunk's output width is 368");
    assert.deepEqual(d.suggestions, ["trunk.width", "368"]);
    assert.deepEqual([d.related[0].span.line, d.related[0].span.column], [at("", text, "regnety").line, at("", text, "regnety").column]);
    assert.match(d.related[0].message, /stages 24, 56, 152, 368/);
  });
});
