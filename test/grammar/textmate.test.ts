// grammar/seer.tmLanguage.json, run by a real TextMate engine (vscode-textmate + oniguruma), gives
// the scopes an editor needs, and agrees with the real lexer on every token of the example files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import vsctm from "vscode-textmate";
import oniguruma from "vscode-oniguruma";
import type { IToken as ChevToken } from "chevrotain";
import * as T from "../../src/language/tokens.js";
import { BLOCK_SPECS, KNOWN_DATASETS, familyKinds, EVALUATION_KINDS } from "../../src/check/registry.js";
import { SOURCE_FUNCTIONS } from "../../src/check/readers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const wasm = readFileSync(join(ROOT, "node_modules/vscode-oniguruma/release/onig.wasm"));
await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
const registry = new vsctm.Registry({
  onigLib: Promise.resolve({
    createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
    createOnigString: (text: string) => new oniguruma.OnigString(text),
  }),
  loadGrammar: async (scopeName: string) =>
    scopeName === "source.seer" ? vsctm.parseRawGrammar(readFileSync(join(ROOT, "grammar/seer.tmLanguage.json"), "utf8"), "seer.tmLanguage.json") : null,
});
const grammar = (await registry.loadGrammar("source.seer"))!;

/** Scopes per line, as an editor would compute them. */
class Highlighted {
  readonly lines: string[];
  private readonly tokens: vsctm.IToken[][] = [];
  constructor(readonly text: string) {
    this.lines = text.split("\n");
    let state = vsctm.INITIAL;
    for (const line of this.lines) {
      const r = grammar.tokenizeLine(line, state);
      this.tokens.push(r.tokens);
      state = r.ruleStack;
    }
  }
  /** Scopes of the character at a 0-based line and column. */
  scopes(line: number, column: number): string[] {
    const token = this.tokens[line].find((t) => t.startIndex <= column && column < t.endIndex);
    assert.ok(token, `no token at ${line + 1}:${column + 1}`);
    return token.scopes;
  }
  /** Scopes of the `occurrence`-th `needle` on the first line containing `lineText`. */
  at(lineText: string, needle: string, occurrence = 0): string[] {
    const line = this.lines.findIndex((l) => l.includes(lineText));
    assert.ok(line !== -1, `no line contains ${lineText}`);
    let column = -1;
    for (let i = 0; i <= occurrence; i++) column = this.lines[line].indexOf(needle, column + 1);
    assert.ok(column !== -1, `\`${needle}\` not on line ${line + 1}`);
    return this.scopes(line, column);
  }
}

function has(scopes: string[], prefix: string): boolean {
  return scopes.some((s) => s === prefix || s.startsWith(prefix + "."));
}

function assertScope(scopes: string[], prefix: string, what: string): void {
  assert.ok(has(scopes, prefix), `${what}: expected ${prefix}, got ${scopes.join(" ")}`);
}

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

test("the grammar is for source.seer and .seer files", () => {
  const raw = JSON.parse(read("grammar/seer.tmLanguage.json"));
  assert.equal(raw.scopeName, "source.seer");
  assert.deepEqual(raw.fileTypes, ["seer"]);
});

test("experiments/seer_1p3b.seer: keywords, numbers with units, strings and comments", () => {
  const h = new Highlighted(read("experiments/seer_1p3b.seer"));
  assertScope(h.at('import "regnet"', "import"), "keyword.control.import.seer", "import");
  assertScope(h.at('import "regnet"', '"regnet"'), "string.quoted.double.seer", "import path");
  assertScope(h.at("experiment seer_1p3b", "experiment"), "storage.type.experiment.seer", "experiment");
  assertScope(h.at("experiment seer_1p3b", "seer_1p3b"), "entity.name.type.experiment.seer", "experiment name");
  assertScope(h.at("seed = 0", "seed"), "variable.other.property.seer", "field name before =");
  assertScope(h.at("seed = 0", "="), "keyword.operator.assignment.seer", "=");
  assertScope(h.at("seed = 0", "0"), "constant.numeric.decimal.seer", "0");
  assertScope(h.at("source = folder(", "folder"), "support.function.seer", "data source call");
  assertScope(h.at("source = folder(", "/data/uncurated"), "string.quoted.double.seer", "string");
  assertScope(h.at("source = folder(", "//"), "comment.line.double-slash.seer", "trailing comment");
  assertScope(h.at("source = folder(", "recursive"), "comment.line.double-slash.seer", "comment text");
  // `images = 1B`: the count suffix has its own scope.
  assertScope(h.at("images = 1B", "1"), "constant.numeric.decimal.seer", "1 of 1B");
  assertScope(h.at("images = 1B", "B"), "constant.numeric.suffix.count.seer", "B of 1B");
  assertScope(h.at("trunk = regnety", "regnety"), "support.type.kind.seer", "block kind");
  // `crop 2 x 224px scale 0.14 .. 1.0`
  assertScope(h.at("crop 2 x 224px", "crop"), "variable.other.property.seer", "crop statement");
  assertScope(h.at("crop 2 x 224px", "x"), "keyword.operator.cross.seer", "x sign");
  assertScope(h.at("crop 2 x 224px", "224"), "constant.numeric.decimal.seer", "224 of 224px");
  assertScope(h.at("crop 2 x 224px", "px"), "keyword.other.unit.seer", "px of 224px");
  assertScope(h.at("crop 2 x 224px", ".."), "keyword.operator.range.seer", "..");
  assertScope(h.at("head = mlp", "trunk"), "variable.other.seer", "reference");
  assertScope(h.at("head = mlp", "width"), "variable.other.property.seer", "member");
  assertScope(h.at("head = mlp", "false"), "constant.language.boolean.seer", "false");
  assertScope(h.at("prototypes = 16k", "k"), "constant.numeric.suffix.count.seer", "k of 16k");
  // `freeze_prototypes = 1 epoch of imagenet_1k at 4096`
  assertScope(h.at("freeze_prototypes", "epoch"), "keyword.other.unit.seer", "epoch");
  assertScope(h.at("freeze_prototypes", "imagenet_1k"), "support.constant.dataset.seer", "dataset");
  assertScope(h.at("optimizer = lars", "1e-5"), "constant.numeric.decimal.seer", "1e-5");
  // `schedule = warmup linear 0.15 -> 9.6 over 8000 steps, then cosine -> 0.0096`
  assertScope(h.at("schedule = warmup", "warmup"), "support.function.schedule.seer", "warmup");
  assertScope(h.at("schedule = warmup", "->"), "keyword.operator.arrow.seer", "->");
  assertScope(h.at("schedule = warmup", "8000"), "constant.numeric.decimal.seer", "8000");
  assertScope(h.at("schedule = warmup", "steps"), "keyword.other.unit.seer", "steps");
  assertScope(h.at("schedule = warmup", "then"), "keyword.control.then.seer", "then");
  // `batch = 16 per device x 512 devices`
  assertScope(h.at("batch = 16 per device", "per"), "keyword.other.per.seer", "per");
  assertScope(h.at("batch = 16 per device", "device"), "keyword.other.unit.seer", "device after per");
  assertScope(h.at("batch = 16 per device", "x 512"), "keyword.operator.cross.seer", "x");
  assertScope(h.at("batch = 16 per device", "devices"), "keyword.other.unit.seer", "devices");
  assertScope(h.at("activation_checkpointing = true", "true"), "constant.language.boolean.seer", "true");
  assertScope(h.at("precision = mixed", "mixed"), "support.constant.seer", "enum value");
  // `schedule = step 0.0125, x0.1 at 30 epochs`
  assertScope(h.at("schedule = step", "x0.1"), "keyword.operator.cross.seer", "x of x0.1");
  assertScope(h.at("schedule = step", "0.1 at"), "constant.numeric.decimal.seer", "0.1 of x0.1");
  assertScope(h.at("schedule = step", "epochs"), "keyword.other.unit.seer", "epochs");
  assertScope(h.at("evaluate finetune", "evaluate"), "variable.other.property.seer", "evaluate statement");
  assertScope(h.at("evaluate finetune", "finetune"), "support.type.kind.seer", "evaluation kind");
});

test("experiments/seer_128gf.seer and scaling.seer: extends, sweep, from, in, dotted field paths", () => {
  const e = new Highlighted(read("experiments/seer_128gf.seer"));
  assertScope(e.at("experiment seer_128gf", "extends"), "keyword.other.extends.seer", "extends");
  assertScope(e.at("experiment seer_128gf", "seer_1p3b"), "entity.other.inherited-class.seer", "base");
  assertScope(e.at("// The paper", "RegNetY"), "comment.line.double-slash.seer", "header comment");
  const s = new Highlighted(read("experiments/scaling.seer"));
  assertScope(s.at("sweep scaling", "sweep"), "storage.type.sweep.seer", "sweep");
  assertScope(s.at("sweep scaling", "from"), "keyword.other.from.seer", "from");
  assertScope(s.at("trunk in [", "trunk"), "variable.other.property.seer", "axis path");
  assertScope(s.at("trunk in [", "in"), "keyword.other.in.seer", "in");
  assertScope(s.at("loss.prototypes in", "loss"), "variable.other.property.seer", "dotted path head");
  assertScope(s.at("loss.prototypes in", "."), "punctuation.accessor.seer", "dot of a path");
  assertScope(s.at("loss.prototypes in", "prototypes"), "variable.other.property.seer", "dotted path tail");
  assertScope(s.at("loss.prototypes in", "3"), "constant.numeric.decimal.seer", "3 of 3k");
  assertScope(s.at("loss.prototypes in", "k"), "constant.numeric.suffix.count.seer", "k of 3k");
  assertScope(s.at("strategy = grid", "grid"), "support.constant.seer", "grid");
});

test("strings with escapes, unterminated strings, block and # comments", () => {
  const h = new Highlighted('a = "say \\"hi\\"\\n" # note\nb = "open\nc = 1 /* one\ntwo */ d = 2\n');
  assertScope(h.scopes(0, 4), "string.quoted.double.seer", "opening quote");
  assertScope(h.scopes(0, 9), "constant.character.escape.seer", "\\\"");
  assertScope(h.scopes(0, 15), "constant.character.escape.seer", "\\n");
  assert.ok(!has(h.scopes(0, 18), "string"), "after the closing quote");
  assertScope(h.scopes(0, 19), "comment.line.number-sign.seer", "# comment");
  // An unterminated string stops at the end of its line; the next line is code again.
  assertScope(h.scopes(1, 6), "string.quoted.double.seer", "unterminated string");
  assertScope(h.scopes(2, 0), "variable.other.property.seer", "next line after an unterminated string");
  assertScope(h.scopes(2, 6), "comment.block.seer", "block comment start");
  assertScope(h.scopes(3, 1), "comment.block.seer", "block comment, second line");
  assertScope(h.scopes(3, 7), "variable.other.seer", "code after the block comment");
});

test("`x` is the cross sign only where the lexer says so", () => {
  const h = new Highlighted("a = 2x224px xavier x_scale x1 xy\n");
  assertScope(h.scopes(0, 5), "keyword.operator.cross.seer", "2x224px");
  assertScope(h.scopes(0, 9), "keyword.other.unit.seer", "px");
  assertScope(h.scopes(0, 12), "variable.other.seer", "xavier");
  assertScope(h.scopes(0, 19), "variable.other.seer", "x_scale");
  assertScope(h.scopes(0, 27), "keyword.operator.cross.seer", "x of x1");
  assertScope(h.scopes(0, 28), "constant.numeric.decimal.seer", "1 of x1");
  assertScope(h.scopes(0, 30), "variable.other.seer", "xy");
  // A unit on the next line is not the number's (the field `images` below is a field).
  const units = new Highlighted("  steps = 80\n  images = 2048\n  image_size = 64 px\n");
  assertScope(units.scopes(0, 2), "variable.other.property.seer", "field named like a unit");
  assertScope(units.scopes(2, 18), "keyword.other.unit.seer", "unit after a space");
});

test("every block kind, evaluation kind, enum value, data source and dataset of the registry is highlighted", () => {
  const kinds = [...new Set([...BLOCK_SPECS.values()].flatMap((b) => (b.family ? familyKinds(b.family) : [])))];
  for (const kind of kinds) assertScope(new Highlighted(`trunk = ${kind} { }`).scopes(0, 8), "support.type.kind.seer", kind);
  for (const kind of EVALUATION_KINDS) assertScope(new Highlighted(`evaluate ${kind} { }`).scopes(0, 9), "support", kind);
  const enums = new Set([...BLOCK_SPECS.values()].flatMap((b) => b.fields.flatMap((f) => (f.type.type === "enum" ? [...f.type.values] : []))));
  for (const value of enums) assertScope(new Highlighted(`f = ${value}`).scopes(0, 4), "support", `enum value ${value}`);
  for (const fn of [...SOURCE_FUNCTIONS, "uniform", "loguniform", "choice"]) assertScope(new Highlighted(`f = ${fn}()`).scopes(0, 4), "support.function.seer", fn);
  for (const name of Object.keys(KNOWN_DATASETS)) assertScope(new Highlighted(`data = ${name}`).scopes(0, 7), "support.constant.dataset.seer", name);
  for (const word of ["warmup", "linear", "cosine", "constant", "step", "restart"]) assertScope(new Highlighted(`schedule = ${word}`).scopes(0, 11), "support.function.schedule.seer", word);
});

/** What the lexer's token types must look like to an editor. */
const EXPECTED_SCOPE = new Map<unknown, string>([
  [T.Import, "keyword.control.import.seer"],
  [T.Experiment, "storage.type.experiment.seer"],
  [T.Preset, "storage.type.preset.seer"],
  [T.Sweep, "storage.type.sweep.seer"],
  [T.From, "keyword.other.from.seer"],
  [T.Extends, "keyword.other.extends.seer"],
  [T.In, "keyword.other.in.seer"],
  [T.Then, "keyword.control.then.seer"],
  [T.Per, "keyword.other.per.seer"],
  [T.True, "constant.language.boolean.seer"],
  [T.False, "constant.language.boolean.seer"],
  [T.Cross, "keyword.operator.cross.seer"],
  [T.Arrow, "keyword.operator.arrow.seer"],
  [T.DotDot, "keyword.operator.range.seer"],
  [T.Equals, "keyword.operator.assignment.seer"],
  [T.Plus, "keyword.operator.arithmetic.seer"],
  [T.Minus, "keyword.operator.arithmetic.seer"],
  [T.Star, "keyword.operator.arithmetic.seer"],
  [T.Slash, "keyword.operator.arithmetic.seer"],
  [T.StringLiteral, "string.quoted.double.seer"],
  [T.LCurly, "punctuation.section.block.begin.seer"],
  [T.RCurly, "punctuation.section.block.end.seer"],
  [T.LBracket, "punctuation.section.brackets.begin.seer"],
  [T.RBracket, "punctuation.section.brackets.end.seer"],
  [T.LParen, "punctuation.section.parens.begin.seer"],
  [T.RParen, "punctuation.section.parens.end.seer"],
  [T.Comma, "punctuation.separator.comma.seer"],
]);
const NAME_SCOPES = ["variable.other", "entity.name", "entity.other.inherited-class", "support", "keyword.other.word"];

test("on every .seer file of the repository the grammar agrees with the real lexer, token by token", () => {
  const files = [...readdirSync(join(ROOT, "experiments")).map((f) => `experiments/${f}`), ...readdirSync(join(ROOT, "stdlib")).map((f) => `stdlib/${f}`)].filter((f) => f.endsWith(".seer"));
  assert.ok(files.length >= 5);
  let checked = 0;
  for (const file of files) {
    const text = read(file);
    const h = new Highlighted(text);
    const lexed = T.seerLexer.tokenize(text);
    assert.deepEqual(lexed.errors, [], file);
    const where = (tok: ChevToken, at = 0) => `${file}:${tok.startLine}:${tok.startColumn! + at} \`${tok.image}\``;
    const startScopes = (tok: ChevToken, at = 0) => h.scopes(tok.startLine! - 1, tok.startColumn! - 1 + at);
    for (const tok of lexed.groups.comments ?? []) {
      assertScope(startScopes(tok), "comment", where(tok));
      assertScope(h.scopes(tok.endLine! - 1, tok.endColumn! - 1), "comment", `end of ${where(tok)}`);
      checked++;
    }
    let previous: ChevToken | undefined;
    for (const tok of lexed.tokens) {
      const type = tok.tokenType;
      if (type === T.NumberLiteral) {
        const [, digits, suffix, gap, unit] = /^([\d_.]+(?:[eE][+-]?\d+)?)([kKMBT])?(\s*)(.*)$/.exec(tok.image)!;
        assertScope(startScopes(tok), "constant.numeric.decimal.seer", where(tok));
        if (suffix) assertScope(startScopes(tok, digits.length), "constant.numeric.suffix.count.seer", where(tok, digits.length));
        if (unit) assertScope(startScopes(tok, digits.length + (suffix?.length ?? 0) + gap.length), "keyword.other.unit.seer", `unit of ${where(tok)}`);
      } else if (type === T.Identifier) {
        const scopes = startScopes(tok);
        const afterPer = previous?.tokenType === T.Per;
        assert.ok(
          NAME_SCOPES.some((p) => has(scopes, p)) || (afterPer && has(scopes, "keyword.other.unit")),
          `${where(tok)} is a name to the lexer but ${scopes.join(" ")} to the grammar`,
        );
      } else if (EXPECTED_SCOPE.has(type)) {
        assertScope(startScopes(tok), EXPECTED_SCOPE.get(type)!, where(tok));
        if (type === T.StringLiteral) assertScope(startScopes(tok, tok.image.length - 1), EXPECTED_SCOPE.get(type)!, `end of ${where(tok)}`);
      }
      if (type !== T.Newline) checked++;
      previous = tok;
    }
  }
  assert.ok(checked > 1000, `only ${checked} tokens compared`);
});
