import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "../helpers.js";

/** Rule batch: a stated global batch must equal per-device x devices (SEER3007); micro-batches must divide the device batch (SEER2005) and are explained (SEER6006). */

const train = (lines: string) => ({ train: `  train {\n${lines}\n    steps = 20\n  }` });

describe("rule batch", () => {
  it("passes a global batch that agrees", () => {
    const r = checkSnippet(experiment(train("    batch = 4 per device x 4 devices\n    global_batch = 16")), { target: "vissl" });
    assert.deepEqual(r.diagnostics.filter((d) => ["SEER3007", "SEER2005", "SEER6006"].includes(d.code)), []);
  });

  it("rejects a global batch that disagrees, at it, offering the product", () => {
    const text = experiment(train("    batch = 4 per device x 4 devices\n    global_batch = 32"));
    const r = checkSnippet(text, { target: "vissl" });
    const d = r.diagnostics.filter((x) => x.code === "SEER3007");
    assert.deepEqual(located(d), [at("SEER3007", text, "32\n")]);
    assert.equal(d[0].message, "`global_batch = 32` disagrees with `batch`: 4 per device x 4 devices = 16");
    assert.deepEqual(d[0].suggestions, ["16"]);
  });

  it("rejects a micro-batch that does not divide the batch per device", () => {
    const text = experiment(train("    batch = 16\n    micro_batch = 5"));
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2005", text, "5\n")]);
    assert.equal(r.diagnostics[0].message, "`micro_batch = 5` must divide the batch per device (16)");
    assert.deepEqual(r.diagnostics[0].suggestions, ["2", "4", "8"]);
  });

  it("explains accumulation over micro-batches (info)", () => {
    const text = experiment(train("    batch = 16\n    micro_batch = 8"));
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER6006", text, "8\n")]);
    assert.equal(r.diagnostics[0].severity, "info");
    assert.match(r.diagnostics[0].message, /accumulated over 2 micro-batches of 8/);
    assert.ok(r.experiments[0].ir);
  });
});
