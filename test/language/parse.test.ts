import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as A from "../../src/language/ast.js";
import { parseSource, parseStatement } from "../../src/language/parse.js";
import { SeerParser } from "../../src/language/parser.js";
import { createSeerLexer } from "../../src/language/tokens.js";
import { positionOf } from "../check/helpers.js";

/** The lexer and parser on inline text: values, line breaks, spans, and every syntax error at its line and column. */

function parse(text: string) {
  return parseSource(text, "/virtual/test.seer");
}

describe("grammar definition", () => {
  // The CLI builds both with Chevrotain's validations off, to start fast; here they run in full.
  it("passes Chevrotain's checks of the tokens and of the grammar (ambiguities, left recursion, unreachable alternatives)", () => {
    const lexer = createSeerLexer(true);
    assert.deepEqual(lexer.lexerDefinitionErrors, []);
    assert.doesNotThrow(() => new SeerParser(true));
  });
});

/** The value of `name = …` in the first experiment of `text`, which must parse cleanly. */
function valueOf(body: string, name = "v"): A.Value {
  const text = `experiment e {\n  ${body}\n}\n`;
  const r = parse(text);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [], `parse errors in ${JSON.stringify(text)}`);
  const decl = r.file.decls[0] as A.ExperimentDecl;
  const s = decl.body.statements.find((st) => A.pathText(st.path) === name);
  assert.ok(s, `no statement ${name}`);
  return s.value;
}

/** A value as a compact string, to assert the tree's shape without spans. */
function shape(v: A.Value): string {
  switch (v.kind) {
    case "Number":
      return `${v.value}${v.unit ? `:${v.unit}` : ""}`;
    case "String":
      return JSON.stringify(v.value);
    case "Bool":
      return String(v.value);
    case "Ref":
      return v.parts.map((p) => p.name).join(".");
    case "Member":
      return `(${shape(v.object)}).${v.member.name}`;
    case "Call":
      return `${v.callee.name}(${v.args.map(shape).join(", ")})`;
    case "List":
      return `[${v.items.map(shape).join(", ")}]`;
    case "Block":
      return `{${v.statements.map((s) => `${A.pathText(s.path)}${s.op ?? " "}${shape(s.value)}`).join("; ")}}`;
    case "Phrase":
      return `<${v.items.map(shape).join(" ")}>`;
    case "Range":
      return `(${shape(v.low)} .. ${shape(v.high)})`;
    case "Arrow":
      return `(${shape(v.from)} -> ${shape(v.to)})`;
    case "Cross":
      return `(${shape(v.left)} x ${shape(v.right)})`;
    case "Per":
      return `(${shape(v.value)} per ${v.unit.name})`;
    case "Binary":
      return `(${shape(v.left)} ${v.op} ${shape(v.right)})`;
    case "Negate":
      return `-(${shape(v.operand)})`;
    case "Multiplier":
      return `x(${shape(v.factor)})`;
    case "Paren":
      return `(${shape(v.inner)})`;
    case "Chain":
      return v.parts.map(shape).join(" ; ");
  }
}

describe("numbers, units and count suffixes", () => {
  const cases: Array<[string, string]> = [
    ["16k", "16000"],
    ["1.2M", "1200000"],
    ["1B", "1000000000"],
    ["3T", "3000000000000"],
    ["1e-5", "0.00001"],
    ["2.5E3", "2500"],
    ["1_000_000", "1000000"],
    [".5", "0.5"],
    ["224px", "224:px"],
    ["10%", "10:%"],
    ["32 GB", "32:GB"],
    ["8000 steps", "8000:steps"],
    ["1 epoch", "1:epoch"],
    ["1B images", "1000000000:images"],
    ["512 devices", "512:devices"],
  ];
  for (const [written, expected] of cases) {
    it(`\`${written}\` reads as ${expected}`, () => {
      assert.equal(shape(valueOf(`v = ${written}`)), expected);
    });
  }

  it("keeps the number as written for the formatter", () => {
    const v = valueOf("v = 16k") as A.NumberNode;
    assert.equal(v.text, "16k");
    assert.equal((valueOf("v = 1.0") as A.NumberNode).text, "1.0");
  });

  it("a unit word on the next line is a field, not the number's unit", () => {
    const text = "experiment e {\n  v = 8000\n  images = 3\n}\n";
    const decl = parse(text).file.decls[0] as A.ExperimentDecl;
    assert.deepEqual(decl.body.statements.map((s) => `${A.pathText(s.path)}=${shape(s.value)}`), ["v=8000", "images=3"]);
  });

  it("rejects misplaced underscores at the number (SEER1005)", () => {
    for (const bad of ["1__000", "1_", "2_.5"]) {
      const text = `experiment e {\n  v = ${bad}\n}\n`;
      const r = parse(text);
      assert.deepEqual(r.diagnostics.map((d) => ({ code: d.code, line: d.span?.line, column: d.span?.column })), [{ code: "SEER1005", ...positionOf(text, bad) }], bad);
    }
  });
});

describe("values", () => {
  const cases: Array<[string, string]> = [
    ['"a \\"quoted\\" word"', '"a \\"quoted\\" word"'],
    ["true", "true"],
    ["trunk.width", "trunk.width"],
    ['folder("data/x")', 'folder("data/x")'],
    ["synthetic()", "synthetic()"],
    ["[trunk.width, 8192, 256]", "[trunk.width, 8192, 256]"],
    ["regnety { w0 = 24, depth = 13 }", "<regnety {w0=24; depth=13}>"],
    ["mlp [trunk.width, 64] { batchnorm = false }", "<mlp [trunk.width, 64] {batchnorm=false}>"],
    ["0.14 .. 1.0", "(0.14 .. 1)"],
    ["2 x 224px", "(2 x 224:px)"],
    ["16 per device x 512 devices", "((16 per device) x 512:devices)"],
    ["16 * 512 + 1", "((16 * 512) + 1)"],
    ["2 * (3 + 4)", "(2 * ((3 + 4)))"],
    ["-0.5", "-(0.5)"],
    ["group 64", "<group 64>"],
    ["1 epoch of imagenet_1k at 4096", "<1:epoch of imagenet_1k at 4096>"],
    ["warmup linear 0.15 -> 9.6 over 8000 steps, then cosine -> 0.0096", "<warmup linear (0.15 -> 9.6) over 8000:steps> ; (cosine -> 0.0096)"],
    ["step 0.0125, x0.1 at 30 epochs", "<step 0.0125> ; <x(0.1) at 30:epochs>"],
    ["constant 0.1, then restart constant 0.01", "<constant 0.1> ; <restart constant 0.01>"],
  ];
  for (const [written, expected] of cases) {
    it(`\`${written}\``, () => {
      assert.equal(shape(valueOf(`v = ${written}`)), expected);
    });
  }

  it("a value may continue on the next line after an operator, a comma or inside brackets", () => {
    assert.equal(shape(valueOf("v = warmup linear 0.15 -> 9.6 over 8000 steps,\n    then cosine -> 0.0096")), "<warmup linear (0.15 -> 9.6) over 8000:steps> ; (cosine -> 0.0096)");
    assert.equal(shape(valueOf("v = 1 +\n    2")), "(1 + 2)");
    assert.equal(shape(valueOf("v = [\n    1,\n    2,\n  ]")), "[1, 2]");
    assert.equal(shape(valueOf("v = 0.1\n    .. 0.2")), "(0.1 .. 0.2)");
  });

  it("statements in a block are separated by line breaks, commas or semicolons", () => {
    assert.equal(shape(valueOf("v = { a = 1, b = 2; c = 3\n d = 4 }")), "{a=1; b=2; c=3; d=4}");
  });

  it("`crop 2 x 224px scale …` is a statement without `=`", () => {
    const text = "experiment e {\n  augment = multicrop {\n    crop 2 x 224px scale 0.14 .. 1.0\n  }\n}\n";
    const r = parse(text);
    assert.deepEqual(r.diagnostics, []);
    const block = ((r.file.decls[0] as A.ExperimentDecl).body.statements[0].value as A.PhraseNode).items[1] as A.BlockNode;
    assert.equal(block.statements[0].op, null);
    assert.equal(shape(block.statements[0].value), "<(2 x 224:px) scale (0.14 .. 1)>");
  });
});

describe("declarations, comments and spans", () => {
  const text = [
    "// header",
    'import "regnet"',
    'import "./other.seer"',
    "",
    "/* a block",
    "   comment */",
    "preset small = regnety { w0 = 24 }",
    "",
    "experiment child extends parent {",
    "  loss.temperature = 0.2  # hash comment",
    "}",
    "",
    "sweep s from child {",
    "  seed in [0, 1]",
    "}",
    "",
  ].join("\n");
  const r = parse(text);

  it("parses every kind of declaration without errors", () => {
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.file.imports.map((i) => i.spec), ["regnet", "./other.seer"]);
    assert.deepEqual(r.file.decls.map((d) => `${d.kind}:${d.name.name}`), ["Preset:small", "Experiment:child", "Sweep:s"]);
    const child = r.file.decls[1] as A.ExperimentDecl;
    assert.equal(child.base?.name, "parent");
    const sweep = r.file.decls[2] as A.SweepDecl;
    assert.equal(sweep.base.name, "child");
    assert.equal(sweep.body.statements[0].op, "in");
  });

  it("collects every comment with its kind", () => {
    assert.deepEqual(r.file.comments.map((c) => [c.text, c.block]), [["// header", false], ["/* a block\n   comment */", true], ["# hash comment", false]]);
  });

  it("gives spans as 1-based line and column, end exclusive", () => {
    const spec = r.file.imports[1].specSpan;
    assert.deepEqual([spec.line, spec.column, spec.endLine, spec.endColumn], [3, 8, 3, 22]);
    const child = r.file.decls[1] as A.ExperimentDecl;
    const s = child.body.statements[0];
    assert.deepEqual({ line: s.span.line, column: s.span.column }, positionOf(text, "loss.temperature"));
    assert.deepEqual({ line: s.value.span.line, column: s.value.span.column }, positionOf(text, "0.2"));
    assert.equal(text.slice(s.value.span.start, s.value.span.end), "0.2");
    assert.deepEqual([child.span.line, child.span.endLine], [9, 11]);
    const comment = r.file.comments[1].span;
    assert.deepEqual([comment.line, comment.column, comment.endLine, comment.endColumn], [5, 1, 6, 14]);
  });
});

/** `{ code, line, column }` of each diagnostic, in the order the parser reports them after sorting by position. */
function syntaxErrors(text: string) {
  return parse(text)
    .diagnostics.map((d) => ({ code: d.code, line: d.span?.line, column: d.span?.column, message: d.message }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

describe("syntax errors, each at its line and column", () => {
  it("five independent errors are all reported in one run", () => {
    const text = [
      "experiment five {",
      "  seed = 0 ]",
      "  data {",
      "    source = synthetic()",
      "    images = 256 $",
      "  }",
      "  trunk = regnety { w0 = 24, group_width: 8 }",
      "  head = mlp [trunk.width,, 64]",
      "  loss = swav { prototypes = }",
      '  schedule = "constant',
      "}",
      "",
    ].join("\n");
    const found = syntaxErrors(text).map(({ code, line, column }) => ({ code, line, column }));
    assert.deepEqual(found, [
      { code: "SEER1002", ...positionOf(text, "]") },
      { code: "SEER1001", ...positionOf(text, "$") },
      { code: "SEER1003", ...positionOf(text, ":") },
      { code: "SEER1002", ...positionOf(text, ",,", 0), column: positionOf(text, ",,").column + 1 },
      { code: "SEER1002", ...positionOf(text, "}", 2) },
      { code: "SEER1004", ...positionOf(text, '"constant') },
    ]);
  });

  it("names the unexpected character, printable or not (SEER1001)", () => {
    const errors = syntaxErrors("experiment e {\n  v = 1 @\n  w = 2\u0001\n}\n");
    assert.deepEqual(errors.map((e) => [e.code, e.line, e.column]), [["SEER1001", 2, 9], ["SEER1001", 3, 8]]);
    assert.equal(errors[0].message, "unexpected character `@`");
    assert.match(errors[1].message, /0x01/);
  });

  it("a `:` where `=` belongs is its own error with the fix (SEER1003)", () => {
    const r = parse("experiment e {\n  seed: 1\n}\n");
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.span?.line, d.span?.column, d.suggestions]), [["SEER1003", 2, 7, ["="]]]);
  });

  it("doubled, leading and trailing commas in lists and calls", () => {
    assert.deepEqual(syntaxErrors("experiment e {\n  v = [1,, 2]\n  w = f(,1)\n  z = [1, 2,]\n}\n").map((e) => [e.line, e.column, e.message]), [
      [2, 10, "empty item between items"],
      [3, 9, "empty argument before the first argument"],
    ]);
  });

  it("a dangling operator is reported at the end of its line, and the next line is still read", () => {
    const text = "experiment e {\n  seed = 1 +\n  images = 2 ]\n}\n";
    const errors = syntaxErrors(text);
    assert.deepEqual(errors.map((e) => [e.line, e.column]), [[2, 13], [3, 14]]);
    assert.match(errors[0].message, /expected a value after `\+`, found the end of the line/);
  });

  it("a field name with no value", () => {
    const errors = syntaxErrors("experiment e {\n  images\n  seed = 1\n}\n");
    assert.deepEqual(errors.map((e) => [e.line, e.column, e.message]), [[2, 9, "expected `=`, `in` or a value after field name `images`, found the end of the line"]]);
    // Before a closing brace the line break is not a separator, so the brace is what was found.
    assert.deepEqual(syntaxErrors("experiment e {\n  images\n}\n").map((e) => [e.line, e.column]), [[3, 1]]);
  });

  it("a stray token says what was expected, in the user's words", () => {
    assert.deepEqual(syntaxErrors("experiment e {\n  seed = 0 ]\n}\n").map((e) => e.message), ["expected `}` after `0`, found `]`"]);
    // Where recovery skipped the stray token, it does not claim to have been "after" it.
    assert.deepEqual(syntaxErrors("experiment e {\n  seed = 0 ]\n  data { }\n}\n").map((e) => e.message), ["expected `}`, found `]`"]);
    assert.deepEqual(syntaxErrors("experiment e {\n}\n}\n").map((e) => [e.line, e.column, e.message]), [[3, 1, "unexpected `}`; expected an `import`, `experiment`, `preset` or `sweep` declaration"]]);
    assert.deepEqual(syntaxErrors("experiment\n").map((e) => [e.line, e.column, e.message]), [[1, 11, "expected a name after `experiment`, found the end of the file"]]);
    assert.deepEqual(syntaxErrors('import regnet\n').map((e) => [e.line, e.column, e.message]), [[1, 8, "expected a string after `import`, found `regnet`"]]);
  });

  it("messages never name internal token types", () => {
    const inputs = ["experiment {", "experiment e { a = }", "experiment e { a = [1 }", "preset = 1", "sweep s { }", "experiment e extends { }", "}", "experiment e { a = (1 }", "experiment e { a.b. = 1 }"];
    for (const input of inputs) {
      for (const d of parse(input).diagnostics) {
        assert.doesNotMatch(d.message, /EOF|Identifier|LCurly|RCurly|NumberLiteral|StringLiteral|Newline|undefined/, `${input}: ${d.message}`);
        assert.ok(d.span && d.span.line >= 1 && d.span.column >= 1, `${input}: ${d.message} has no position`);
      }
    }
  });
});

describe("parseStatement (the text of a `-s path=value` override)", () => {
  it("parses one statement with spans into the argument's own text", () => {
    const r = parseStatement("loss.temperature=0.2", "<-s #1>");
    assert.deepEqual(r.diagnostics, []);
    assert.ok(r.statement);
    assert.equal(A.pathText(r.statement.path), "loss.temperature");
    assert.equal(r.statement.op, "=");
    assert.deepEqual([r.statement.value.span.file, r.statement.value.span.line, r.statement.value.span.column], ["<-s #1>", 1, 18]);
  });

  it("reports broken overrides at their column in the argument", () => {
    const cases: Array<[string, string, number, RegExp]> = [
      ["seed=", "SEER1002", 6, /expected a value/],
      ["seed=1 }", "SEER1002", 8, /expected one `path=value`, found `}` after it/],
      ["seed=1\nseed=2", "SEER1002", 7, /expected one `path=value`/],
      ['data.source=folder("x', "SEER1004", 20, /unterminated string/],
      ["seed=$", "SEER1001", 6, /unexpected character/],
      ["=1", "SEER1002", 1, /expected a name/],
    ];
    for (const [text, code, column, message] of cases) {
      const r = parseStatement(text, "<-s #2>");
      assert.equal(r.statement, null, text);
      assert.ok(r.diagnostics.length > 0, text);
      const d = r.diagnostics[0];
      assert.deepEqual([d.code, d.span?.file, d.span?.line, d.span?.column], [code, "<-s #2>", 1, column], text);
      assert.match(d.message, message, text);
    }
  });
});
