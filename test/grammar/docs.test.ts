// The generated parts of grammar/ match the registry, the catalog and the parser, and the
// hand-written reference links only to places that exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DIAGNOSTICS_PATH, FIELDS_PATH, GRAMMAR_PATH, PRODUCTIONS_BEGIN, generatedDocs, productionsEbnf } from "../../scripts/gen-grammar-docs.js";
import { BLOCK_SPECS } from "../../src/check/registry.js";
import { CATALOG } from "../../src/diagnostics/catalog.js";
import { seerParser } from "../../src/language/parser.js";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(path, "utf8");

test("grammar/FIELDS.md, DIAGNOSTICS.md and GRAMMAR.md's productions are current", () => {
  for (const file of generatedDocs()) {
    const name = file.path.slice(ROOT.length + 1);
    assert.ok(read(file.path) === file.text, `${name} is out of date: run \`npm run docs\` and commit the result`);
  }
});

test("FIELDS.md has a table row for every field of every block kind", () => {
  const fields = read(FIELDS_PATH);
  for (const spec of BLOCK_SPECS.values()) {
    const start = fields.indexOf(`\n### ${spec.kind}\n`);
    assert.ok(start !== -1, `no section for ${spec.kind}`);
    const next = fields.indexOf("\n### ", start + 1);
    const section = fields.slice(start, next === -1 ? undefined : next);
    for (const f of spec.fields) {
      const row = section.split("\n").find((l) => l.startsWith(`| \`${f.name}\` |`));
      assert.ok(row, `no row for ${spec.kind}.${f.name}`);
      // Six cells: field, type, unit, range, default, description (escaped pipes do not split cells).
      assert.equal(row.split(/(?<!\\)\|/).length - 2, 6, `${spec.kind}.${f.name}: ${row}`);
      if (f.required) assert.match(row, /\*\*required\*\*/, `${spec.kind}.${f.name} is required`);
    }
  }
});

test("FIELDS.md writes defaults and ranges in .seer terms", () => {
  const fields = read(FIELDS_PATH);
  const row = (kind: string, name: string) => {
    const start = fields.indexOf(`\n### ${kind}\n`);
    return fields.slice(start).split("\n").find((l) => l.startsWith(`| \`${name}\` |`))!;
  };
  // Checked against the registry by hand: blur.radius defaults to 0.1 .. 2.0, data.max_pixels to 10^8.
  assert.match(row("blur", "radius"), /\| `0\.1 \.\. 2` \|/);
  assert.match(row("data", "max_pixels"), /\| `100_000_000` \|/);
  assert.match(row("data", "image_size"), /\| px \| ≥ 8px \| `64px` \|/);
  assert.match(row("regnety", "se_ratio"), /\| \(0, 1\] \| `0\.25` \|/);
  assert.match(row("swav", "freeze_prototypes"), /\| `0 steps` \|/);
  assert.match(row("eval_finetune", "optimizer"), /`sgd \{ momentum = 0\.9, nesterov = false, weight_decay = 0\.0001 \}`/);
  assert.match(row("train", "steps"), /Not together with `epochs` or `images`\./);
  assert.match(row("multicrop", "crop"), /Repeatable/);
});

test("DIAGNOSTICS.md lists every catalog code once, with its severity", () => {
  const text = read(DIAGNOSTICS_PATH);
  for (const [code, entry] of Object.entries(CATALOG)) {
    const rows = text.split("\n").filter((l) => l.includes(`\`${code}\``));
    assert.equal(rows.length, 1, code);
    assert.ok(rows[0].includes(`| ${entry.severity} |`), `${code}: ${rows[0]}`);
  }
});

test("GRAMMAR.md's productions name every parser rule and are written from the parser", () => {
  const grammar = read(GRAMMAR_PATH);
  assert.ok(grammar.includes(PRODUCTIONS_BEGIN));
  const ebnf = productionsEbnf();
  for (const name of Object.keys(seerParser.getGAstProductions())) {
    assert.match(ebnf, new RegExp(`^${name} +::= `, "m"));
  }
  // Spot checks against the parser source, read by hand.
  assert.match(ebnf, /^experimentDecl +::= "experiment" NAME \( "extends" NAME \)\? block$/m);
  assert.match(ebnf, /^postfix +::= primary \( "\." NAME \)\* \( "per" NAME \)\?$/m);
  assert.match(ebnf, /^importDecl +::= "import" STRING$/m);
});

test("every diagnostic code named in GRAMMAR.md exists", () => {
  const grammar = read(GRAMMAR_PATH);
  const codes = [...grammar.matchAll(/SEER\d{4}/g)].map((m) => m[0]);
  assert.ok(codes.length > 10);
  for (const code of codes) assert.ok(code in CATALOG, `GRAMMAR.md names ${code}, which is not in the catalog`);
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const inFence = (i: number, lines: string[]) => lines.slice(0, i).filter((l) => l.startsWith("```")).length % 2 === 1;
  const lines = markdown.split("\n");
  lines.forEach((line, i) => {
    const h = /^#{1,6} (.+)$/.exec(line);
    if (h && !inFence(i, lines)) out.add(h[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-"));
  });
  for (const m of markdown.matchAll(/<a id="([^"]+)"><\/a>/g)) out.add(m[1]);
  return out;
}

test("links between GRAMMAR.md, FIELDS.md and DIAGNOSTICS.md point at existing headings", () => {
  const files: Record<string, string> = {
    "GRAMMAR.md": read(GRAMMAR_PATH),
    "FIELDS.md": read(FIELDS_PATH),
    "DIAGNOSTICS.md": read(DIAGNOSTICS_PATH),
  };
  const targets = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, anchors(text)]));
  let checked = 0;
  for (const [name, text] of Object.entries(files)) {
    for (const m of text.matchAll(/\]\(([A-Z]*\.md)?(?:#([^)]+))?\)/g)) {
      const file = m[1] ?? name;
      assert.ok(file in files || file === "", `${name} links to ${m[0]}`);
      if (m[2]) {
        assert.ok(targets[file].has(m[2]), `${name} links to ${file}#${m[2]}, which has no such heading`);
        checked++;
      }
    }
  }
  assert.ok(checked > 30, `only ${checked} anchored links checked`);
  for (const other of ["syntax-diagrams.html", "seer.tmLanguage.json"]) assert.ok(files["GRAMMAR.md"].includes(`](${other})`));
  assert.ok(read(join(ROOT, "grammar", "syntax-diagrams.html")).length > 0);
});
