import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { performance } from "node:perf_hooks";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import { MAX_NESTING, parseSource } from "../../src/language/parse.js";
import { formatSource } from "../../src/language/format.js";
import { checkText, SNIPPET_PATH } from "../check/helpers.js";
import { seerFilesUnder, withoutPositions } from "./helpers.js";
import { seededRandom } from "../../src/sweep/expand.js";

/**
 * A seeded corpus of broken inputs made from the repository's valid files. For every input the
 * parser, the formatter and the checker must return (never throw), within a generous time bound,
 * and every diagnostic must carry a usable position. Where the breakage is known by construction
 * (an unbalanced bracket, a character no token starts with), the diagnostic must be there.
 */

/** Generous on purpose: a shared 2-core machine must not make this flaky; real inputs take milliseconds. */
const TIME_BOUND_MS = 5000;

/** Coarse tokens of .seer text, found independently of the lexer under test: spans of [start, end). */
function coarseTokens(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const re = /"(?:[^"\\\n]|\\.)*"|\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/|[A-Za-z_][A-Za-z0-9_]*|\d[\w.]*|->|\.\.|\S/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push([m.index, m.index + m[0].length]);
  return out;
}

type Region = "code" | "string" | "comment";

/** What each offset of the text is: code, inside a string, or inside a comment (a small independent scanner). */
function regions(text: string): Region[] {
  const out: Region[] = new Array(text.length).fill("code");
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      for (let k = i; k <= Math.min(j, text.length - 1); k++) out[k] = "string";
      i = j + 1;
    } else if (c === "#" || (c === "/" && text[i + 1] === "/")) {
      let j = i;
      while (j < text.length && text[j] !== "\n") out[j++] = "comment";
      i = j;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      const end = close === -1 ? text.length : close + 2;
      for (let k = i; k < end; k++) out[k] = "comment";
      i = end;
    } else i++;
  }
  return out;
}

/** True when the code (outside strings and comments) has an opening bracket that is never closed, or a closer with no opener. */
function bracketsUnbalanced(text: string): boolean {
  const region = regions(text);
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  for (let i = 0; i < text.length; i++) {
    if (region[i] !== "code") continue;
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") stack.push(c);
    else if (c in pairs) {
      if (stack.pop() !== pairs[c]) return true;
    }
  }
  return stack.length > 0;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

/** Characters that start no token of the language (no `#`: it starts a comment; no `×`/`→`: they are operators). */
const STRAY = ["$", "@", "?", "!", "~", "^", "&", "|", "\\", "`", "'", "\u0001", "\u007f", "é", "€", "\u00a0"];

interface Mutant {
  name: string;
  text: string;
  /** A diagnostic this input must produce, when the breakage is known by construction. */
  expect?: { code?: string; line?: number; column?: number };
}

function mutants(file: string, text: string, seed: number, perKind: number): Mutant[] {
  const rand = seededRandom(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const tokens = coarseTokens(text);
  const short = file.split("/").slice(-2).join("/");
  const out: Mutant[] = [];
  for (let k = 0; k < perKind; k++) {
    const [s, e] = tokens[pick(tokens.length)];
    const deleted = text.slice(0, s) + text.slice(e);
    out.push({ name: `${short}: delete \`${text.slice(s, e).slice(0, 20)}\` at ${s}`, text: deleted, expect: bracketsUnbalanced(deleted) ? {} : undefined });

    const [ds, de] = tokens[pick(tokens.length)];
    const duplicated = text.slice(0, de) + " " + text.slice(ds, de) + text.slice(de);
    out.push({ name: `${short}: duplicate \`${text.slice(ds, de).slice(0, 20)}\` at ${ds}`, text: duplicated, expect: bracketsUnbalanced(duplicated) ? {} : undefined });

    const i = pick(tokens.length - 1);
    const [as, ae] = tokens[i];
    const [bs, be] = tokens[i + 1];
    const swapped = text.slice(0, as) + text.slice(bs, be) + text.slice(ae, bs) + text.slice(as, ae) + text.slice(be);
    out.push({ name: `${short}: swap tokens at ${as}`, text: swapped, expect: bracketsUnbalanced(swapped) ? {} : undefined });

    const cut = pick(text.length);
    const truncated = text.slice(0, cut);
    out.push({ name: `${short}: truncate at ${cut}`, text: truncated, expect: bracketsUnbalanced(truncated) ? {} : undefined });

    const at = pick(text.length + 1);
    const run = Array.from({ length: 1 + pick(4) }, () => STRAY[pick(STRAY.length)]).join("");
    const inserted = text.slice(0, at) + run + text.slice(at);
    // Inside a comment the bytes are harmless; inside a string they are content. In code they must be reported where they are.
    const inCode = regions(inserted)[at] === "code";
    out.push({ name: `${short}: insert ${JSON.stringify(run)} at ${at}`, text: inserted, expect: inCode ? { code: "SEER1001", ...lineColumn(inserted, at) } : undefined });
  }
  return out;
}

interface Outcome {
  parseDiagnostics: Diagnostic[];
  diagnostics: Diagnostic[];
  ms: number;
}

/** Parses, formats and checks one input as the file `path`; throws only if the code under test throws. */
function runAll(path: string, text: string): Outcome {
  const started = performance.now();
  const parsed = parseSource(text, path);
  formatSource(parsed.file, text);
  const checked = checkText(path, text);
  return { parseDiagnostics: parsed.diagnostics, diagnostics: checked.diagnostics, ms: performance.now() - started };
}

/** Every diagnostic has a position, and those in `path` (the mutated text) lie inside it. */
function assertPositions(diagnostics: readonly Diagnostic[], text: string, path: string, name: string): void {
  const lineCount = text.split("\n").length;
  for (const d of diagnostics) {
    if (d.code === "SEER1010") continue;
    assert.ok(d.span, `${name}: ${d.code} "${d.message}" has no position`);
    assert.ok(Number.isInteger(d.span.line) && d.span.line >= 1, `${name}: ${d.code} has line ${d.span.line}`);
    assert.ok(Number.isInteger(d.span.column) && d.span.column >= 1, `${name}: ${d.code} has column ${d.span.column}`);
    assert.ok(d.span.endLine > d.span.line || (d.span.endLine === d.span.line && d.span.endColumn >= d.span.column), `${name}: ${d.code} ends before it starts`);
    if (d.span.file === path) assert.ok(d.span.line <= lineCount, `${name}: ${d.code} on line ${d.span.line} of ${lineCount}`);
  }
}

const VALID_FILES = seerFilesUnder("experiments", "stdlib");

describe("a seeded corpus of mutations of the repository's valid files", () => {
  let slowest = { ms: 0, name: "" };
  let total = 0;
  for (const [index, file] of VALID_FILES.entries()) {
    const text = readFileSync(file, "utf8");
    it(`${file.split("/").slice(-2).join("/")}: parser, formatter and checker never throw and report every construct-known error`, (t) => {
      const corpus = mutants(file, text, 1000 + index, 9);
      for (const m of corpus) {
        let outcome: Outcome;
        try {
          outcome = runAll(file, m.text);
        } catch (error) {
          assert.fail(`${m.name}: threw ${(error as Error).stack}`);
        }
        total++;
        if (outcome.ms > slowest.ms) slowest = { ms: outcome.ms, name: m.name };
        assert.ok(outcome.ms < TIME_BOUND_MS, `${m.name}: took ${outcome.ms.toFixed(0)} ms`);
        assertPositions(outcome.diagnostics, m.text, file, m.name);
        if (m.expect) {
          const errors = outcome.parseDiagnostics.filter((d) => d.severity === "error");
          assert.ok(errors.length > 0, `${m.name}: an invalid input gave no syntax error`);
          if (m.expect.code) {
            const found = errors.find((d) => d.code === m.expect!.code && d.span?.line === m.expect!.line && d.span?.column === m.expect!.column);
            assert.ok(found, `${m.name}: expected ${m.expect.code} at ${m.expect.line}:${m.expect.column}, got ${JSON.stringify(errors.map((d) => [d.code, d.span?.line, d.span?.column]))}`);
          }
        }
        // Whatever parses cleanly must survive the formatter unchanged in meaning.
        if (outcome.parseDiagnostics.length === 0) {
          const parsed = parseSource(m.text, file);
          const formatted = formatSource(parsed.file, m.text);
          const reparsed = parseSource(formatted, file);
          assert.deepEqual(reparsed.diagnostics.map((d) => d.message), [], `${m.name}: the formatted text does not parse:\n${formatted}`);
          assert.deepEqual(withoutPositions(reparsed.file), withoutPositions(parsed.file), `${m.name}: formatting changed the meaning`);
        }
        // A clean check means every experiment has its IR.
        if (!outcome.diagnostics.some((d) => d.severity === "error")) {
          const checked = checkText(file, m.text);
          for (const e of checked.experiments) assert.ok(e.ir, `${m.name}: experiment ${e.name} checked clean but has no IR`);
        }
      }
      t.diagnostic(`${corpus.length} mutants`);
    });
  }
  it("measured the corpus", (t) => {
    assert.ok(total >= 300, `only ${total} mutants ran`);
    t.diagnostic(`${total} mutants; slowest ${slowest.ms.toFixed(1)} ms (${slowest.name})`);
  });
});

describe("deep nesting is reported, not a stack overflow", () => {
  const DEPTH = 5000;
  // The experiment's own block is the first level, so the value's MAX_NESTING-th opener is the first one too deep.
  const shapes: Array<{ name: string; open: string; close: string }> = [
    { name: "lists", open: "[", close: "]" },
    { name: "parentheses", open: "(", close: ")" },
    { name: "blocks", open: "{ a = ", close: " }" },
    { name: "named blocks", open: "a { b = c ", close: " }" },
    { name: "calls", open: "f(", close: ")" },
    { name: "mixed brackets", open: "[(", close: ")]" },
    { name: "prefix minus", open: "-", close: "" },
    { name: "step factors", open: "x ", close: "" },
  ];
  for (const shape of shapes) {
    for (const closed of [true, false]) {
      it(`${DEPTH} levels of ${shape.name}, ${closed ? "closed" : "never closed"}`, (t) => {
        const head = "experiment deep {\n  v = ";
        const text = `${head}${shape.open.repeat(DEPTH)}1${closed ? shape.close.repeat(DEPTH) : ""}\n}\n`;
        const outcome = runAll(SNIPPET_PATH, text);
        assert.ok(outcome.ms < TIME_BOUND_MS, `took ${outcome.ms.toFixed(0)} ms`);
        assertPositions(outcome.diagnostics, text, SNIPPET_PATH, shape.name);
        const nested = outcome.parseDiagnostics.find((d) => /nested more than/.test(d.message));
        assert.ok(nested, `no nesting diagnostic: ${JSON.stringify(outcome.parseDiagnostics.map((d) => d.message))}`);
        // Units of a mixed opener each count; the first rejected one is the MAX_NESTING-th level of the value.
        const perUnit = shape.name === "mixed brackets" ? 2 : 1;
        const levelsBefore = MAX_NESTING - 1;
        const offset = head.length + Math.floor(levelsBefore / perUnit) * shape.open.length + (levelsBefore % perUnit);
        const firstTooDeep = shape.name === "named blocks" ? offset + "a ".length : shape.name === "calls" ? offset + "f".length : offset;
        assert.equal(nested.code, "SEER1002");
        assert.deepEqual({ line: nested.span?.line, column: nested.span?.column }, lineColumn(text, firstTooDeep));
        t.diagnostic(`${outcome.ms.toFixed(0)} ms, ${outcome.parseDiagnostics.length} syntax diagnostics`);
      });
    }
  }

  it("nesting up to the limit parses cleanly and round-trips through the formatter", () => {
    const levels = MAX_NESTING - 1;
    const text = `experiment deep {\n  v = ${"[".repeat(levels)}1${"]".repeat(levels)}\n}\n`;
    const parsed = parseSource(text, SNIPPET_PATH);
    assert.deepEqual(parsed.diagnostics, []);
    const formatted = formatSource(parsed.file, text);
    assert.deepEqual(withoutPositions(parseSource(formatted, SNIPPET_PATH).file), withoutPositions(parsed.file));
  });

  it("an operator chain too long to walk is reported at its start and skipped", () => {
    for (const op of [" + ", " * ", " x "]) {
      const head = "experiment long {\n  seed = ";
      const text = `${head}${Array(1000).fill("1").join(op)}\n}\n`;
      const outcome = runAll(SNIPPET_PATH, text);
      const nested = outcome.parseDiagnostics.find((d) => /nested more than/.test(d.message));
      assert.ok(nested, `${op}: ${JSON.stringify(outcome.parseDiagnostics.map((d) => d.message))}`);
      assert.deepEqual({ line: nested.span?.line, column: nested.span?.column }, { line: 2, column: head.length - "experiment long {\n".length + 1 });
    }
  });
});

describe("very long lines", () => {
  const MB = 1 << 20;
  const cases: Array<{ name: string; line: string; invalid: boolean }> = [
    { name: "a 1 MB comment", line: "// " + "a".repeat(MB), invalid: false },
    { name: "a 1 MB string", line: `  v = "${"b".repeat(MB)}"`, invalid: false },
    { name: "a 1 MB name", line: `  ${"c".repeat(MB)} = 1`, invalid: false },
    { name: "a 1 MB unterminated string", line: `  v = "${"d".repeat(MB)}`, invalid: true },
    { name: "a 1 MB line of numbers", line: `  v = [${Array(MB / 128).fill("9".repeat(127)).join(",")}]`, invalid: false },
    { name: "a 1 MB line of stray characters", line: "$".repeat(MB), invalid: true },
  ];
  for (const c of cases) {
    it(`${c.name}: finishes in time, positions intact`, (t) => {
      const text = `experiment long {\n${c.line}\n  seed = 1 ]\n}\n`;
      const outcome = runAll(SNIPPET_PATH, text);
      assert.ok(outcome.ms < TIME_BOUND_MS, `took ${outcome.ms.toFixed(0)} ms`);
      assertPositions(outcome.diagnostics, text, SNIPPET_PATH, c.name);
      // The stray `]` after the long line is still found, on line 3.
      const stray = outcome.parseDiagnostics.find((d) => d.span?.line === 3 && d.span.column === "  seed = 1 ".length + 1);
      assert.ok(stray, `the error after the long line was lost: ${JSON.stringify(outcome.parseDiagnostics.map((d) => [d.code, d.span?.line, d.span?.column, d.message.slice(0, 60)]))}`);
      if (c.invalid) assert.ok(outcome.parseDiagnostics.some((d) => d.span?.line === 2), "the long line's own error is missing");
      t.diagnostic(`${outcome.ms.toFixed(0)} ms`);
    });
  }
});

describe("unterminated strings and comments", () => {
  it("an unterminated block comment is reported once, where it starts", () => {
    const text = "experiment e {\n  seed = 1 /* never closed\n  data { }\n}\n";
    const parsed = parseSource(text, SNIPPET_PATH);
    const found = parsed.diagnostics.filter((d) => d.code === "SEER1004");
    assert.deepEqual(found.map((d) => [d.span?.line, d.span?.column]), [[2, 12]]);
  });
  it("an unterminated string is read to the end of its line, so later lines are still checked", () => {
    const text = 'experiment e {\n  seed = "zero\n  seed: 1\n}\n';
    const parsed = parseSource(text, SNIPPET_PATH);
    assert.deepEqual(
      parsed.diagnostics.map((d) => [d.code, d.span?.line, d.span?.column]),
      [["SEER1004", 2, 10], ["SEER1003", 3, 7]],
    );
  });
});
