/**
 * Generates the parts of grammar/ that must never drift from the implementation:
 *   grammar/FIELDS.md       every block kind and field, from the field registry (src/check/registry.ts)
 *   grammar/DIAGNOSTICS.md  every diagnostic code, from the catalog (src/diagnostics/catalog.ts)
 *   grammar/GRAMMAR.md      only the section between the `generated:productions` markers: the
 *                           productions, read from the Chevrotain parser itself
 *
 *   node --import tsx scripts/gen-grammar-docs.ts           rewrite the files
 *   node --import tsx scripts/gen-grammar-docs.ts --check   write nothing; exit 1 when a file is stale
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ISerializedGast } from "chevrotain";
import { BLOCK_SPECS, EVALUATION_KINDS, KNOWN_DATASETS, familyKinds, type BlockSpec, type FieldSpec } from "../src/check/registry.js";
import { CATALOG } from "../src/diagnostics/catalog.js";
import { seerParser } from "../src/language/parser.js";
import { parseSource } from "../src/language/parse.js";
import type * as A from "../src/language/ast.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const FIELDS_PATH = join(ROOT, "grammar/FIELDS.md");
export const DIAGNOSTICS_PATH = join(ROOT, "grammar/DIAGNOSTICS.md");
export const GRAMMAR_PATH = join(ROOT, "grammar/GRAMMAR.md");
const STDLIB = join(ROOT, "stdlib");

export const PRODUCTIONS_BEGIN = "<!-- generated:productions:begin (scripts/gen-grammar-docs.ts; do not edit by hand) -->";
export const PRODUCTIONS_END = "<!-- generated:productions:end -->";

const REGENERATE = "Regenerate with `npm run docs`.";

// ---------------------------------------------------------------------------------------------
// Field tables

/** Where GRAMMAR.md explains a value that has a grammar of its own. */
const CUSTOM_READER_DOCS: Record<string, string> = {
  source: "[data source](GRAMMAR.md#data-sources)",
  batch: "[batch](GRAMMAR.md#batches)",
  schedule: "[schedule](GRAMMAR.md#schedules)",
  crop: "[crop](GRAMMAR.md#crops)",
  dims: "[layer widths](GRAMMAR.md#heads)",
  sync_batchnorm: "`none` \\| `all` \\| `group N`",
  evaluate: "[evaluation](GRAMMAR.md#evaluations)",
  dataset: "list of glob strings",
  metric: "`PATH maximize` \\| `PATH minimize`",
  strategy: "`grid` \\| `random N`",
};

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Integers as a user would write them in .seer (`100_000_000`), other numbers as JavaScript prints them. */
function seerNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 10_000) return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "_");
  return String(n);
}

function seerScalar(value: unknown): string {
  if (typeof value === "number") return seerNumber(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(seerScalar).join(", ")}]`;
  throw new Error(`gen-grammar-docs: cannot print ${JSON.stringify(value)} as .seer text`);
}

function typeText(field: FieldSpec): string {
  const t = field.type;
  switch (t.type) {
    case "int":
      return "integer";
    case "number":
      return "number";
    case "probability":
      return "probability";
    case "bool":
      return "`true` \\| `false`";
    case "string":
      return "string";
    case "enum":
      return t.values.map((v) => `\`${v}\``).join(" \\| ");
    case "range":
      return "range `LOW .. HIGH`";
    case "numbers":
      return t.length !== undefined ? `list of ${t.length} numbers` : "list of numbers";
    case "ints":
      return "list of integers";
    case "duration":
      return "[duration](GRAMMAR.md#durations)";
    case "pixels":
      return "size";
    case "block":
      return `block [\`${t.block}\`](#${t.block})`;
    case "variant":
      return `${familyKinds(t.family).map((k) => `[\`${k}\`](#${k})`).join(" \\| ")} \\| preset`;
    case "custom": {
      const doc = CUSTOM_READER_DOCS[t.reader];
      if (!doc) throw new Error(`gen-grammar-docs: no description for the custom reader \`${t.reader}\``);
      return doc;
    }
  }
}

function unitText(field: FieldSpec): string {
  if (field.unit) return escapeCell(field.unit);
  switch (field.type.type) {
    case "pixels":
      return "px";
    case "probability":
      return "`%` (optional)";
    case "duration":
      return "steps \\| epochs \\| images";
    default:
      return "";
  }
}

function interval(min: number | undefined, max: number | undefined, exclusiveMin = false): string {
  if (min !== undefined && max !== undefined) return `${exclusiveMin ? "(" : "["}${seerNumber(min)}, ${seerNumber(max)}]`;
  if (min !== undefined) return `${exclusiveMin ? ">" : "≥"} ${seerNumber(min)}`;
  if (max !== undefined) return `≤ ${seerNumber(max)}`;
  return "";
}

function rangeText(field: FieldSpec): string {
  const t = field.type;
  switch (t.type) {
    case "int":
      return interval(t.min, t.max);
    case "number":
      return interval(t.min, t.max, t.exclusiveMin);
    case "probability":
      return "[0, 1]";
    case "range": {
      const ends = interval(t.min, t.max);
      return ends ? `LOW ≤ HIGH, ends ${ends}` : "LOW ≤ HIGH";
    }
    case "numbers": {
      const items = interval(t.min, undefined);
      return items ? `items ${items}` : "";
    }
    case "ints": {
      const items = interval(t.min, undefined);
      return items ? `items ${items}` : "";
    }
    case "pixels":
      return t.min !== undefined ? `≥ ${t.min}px` : "";
    default:
      return "";
  }
}

function defaultText(field: FieldSpec): string {
  if (field.required) return "**required**";
  const value = field.default;
  if (value === undefined) return "none";
  const t = field.type;
  switch (t.type) {
    case "int":
    case "number":
    case "probability":
    case "bool":
    case "enum":
    case "numbers":
    case "ints":
      return `\`${seerScalar(value)}\``;
    case "string":
      return `\`${JSON.stringify(value)}\``;
    case "range": {
      const [lo, hi] = value as [number, number];
      return `\`${seerNumber(lo)} .. ${seerNumber(hi)}\``;
    }
    case "pixels":
      return `\`${seerNumber(value as number)}px\``;
    case "duration": {
      const d = value as { amount: number; unit: string };
      return `\`${seerNumber(d.amount)} ${d.unit}\``;
    }
    case "block":
      return `the defaults of [\`${t.block}\`](#${t.block})`;
    case "variant": {
      const { kind, ...fields } = value as Record<string, unknown>;
      const inner = Object.entries(fields).map(([k, v]) => `${k} = ${seerScalar(v)}`).join(", ");
      return `\`${kind} { ${inner} }\``;
    }
    case "custom": {
      if (t.reader === "schedule") return `\`${(value as { written: string }).written}\``;
      if (t.reader === "sync_batchnorm") return `\`${(value as { mode: string }).mode}\``;
      if (t.reader === "strategy") return `\`${(value as { kind: string }).kind}\``;
      throw new Error(`gen-grammar-docs: cannot print the default of a \`${t.reader}\` field (${field.name})`);
    }
  }
}

function docText(field: FieldSpec): string {
  const notes: string[] = [field.doc];
  if (field.repeatable) notes.push("Repeatable: each line adds one.");
  if (field.conflictsWith?.length) notes.push(`Not together with ${field.conflictsWith.map((c) => `\`${c}\``).join(" or ")}.`);
  return escapeCell(notes.join(" "));
}

/** How a block kind is written, found from the registry's own references to it. */
function usageOf(spec: BlockSpec): string {
  if (spec.kind === "experiment") return "Written `experiment NAME { … }` at the top level of a file.";
  if (spec.kind === "sweep") return "Written `sweep NAME from EXPERIMENT { … }`; besides these settings its body holds axes `path in …` ([sweeps](GRAMMAR.md#sweeps)).";
  const evalKind = EVALUATION_KINDS.find((k) => `eval_${k}` === spec.kind);
  if (evalKind) return `Written \`evaluate ${evalKind} { … }\` inside an experiment.`;
  if (spec.family) {
    const fields = [...BLOCK_SPECS.values()].flatMap((b) => b.fields.filter((f) => f.type.type === "variant" && f.type.family === spec.family).map((f) => f.name));
    const unique = [...new Set(fields)];
    const dims = spec.kind === "mlp" ? " [in, hidden…, out]" : "";
    return `Family \`${spec.family}\`: written \`${unique[0]} = ${spec.kind}${dims} { … }\`${unique.length > 1 ? ` (also for ${unique.slice(1).map((n) => `\`${n}\``).join(", ")})` : ""}, or through a preset.`;
  }
  const parents = [...BLOCK_SPECS.values()].filter((b) => b.fields.some((f) => f.type.type === "block" && f.type.block === spec.kind));
  if (parents.length > 0) {
    const field = parents[0].fields.find((f) => f.type.type === "block" && f.type.block === spec.kind)!;
    return `Written \`${field.name} { … }\` inside ${parents.map((p) => `[\`${p.kind}\`](#${p.kind})`).join(", ")}.`;
  }
  throw new Error(`gen-grammar-docs: block kind \`${spec.kind}\` is not reachable from any field`);
}

function fieldTable(spec: BlockSpec): string[] {
  const lines = ["| Field | Type | Unit | Range | Default | Description |", "| --- | --- | --- | --- | --- | --- |"];
  for (const f of spec.fields) {
    lines.push(`| \`${f.name}\` | ${typeText(f)} | ${unitText(f)} | ${rangeText(f)} | ${defaultText(f)} | ${docText(f)} |`);
  }
  return lines;
}

interface StdlibPreset {
  module: string;
  name: string;
  basedOn: string;
}

function stdlibPresets(): StdlibPreset[] {
  const presets: StdlibPreset[] = [];
  for (const file of readdirSync(STDLIB).filter((f) => f.endsWith(".seer")).sort()) {
    const parsed = parseSource(readFileSync(join(STDLIB, file), "utf8"), file);
    if (parsed.diagnostics.length > 0) throw new Error(`gen-grammar-docs: stdlib/${file} does not parse: ${parsed.diagnostics[0].message}`);
    for (const decl of parsed.file.decls) {
      if (decl.kind !== "Preset") continue;
      presets.push({ module: file.slice(0, -".seer".length), name: decl.name.name, basedOn: presetHead(decl.value) });
    }
  }
  return presets;
}

function presetHead(v: A.Value): string {
  const head = v.kind === "Chain" ? v.parts[0] : v;
  const first = head.kind === "Phrase" ? head.items[0] : head;
  if (first.kind === "Ref") return first.parts.map((p) => p.name).join(".");
  return "schedule";
}

export function fieldsMarkdown(): string {
  const out: string[] = [
    "<!-- Generated by scripts/gen-grammar-docs.ts from src/check/registry.ts; do not edit. " + REGENERATE + " -->",
    "",
    "# Fields of every block",
    "",
    "Every block kind seerc knows, with its fields, their types, units, allowed ranges, defaults and",
    "meaning. This file is generated from the field registry, the same table the checker reads, so it",
    "is exactly what `seerc check` accepts. How values are written is explained in [GRAMMAR.md](GRAMMAR.md).",
    "",
    "- *Default* `none`: the field is optional and absent means \"not used\".",
    "- *Range*: `[a, b]` includes both ends, `(a, b]` excludes `a`; ranges are checked after units are read.",
    "- A *probability* is written as a number in [0, 1] or as a percentage (`50%`).",
    "- A *block* field is written `name { … }`; a *variant* field is written `name = KIND { … }` or",
    "  `name = PRESET` or `name = PRESET { changes }`.",
    "",
    "## Families",
    "",
    "| Family | Kinds |",
    "| --- | --- |",
  ];
  const families = [...new Set([...BLOCK_SPECS.values()].map((b) => b.family).filter((f): f is string => Boolean(f)))];
  for (const family of families) out.push(`| \`${family}\` | ${familyKinds(family).map((k) => `[\`${k}\`](#${k})`).join(", ")} |`);
  out.push("", "## Blocks", "");
  for (const spec of BLOCK_SPECS.values()) {
    out.push(`### ${spec.kind}`, "", `${spec.doc} ${usageOf(spec)}`, "", ...fieldTable(spec), "");
  }
  out.push(
    "## Known datasets",
    "",
    "Names usable as evaluation data and in durations such as `1 epoch of imagenet_1k at 4096`.",
    "",
    "| Name | Training images | Test images | Classes | Dataset |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const [name, d] of Object.entries(KNOWN_DATASETS)) {
    out.push(`| \`${name}\` | ${d.trainImages.toLocaleString("en-US")} | ${d.testImages.toLocaleString("en-US")} | ${d.classes.toLocaleString("en-US")} | ${escapeCell(d.doc)} |`);
  }
  out.push("", "## Standard library presets", "", "Imported with `import \"MODULE\"`; each is an ordinary `preset` definition in `stdlib/MODULE.seer`.", "");
  out.push("| Module | Preset | Based on |", "| --- | --- | --- |");
  for (const p of stdlibPresets()) out.push(`| \`${p.module}\` | \`${p.name}\` | \`${p.basedOn}\` |`);
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Diagnostic catalog

const CODE_RANGES: Record<string, string> = {
  "1": "Syntax, files and imports",
  "2": "Names and types",
  "3": "Units, durations and schedules",
  "4": "Shapes and derivations",
  "5": "Sweeps",
  "6": "Targets and backends",
  "7": "Runtime and data",
};

export function diagnosticsMarkdown(): string {
  const out: string[] = [
    "<!-- Generated by scripts/gen-grammar-docs.ts from src/diagnostics/catalog.ts; do not edit. " + REGENERATE + " -->",
    "",
    "# Diagnostic codes",
    "",
    "Every code seerc reports, with its default severity. Codes are stable: tests, CI annotations",
    "(`seerc check --format github`) and JSON output (`--format json`) refer to them. `--strict` turns",
    "warnings into errors; `info` never fails a check.",
    "",
  ];
  const byRange = new Map<string, Array<[string, { severity: string; summary: string }]>>();
  for (const [code, entry] of Object.entries(CATALOG)) {
    const digit = /^SEER(\d)\d{3}$/.exec(code)?.[1];
    if (!digit || !CODE_RANGES[digit]) throw new Error(`gen-grammar-docs: diagnostic code ${code} is outside the documented ranges`);
    const list = byRange.get(digit) ?? [];
    list.push([code, entry]);
    byRange.set(digit, list);
  }
  for (const [digit, title] of Object.entries(CODE_RANGES)) {
    const entries = byRange.get(digit);
    if (!entries) continue;
    out.push(`## ${digit}xxx — ${title}`, "", "| Code | Severity | Meaning |", "| --- | --- | --- |");
    for (const [code, entry] of entries) out.push(`| <a id="${code.toLowerCase()}"></a>\`${code}\` | ${entry.severity} | ${escapeCell(entry.summary)} |`);
    out.push("");
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Productions, read from the parser

/** Token classes are written in capitals; punctuation and keywords as quoted literals (from the token labels). */
const TOKEN_CLASSES: Record<string, string> = {
  Identifier: "NAME",
  NumberLiteral: "NUMBER",
  StringLiteral: "STRING",
  Newline: "NEWLINE",
};

function terminalText(t: { name: string; label?: string }): string {
  const literal = t.label && /^`(.+)`$/.exec(t.label);
  if (literal) return JSON.stringify(literal[1]);
  const cls = TOKEN_CLASSES[t.name];
  if (!cls) throw new Error(`gen-grammar-docs: no EBNF name for the token ${t.name}; add it to TOKEN_CLASSES`);
  return cls;
}

type Gast = ISerializedGast & { name?: string; label?: string; definition?: Gast[] };

function sequenceText(items: Gast[]): string {
  return items.map(itemText).join(" ");
}

function grouped(items: Gast[], suffix: string): string {
  // A lone terminal, rule or alternation needs no extra parentheses: `x*`, `( a | b )*`.
  const single = items.length === 1 && ["Terminal", "NonTerminal", "Alternation"].includes(items[0].type);
  return single ? `${itemText(items[0])}${suffix}` : `( ${sequenceText(items)} )${suffix}`;
}

function itemText(g: Gast): string {
  switch (g.type) {
    case "Terminal":
      return terminalText(g as { name: string; label?: string });
    case "NonTerminal":
      return g.name!;
    case "Option":
      return grouped(g.definition!, "?");
    case "Repetition":
      return grouped(g.definition!, "*");
    case "RepetitionMandatory":
      return grouped(g.definition!, "+");
    case "Alternation":
      return `( ${g.definition!.map((alt) => sequenceText(alt.definition!)).join(" | ")} )`;
    case "Alternative":
      return sequenceText(g.definition!);
    default:
      throw new Error(`gen-grammar-docs: no EBNF form for the production type ${g.type}`);
  }
}

/** One `rule ::= …` per parser rule, in the parser's order; a rule that is one alternation gets one line per alternative. */
export function productionsEbnf(): string {
  const rules = seerParser.getSerializedGastProductions() as Gast[];
  const width = Math.max(...rules.map((r) => r.name!.length));
  const lines: string[] = [];
  for (const rule of rules) {
    const head = `${rule.name!.padEnd(width)} ::= `;
    const body = rule.definition!;
    if (body.length === 1 && body[0].type === "Alternation") {
      const alts = body[0].definition!.map((alt) => sequenceText(alt.definition!));
      lines.push(head + alts[0], ...alts.slice(1).map((a) => `${" ".repeat(width)}   | ${a}`));
    } else {
      lines.push(head + sequenceText(body));
    }
  }
  return lines.join("\n");
}

export function grammarMarkdown(current: string): string {
  const begin = current.indexOf(PRODUCTIONS_BEGIN);
  const end = current.indexOf(PRODUCTIONS_END);
  if (begin === -1 || end === -1 || end < begin) {
    throw new Error(`gen-grammar-docs: ${GRAMMAR_PATH} lacks the markers\n${PRODUCTIONS_BEGIN}\n${PRODUCTIONS_END}`);
  }
  const section = `${PRODUCTIONS_BEGIN}\n\`\`\`ebnf\n${productionsEbnf()}\n\`\`\`\n`;
  return current.slice(0, begin) + section + current.slice(end);
}

// ---------------------------------------------------------------------------------------------

export interface GeneratedFile {
  path: string;
  text: string;
}

export function generatedDocs(): GeneratedFile[] {
  return [
    { path: FIELDS_PATH, text: fieldsMarkdown() },
    { path: DIAGNOSTICS_PATH, text: diagnosticsMarkdown() },
    { path: GRAMMAR_PATH, text: grammarMarkdown(readFileSync(GRAMMAR_PATH, "utf8")) },
  ];
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function main(argv: string[]): number {
  const check = argv.includes("--check");
  const stale = generatedDocs().filter((f) => readOrEmpty(f.path) !== f.text);
  if (check) {
    for (const f of stale) process.stderr.write(`${f.path.slice(ROOT.length + 1)} is out of date; run \`npm run docs\`\n`);
    return stale.length > 0 ? 1 : 0;
  }
  for (const f of stale) {
    writeFileSync(f.path, f.text);
    process.stdout.write(`wrote ${f.path.slice(ROOT.length + 1)}\n`);
  }
  if (stale.length === 0) process.stdout.write("grammar docs are up to date\n");
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
