import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located, only } from "../helpers.js";

/** Rule memory: estimated memory per device above the device profile's (SEER4008) and above the wasm heap (SEER4011: a warning, an error on the wasm backend). */

const big = experiment({ train: "  train {\n    batch = 8192\n    steps = 20\n  }", loss: "  loss = swav { prototypes = 300 }" });

describe("rule memory", () => {
  it("passes a small batch", () => {
    assert.deepEqual(only(checkSnippet(experiment()).diagnostics, "SEER4008", "SEER4011"), []);
  });

  it("warns about a batch that exceeds the 16 GiB cpu profile and the wasm heap, at the batch", () => {
    const r = checkSnippet(big);
    assert.deepEqual(located(r.diagnostics), [at("SEER4008", big, "8192"), at("SEER4011", big, "8192")]);
    assert.deepEqual(r.diagnostics.map((d) => d.severity), ["warning", "warning"]);
    assert.match(r.diagnostics[0].message, /more than the 16\.0 GiB of a cpu device/);
    assert.match(r.diagnostics[0].hint ?? "", /activation_checkpointing = true/);
  });

  it("refuses the run on the wasm backend", () => {
    const r = checkSnippet(big, { backend: "wasm" });
    assert.equal(r.diagnostics.find((d) => d.code === "SEER4011")?.severity, "error");
    assert.equal(r.experiments[0].ir, null);
  });
});
