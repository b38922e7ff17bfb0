/**
 * Generates grammar/syntax-diagrams.html: railroad diagrams of every parser rule, drawn from the
 * parser's own productions by Chevrotain's `createSyntaxDiagramsCode`. Chevrotain's page loads its
 * drawing scripts and stylesheet from a CDN; here they are inlined from the installed chevrotain
 * package (node_modules/chevrotain/diagrams, Apache-2.0, with Tab Atkins' CC0 railroad-diagrams),
 * so the committed page renders offline.
 *
 *   node --import tsx scripts/gen-diagrams.ts           rewrite the file
 *   node --import tsx scripts/gen-diagrams.ts --check   write nothing; exit 1 when it is stale
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyntaxDiagramsCode, VERSION, type ISerializedGast } from "chevrotain";
import { seerParser } from "../src/language/parser.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DIAGRAMS_PATH = join(ROOT, "grammar/syntax-diagrams.html");

/** Where the installed chevrotain keeps the files its generated page would fetch from the CDN. */
function chevrotainDiagramsDir(): string {
  const require = createRequire(import.meta.url);
  // The package's `exports` hide package.json, so walk up from its entry point.
  let dir = dirname(require.resolve("chevrotain"));
  while (basename(dir) !== "chevrotain" && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "diagrams");
}

/** Terminal labels are written for error messages (`` `=` ``); the diagrams show the bare symbol. */
function withDisplayLabels(productions: ISerializedGast[]): ISerializedGast[] {
  return JSON.parse(JSON.stringify(productions), (key, value) =>
    key === "label" && typeof value === "string" ? value.replace(/^`(.+)`$/, "$1") : value,
  ) as ISerializedGast[];
}

function inlineScript(code: string, source: string): string {
  if (/<\/script/i.test(code)) throw new Error(`gen-diagrams: ${source} contains </script and cannot be inlined`);
  return `<script>\n// ${source}\n${code.trimEnd()}\n</script>`;
}

export function syntaxDiagramsHtml(): string {
  const cdn = `https://unpkg.com/chevrotain@${VERSION}/diagrams/`;
  const assets = chevrotainDiagramsDir();
  let html = createSyntaxDiagramsCode(withDisplayLabels(seerParser.getSerializedGastProductions()), {
    resourceBase: cdn,
    css: `${cdn}diagrams.css`,
  });
  const replaceOnce = (from: string, to: string) => {
    if (!html.includes(from)) throw new Error(`gen-diagrams: chevrotain ${VERSION} no longer writes ${from}; update scripts/gen-diagrams.ts`);
    html = html.replace(from, () => to);
  };
  const css = readFileSync(join(assets, "diagrams.css"), "utf8");
  replaceOnce(`<link rel='stylesheet' href='${cdn}diagrams.css'>`, `<style>\n/* chevrotain ${VERSION} diagrams/diagrams.css */\n${css.trimEnd()}\n</style>`);
  for (const file of ["vendor/railroad-diagrams.js", "src/diagrams_builder.js", "src/diagrams_behavior.js", "src/main.js"]) {
    const code = readFileSync(join(assets, file), "utf8");
    replaceOnce(`<script src='${cdn}${file}'></script>`, inlineScript(code, `chevrotain ${VERSION} diagrams/${file}`));
  }
  if (/<(?:script|link)[^>]+(?:src|href)=/i.test(html)) throw new Error("gen-diagrams: the page still refers to an external resource");
  if (/<\/script/i.test(html.slice(html.indexOf("window.serializedGrammar"), html.lastIndexOf("</script>", html.indexOf("var diagramsDiv"))))) {
    throw new Error("gen-diagrams: the serialized grammar contains </script");
  }
  const banner = [
    "<!-- This is a generated file: scripts/gen-diagrams.ts draws every rule of src/language/parser.ts.",
    "     Do not edit; regenerate with `npm run diagrams`. It needs no network: the drawing scripts are inlined. -->",
  ].join("\n");
  replaceOnce("<!-- This is a generated file -->", banner);
  replaceOnce('<meta charset="utf-8">', '<meta charset="utf-8">\n<title>.seer syntax diagrams</title>');
  // Chevrotain's template leaves trailing blanks on a line; committed files should not have them.
  return html.replace(/[ \t]+$/gm, "");
}

function main(argv: string[]): number {
  const html = syntaxDiagramsHtml();
  let current = "";
  try {
    current = readFileSync(DIAGRAMS_PATH, "utf8");
  } catch {
    // A missing file is simply stale.
  }
  if (argv.includes("--check")) {
    if (current === html) return 0;
    process.stderr.write("grammar/syntax-diagrams.html is out of date; run `npm run diagrams`\n");
    return 1;
  }
  if (current !== html) writeFileSync(DIAGRAMS_PATH, html);
  process.stdout.write(current === html ? "grammar/syntax-diagrams.html is up to date\n" : "wrote grammar/syntax-diagrams.html\n");
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
