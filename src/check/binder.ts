import type { Diagnostic } from "../diagnostics/types.js";
import { diagnostic } from "../diagnostics/make.js";
import { didYouMean, suggestNames } from "../diagnostics/did-you-mean.js";
import type * as A from "../language/ast.js";
import type { Program } from "../language/loader.js";
import type { Definition } from "./context.js";
import { entriesOf, type Entry } from "./walker.js";

const cache = new WeakMap<Program, Map<string, { defs: Map<string, Definition>; diagnostics: Diagnostic[] }>>();

/**
 * The definitions a file can see: its own and those of every file it imports, directly or not.
 * Computed once per file of a program (a file with a thousand presets is checked a thousand times).
 */
export function visibleDefinitions(program: Program, file: string, diagnostics: Diagnostic[]): Map<string, Definition> {
  let perFile = cache.get(program);
  if (!perFile) cache.set(program, (perFile = new Map()));
  let entry = perFile.get(file);
  if (!entry) {
    const found: Diagnostic[] = [];
    entry = { defs: computeVisible(program, file, found), diagnostics: found };
    perFile.set(file, entry);
  }
  diagnostics.push(...entry.diagnostics);
  return entry.defs;
}

function computeVisible(program: Program, file: string, diagnostics: Diagnostic[]): Map<string, Definition> {
  const files: string[] = [];
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    files.push(f);
    for (const dep of program.imports.get(f) ?? []) visit(dep);
  };
  visit(file);
  const defs = new Map<string, Definition>();
  for (const f of files) {
    const ast = program.files.get(f);
    if (!ast) continue;
    for (const decl of ast.decls) {
      const name = decl.name.name;
      const prev = defs.get(name);
      if (prev && prev.decl !== decl) {
        // Reported once, in the file that defines the second copy.
        if (f === file || prev.file === file) {
          diagnostics.push(diagnostic("SEER1013", `\`${name}\` is defined twice`, decl.name.span, {
            related: [{ span: prev.decl.name.span, message: "first defined here" }],
            hint: "rename one of them",
          }));
        }
        continue;
      }
      defs.set(name, { name, decl, file: f });
    }
  }
  return defs;
}

/**
 * The statements of an experiment, its `extends` chain included: the base's statements come first
 * in lower layers, so the experiment's own writes replace them field by field.
 */
export function experimentEntries(exp: A.ExperimentDecl, defs: ReadonlyMap<string, Definition>, diagnostics: Diagnostic[]): Entry[] | null {
  const chain: A.ExperimentDecl[] = [exp];
  for (let cur = exp; cur.base; ) {
    const baseName = cur.base.name;
    const def = defs.get(baseName);
    if (!def || def.decl.kind !== "Experiment") {
      // The experiment itself is never a sensible suggestion for its own base.
      const experiments = [...defs.values()].filter((d) => d.decl.kind === "Experiment" && d.name !== cur.name.name).map((d) => d.name);
      const suggestions = suggestNames(baseName, experiments);
      const message = def
        ? `\`${cur.name.name}\` extends \`${baseName}\`, which is a ${def.decl.kind === "Preset" ? "preset" : "sweep"}, not an experiment.${didYouMean(suggestions)}`
        : `\`${cur.name.name}\` extends unknown experiment \`${baseName}\`.${didYouMean(suggestions)}`;
      diagnostics.push(diagnostic("SEER2010", message, cur.base.span, { suggestions }));
      return null;
    }
    if (chain.includes(def.decl)) {
      diagnostics.push(diagnostic("SEER2011", `experiments extend each other in a cycle: ${[...chain, def.decl].map((d) => d.name.name).reverse().join(" → ")}`, cur.base.span));
      return null;
    }
    chain.push(def.decl);
    cur = def.decl;
  }
  chain.reverse();
  return chain.flatMap((decl, layer) => entriesOf(decl.body, layer));
}
