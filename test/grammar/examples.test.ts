// Every example in grammar/GRAMMAR.md is real: complete files check, fragments parse, the numbers
// table holds, and the `-s` overrides of its shell examples check. The conventions of the fenced
// blocks are described at the end of GRAMMAR.md.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkFiles, overridesFrom } from "../../src/cli/workspace.js";
import { parseSource, parseStatement } from "../../src/language/parse.js";
import type { Diagnostic } from "../../src/diagnostics/types.js";

const ROOT = resolve(import.meta.dirname, "../..");
const GRAMMAR = readFileSync(join(ROOT, "grammar/GRAMMAR.md"), "utf8");

interface Fence {
  info: string;
  body: string;
  /** 1-based line of the opening fence in GRAMMAR.md. */
  line: number;
}

function fences(markdown: string): Fence[] {
  const lines = markdown.split("\n");
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    assert.ok(i < lines.length, `GRAMMAR.md:${start + 1}: unclosed code block`);
    found.push({ info: `${open[1]}${open[2]}`.trim(), body: body.join("\n") + "\n", line: start + 1 });
  }
  return found;
}

interface SeerExample extends Fence {
  mode: "file" | "extends" | "fragment";
  base: string | null;
  expected: string[];
  pending: boolean;
}

function seerExamples(): SeerExample[] {
  return fences(GRAMMAR)
    .filter((f) => f.info.split(/\s+/)[0] === "seer")
    .map((f) => {
      const words = f.info.split(/\s+/).slice(1);
      const attr = (name: string) => words.find((w) => w.startsWith(`${name}=`))?.slice(name.length + 1) ?? null;
      for (const w of words) {
        assert.ok(w === "fragment" || /^(extends|expect|pending)=\S+$/.test(w), `GRAMMAR.md:${f.line}: unknown marker \`${w}\` after seer`);
      }
      const base = attr("extends");
      const codes = attr("pending") ?? attr("expect");
      return {
        ...f,
        mode: words.includes("fragment") ? "fragment" : base ? "extends" : "file",
        base,
        expected: codes ? codes.split(",").sort() : [],
        pending: attr("pending") !== null,
      };
    });
}

function describe(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `  ${d.code} ${d.severity} ${d.span ? `${d.span.line}:${d.span.column}` : ""} ${d.message}`).join("\n");
}

function reportedCodes(diagnostics: readonly Diagnostic[]): string[] {
  return [...new Set(diagnostics.filter((d) => d.severity !== "info").map((d) => d.code))].sort();
}

/** Complete examples are checked as if saved in experiments/, beside copies of the repository's experiments. */
const workdir = mkdtempSync(join(tmpdir(), "seer-grammar-examples-"));
for (const name of readdirSync(join(ROOT, "experiments")).filter((n) => n.endsWith(".seer"))) {
  copyFileSync(join(ROOT, "experiments", name), join(workdir, name));
}
after(() => rmSync(workdir, { recursive: true, force: true }));

function checkExample(example: SeerExample): ReturnType<typeof checkFiles> {
  const text = example.mode === "extends"
    ? `import "regnet"\nimport "swav"\nimport "./${example.base}.seer"\n\nexperiment doc_example extends ${example.base} {\n${example.body}}\n`
    : example.body;
  const file = join(workdir, `grammar-md-line-${example.line}.seer`);
  writeFileSync(file, text);
  return checkFiles([file]);
}

/** A fragment may be top-level declarations or the statements of a block. */
function parseFragment(body: string): Diagnostic[] {
  const asFile = parseSource(body, "<fragment>");
  if (asFile.diagnostics.length === 0) return [];
  return parseSource(`experiment fragment {\n${body}}\n`, "<fragment>").diagnostics;
}

const examples = seerExamples();

test("GRAMMAR.md has examples of every kind", () => {
  const modes = new Set(examples.map((e) => e.mode));
  assert.deepEqual([...modes].sort(), ["extends", "file", "fragment"]);
  assert.ok(examples.length >= 20, `only ${examples.length} seer examples found`);
});

for (const example of examples) {
  const label = `GRAMMAR.md:${example.line} (${example.mode}${example.base ? ` ${example.base}` : ""}${example.expected.length ? `, ${example.pending ? "pending" : "expects"} ${example.expected.join(",")}` : ""})`;
  test(label, () => {
    const diagnostics = example.mode === "fragment" ? parseFragment(example.body) : checkExample(example).diagnostics;
    const codes = example.mode === "fragment" ? [...new Set(diagnostics.map((d) => d.code))].sort() : reportedCodes(diagnostics);
    if (example.pending) {
      assert.deepEqual(codes, example.expected, `GRAMMAR.md:${example.line} is marked pending=${example.expected.join(",")} (a known defect). It now reports:\n${describe(diagnostics)}\nIf the defect is fixed, remove the pending= marker.`);
      return;
    }
    assert.deepEqual(codes, example.expected, `GRAMMAR.md:${example.line} reports:\n${describe(diagnostics)}`);
  });
}

test("the numbers GRAMMAR.md derives for its first example are what the checker derives", () => {
  const first = examples.find((e) => e.mode === "file")!;
  assert.match(first.body, /experiment seer_1p3b/);
  const [exp] = checkExample(first).experiments;
  // RegNetY w0=640 wa=230.83 wm=2.53 depth=27, by hand: the last block's u = 640 + 230.83 * 26 = 6641.58,
  // s = round(log(u / 640) / log(2.53)) = round(2.52) = 3, w = 640 * 2.53^3 = 10364.3 -> 10368 (multiple
  // of 8) -> 28 groups of 373 = 10,444.
  assert.equal(exp.derived.headDims?.[0], 10_444);
  assert.equal(exp.derived.totalSteps, Math.ceil(1e9 / 8192));
  assert.equal(exp.derived.totalSteps, 122_071);
  assert.equal(Math.ceil(1_281_167 / 4096), 313);
  assert.equal((exp.ir as unknown as { loss: { freeze_prototypes: { steps: number } } }).loss.freeze_prototypes.steps, 313);
  assert.match(GRAMMAR, /10,444 here/);
  assert.match(GRAMMAR, /= 122,071` steps/);
  assert.match(GRAMMAR, /= 313` steps/);
});

test("the numbers table of GRAMMAR.md: every row reads as written", () => {
  const section = GRAMMAR.slice(GRAMMAR.indexOf("### Numbers and units"), GRAMMAR.indexOf("### The `x` sign"));
  const rows = [...section.matchAll(/^\| `([^`]+)` \| (\d+(?:\.\d+)?) \| (?:`([^`]+)`)? *\|$/gm)];
  assert.ok(rows.length >= 15, `found ${rows.length} rows`);
  for (const [, written, value, unit] of rows) {
    const parsed = parseStatement(`v = ${written}`, "<table>");
    assert.deepEqual(parsed.diagnostics, [], `\`${written}\` does not parse`);
    const v = parsed.statement!.value;
    assert.equal(v.kind, "Number", `\`${written}\` is read as ${v.kind}, not one number`);
    if (v.kind !== "Number") continue;
    assert.equal(v.value, Number(value), `\`${written}\``);
    assert.equal(v.unit, unit ?? null, `unit of \`${written}\``);
  }
});

test("GRAMMAR.md's claims about what is not a number hold", () => {
  for (const bad of ["1__000", "1_", "1_.5"]) {
    const parsed = parseStatement(`v = ${bad}`, "<claim>");
    assert.deepEqual(parsed.diagnostics.map((d) => d.code), ["SEER1005"], bad);
  }
  const phrase = (text: string) => {
    const parsed = parseStatement(`v = ${text}`, "<claim>");
    assert.deepEqual(parsed.diagnostics, [], text);
    const v = parsed.statement!.value;
    assert.equal(v.kind, "Phrase", text);
    return v.kind === "Phrase" ? v.items : [];
  };
  // `8000steps` is the number 8000 and the name `steps`; `1.5 B` is 1.5 and the name `B`.
  for (const [text, number, name] of [["8000steps", 8000, "steps"], ["1.5 B", 1.5, "B"], ["16 gb", 16, "gb"]] as const) {
    const [n, ref] = phrase(text);
    assert.ok(n.kind === "Number" && n.value === number && n.unit === null, text);
    assert.ok(ref.kind === "Ref" && ref.parts[0].name === name, text);
  }
  // `x1` reads as `x 1`; `xavier` is a name.
  const x1 = parseStatement("v = x1", "<claim>").statement!.value;
  assert.equal(x1.kind, "Multiplier");
  const xavier = parseStatement("v = xavier", "<claim>").statement!.value;
  assert.equal(xavier.kind, "Ref");
  // `2 x 100 + 124px` is `2 x (100 + 124px)`.
  const cross = parseStatement("v = 2 x 100 + 124px", "<claim>").statement!.value;
  assert.ok(cross.kind === "Cross" && cross.right.kind === "Binary");
  // `..` and `->` take exactly two operands.
  for (const chained of ["1 -> 2 -> 3", "1 .. 2 .. 3"]) {
    const parsed = parseSource(`experiment e {\n  v = ${chained}\n}\n`, "<claim>");
    assert.deepEqual(parsed.diagnostics.map((d) => d.code), ["SEER1002"], chained);
  }
  // Precedence: `-` binds tighter than `*`, `*` than `+`, `+` than `x`, `x` than `->`, `->` than `..`.
  const ranged = parseStatement("v = -1 * 2 + 3 x 4 -> 5 .. 6", "<claim>").statement!.value;
  assert.ok(ranged.kind === "Range" && ranged.low.kind === "Arrow" && ranged.low.from.kind === "Cross");
  const sum = ranged.kind === "Range" && ranged.low.kind === "Arrow" && ranged.low.from.kind === "Cross" ? ranged.low.from.left : null;
  assert.ok(sum?.kind === "Binary" && sum.op === "+" && sum.left.kind === "Binary" && sum.left.op === "*" && sum.left.left.kind === "Negate");
  // `16 per device x 512 devices` is `(16 per device) x (512 devices)`.
  const batch = parseStatement("v = 16 per device x 512 devices", "<claim>").statement!.value;
  assert.ok(batch.kind === "Cross" && batch.left.kind === "Per" && batch.right.kind === "Number" && batch.right.unit === "devices");
});

test("GRAMMAR.md's note on `value`: a comma continues a value only before `then` or `x`", () => {
  const list = parseStatement("v = [a, b]", "<claim>").statement!.value;
  assert.ok(list.kind === "List" && list.items.length === 2);
  const chained = parseStatement("v = step 0.1, x0.1 at 30 epochs", "<claim>").statement!.value;
  assert.ok(chained.kind === "Chain" && chained.parts.length === 2);
  const then = parseStatement("v = constant 0.1 over 5 steps then cosine -> 0", "<claim>").statement!.value;
  assert.ok(then.kind === "Chain" && then.parts.length === 2);
  const block = parseSource("experiment e { a = 1, b = 2 }", "<claim>");
  assert.deepEqual(block.diagnostics, []);
  assert.equal(block.file.decls[0].kind === "Experiment" && block.file.decls[0].body.statements.length, 2);
});

/** Splits a shell command line the way sh does for the quoting GRAMMAR.md uses ('…' and "…"). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    if (m[1] !== undefined) words.push(m[1]);
    else if (m[2] !== undefined) words.push(m[2].replace(/\\(.)/g, "$1"));
    else words.push(m[3].replace(/'([^']*)'/g, "$1"));
  }
  return words;
}

test("the -s overrides in GRAMMAR.md's shell examples check", () => {
  const commands = fences(GRAMMAR)
    .filter((f) => f.info === "sh")
    .flatMap((f) => f.body.split("\n"))
    .filter((l) => /^seerc .* -s /.test(l));
  assert.ok(commands.length >= 2, "no `seerc … -s …` examples found");
  for (const command of commands) {
    const words = shellWords(command).slice(2);
    const files: string[] = [];
    const overrides: string[] = [];
    for (let i = 0; i < words.length; i++) {
      if (words[i] === "-s" || words[i] === "--set") overrides.push(words[++i]);
      else if (words[i].endsWith(".seer")) files.push(join(ROOT, words[i]));
    }
    const ws = checkFiles(files, { overrides: overridesFrom(overrides) });
    const problems = ws.diagnostics.filter((d) => d.severity !== "info");
    assert.deepEqual(problems, [], `\`${command}\` reports:\n${describe(problems)}`);
  }
});
