import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located, only } from "../helpers.js";

/** Rule regnet-parameters (SEER4001): the RegNet generator's preconditions, reported at the offending field. */

describe("rule regnet-parameters", () => {
  it("passes the pycls RegNetY-200MF parameters", () => {
    assert.deepEqual(only(checkSnippet(experiment()).diagnostics, "SEER4001"), []);
  });

  it("rejects a w0 that is not a multiple of 8, at w0", () => {
    const text = experiment({ trunk: "  trunk = regnety { w0 = 20, wa = 36.44, wm = 2.49, group_width = 8, depth = 13 }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4001", text, "20")]);
    assert.equal(r.diagnostics[0].message, "invalid RegNet parameters: w0 must be a positive multiple of 8, got 20");
    assert.equal(r.experiments[0].ir, null);
  });

  it("through a preset, at the user's override, naming the preset", () => {
    const text = experiment({ header: 'import "regnet"', trunk: "  trunk = RegNetY_200MF { w0 = 20 }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4001", text, "20 }")]);
    assert.equal(r.diagnostics[0].hint, "the trunk comes from preset `RegNetY_200MF`");
  });

  it("an AnyNet whose group width does not divide a stage width, at the list field", () => {
    const text = experiment({ trunk: "  trunk = anynet { depths = [1, 1], widths = [32, 60], group_widths = [8, 8] }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4001", text, "[8, 8]")]);
    assert.match(r.diagnostics[0].message, /group width 8 does not divide the bottleneck width 60/);
  });

  it("an AnyNet with lists of different lengths", () => {
    const text = experiment({ trunk: "  trunk = anynet { depths = [1, 1], widths = [32, 64], group_widths = [8] }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4001", text, "[8]")]);
  });
});
