import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located, only, SNIPPET_DIR, type ExperimentParts } from "./helpers.js";

/**
 * The readers of values with a grammar of their own (src/check/readers.ts and the duration reader):
 * data sources, batches, schedules, crops, head dimensions, sync BatchNorm, evaluations, glob lists
 * and durations. For each: what it accepts (read back from the IR) and what it rejects, where.
 */

interface Failing {
  name: string;
  parts: ExperimentParts;
  code: string;
  /** The text the diagnostic must point at (its first occurrence in the experiment). */
  needle: string;
  nth?: number;
  /** Columns from the needle's start to where the diagnostic points, when the needle needs context to be unique. */
  shift?: number;
  message: RegExp;
  target?: "tfjs" | "vissl";
}

function failing(cases: Failing[]): void {
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const text = experiment(c.parts);
      const r = checkSnippet(text, { target: c.target });
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      const expected = at(c.code, text, c.needle, c.nth);
      assert.deepEqual(located(errors), [{ ...expected, column: expected.column + (c.shift ?? 0) }]);
      assert.match(errors[0].message, c.message);
    });
  }
}

function irOf(parts: ExperimentParts, target?: "tfjs" | "vissl") {
  const r = checkSnippet(experiment(parts), { target });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
  assert.ok(r.experiments[0].ir);
  return r.experiments[0].ir;
}

const data = (source: string, more = "\n    images = 256") => `  data {\n    source = ${source}${more}\n  }`;
const train = (batch: string, more = "") => `  train {\n    batch = ${batch}\n    steps = 20${more}\n  }`;
const augment = (crop: string) => `  augment = multicrop {\n    crop 2 x 64px scale 0.3 .. 1.0\n    ${crop}\n  }`;

describe("data sources", () => {
  it("reads synthetic(), folders relative to the file, and named datasets", () => {
    assert.deepEqual(irOf({}).data.source, { kind: "synthetic", images: 256, classes: 10, size: 64, seed: 0, split: "train" });
    assert.deepEqual(irOf({ data: data('image_folder(".")') }).data.source, { kind: "image_folder", path: SNIPPET_DIR });
    // A named dataset has no local copy for the tfjs target (SEER7001), but the reader takes it and its size.
    const r = checkSnippet(experiment({ data: data("imagenet_1k", "") }));
    assert.deepEqual(r.diagnostics.map((d) => d.code), ["SEER7001"]);
    assert.deepEqual(r.experiments[0].checked.data?.source, { kind: "named", name: "imagenet_1k" });
    assert.equal(r.experiments[0].derived.datasetImages, 1_281_167);
  });

  failing([
    { name: "an unknown source function", parts: { data: data('folderr("x")') }, code: "SEER2002", needle: "folderr", message: /unknown data source `folderr\(…\)`\. Did you mean `folder`\?/ },
    { name: "an unknown dataset name", parts: { data: data("imagenet1k") }, code: "SEER2009", needle: "imagenet1k", message: /Did you mean `imagenet_1k`/ },
    { name: "a bare string", parts: { data: data('"data/"') }, code: "SEER2004", needle: '"data/"', message: /is a data source such as `folder\("images\/"\)`/ },
    { name: "a path that is not a string", parts: { data: data("folder(3)") }, code: "SEER2004", needle: "folder(3)", message: /`folder\(…\)` takes one path in double quotes/ },
    { name: "arguments to synthetic()", parts: { data: data("synthetic(3)") }, code: "SEER2004", needle: "3)", message: /`synthetic\(\)` takes no arguments/ },
  ]);
});

describe("batches", () => {
  it("reads a global batch and `B per device x D devices`", () => {
    assert.deepEqual([irOf({}).train.batch_per_device, irOf({}).train.devices], [16, 1]);
    const t = irOf({ train: train("4 per device x 4 devices") }).train;
    assert.deepEqual([t.batch_per_device, t.devices, t.global_batch], [4, 4, 16]);
    assert.equal(irOf({ train: train("16 per device") }).train.global_batch, 16);
  });

  failing([
    { name: "`per` anything but device", parts: { train: train("16 per gpu x 2 devices") }, code: "SEER3001", needle: "gpu", message: /write `per device`, not `per gpu`/ },
    { name: "a device count without its unit", parts: { train: train("16 per device x 2") }, code: "SEER3001", needle: "2\n", message: /the number of devices is written `N devices`/ },
    { name: "zero devices", parts: { train: train("16 per device x 0 devices") }, code: "SEER2005", needle: "0 devices", message: /at least 1/ },
    { name: "a batch in steps", parts: { train: train("16 steps") }, code: "SEER3001", needle: "16 steps", message: /a batch counts images, not `steps`/ },
    { name: "an empty batch", parts: { train: train("0") }, code: "SEER2005", needle: "batch = 0", shift: 8, message: /`batch` must be a whole number of at least 1, found 0/ },
    { name: "an empty batch per device", parts: { train: train("0 per device") }, code: "SEER2005", needle: "0 per", message: /the batch per device must be at least 1/ },
  ]);
});

describe("schedules", () => {
  it("reads warm-up then cosine, step factors, a bare rate and a restart", () => {
    const s = irOf({ schedule: "  schedule = warmup linear 0.1 -> 1.0 over 5 steps, then cosine -> 0.01" }).schedule;
    assert.equal(s.written, "warmup linear 0.1 -> 1.0 over 5 steps, then cosine -> 0.01");
    assert.deepEqual(s.pieces, [
      { kind: "linear", start_step: 0, end_step: 5, from: 0.1, to: 1 },
      { kind: "cosine", start_step: 5, end_step: 20, from: 1, to: 0.01 },
    ]);
    assert.deepEqual(irOf({ schedule: "  schedule = step 0.1, x0.1 at 10 steps, x0.5 at 15 steps" }).schedule.pieces, [
      { kind: "step", start_step: 0, end_step: 20, value: 0.1, milestones: [{ step: 10, factor: 0.1 }, { step: 15, factor: 0.5 }] },
    ]);
    assert.deepEqual(irOf({ schedule: "  schedule = 0.05" }).schedule.pieces, [{ kind: "constant", start_step: 0, end_step: 20, value: 0.05 }]);
    assert.deepEqual(irOf({ schedule: "  schedule = linear 0.1 -> 0.2 over 10 steps, then restart constant 0.05" }).schedule.pieces.map((p) => p.kind), ["linear", "constant"]);
  });

  failing([
    { name: "an unknown piece, with the word it resembles", parts: { schedule: "  schedule = cosin 0.1 -> 0.01" }, code: "SEER3010", needle: "cosin", message: /unknown schedule piece `cosin`\. Did you mean `cosine`\?/ },
    { name: "a first piece without a start rate", parts: { schedule: "  schedule = cosine -> 0.01" }, code: "SEER3010", needle: "cosine", message: /the first piece needs a start rate/ },
    { name: "`over` without a duration", parts: { schedule: "  schedule = linear 0.1 -> 0.2 over" }, code: "SEER3010", needle: "over", message: /`over` is followed by one duration/ },
    { name: "`over` on a step schedule", parts: { schedule: "  schedule = step 0.1 over 5 steps" }, code: "SEER3010", needle: "step 0.1", message: /a `step` schedule runs to the end/ },
    { name: "a factor after a non-step piece", parts: { schedule: "  schedule = constant 0.1, x0.1 at 5 steps" }, code: "SEER3010", needle: "x0.1", message: /must follow a `step` schedule/ },
    { name: "a factor without `at`", parts: { schedule: "  schedule = step 0.1, x0.1 after 5 steps" }, code: "SEER3010", needle: "x0.1", message: /a step factor is written `x0\.1 at 30 epochs`/ },
    { name: "a zero factor", parts: { schedule: "  schedule = step 0.1, x0 at 5 steps" }, code: "SEER3005", needle: "x0", message: /a step factor must be positive/ },
    { name: "two rates for `constant`", parts: { schedule: "  schedule = constant 0.1 0.2" }, code: "SEER3010", needle: "constant", message: /`constant` takes one learning rate/ },
    { name: "`linear` without an arrow", parts: { schedule: "  schedule = linear 0.1" }, code: "SEER3010", needle: "linear", message: /`linear` is written `linear FROM -> TO`/ },
    { name: "step points out of order", parts: { schedule: "  schedule = step 0.1, x0.1 at 10 steps, x0.1 at 5 steps" }, code: "SEER3010", needle: "5 steps", message: /step points must be in increasing order/ },
    { name: "an unknown schedule preset", parts: { schedule: "  schedule = seer_schedule" }, code: "SEER2002", needle: "seer_schedule", message: /unknown schedule or preset `seer_schedule`/ },
  ]);
});

describe("crops", () => {
  it("reads counts, sizes, scales and ratios (default ratio 3/4 .. 4/3)", () => {
    const crops = irOf({ augment: augment("crop 32px scale 0.1 .. 0.3 ratio 0.5 .. 2") }).augment.crops;
    assert.deepEqual(crops[0], { count: 2, size: 64, scale: [0.3, 1], ratio: [0.75, 4 / 3] });
    assert.deepEqual(crops[1], { count: 1, size: 32, scale: [0.1, 0.3], ratio: [0.5, 2] });
  });

  failing([
    { name: "a size without px", parts: { augment: augment("crop 2 x 32 scale 0.1 .. 0.3") }, code: "SEER3001", needle: "32 scale", message: /a crop size is in pixels/ },
    { name: "a tiny size", parts: { augment: augment("crop 2 x 4px scale 0.1 .. 0.3") }, code: "SEER2005", needle: "x 4px", shift: 2, message: /at least 8px/ },
    { name: "zero crops", parts: { augment: augment("crop 0 x 32px scale 0.1 .. 0.3") }, code: "SEER2005", needle: "0 x", message: /the number of crops must be at least 1/ },
    { name: "a misspelt setting", parts: { augment: augment("crop 2 x 32px scal 0.1 .. 0.3") }, code: "SEER2001", needle: "scal ", message: /unknown crop setting `scal`\. Did you mean `scale`\?/ },
    { name: "a scale that is not a range", parts: { augment: augment("crop 2 x 32px scale 0.1") }, code: "SEER2004", needle: "0.1\n", message: /`scale` is a range/ },
  ]);
});

describe("head dimensions", () => {
  it("reads `trunk.width` as the trunk's width", () => {
    const ir = irOf({});
    assert.deepEqual(ir.head.dims, [ir.trunk.width, 64, 32]);
  });

  failing([
    { name: "dimensions that are not a list", parts: { head: "  head = mlp { dims = 5 }" }, code: "SEER2004", needle: "5 }", message: /head dimensions are a list/ },
    { name: "a single dimension", parts: { head: "  head = mlp [trunk.width]" }, code: "SEER4009", needle: "[trunk.width]", message: /at least an input and an output dimension/ },
    { name: "a reference other than trunk.width", parts: { head: "  head = mlp [trunk.depth, 32]" }, code: "SEER2009", needle: "trunk.depth", message: /the head can refer to `trunk\.width`/ },
    { name: "a zero dimension", parts: { head: "  head = mlp [trunk.width, 0]" }, code: "SEER4009", needle: "0]", message: /head dimensions must be at least 1/ },
  ]);
});

describe("sync BatchNorm", () => {
  it("reads none, all and group N", () => {
    assert.deepEqual(irOf({}).train.sync_batchnorm, { mode: "none", group_size: null });
    // On the tfjs target a sync group is read and then warned about (SEER6002), not rejected.
    assert.deepEqual(irOf({ train: train("16", "\n    sync_batchnorm = group 8") }).train.sync_batchnorm, { mode: "group", group_size: 8 });
  });

  failing([
    { name: "another word", parts: { train: train("16", "\n    sync_batchnorm = groups 8") }, code: "SEER2003", needle: "groups", message: /`sync_batchnorm` is `none`, `all` or `group N`/ },
    { name: "a group of one", parts: { train: train("16", "\n    sync_batchnorm = group 1") }, code: "SEER2005", needle: "group 1", shift: 6, message: /at least 2 devices/ },
  ]);
});

describe("evaluations", () => {
  it("reads each protocol with its defaults", () => {
    const evaluate = irOf({ extra: "  evaluate linear { data = synthetic(), epochs = 2 }\n  evaluate knn { data = synthetic() }" }).evaluate;
    assert.deepEqual(evaluate.map((e) => [e.kind, e.epochs, e.k]), [["linear", 2, null], ["knn", null, 20]]);
  });

  failing([
    { name: "an unknown protocol", parts: { extra: "  evaluate knnn { data = synthetic() }" }, code: "SEER2002", needle: "knnn", message: /unknown evaluation protocol `knnn`\. Did you mean `knn`\?/ },
    { name: "a protocol without a block", parts: { extra: "  evaluate knn 3" }, code: "SEER2004", needle: "knn 3", shift: 4, message: /write `evaluate knn \{ … \}`/ },
    { name: "a missing data source", parts: { extra: "  evaluate knn { k = 5 }" }, code: "SEER2006", needle: "knn {", message: /missing required field `data`/ },
  ]);
});

describe("glob lists", () => {
  it("reads one pattern or a list", () => {
    const source = irOf({ data: data('folder(".")', '\n    include = "*.png"\n    exclude = ["a/**"]') }).data.source;
    assert.deepEqual(source, { kind: "folder", path: SNIPPET_DIR, include: ["*.png"], exclude: ["a/**"] });
  });

  failing([{ name: "a pattern that is not a string", parts: { data: data('folder(".")', '\n    include = ["*.png", 3]') }, code: "SEER2004", needle: "3]", message: /takes glob patterns in double quotes/ }]);
});

describe("durations", () => {
  it("reads steps, epochs, images and `N epochs of DATASET at BATCH`", () => {
    const loss = (d: string) => irOf({ loss: `  loss = swav { prototypes = 30, freeze_prototypes = ${d} }`, train: "  train {\n    batch = 16\n    steps = 400\n  }" }).loss.freeze_prototypes;
    assert.deepEqual(loss("5 steps"), { amount: 5, unit: "steps", of: null, steps: 5 });
    // 256 images at 16 per step: an epoch is 16 steps; 40 images are 3 steps (a started step counts).
    assert.equal(loss("1 epoch").steps, 16);
    assert.equal(loss("40 images").steps, 3);
    // ImageNet-1k's 1,281,167 training images at 4096 per step: ceil(312.78) = 313, whatever this run's batch.
    const ofImagenet = loss("1 epoch of imagenet_1k at 4096");
    assert.deepEqual([ofImagenet.of, ofImagenet.steps], [{ dataset: "imagenet_1k", images: 1_281_167, batch: 4096 }, 313]);
  });

  const freeze = (d: string): ExperimentParts => ({ loss: `  loss = swav { prototypes = 30, freeze_prototypes = ${d} }` });
  failing([
    { name: "`of` with steps", parts: freeze("1 step of imagenet_1k at 4096"), code: "SEER3001", needle: "1 step", message: /counts epochs; write `1 epoch of …`/ },
    { name: "`of` an unknown dataset", parts: freeze("1 epoch of imagenet at 4096"), code: "SEER2009", needle: "imagenet ", message: /unknown dataset `imagenet`/ },
    { name: "`of` at batch zero", parts: freeze("1 epoch of imagenet_1k at 0"), code: "SEER2005", needle: "0 }", message: /must be at least 1/ },
    { name: "a negative duration", parts: freeze("-1 steps"), code: "SEER2005", needle: "-1 steps", message: /`freeze_prototypes` cannot be negative/ },
  ]);

  it("a duration in epochs of a folder of unknown size is converted at run time (SEER3011, info)", () => {
    const text = experiment({ data: data('folder(".")', ""), loss: "  loss = swav { prototypes = 30, freeze_prototypes = 1 epoch }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(only(r.diagnostics, "SEER3011")), [at("SEER3011", text, "1 epoch")]);
    assert.equal(r.diagnostics.find((d) => d.code === "SEER3011")?.severity, "info");
    assert.equal(r.experiments[0].ir?.loss.freeze_prototypes.steps, null);
  });
});
