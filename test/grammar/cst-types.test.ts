// src/language/cst.d.ts describes the CST of the current parser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CST_DTS_PATH, cstDts } from "../../scripts/gen-cst-types.js";
import { seerParser } from "../../src/language/parser.js";
import { seerLexer, significantNewlines } from "../../src/language/tokens.js";

const committed = readFileSync(CST_DTS_PATH, "utf8");

test("src/language/cst.d.ts is current", () => {
  assert.ok(committed === cstDts(), "src/language/cst.d.ts is out of date: run `npm run cst-types` and commit the result");
});

test("cst.d.ts declares a node type and a visitor method for every rule", () => {
  for (const name of Object.keys(seerParser.getGAstProductions())) {
    const type = name[0].toUpperCase() + name.slice(1);
    assert.match(committed, new RegExp(`export interface ${type}CstNode extends CstNode \\{\\n  name: "${name}";`), name);
    assert.match(committed, new RegExp(`^  ${name}\\(children: ${type}CstChildren, param\\?: IN\\): OUT;$`, "m"), name);
  }
});

test("the children the parser builds are the ones cst.d.ts declares", () => {
  const declared = new Map<string, Set<string>>();
  for (const m of committed.matchAll(/export type (\w+)CstChildren = \{\n([\s\S]*?)\n\};/g)) {
    declared.set(m[1][0].toLowerCase() + m[1].slice(1), new Set([...m[2].matchAll(/^  (\w+)\??:/gm)].map((k) => k[1])));
  }
  // A text that reaches every rule; each node's child keys must be among the declared ones.
  const text = 'import "regnet"\nexperiment e extends b { a.b = -x(1 + 2) * 3 / 4 .. 5 -> 6 x 7, then f("s", [1, true, false]) { c: 1; d 2 } }\npreset p = q\nsweep s from e { a in [1] }\n';
  seerParser.input = significantNewlines(seerLexer.tokenize(text).tokens);
  const cst = seerParser.file();
  assert.deepEqual(seerParser.errors.map((e) => e.message), []);
  const seen = new Set<string>();
  const visit = (node: { name: string; children: Record<string, unknown[]> }) => {
    seen.add(node.name);
    const keys = declared.get(node.name);
    assert.ok(keys, `no children type for ${node.name}`);
    for (const key of Object.keys(node.children)) assert.ok(keys.has(key), `${node.name} has an undeclared child \`${key}\``);
    for (const list of Object.values(node.children)) for (const child of list) if ((child as { children?: unknown }).children) visit(child as never);
  };
  visit(cst as never);
  assert.deepEqual([...declared.keys()].filter((r) => !seen.has(r)), [], "rules the sample text does not reach");
});
