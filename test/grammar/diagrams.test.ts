// grammar/syntax-diagrams.html is drawn from the current parser and renders without a network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { DIAGRAMS_PATH, syntaxDiagramsHtml } from "../../scripts/gen-diagrams.js";
import { seerParser } from "../../src/language/parser.js";

const committed = readFileSync(DIAGRAMS_PATH, "utf8");

test("grammar/syntax-diagrams.html is current", () => {
  assert.ok(committed === syntaxDiagramsHtml(), "grammar/syntax-diagrams.html is out of date: run `npm run diagrams` and commit the result");
});

test("the page loads nothing from the network", () => {
  assert.doesNotMatch(committed, /<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=/i);
  assert.doesNotMatch(committed, /unpkg\.com|cdn\./i);
});

test("the page's own scripts draw one railroad diagram per parser rule", () => {
  const scripts = [...committed.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  // railroad-diagrams, the diagram builder, its behaviour, main, the serialized grammar, the call that draws.
  assert.equal(scripts.length, 6);
  const window: Record<string, any> = {};
  window.window = window;
  const context = vm.createContext(window);
  // Everything but the last script, which touches the DOM to insert the result.
  for (const code of scripts.slice(0, -1)) vm.runInContext(code, context);
  const html: string = window.diagrams_builder.buildSyntaxDiagramsText(window.serializedGrammar);
  const rules = Object.keys(seerParser.getGAstProductions());
  const headers = [...html.matchAll(/<h2 class="diagramHeader">([^<]+)<\/h2>/g)].map((m) => m[1]);
  assert.deepEqual(headers, rules);
  assert.equal((html.match(/<svg class="railroad-diagram"/g) ?? []).length, rules.length);
  // Terminals show the bare symbol, not the backquoted label used in error messages.
  assert.match(html, /<text[^>]*>experiment<\/text>/);
  assert.doesNotMatch(html, /<text[^>]*>`/);
});
