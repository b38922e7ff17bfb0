import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "../helpers.js";

/** Rule data-sources: local paths must exist for in-process runs (SEER7001), synthetic() needs its size (SEER2006), evaluations need labels (SEER2004). */

const data = (source: string, more = "") => ({ data: `  data {\n    source = ${source}${more}\n  }` });

describe("rule data-sources", () => {
  it("passes synthetic images with a size, and a folder that exists (relative to the file)", () => {
    assert.deepEqual(located(checkSnippet(experiment()).diagnostics), []);
    assert.deepEqual(located(checkSnippet(experiment(data('folder("rules")'))).diagnostics), []);
  });

  it("warns about a folder that does not exist, at the source (the data may live elsewhere; a run stops)", () => {
    const text = experiment(data('folder("no/such/dir")'));
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER7001", text, 'folder("no/such/dir")')]);
    assert.equal(r.diagnostics[0].severity, "warning");
    assert.match(r.diagnostics[0].message, /`no\/such\/dir` does not exist here \(looked for .*test\/check\/no\/such\/dir\)/);
  });

  it("does not look for cluster paths on the vissl target", () => {
    const r = checkSnippet(experiment(data('folder("/data/on/the/cluster")')), { target: "vissl" });
    assert.equal(r.diagnostics.filter((d) => d.code === "SEER7001").length, 0);
  });

  it("rejects a dataset name for an in-process run", () => {
    const text = experiment(data("imagenet_1k"));
    assert.deepEqual(located(checkSnippet(text).diagnostics), [at("SEER7001", text, "imagenet_1k")]);
  });

  it("rejects synthetic() without a size", () => {
    const text = experiment(data("synthetic()"));
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2006", text, "synthetic()")]);
    assert.deepEqual(r.diagnostics[0].suggestions, ["images = 2048"]);
  });

  it("rejects unlabelled data for an evaluation", () => {
    const text = experiment({ extra: '  evaluate linear { data = folder("rules") }' });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2004", text, 'folder("rules")')]);
    assert.match(r.diagnostics[0].message, /an evaluation needs labelled data; `folder\(…\)` has no labels/);
  });
});
