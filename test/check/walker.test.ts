import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located } from "./helpers.js";

/**
 * The walker's generic checks, driven by the field registry: unknown fields (with did-you-mean),
 * types, units, ranges, enums, required fields, duplicates and conflicting lengths. Each has a
 * clean case (the base experiment, or a valid variant) and a failing case at its line and column.
 */

function diagnosticsOf(text: string) {
  return checkSnippet(text).diagnostics;
}

describe("the base experiment of these tests", () => {
  it("checks clean and lowers to an IR", () => {
    const r = checkSnippet(experiment());
    assert.deepEqual(located(r.diagnostics), []);
    assert.ok(r.experiments[0].ir);
  });
});

describe("unknown fields (SEER2001)", () => {
  it("a misspelt field, with the field it was probably meant to be", () => {
    const text = experiment({ loss: "  loss = swav { prototypes = 30, temprature = 0.2 }" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2001", text, "temprature")]);
    assert.equal(d[0].message, "unknown field `temprature` in `loss` (swav). Did you mean `temperature`?");
    assert.deepEqual(d[0].suggestions, ["temperature"]);
  });

  it("a name close to nothing lists the known fields instead", () => {
    const text = experiment({ extra: "  colour = 3" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2001", text, "colour")]);
    assert.equal(d[0].message, "unknown field `colour` in an experiment.");
    assert.match(d[0].hint ?? "", /known fields: seed, target, data, trunk/);
  });

  it("in a nested block, and through a dotted path", () => {
    const text = experiment({ extra: "  train.bacth_size = 3\n  loss.sinkhorn.epsilonn = 0.1" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2001", text, "bacth_size"), at("SEER2001", text, "epsilonn")]);
    assert.match(d[1].message, /unknown field `epsilonn` in `loss\.sinkhorn` \(sinkhorn\)\. Did you mean `epsilon`\?/);
  });

  it("a dotted path into a field that has no fields", () => {
    const text = experiment({ extra: "  seed.value = 1" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2001", text, "value")]);
    assert.equal(d[0].message, "`seed` has no fields; `seed.value` does not exist");
  });
});

describe("types (SEER2004)", () => {
  const cases: Array<[string, Parameters<typeof experiment>[0], string, RegExp]> = [
    ["a string for a number", { seed: '  seed = "zero"' }, '"zero"', /`seed`: expected a number, found a string/],
    ["a fraction for a whole number", { seed: "  seed = 1.5" }, "1.5", /`seed` must be a whole number, found 1\.5/],
    ["a number for a bool", { head: "  head = mlp [trunk.width, 64, 32] { batchnorm = 1 }" }, "1 }", /`batchnorm` is `true` or `false`, found the number `1`/],
    ["a number for a block", { data: "  data = 3" }, "3\n", /`data` is a block: write `data \{ … \}`, found the number `3`/],
    ["a name for a range", { augment: "  augment = multicrop {\n    crop 2 x 64px scale 0.3 .. 1.0\n    crop 2 x 32px scale 0.1 .. 0.3\n    blur { radius = wide }\n  }" }, "wide", /`radius` is a range `low \.\. high`, found the name `wide`/],
    ["a number for a list", { loss: "  loss = swav { prototypes = 30, assign_crops = 0 }" }, "0 }", /`assign_crops` is a list `\[…\]`, found the number `0`/],
    ["a list of the wrong length", { augment: "  augment = multicrop {\n    crop 2 x 64px scale 0.3 .. 1.0\n    crop 2 x 32px scale 0.1 .. 0.3\n    normalize { mean = [0.5, 0.5] }\n  }" }, "[0.5, 0.5]", /`mean` needs exactly 3 numbers, found 2/],
    ["a duration that is not one", { loss: "  loss = swav { prototypes = 30, freeze_prototypes = soon }" }, "soon", /`freeze_prototypes` is a duration such as `500 steps`/],
  ];
  for (const [name, parts, needle, message] of cases) {
    it(name, () => {
      const text = experiment(parts);
      const d = diagnosticsOf(text);
      assert.deepEqual(located(d), [at("SEER2004", text, needle)]);
      assert.match(d[0].message, message);
    });
  }

  it("constant arithmetic is a number", () => {
    const r = checkSnippet(experiment({ train: "  train {\n    batch = 4 * 4\n    steps = (10 + 10) * 1\n  }" }));
    assert.deepEqual(located(r.diagnostics), []);
    assert.equal(r.experiments[0].ir?.train.total_steps, 20);
    assert.equal(r.experiments[0].ir?.train.global_batch, 16);
  });
});

describe("units (SEER3001)", () => {
  it("a unit where a plain number belongs, with the number as the fix", () => {
    const text = experiment({ seed: "  seed = 3 steps" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER3001", text, "3 steps")]);
    assert.deepEqual(d[0].suggestions, ["3"]);
  });

  it("a size without `px`, with the fix", () => {
    const text = experiment({ data: "  data {\n    source = synthetic()\n    images = 256\n    image_size = 48\n  }" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER3001", text, "48")]);
    assert.deepEqual(d[0].suggestions, ["48px"]);
  });

  it("a duration without a unit, with both readings offered", () => {
    const text = experiment({ loss: "  loss = swav { prototypes = 30, freeze_prototypes = 5 }" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER3001", text, "5 }")]);
    assert.deepEqual(d[0].suggestions, ["5 steps", "5 epochs"]);
  });

  it("a probability in another unit; a percentage is a probability", () => {
    const bad = experiment({ augment: "  augment = multicrop {\n    crop 2 x 64px scale 0.3 .. 1.0\n    crop 2 x 32px scale 0.1 .. 0.3\n    flip = 50px\n  }" });
    assert.deepEqual(located(diagnosticsOf(bad)), [at("SEER3001", bad, "50px")]);
    const good = checkSnippet(experiment({ augment: "  augment = multicrop {\n    crop 2 x 64px scale 0.3 .. 1.0\n    crop 2 x 32px scale 0.1 .. 0.3\n    flip = 25%\n  }" }));
    assert.deepEqual(located(good.diagnostics), []);
    assert.equal(good.experiments[0].ir?.augment.flip, 0.25);
  });
});

describe("ranges (SEER2005)", () => {
  const cases: Array<[string, Parameters<typeof experiment>[0], string, string]> = [
    ["below an exclusive minimum", { loss: "  loss = swav { prototypes = 30, temperature = 0 }" }, "0 }", "`temperature` must be greater than 0, found 0"],
    ["below an inclusive minimum", { seed: "  seed = -1" }, "-1", "`seed` must be at least 0, found -1"],
    ["above a maximum", { optimizer: "  optimizer = sgd { momentum = 1.5 }" }, "1.5", "`momentum` must be at most 1, found 1.5"],
    ["a probability above 1", { augment: "  augment = multicrop {\n    crop 2 x 64px scale 0.3 .. 1.0\n    crop 2 x 32px scale 0.1 .. 0.3\n    grayscale = 120%\n  }" }, "120%", "`grayscale` must be at most 1, found 1.2"],
    ["a range written high to low", { augment: "  augment = multicrop {\n    crop 2 x 64px scale 0.3 .. 1.0\n    crop 2 x 32px scale 0.1 .. 0.3\n    blur { radius = 2 .. 0.1 }\n  }" }, "2 .. 0.1", "`radius` goes from 2 down to 0.1; write the lower end first"],
  ];
  for (const [name, parts, needle, message] of cases) {
    it(name, () => {
      const text = experiment(parts);
      const d = diagnosticsOf(text);
      assert.deepEqual(located(d), [at("SEER2005", text, needle)]);
      assert.equal(d[0].message, message);
    });
  }

  it("the bounds themselves are accepted", () => {
    const text = experiment({ optimizer: "  optimizer = sgd { momentum = 1, weight_decay = 0 }", seed: "  seed = 0" });
    assert.deepEqual(located(diagnosticsOf(text)), []);
  });
});

describe("enums (SEER2003)", () => {
  it("an unknown value, with the close one suggested", () => {
    const text = experiment({ train: "  train {\n    batch = 16\n    steps = 20\n    precision = fp23\n  }" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2003", text, "fp23")]);
    assert.equal(d[0].message, "unknown value `fp23` for `precision`. Did you mean `fp32`?");
    assert.deepEqual(d[0].suggestions, ["fp32"]);
    assert.equal(d[0].hint, "expected one of fp32, mixed");
  });

  it("a string is accepted for an enum value", () => {
    const text = experiment({ train: '  train {\n    batch = 16\n    steps = 20\n    device = "cpu"\n  }' });
    assert.deepEqual(located(diagnosticsOf(text)), []);
  });

  it("a number where an enum value belongs is a type error", () => {
    const text = experiment({ train: "  train {\n    batch = 16\n    steps = 20\n    precision = 32\n  }" });
    assert.deepEqual(located(diagnosticsOf(text)), [at("SEER2004", text, "32\n")]);
  });
});

describe("required fields (SEER2006)", () => {
  it("a missing top-level field is reported at the experiment's name", () => {
    const text = experiment({ head: "" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2006", text, "t {")]);
    assert.equal(d[0].message, "missing required field `head` in the experiment");
  });

  it("a missing field of a block is reported at the block", () => {
    const text = experiment({ trunk: "  trunk = regnety { w0 = 24, wa = 36.44, wm = 2.49, depth = 13 }" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2006", text, "regnety {")]);
    assert.equal(d[0].message, "missing required field `group_width` in `trunk` (regnety)");
  });

  it("a field set only through a dotted path, without its kind", () => {
    const text = experiment({ trunk: "  trunk.w0 = 24" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2006", text, "w0")]);
    assert.equal(d[0].message, "`trunk` is set only partly; write `trunk = …` first");
  });

  it("every missing field is reported once, and no rule reports what follows from it", () => {
    const text = "experiment bare {\n  seed = 1\n}\n";
    const d = diagnosticsOf(text);
    assert.deepEqual(
      d.map((x) => x.message),
      ["data", "trunk", "augment", "head", "loss", "optimizer", "schedule", "train"].map((f) => `missing required field \`${f}\` in the experiment`),
    );
  });
});

describe("duplicates (SEER2007)", () => {
  it("a field written twice in one block is reported at the second, pointing back at the first", () => {
    const text = experiment({ seed: "  seed = 0\n  seed = 1" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2007", text, "seed", 1)]);
    assert.equal(d[0].message, "`seed` is set twice");
    assert.deepEqual([d[0].related[0].span.line, d[0].related[0].span.column], [2, 3]);
  });

  it("a field written in a block and again by a dotted path in the same experiment", () => {
    // A dotted path adds to the block; a different field is not a duplicate.
    const r = checkSnippet(experiment({ loss: "  loss = swav { prototypes = 30 }\n  loss.temperature = 0.2" }));
    assert.deepEqual(located(r.diagnostics), []);
    assert.equal(r.experiments[0].ir?.loss.temperature, 0.2);
    const text = experiment({ extra: "  loss.prototypes = 32" });
    assert.deepEqual(located(diagnosticsOf(text)), [at("SEER2007", text, "prototypes", 1)]);
  });

  it("an evaluation protocol written twice", () => {
    const text = experiment({ extra: "  evaluate knn { data = synthetic() }\n  evaluate knn { data = synthetic(), k = 5 }" });
    assert.deepEqual(located(diagnosticsOf(text)), [at("SEER2007", text, "evaluate", 1)]);
  });
});

describe("conflicting lengths (SEER2008)", () => {
  it("`steps` and `epochs` together", () => {
    const text = experiment({ train: "  train {\n    batch = 16\n    steps = 20\n    epochs = 2\n  }" });
    const d = diagnosticsOf(text);
    assert.deepEqual(located(d), [at("SEER2008", text, "20")]);
    assert.equal(d[0].message, "`epochs` and `steps` both set the length of the run; keep one");
    assert.deepEqual([d[0].related[0].span.line, d[0].related[0].span.column], [at("", text, "2\n").line, at("", text, "2\n").column]);
  });

  it("`images` with `steps`", () => {
    const text = experiment({ train: "  train {\n    batch = 16\n    steps = 20\n    images = 320\n  }" });
    assert.deepEqual(diagnosticsOf(text).map((d) => d.code), ["SEER2008"]);
  });

  it("each of them alone is fine, and they convert to the same run", () => {
    for (const length of ["steps = 20", "epochs = 1.25", "images = 320"]) {
      const r = checkSnippet(experiment({ train: `  train {\n    batch = 16\n    ${length}\n  }` }));
      assert.deepEqual(located(r.diagnostics), [], length);
      // 256 images per epoch at 16 per step: 1.25 epochs = 20 steps = 320 images.
      assert.equal(r.experiments[0].ir?.train.total_steps, 20, length);
    }
  });
});

describe("operators", () => {
  it("`:` is a syntax error and withholds the IR even though the checker reads the value", () => {
    const text = experiment({ seed: "  seed: 0" });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER1003", text, ":")]);
    assert.equal(r.experiments[0].ir, null);
  });

  it("a value field written without `=` (SEER1002)", () => {
    const text = experiment({ seed: "  seed 0" });
    assert.deepEqual(located(diagnosticsOf(text)), [at("SEER1002", text, "seed")]);
  });

  it("a sweep axis inside an experiment (SEER5005)", () => {
    const text = experiment({ seed: "  seed in [0, 1]" });
    const d = diagnosticsOf(text);
    assert.deepEqual(d[0] && located([d[0]]), [at("SEER5005", text, "seed")]);
  });
});
