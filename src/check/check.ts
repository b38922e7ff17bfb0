import { dirname, relative } from "node:path";
import type { Diagnostic } from "../diagnostics/types.js";
import type * as A from "../language/ast.js";
import type { Program } from "../language/loader.js";
import { parseStatement } from "../language/parse.js";
import { deriveAll, type Derived } from "../compile/derive.js";
import { lowerExperiment } from "../compile/lower.js";
import { compileToVissl } from "../compile/targets/vissl.js";
import type { ExperimentIR } from "../compile/ir.js";
import { CheckContext } from "./context.js";
import { experimentEntries, visibleDefinitions } from "./binder.js";
import { OVERRIDE_LAYER, entriesOf, walkBlock, readVariant, type Entry } from "./walker.js";
import type { CheckedExperiment } from "./checked.js";
import { RULES, type RuleOptions } from "./rules/index.js";
import { familyKinds, BLOCK_SPECS } from "./registry.js";
import { refName } from "./values.js";
import { readSchedule } from "./readers.js";

export interface Override {
  /** The argument as typed after `-s`, e.g. `loss.temperature=0.2`. */
  text: string;
  /** The name diagnostics use for it, e.g. `<-s #1>`. */
  file: string;
}

export interface CheckOptions {
  overrides?: Override[];
  /** Overrides the experiment's own `target` (e.g. `seerc compile --target vissl`). */
  target?: "tfjs" | "vissl";
  backend?: RuleOptions["backend"];
  /** Statements layered over the experiment's own (a sweep trial's assignment). */
  extraEntries?: Entry[];
}

export interface ExperimentResult {
  name: string;
  file: string;
  decl: A.ExperimentDecl;
  checked: CheckedExperiment;
  derived: Derived;
  diagnostics: Diagnostic[];
  /** Present when the experiment has no errors. */
  ir: ExperimentIR | null;
}

/** Parses `-s path=value` arguments into statements; their diagnostics point into the argument text. */
export function overrideEntries(overrides: readonly Override[], diagnostics: Diagnostic[]): Entry[] {
  const entries: Entry[] = [];
  for (const o of overrides) {
    const parsed = parseStatement(o.text, o.file);
    diagnostics.push(...parsed.diagnostics);
    const s = parsed.statement;
    if (!s) continue;
    if (s.op !== "=") {
      diagnostics.push({ code: "SEER1014", severity: "error", message: `an override is written \`path=value\`, e.g. \`-s loss.temperature=0.2\``, span: s.span, related: [], suggestions: [] });
      continue;
    }
    entries.push({ path: s.path, op: s.op, value: s.value, span: s.span, layer: OVERRIDE_LAYER });
  }
  return entries;
}

/** Checks one experiment: reads every field, derives what can be derived, runs every rule, and lowers to the IR when clean. */
export function checkExperiment(program: Program, file: string, decl: A.ExperimentDecl, options: CheckOptions = {}): ExperimentResult {
  const pre: Diagnostic[] = [];
  const defs = visibleDefinitions(program, file, pre);
  const ctx = new CheckContext(defs, dirname(file));
  ctx.diagnostics.push(...pre);
  const chain = experimentEntries(decl, defs, ctx.diagnostics);
  // An unknown or cyclic base is reported once; the experiment's own statements are still checked.
  ctx.baseUnresolved = chain === null;
  const entries = chain ?? entriesOf(decl.body, 0);
  entries.push(...(options.extraEntries ?? []));
  entries.push(...overrideEntries(options.overrides ?? [], ctx.diagnostics));
  const checked = walkBlock(ctx, "experiment", entries, "", decl.name.span) as unknown as CheckedExperiment;
  const derived = deriveAll(checked);
  const target = options.target ?? checked.target ?? "tfjs";
  const ruleOptions: RuleOptions = { target, backend: options.backend ?? null };
  for (const [, rule] of RULES) rule({ ctx, exp: checked, derived, options: ruleOptions });
  let ir: ExperimentIR | null = null;
  // The IR is made when the experiment itself is sound; what a target cannot run is that target's refusal (its 6xxx codes).
  if (ctx.errorCount === 0 && !hasSyntaxErrors(program, file)) {
    const sources = [...program.files.keys()].map((f) => relative(dirname(file), f) || f);
    ir = lowerExperiment({ name: decl.name.name, exp: { ...checked, target }, derived, presets: ctx.presets, sources });
    if (target === "vissl") {
      // What VISSL cannot express or would rewrite is a problem of this experiment: report it at the field.
      for (const d of compileToVissl(ir, { launcher: "none", configName: ir.name, diagnosticsOnly: true }).diagnostics) {
        const path = /^([A-Za-z_][\w.]*)/.exec(d.message)?.[1];
        ctx.diagnostics.push({ ...d, span: d.span ?? (path ? ctx.spanOf(path) ?? decl.name.span : decl.name.span) });
      }
    }
  }
  return { name: decl.name.name, file, decl, checked, derived, diagnostics: withoutSyntaxCascades(ctx.diagnostics, program, decl), ir };
}

/**
 * The checker's reports that only follow from a syntax error: a statement the parser had to drop
 * reads as a missing field, a recovered value as a wrong type. A report whose place overlaps a
 * syntax error (for the experiment's own missing fields, anywhere in its body) is left out; the
 * syntax error is what the user has to fix, and the IR is withheld anyway.
 */
function withoutSyntaxCascades(diagnostics: Diagnostic[], program: Program, decl: A.ExperimentDecl): Diagnostic[] {
  const syntax = program.diagnostics.filter((d) => d.severity === "error" && d.span && d.span.file === decl.span.file).map((d) => d.span!);
  if (syntax.length === 0) return diagnostics;
  return diagnostics.filter((d) => {
    if (!d.span || d.span.file !== decl.span.file) return true;
    const place = d.span.start === decl.name.span.start && d.span.end === decl.name.span.end ? decl.span : d.span;
    // Touching counts: "expected `}`, found the end of the file" sits just past the experiment's last token.
    return !syntax.some((s) => s.start <= place.end && s.end >= place.start);
  });
}

/**
 * Syntax errors (or missing imports) in the experiment's file or anything it imports. Error recovery
 * may have dropped part of what the user wrote, so such an experiment gets no IR even when the
 * checker itself found nothing: the IR would describe a different experiment.
 */
function hasSyntaxErrors(program: Program, file: string): boolean {
  const files = new Set<string>();
  const visit = (f: string): void => {
    if (files.has(f)) return;
    files.add(f);
    for (const dep of program.imports.get(f) ?? []) visit(dep);
  };
  visit(file);
  return program.diagnostics.some((d) => d.severity === "error" && d.span !== undefined && files.has(d.span.file));
}

/** Checks a preset on its own, as the family its kind belongs to, so stdlib files are verified too. */
export function checkPreset(program: Program, file: string, decl: A.PresetDecl): Diagnostic[] {
  const pre: Diagnostic[] = [];
  const defs = visibleDefinitions(program, file, pre);
  const ctx = new CheckContext(defs, dirname(file));
  ctx.diagnostics.push(...pre);
  const family = presetFamily(decl, defs, []);
  if (family === "cycle") {
    // The same message and place as when an experiment uses the preset, so `seerc check` shows it once.
    const cycle = presetCycle(decl, defs);
    if (cycle) ctx.report("SEER2011", `preset \`${cycle.name}\` refers to itself: ${cycle.chain.join(" → ")}`, cycle.span);
    return ctx.diagnostics;
  }
  if (!family) {
    // Not a block kind: a schedule preset (`preset seer_schedule = warmup linear …`).
    readSchedule(ctx, decl.value);
    return ctx.diagnostics;
  }
  const entry: Entry = { path: [decl.name], op: "=", value: decl.value, span: decl.span, layer: 0 };
  readVariant(ctx, family, entry, [], decl.name.name);
  return ctx.diagnostics;
}

/** Where a chain of presets comes back to one already in it: the head naming it, and the chain. */
function presetCycle(decl: A.PresetDecl, defs: ReturnType<typeof visibleDefinitions>): { name: string; chain: string[]; span: A.Value["span"] } | null {
  const chain = [decl.name.name];
  for (let value = decl.value; ; ) {
    const head = value.kind === "Phrase" ? value.items[0] : value;
    const name = refName(head);
    if (!name) return null;
    if (chain.includes(name)) return { name, chain: [...chain, name], span: head.span };
    const def = defs.get(name);
    if (!def || def.decl.kind !== "Preset") return null;
    chain.push(name);
    value = def.decl.value;
  }
}

/** The family of the block kind a preset chain starts from; null for a non-block preset (a schedule); "cycle" when the chain loops. */
function presetFamily(decl: A.PresetDecl, defs: ReturnType<typeof visibleDefinitions>, seen: string[]): string | null {
  const head = decl.value.kind === "Phrase" ? decl.value.items[0] : decl.value;
  const name = refName(head);
  if (!name) return null;
  if (seen.includes(name) || name === decl.name.name) return "cycle";
  for (const spec of BLOCK_SPECS.values()) if (spec.family && spec.kind === name && familyKinds(spec.family).includes(name)) return spec.family;
  const def = defs.get(name);
  return def && def.decl.kind === "Preset" ? presetFamily(def.decl, defs, [...seen, name]) : null;
}
