import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { at, checkSnippet, experiment, located, only } from "../helpers.js";

/** Rule crops: scale and ratio ranges (SEER4004) and crop sizes against the trunk's total stride of 32 (SEER4003). */

const augment = (first: string) => `  augment = multicrop {\n    ${first}\n    crop 2 x 32px scale 0.1 .. 0.3\n  }`;

describe("rule crops", () => {
  it("passes sizes that are multiples of 32 and scales inside (0, 1]", () => {
    assert.deepEqual(only(checkSnippet(experiment()).diagnostics, "SEER4003", "SEER4004"), []);
    assert.deepEqual(located(checkSnippet(experiment({ augment: augment("crop 2 x 96px scale 1.0 .. 1.0") })).diagnostics), []);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["crop 2 x 64px scale 0.3 .. 1.5", "SEER4004", /scale range must lie in \(0, 1\].*found 0\.3 \.\. 1\.5/],
    ["crop 2 x 64px scale 0 .. 1.0", "SEER4004", /found 0 \.\. 1/],
    ["crop 2 x 64px scale 0.3 .. 1.0 ratio 2 .. 1", "SEER4004", /aspect-ratio range must be positive with the lower end first; found 2 \.\. 1/],
  ];
  for (const [crop, code, message] of bad) {
    it(`rejects \`${crop}\` at the crop`, () => {
      const text = experiment({ augment: augment(crop) });
      const r = checkSnippet(text);
      assert.deepEqual(located(r.diagnostics), [at(code, text, crop.slice("crop ".length))]);
      assert.match(r.diagnostics[0].message, message);
    });
  }

  it("warns about a size that is not a multiple of the stride, offering the neighbours", () => {
    const text = experiment({ augment: augment("crop 2 x 60px scale 0.3 .. 1.0") });
    const r = checkSnippet(text);
    assert.deepEqual(located(r.diagnostics), [at("SEER4003", text, "2 x 60px")]);
    assert.equal(r.diagnostics[0].severity, "warning");
    assert.deepEqual(r.diagnostics[0].suggestions, ["32px", "64px"]);
    assert.ok(r.experiments[0].ir, "a warning does not withhold the IR");
  });
});
