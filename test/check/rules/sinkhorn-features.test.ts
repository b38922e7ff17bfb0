import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "../helpers.js";

/** Rule sinkhorn-features (SEER4007): warn when a Sinkhorn call sees fewer than half as many features as there are prototypes. */

describe("rule sinkhorn-features", () => {
  it("passes at the boundary: 16 features for 32 prototypes", () => {
    assert.deepEqual(located(checkSnippet(experiment({ loss: "  loss = swav { prototypes = 32 }" })).diagnostics), []);
  });

  it("warns at 33 prototypes, at the prototypes, suggesting a queue of a multiple of the batch", () => {
    const text = experiment({ loss: "  loss = swav { prototypes = 33 }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4007", text, "33")]);
    assert.equal(r.diagnostics[0].severity, "warning");
    // ceil((33 - 16) / 16) * 16 = 32 queued features would give 48 per call.
    assert.match(r.diagnostics[0].hint ?? "", /add `queue \{ length = 32 \}`/);
  });

  it("a queue counts: 16 + 144 features for 300 prototypes pass", () => {
    const r = checkSnippet(experiment({ loss: "  loss = swav {\n    prototypes = 300\n    queue { length = 144 }\n  }" }));
    assert.deepEqual(located(r.diagnostics), []);
  });
});
