import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Diagnostic, Span } from "../../src/diagnostics/types.js";
import { CATALOG } from "../../src/diagnostics/catalog.js";
import { diagnostic, sortDiagnostics } from "../../src/diagnostics/make.js";
import { didYouMean, editDistance, suggestNames } from "../../src/diagnostics/did-you-mean.js";
import { codeFrame, renderGithub, renderText, summaryLine, toJson } from "../../src/diagnostics/render.js";

/** The one Diagnostic type's helpers: the catalog, did-you-mean, ordering, and the text, JSON and GitHub renderers. */

const TEXT = "experiment e {\n  loss = swav { temprature = 0.2 }\n}\n";
const span = (line: number, column: number, length: number, file = "/repo/x.seer"): Span => {
  const lines = TEXT.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
  return { file, start, end: start + length, line, column, endLine: line, endColumn: column + length };
};

describe("the catalog", () => {
  it("codes are SEERdddd in their documented ranges, with a severity and a summary", () => {
    for (const [code, entry] of Object.entries(CATALOG)) {
      assert.match(code, /^SEER[1-7]\d{3}$/);
      assert.ok(["error", "warning", "info"].includes(entry.severity), code);
      assert.ok(entry.summary.length > 0, code);
    }
  });

  it("a diagnostic takes the catalog's severity unless told otherwise", () => {
    assert.equal(diagnostic("SEER4007", "m", undefined).severity, "warning");
    assert.equal(diagnostic("SEER4011", "m", undefined, { severity: "error" }).severity, "error");
  });
});

describe("did-you-mean", () => {
  it("counts a transposition as one edit, ignoring case", () => {
    assert.equal(editDistance("temprature", "temperature"), 1);
    assert.equal(editDistance("ab", "ba"), 1);
    assert.equal(editDistance("Seed", "seed"), 0);
    assert.equal(editDistance("", "abc"), 3);
  });

  it("suggests close names best first, and nothing for distant ones", () => {
    assert.deepEqual(suggestNames("temprature", ["temperature", "prototypes", "sinkhorn"]), ["temperature"]);
    assert.deepEqual(suggestNames("xyz", ["temperature", "prototypes"]), []);
    assert.deepEqual(suggestNames("sink", ["sinkhorn", "seed"]), ["sinkhorn"]);
    assert.deepEqual(suggestNames("a".repeat(100_000), ["temperature"]), []);
  });

  it("phrases one, two or three suggestions", () => {
    assert.equal(didYouMean([]), "");
    assert.equal(didYouMean(["a"]), " Did you mean `a`?");
    assert.equal(didYouMean(["a", "b", "c"]), " Did you mean `a`, `b` or `c`?");
  });
});

describe("renderers", () => {
  const error: Diagnostic = {
    ...diagnostic("SEER2001", "unknown field `temprature` in `loss` (swav). Did you mean `temperature`?", span(2, 17, 10), { hint: "check the spelling", suggestions: ["temperature"] }),
    related: [{ span: span(2, 10, 4), message: "the loss is here" }],
  };
  const warning = diagnostic("SEER4007", "few features", span(1, 12, 1, "/repo/a.seer"));
  const unplaced = diagnostic("SEER1010", "cannot read /repo/missing.seer: no such file", undefined);
  const texts = new Map([["/repo/x.seer", TEXT], ["/repo/a.seer", TEXT]]);

  it("sorts by file, then position", () => {
    assert.deepEqual(sortDiagnostics([error, warning, unplaced]).map((d) => d.code), ["SEER1010", "SEER4007", "SEER2001"]);
  });

  it("text: location, severity, code, message, a code frame with carets, notes and hints; paths relative to cwd", () => {
    const out = renderText([error], texts, { color: false, cwd: "/repo" });
    assert.equal(
      out,
      [
        "x.seer:2:17: error SEER2001: unknown field `temprature` in `loss` (swav). Did you mean `temperature`?",
        "2 |   loss = swav { temprature = 0.2 }",
        "  |                 ^^^^^^^^^^",
        "  note: x.seer:2:10: the loss is here",
        "  2 |   loss = swav { temprature = 0.2 }",
        "    |          ^^^^",
        "  hint: check the spelling",
      ].join("\n"),
    );
    assert.match(renderText([error], texts, { color: true }), /\x1b\[31m/);
    assert.equal(renderText([unplaced], texts, { color: false }), "error SEER1010: cannot read /repo/missing.seer: no such file");
  });

  it("a code frame of a long line is cut, and a span over several lines says so", () => {
    const long = "x".repeat(500);
    const frame = codeFrame({ file: "f", start: 0, end: 3, line: 1, column: 1, endLine: 1, endColumn: 4 }, long, false);
    assert.ok(frame.split("\n")[0].length < 200);
    const multi = codeFrame({ file: "f", start: 0, end: 20, line: 1, column: 3, endLine: 3, endColumn: 2 }, TEXT, false);
    assert.match(multi, /… through line 3/);
  });

  it("summary line", () => {
    assert.equal(summaryLine([], 1), "0 errors, 0 warnings in 1 file");
    assert.equal(summaryLine([error, warning, warning], 3), "1 error, 2 warnings in 3 files");
    assert.equal(summaryLine([diagnostic("SEER3011", "info", undefined)], 2), "0 errors, 0 warnings in 2 files");
  });

  it("json: code, severity, message, file, line, column, endLine, endColumn (null when unplaced), hint, suggestions, related", () => {
    assert.deepEqual(toJson([error, unplaced], "/repo"), [
      {
        code: "SEER2001",
        severity: "error",
        message: error.message,
        file: "x.seer",
        line: 2,
        column: 17,
        endLine: 2,
        endColumn: 27,
        hint: "check the spelling",
        suggestions: ["temperature"],
        related: [{ message: "the loss is here", file: "x.seer", line: 2, column: 10, endLine: 2, endColumn: 14 }],
      },
      { code: "SEER1010", severity: "error", message: unplaced.message, file: null, line: null, column: null, endLine: null, endColumn: null, suggestions: [], related: [] },
    ]);
  });

  it("github: one workflow command per diagnostic, properties and data escaped", () => {
    const tricky = diagnostic("SEER3001", "50% of a, b: c\nnext", span(1, 1, 2, "/repo/dir,with:odd.seer"));
    assert.equal(
      renderGithub([error, warning, tricky, diagnostic("SEER3011", "later", undefined)], "/repo"),
      [
        "::error file=x.seer,line=2,col=17,endLine=2,endColumn=27,title=SEER2001::unknown field `temprature` in `loss` (swav). Did you mean `temperature`? (check the spelling)",
        "::warning file=a.seer,line=1,col=12,endLine=1,endColumn=13,title=SEER4007::few features",
        "::error file=dir%2Cwith%3Aodd.seer,line=1,col=1,endLine=1,endColumn=3,title=SEER3001::50%25 of a, b: c%0Anext",
        "::notice title=SEER3011::later",
      ].join("\n"),
    );
  });
});
