import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "../helpers.js";

/** Rule queue-length (SEER3009): the queue is filled batch by batch, so its length is a multiple of the global batch; never rounded silently. */

const loss = (length: number) => ({ loss: `  loss = swav {\n    prototypes = 30\n    queue { length = ${length} }\n  }` });

describe("rule queue-length", () => {
  it("passes a multiple of the global batch (16)", () => {
    const r = checkSnippet(experiment(loss(48)));
    assert.deepEqual(located(r.diagnostics), []);
    assert.equal(r.experiments[0].ir?.loss.queue?.length, 48);
  });

  it("rejects another length, offering the multiples on either side", () => {
    const text = experiment(loss(40));
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER3009", text, "40")]);
    assert.equal(r.diagnostics[0].message, "queue length 40 is not a multiple of the global batch 16");
    assert.deepEqual(r.diagnostics[0].suggestions, ["32", "48"]);
  });

  it("below one batch, offers only the batch itself", () => {
    const r = checkSnippet(experiment(loss(10)));
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.suggestions]), [["SEER3009", ["16"]]]);
  });
});
