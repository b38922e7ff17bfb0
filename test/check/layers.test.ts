import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located, SNIPPET_PATH } from "./helpers.js";

/**
 * Where values come from, lowest layer first: presets (and presets of presets), the experiments an
 * experiment extends, the experiment itself, then `-s` overrides. A higher layer replaces a lower
 * one field by field; problems are reported at the text that caused them, `-s` ones in `<-s #N>`.
 */

describe("presets", () => {
  it("a stdlib preset fills the block and is recorded in the IR", () => {
    const r = checkSnippet(experiment({ header: 'import "regnet"', trunk: "  trunk = RegNetY_400MF" }));
    assert.deepEqual(located(r.diagnostics), []);
    const trunk = r.experiments[0].ir!.trunk;
    assert.equal(trunk.preset, "RegNetY_400MF");
    // The pycls model zoo's RegNetY-400MF: w0 48, wa 27.89, wm 2.09, group width 8, depth 16.
    assert.deepEqual(trunk.generator, { w0: 48, wa: 27.89, wm: 2.09, group_width: 8, depth: 16, rounding: "pycls" });
  });

  it("a block after a preset changes only the fields it writes", () => {
    const r = checkSnippet(experiment({ header: 'import "regnet"', trunk: "  trunk = RegNetY_400MF { rounding = torchvision, stem_width = 16 }" }));
    assert.deepEqual(located(r.diagnostics), []);
    const trunk = r.experiments[0].ir!.trunk;
    assert.deepEqual([trunk.generator?.w0, trunk.generator?.rounding, trunk.stem_width], [48, "torchvision", 16]);
  });

  it("a preset of a preset: the outer one's block wins over the inner one's", () => {
    const text = 'import "regnet"\npreset deeper = RegNetY_200MF { depth = 14, stem_width = 24 }\n' + experiment({ trunk: "  trunk = deeper { stem_width = 16 }" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), []);
    const trunk = r.experiments[0].ir!.trunk;
    assert.deepEqual([trunk.preset, trunk.generator?.w0, trunk.generator?.depth, trunk.stem_width], ["deeper", 24, 14, 16]);
  });

  it("an augment preset built on another keeps the base's photometric settings", () => {
    const r = checkSnippet(experiment({ header: 'import "swav"', augment: "  augment = swav_multicrop", trunk: "  trunk = regnety { w0 = 24, wa = 36.44, wm = 2.49, group_width = 8, depth = 13 }", loss: "  loss = swav { prototypes = 30 }" }));
    const augment = r.experiments[0].ir!.augment;
    assert.deepEqual(augment.crops.map((c) => [c.count, c.size]), [[2, 224], [6, 96]]);
    assert.equal(augment.grayscale, 0.2);
    assert.deepEqual(augment.blur, { p: 0.5, radius: [0.1, 2] });
  });

  it("an unknown preset, with the imported names that are close", () => {
    const text = experiment({ header: 'import "regnet"', trunk: "  trunk = RegNetY_200M" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2002", text, "RegNetY_200M")]);
    assert.deepEqual(r.diagnostics[0].suggestions.slice(0, 1), ["RegNetY_200MF"]);
  });

  it("an unknown preset without imports says where presets come from", () => {
    const text = experiment({ trunk: "  trunk = RegNetY_200MF" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2002", text, "RegNetY_200MF")]);
    assert.match(r.diagnostics[0].hint ?? "", /presets come from imports such as `import "regnet"`/);
  });

  it("a preset of another family is reported where it is used, not inside the stdlib", () => {
    const text = experiment({ header: 'import "swav"', trunk: "  trunk = seer_multicrop" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics, true), [{ ...at("SEER2002", text, "seer_multicrop"), file: SNIPPET_PATH }]);
    assert.equal(r.diagnostics[0].message, "`seer_multicrop` is a preset for `augment` (kind `multicrop`), not for `trunk`");
  });

  it("a preset that refers to itself is reported once, where the loop closes (SEER2011)", () => {
    const text = "preset loop = loop { depth = 3 }\n" + experiment({ trunk: "  trunk = loop" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2011", text, "loop {")]);
    assert.equal(r.diagnostics[0].message, "preset `loop` refers to itself: loop → loop");
  });

  it("presets are checked on their own, even when nothing uses them", () => {
    const text = "preset bad = regnety { w0 = 24, wa = -1, wm = 2.49, group_width = 8, depth = 13 }\n";
    assert.deepEqual(located(checkSnippet(text).diagnostics), [at("SEER2005", text, "-1")]);
  });

  it("a schedule preset, and its problems reported at the experiment that uses it", () => {
    const ok = checkSnippet(experiment({ header: 'import "schedules"', schedule: "  schedule = seer_finetune_schedule", train: "  train {\n    batch = 16\n    epochs = 35\n  }" }));
    assert.deepEqual(located(ok.diagnostics), []);
    assert.equal(ok.experiments[0].ir!.schedule.written, "step 0.0125, x0.1 at 30 epochs");
    // seer_schedule warms up over 8,000 steps; this run has 20.
    const text = experiment({ header: 'import "schedules"', schedule: "  schedule = seer_schedule" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics, true), [{ ...at("SEER3003", text, "seer_schedule"), file: SNIPPET_PATH }]);
    assert.match(r.diagnostics[0].related[0].span.file, /stdlib\/schedules\.seer$/);
  });
});

describe("extends", () => {
  const parent = experiment({ name: "parent" });

  it("inherits every field and replaces only what it writes; a block merges with the base's block", () => {
    const r = checkSnippet(parent + "experiment child extends parent {\n  seed = 5\n  train { steps = 10 }\n}\n");
    assert.deepEqual(located(r.diagnostics), []);
    const [p, c] = r.experiments.map((e) => e.ir!);
    assert.deepEqual([p.seed, p.train.total_steps, p.train.global_batch], [0, 20, 16]);
    assert.deepEqual([c.seed, c.train.total_steps, c.train.global_batch], [5, 10, 16]);
    assert.notEqual(c.hash, p.hash);
  });

  it("across files, through an import", () => {
    const r = checkSnippet('import "./parent.seer"\nexperiment child extends parent {\n  loss.temperature = 0.2\n}\n', { files: { "parent.seer": parent } });
    assert.deepEqual(located(r.diagnostics), []);
    assert.equal(r.experiments[0].ir!.loss.temperature, 0.2);
  });

  it("a chain of three: the nearest base wins", () => {
    const r = checkSnippet(parent + "experiment middle extends parent { seed = 1 }\nexperiment leaf extends middle { loss.temperature = 0.3 }\n");
    const leaf = r.experiments.find((e) => e.name === "leaf")!.ir!;
    assert.deepEqual([leaf.seed, leaf.loss.temperature], [1, 0.3]);
  });

  it("writing a field the base wrote is not a duplicate; writing it twice in the child is", () => {
    const text = parent + "experiment child extends parent {\n  seed = 1\n  seed = 2\n}\n";
    assert.deepEqual(located(checkSnippet(text).diagnostics), [at("SEER2007", text, "seed = 2")]);
  });

  it("an unknown base is one error at its name; the child's own fields are still checked, and none is reported missing", () => {
    const text = parent + "experiment child extends parnet {\n  train.stepz = 10\n  loss.temperature = 0.2\n}\n";
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2010", text, "parnet"), at("SEER2001", text, "stepz")]);
    assert.equal(r.diagnostics[0].message, "`child` extends unknown experiment `parnet`. Did you mean `parent`?");
    assert.equal(r.experiments.find((e) => e.name === "child")!.ir, null);
  });

  it("a base that is a preset says so, and never suggests the experiment itself", () => {
    const text = "preset p = regnety { w0 = 24, wa = 36.44, wm = 2.49, group_width = 8, depth = 13 }\nexperiment c extends p { seed = 1 }\n";
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2010", text, "p {")]);
    assert.equal(r.diagnostics[0].message, "`c` extends `p`, which is a preset, not an experiment.");
  });

  it("experiments extending each other (SEER2011)", () => {
    const text = "experiment a extends b { seed = 1 }\nexperiment b extends a { seed = 2 }\n";
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER2011", text, "b {"), at("SEER2011", text, "a {")]);
    assert.equal(r.diagnostics[0].message, "experiments extend each other in a cycle: b → a → b");
  });

  it("two declarations with one name (SEER1013), reported once at the second", () => {
    const text = parent + experiment({ name: "parent", seed: "  seed = 3" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER1013", text, "parent {", 1)]);
    assert.deepEqual([r.diagnostics[0].related[0].span.line], [1]);
  });
});

describe("-s overrides", () => {
  it("replace the file's values, including inside blocks and with presets", () => {
    const r = checkSnippet(experiment({ header: 'import "regnet"' }), { overrides: ["loss.temperature=0.2", "train.steps=10", "seed=7", "trunk=RegNetY_400MF"] });
    assert.deepEqual(located(r.diagnostics), []);
    const ir = r.experiments[0].ir!;
    assert.deepEqual([ir.loss.temperature, ir.train.total_steps, ir.seed, ir.trunk.preset], [0.2, 10, 7, "RegNetY_400MF"]);
  });

  it("a value with spaces and units is read like file text", () => {
    const r = checkSnippet(experiment(), { overrides: ["schedule=linear 0.1 -> 0.01", "loss.freeze_prototypes=5 steps"] });
    assert.deepEqual(located(r.diagnostics), []);
    assert.equal(r.experiments[0].ir!.schedule.written, "linear 0.1 -> 0.01");
    assert.equal(r.experiments[0].ir!.loss.freeze_prototypes.steps, 5);
  });

  const failing: Array<[string, string, number, RegExp]> = [
    ["loss.temperature=-1", "SEER2005", 18, /`temperature` must be greater than 0, found -1/],
    ["loss.temprature=0.2", "SEER2001", 6, /Did you mean `temperature`\?/],
    ["train.steps=10 steps", "SEER3001", 13, /`steps` is a plain number; remove the unit `steps`/],
    ["train.precision=fp23", "SEER2003", 17, /Did you mean `fp32`\?/],
    ["seed=", "SEER1002", 6, /expected a value/],
    ["seed in [1, 2]", "SEER1014", 1, /an override is written `path=value`/],
    ["trunk=RegNetY_999", "SEER2002", 7, /unknown trunk kind or preset `RegNetY_999`/],
  ];
  for (const [argument, code, column, message] of failing) {
    it(`\`-s ${argument}\` is reported in <-s #2> at column ${column}`, () => {
      const r = checkSnippet(experiment(), { overrides: ["seed=1", argument] });
      assert.deepEqual(located(r.diagnostics, true), [{ code, line: 1, column, file: "<-s #2>" }]);
      assert.match(r.diagnostics[0].message, message);
      assert.equal(r.texts.get("<-s #2>"), argument, "the argument text is kept for the code frame");
    });
  }
});
