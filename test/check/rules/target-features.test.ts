import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located, only } from "../helpers.js";

/** Rule target-features (SEER6001–6003): mixed precision, synced BatchNorm and several nodes cannot be honoured by the in-process tfjs target; said, never ignored. */

const text = experiment({ train: "  train {\n    batch = 16\n    steps = 20\n    precision = mixed\n    sync_batchnorm = group 8\n    nodes = 2\n  }" });

describe("rule target-features", () => {
  it("passes the defaults on tfjs, and these settings on the vissl target", () => {
    assert.deepEqual(only(checkSnippet(experiment()).diagnostics, "SEER6001", "SEER6002", "SEER6003"), []);
    assert.deepEqual(only(checkSnippet(text, { target: "vissl" }).diagnostics, "SEER6001", "SEER6002", "SEER6003"), []);
  });

  it("warns about each on the tfjs target, at its field", () => {
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER6001", text, "mixed"), at("SEER6002", text, "group 8"), at("SEER6003", text, "2\n")]);
    assert.ok(r.diagnostics.every((d) => d.severity === "warning"));
    assert.ok(r.experiments[0].ir, "warnings do not withhold the IR");
  });

  it("the experiment's own `target = vissl` is honoured, and `--target` overrides it", () => {
    const vissl = text.replace("  seed = 0", "  seed = 0\n  target = vissl");
    assert.deepEqual(only(checkSnippet(vissl).diagnostics, "SEER6001"), []);
    assert.equal(only(checkSnippet(vissl, { target: "tfjs" }).diagnostics, "SEER6001").length, 1);
  });
});
