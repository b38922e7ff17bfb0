import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { describe, it } from "node:test";
import { parseSource } from "../../src/language/parse.js";
import { formatSource } from "../../src/language/format.js";
import { REPO_ROOT } from "../check/helpers.js";
import { BASELINE_FOLDERS } from "../fixtures/harness.js";
import { seerFilesUnder, withoutPositions } from "./helpers.js";

/** The formatter: meaning kept (parse → format → parse gives the same AST), idempotent, every comment kept, and a canonical layout. */

function format(text: string, file = "/virtual/format.seer"): string {
  const parsed = parseSource(text, file);
  assert.deepEqual(parsed.diagnostics.map((d) => d.message), [], "the input must parse cleanly");
  return formatSource(parsed.file, text);
}

const FILES = seerFilesUnder("experiments", "stdlib", ...BASELINE_FOLDERS.map((f) => `test/fixtures/${f}`)).filter((file) => parseSource(readFileSync(file, "utf8"), file).diagnostics.length === 0);

describe("every file without syntax errors in experiments/, stdlib/ and test/fixtures/", () => {
  it("there are files to format", () => {
    assert.ok(FILES.length >= 8, `found only ${FILES.length}`);
  });
  for (const file of FILES) {
    const name = relative(REPO_ROOT, file);
    const text = readFileSync(file, "utf8");
    it(`${name}: round trip keeps the AST, formatting is idempotent, every comment survives`, () => {
      const parsed = parseSource(text, file);
      const once = formatSource(parsed.file, text);
      const reparsed = parseSource(once, file);
      assert.deepEqual(reparsed.diagnostics.map((d) => d.message), [], "formatted text must parse");
      assert.deepEqual(withoutPositions(reparsed.file), withoutPositions(parsed.file));
      const twice = formatSource(reparsed.file, once);
      assert.equal(twice, once, "fmt(fmt(x)) must equal fmt(x)");
      for (const comment of parsed.file.comments) {
        for (const line of comment.text.split("\n")) assert.ok(once.includes(line.trim()), `comment text lost: ${JSON.stringify(line.trim())}`);
      }
      assert.equal(reparsed.file.comments.length, parsed.file.comments.length, "comment count changed");
    });
  }
});

describe("canonical layout", () => {
  it("indents by two spaces, one statement per line, `=` spaced, a blank line between declarations", () => {
    const input = [
      'import   "regnet"',
      'import "swav"',
      "experiment   t{",
      "seed=0",
      "   data{ source=synthetic()",
      "images=256}",
      "loss = swav {prototypes=30,temperature=0.1}",
      "}",
      "preset p=regnety{w0=24}",
    ].join("\n");
    const expected = [
      'import "regnet"',
      'import "swav"',
      "",
      "experiment t {",
      "  seed = 0",
      "  data {",
      "    source = synthetic()",
      "    images = 256",
      "  }",
      "  loss = swav { prototypes = 30, temperature = 0.1 }",
      "}",
      "",
      "preset p = regnety { w0 = 24 }",
      "",
    ].join("\n");
    assert.equal(format(input), expected);
  });

  it("writes units and operators canonically and `:` as `=` is never reached (syntax errors are not formatted)", () => {
    const input = "experiment t {\n  a = 2x224px\n  b = 8000   steps\n  c = 0.1..1.0\n  d = 0.15->9.6\n  e = 16 per device x 512 devices\n  f = step 0.1,x0.1 at 30 epochs\n  g = 10 %\n}\n";
    const expected = "experiment t {\n  a = 2 x 224px\n  b = 8000 steps\n  c = 0.1 .. 1.0\n  d = 0.15 -> 9.6\n  e = 16 per device x 512 devices\n  f = step 0.1, x0.1 at 30 epochs\n  g = 10%\n}\n";
    assert.equal(format(input), expected);
  });

  it("keeps one blank line where the author left one or more, and none where there was none", () => {
    const input = "experiment t {\n  a = 1\n\n\n\n  b = 2\n  c = 3\n}\n";
    assert.equal(format(input), "experiment t {\n  a = 1\n\n  b = 2\n  c = 3\n}\n");
  });

  it("breaks a list that does not fit in 100 columns, one item per line with a trailing comma", () => {
    const items = Array.from({ length: 12 }, (_, i) => `SEER_RegNetY_${i}GF`);
    const input = `sweep s from e {\n  trunk in [${items.join(", ")}]\n}\n`;
    const expected = `sweep s from e {\n  trunk in [\n${items.map((i) => `    ${i},`).join("\n")}\n  ]\n}\n`;
    assert.equal(format(input), expected);
  });

  it("keeps a one-line block on one line when it fits, and opens it when it does not", () => {
    assert.equal(format("experiment t {\n  o = sgd { momentum = 0.9 }\n}\n"), "experiment t {\n  o = sgd { momentum = 0.9 }\n}\n");
    const long = `experiment t {\n  o = sgd { ${Array.from({ length: 12 }, (_, i) => `field_${i} = ${i}`).join(", ")} }\n}\n`;
    const out = format(long);
    assert.match(out, /\n {2}o = sgd \{\n {4}field_0 = 0\n/);
    assert.ok(out.split("\n").every((line) => line.length <= 100), out);
  });

  it("keeps one-line presets written as a table together, and separates multi-line declarations", () => {
    const input = "preset a = regnety { w0 = 24 }\npreset b = regnety { w0 = 48 }\n\npreset c = regnety { w0 = 56 }\n";
    assert.equal(format(input), input);
  });
});

describe("comments", () => {
  const input = [
    "// header comment",
    "",
    "// about the imports",
    'import "regnet"  // trailing on an import',
    "",
    "/* block comment",
    "   over two lines */",
    "experiment t {",
    "  // leading a statement",
    "  seed = 0  // trailing a statement",
    "",
    "  # hash comment",
    "  data {",
    "    source = synthetic()  // inside a nested block",
    "    // dangling at the end of a block",
    "  }",
    "  head = mlp [",
    "    trunk.width,  // first dimension",
    "    // before the last",
    "    128,",
    "  ]",
    "  train { batch = 16 /* inline */ }",
    "}",
    "// at the end of the file",
    "",
  ].join("\n");

  it("every comment survives, in order", () => {
    const out = format(input);
    const texts = parseSource(input, "/virtual/c.seer").file.comments.map((c) => c.text.split("\n")[0].trim());
    let from = 0;
    for (const t of texts) {
      const at = out.indexOf(t, from);
      assert.ok(at >= from, `comment ${JSON.stringify(t)} missing or out of order in:\n${out}`);
      from = at + t.length;
    }
  });

  it("is idempotent with comments everywhere", () => {
    const once = format(input);
    assert.equal(format(once), once);
  });

  it("keeps the blank lines between a header comment, the next comment and the code", () => {
    const out = format(input);
    assert.ok(out.startsWith('// header comment\n\n// about the imports\nimport "regnet"  // trailing on an import\n\n/* block comment'), out);
  });

  it("a block holding a comment is laid out on several lines so the comment has a place", () => {
    const out = format(input);
    assert.match(out, /train \{\n\s+batch = 16/);
    assert.ok(out.includes("/* inline */"));
  });
});
