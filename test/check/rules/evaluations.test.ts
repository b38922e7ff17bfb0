import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "../helpers.js";

/** Rule evaluations (SEER2005): an evaluation's stage must exist in the trunk (a RegNet has 4); a low-shot fraction must leave some labels. */

describe("rule evaluations", () => {
  it("passes the last stage and a 10% low-shot fraction", () => {
    const r = checkSnippet(experiment({ extra: "  evaluate knn {\n    data = synthetic()\n    stage = 4\n  }\n  evaluate lowshot {\n    data = synthetic()\n    fraction = 10%\n  }" }));
    assert.deepEqual(located(r.diagnostics), []);
    assert.deepEqual(r.experiments[0].ir?.evaluate.map((e) => [e.kind, e.stage, e.fraction]), [["knn", 4, null], ["lowshot", null, 0.1]]);
  });

  it("rejects a stage the trunk does not have, offering the last one", () => {
    const text = experiment({ extra: "  evaluate knn {\n    data = synthetic()\n    stage = 7\n  }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2005", text, "7\n")]);
    assert.equal(r.diagnostics[0].message, "`stage = 7` but the trunk has 4 stages");
    assert.deepEqual(r.diagnostics[0].suggestions, ["4"]);
  });

  it("rejects a low-shot fraction of zero", () => {
    const text = experiment({ extra: "  evaluate lowshot {\n    data = synthetic()\n    fraction = 0%\n  }" });
    assert.deepEqual(located(checkSnippet(text).diagnostics), [at("SEER2005", text, "0%")]);
  });
});
