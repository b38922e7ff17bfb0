import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "../helpers.js";

/** Rule durations: prototype freezing and the queue's start inside the run (SEER3008), run-time conversions (SEER3011), a checkpoint interval of at least a step (SEER2005). */

describe("rule durations", () => {
  it("passes points inside the run", () => {
    const r = checkSnippet(experiment({ loss: "  loss = swav {\n    prototypes = 30\n    freeze_prototypes = 5 steps\n    queue { length = 32, start = 10 steps }\n  }" }));
    assert.deepEqual(located(r.diagnostics), []);
    assert.deepEqual([r.experiments[0].ir?.loss.freeze_prototypes.steps, r.experiments[0].ir?.loss.queue?.start.steps], [5, 10]);
  });

  it("rejects prototype freezing as long as the run", () => {
    const text = experiment({ loss: "  loss = swav { prototypes = 30, freeze_prototypes = 25 steps }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER3008", text, "25 steps")]);
    assert.equal(r.diagnostics[0].message, "prototype freezing lasts 25 steps, but the run has only 20 steps");
  });

  it("rejects a queue that starts after the run", () => {
    const text = experiment({ loss: "  loss = swav {\n    prototypes = 30\n    queue { length = 32, start = 30 steps }\n  }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER3008", text, "30 steps")]);
    assert.equal(r.diagnostics[0].message, "the queue starts at step 30, but the run has only 20 steps");
  });

  it("says when a point is known only at run time (info), and converts epochs when the size is declared", () => {
    const text = experiment({ data: '  data {\n    source = folder(".")\n  }', loss: "  loss = swav { prototypes = 30, freeze_prototypes = 1 epoch }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER3011", text, "1 epoch")]);
    // Declared 256 images at 16 per step: one epoch is 16 steps, inside the 20-step run.
    const declared = checkSnippet(experiment({ loss: "  loss = swav { prototypes = 30, freeze_prototypes = 1 epoch }" }));
    assert.equal(declared.experiments[0].ir?.loss.freeze_prototypes.steps, 16);
  });

  it("rejects a checkpoint interval of zero steps", () => {
    const text = experiment({ train: "  train {\n    batch = 16\n    steps = 20\n    checkpoint_every = 0 steps\n  }" });
    assert.deepEqual(located(checkSnippet(text).diagnostics), [at("SEER2005", text, "0 steps")]);
  });
});
