import type * as A from "../language/ast.js";
import type { Span } from "../diagnostics/types.js";
import { didYouMean, suggestNames } from "../diagnostics/did-you-mean.js";
import { BLOCK_SPECS, blockSpec, familyKinds, type BlockSpec, type FieldSpec, type FieldType } from "./registry.js";
import type { CheckContext } from "./context.js";
import { describeValue, evaluateNumber, formatNumber, readInt, readNumber, refName } from "./values.js";
import { readCustom } from "./readers.js";
import type { WrittenDuration } from "../compile/schedule.js";
export type { WrittenDuration } from "../compile/schedule.js";

/**
 * A statement as the walker sees it: its remaining path inside the block being checked and its
 * layer. Layers order the sources of a value: presets < base experiments < the experiment <
 * command-line overrides. A higher layer replaces a lower one; two writes in one layer are duplicates.
 */
export interface Entry {
  path: A.Ident[];
  op: A.StatementOp;
  value: A.Value;
  span: Span;
  layer: number;
}

export const OVERRIDE_LAYER = 1_000_000;
const PRESET_LAYER_BASE = -1_000_000;

export function entriesOf(block: A.BlockNode, layer: number): Entry[] {
  return block.statements.map((s) => ({ path: s.path, op: s.op, value: s.value, span: s.span, layer }));
}

export type Checked = Record<string, unknown>;

/** Checks the statements of one block against its registry entry; returns the values with defaults filled. */
export function walkBlock(ctx: CheckContext, kind: string, entries: Entry[], irPath: string, blockSpan: Span | undefined): Checked {
  const spec = blockSpec(kind);
  const out: Checked = {};
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const name = e.path[0].name;
    const field = spec.fields.find((f) => f.name === name);
    if (!field) {
      reportUnknownField(ctx, spec, e, irPath);
      continue;
    }
    const list = groups.get(name) ?? [];
    list.push(e);
    groups.set(name, list);
  }

  for (const field of spec.fields) {
    const path = irPath ? `${irPath}.${field.name}` : field.name;
    const group = groups.get(field.name) ?? [];
    const direct = group.filter((e) => e.path.length === 1);
    const nested = group.filter((e) => e.path.length > 1).map((e) => ({ ...e, path: e.path.slice(1) }));
    if (field.repeatable) {
      out[field.name] = readRepeatable(ctx, field, direct, path);
      continue;
    }
    const chosen = chooseEntry(ctx, field, direct, path);
    if (!chosen && nested.length === 0) {
      if (field.required) {
        if (!ctx.baseUnresolved) ctx.report("SEER2006", `missing required field \`${field.name}\` in ${describeBlock(kind, irPath)}`, blockSpan, {
          hint: `${field.doc}`,
        });
        ctx.broken.add(path);
        // Absent is null for every reader downstream (derivations test `=== null`).
        out[field.name] = null;
      } else if (field.default !== undefined) {
        out[field.name] = defaultValue(ctx, field, path);
      } else {
        out[field.name] = null;
      }
      continue;
    }
    if (chosen) {
      checkOperator(ctx, chosen, field);
      ctx.spans.set(path, chosen.value.span);
    }
    const liveNested = chosen ? nested.filter((e) => e.layer >= chosen.layer) : nested;
    // For nested blocks: the top entry of each layer, lowest layer first (a duplicate within a layer was reported above).
    const layered = [...new Map(direct.map((e) => [e.layer, e] as const)).values()].sort((a, b) => a.layer - b.layer);
    const value = readField(ctx, field, chosen, liveNested, path, field.type.type === "block" ? layered : chosen ? [chosen] : []);
    if (value === undefined) ctx.broken.add(path);
    out[field.name] = value ?? null;
  }

  for (const field of spec.fields) {
    if (!field.conflictsWith || out[field.name] === null || out[field.name] === undefined) continue;
    for (const other of field.conflictsWith) {
      if (field.name < other && out[other] !== null && out[other] !== undefined && groups.has(field.name) && groups.has(other)) {
        const path = irPath ? `${irPath}.${other}` : other;
        ctx.report("SEER2008", `\`${field.name}\` and \`${other}\` both set the length of the run; keep one`, ctx.spans.get(path), {
          related: [{ span: ctx.spans.get(irPath ? `${irPath}.${field.name}` : field.name)!, message: `\`${field.name}\` is set here` }],
        });
      }
    }
  }
  return out;
}

function describeBlock(kind: string, irPath: string): string {
  return irPath ? `\`${irPath}\` (${kind})` : `the ${kind}`;
}

function reportUnknownField(ctx: CheckContext, spec: BlockSpec, e: Entry, irPath: string): void {
  const name = e.path[0].name;
  const names = spec.fields.map((f) => f.name);
  const suggestions = suggestNames(name, names);
  const where = irPath ? `\`${irPath}\` (${spec.kind})` : spec.kind === "experiment" ? "an experiment" : `\`${spec.kind}\``;
  ctx.report("SEER2001", `unknown field \`${name}\` in ${where}.${didYouMean(suggestions)}`, e.path[0].span, {
    suggestions,
    hint: suggestions.length === 0 ? `known fields: ${names.join(", ")}` : undefined,
  });
}

/** The entry that decides a non-repeatable field: the highest layer's; a second write in one layer is a duplicate. */
function chooseEntry(ctx: CheckContext, field: FieldSpec, direct: Entry[], path: string): Entry | null {
  if (direct.length === 0) return null;
  const top = Math.max(...direct.map((e) => e.layer));
  const inTop = direct.filter((e) => e.layer === top);
  for (const dup of inTop.slice(1)) {
    ctx.report("SEER2007", `\`${path}\` is set twice`, dup.path[0].span, {
      related: [{ span: inTop[0].path[0].span, message: "first set here" }],
      hint: "remove one of them",
    });
  }
  return inTop[inTop.length - 1];
}

function checkOperator(ctx: CheckContext, e: Entry, field: FieldSpec): void {
  const t = field.type.type;
  const nestedKind = t === "block" || t === "variant" || (t === "custom" && (field.type as { reader: string }).reader === "evaluate") || (t === "custom" && (field.type as { reader: string }).reader === "crop");
  if (e.op === "in") {
    ctx.report("SEER5005", `\`${field.name} in …\` is a sweep axis; inside an experiment write \`${field.name} = …\``, e.path[0].span);
  } else if (e.op === null && !nestedKind) {
    ctx.report("SEER1002", `expected \`=\` after field name \`${field.name}\``, e.path[e.path.length - 1].span, { hint: `write \`${field.name} = ${"…"}\`` });
  }
}

function readRepeatable(ctx: CheckContext, field: FieldSpec, direct: Entry[], path: string): unknown[] {
  if (direct.length === 0) {
    if (field.required) ctx.broken.add(path);
    return [];
  }
  if (field.name === "evaluate") {
    // One evaluation per protocol kind: a later layer replaces the same kind, a second in one layer is a duplicate.
    const byKind = new Map<string, Entry>();
    for (const e of [...direct].sort((a, b) => a.layer - b.layer)) {
      const kind = e.value.kind === "Phrase" ? refName(e.value.items[0]) : refName(e.value);
      const key = kind ?? `#${byKind.size}`;
      const prev = byKind.get(key);
      if (prev && prev.layer === e.layer) {
        ctx.report("SEER2007", `\`evaluate ${key}\` is written twice`, e.path[0].span, { related: [{ span: prev.path[0].span, message: "first written here" }] });
      }
      byKind.set(key, e);
    }
    return [...byKind.values()].map((e, i) => {
      ctx.spans.set(`${path}.${i}`, e.value.span);
      return readCustom(ctx, field, e.value, `${path}.${i}`);
    }).filter((v) => v !== undefined);
  }
  const top = Math.max(...direct.map((e) => e.layer));
  return direct
    .filter((e) => e.layer === top)
    .map((e, i) => {
      ctx.spans.set(`${path}.${i}`, e.value.span);
      checkOperator(ctx, e, field);
      const v = readCustom(ctx, field, e.value, `${path}.${i}`);
      if (v === undefined) ctx.broken.add(`${path}.${i}`);
      return v;
    })
    .filter((v) => v !== undefined);
}

function defaultValue(ctx: CheckContext, field: FieldSpec, path: string): unknown {
  const t = field.type;
  if (t.type === "block") return walkBlock(ctx, t.block, [], path, undefined);
  return structuredClone(field.default);
}

/** Reads one field's value by its registry type; undefined when it is broken (already reported). */
export function readField(ctx: CheckContext, field: FieldSpec, chosen: Entry | null, nested: Entry[], path: string, layeredBlocks: Entry[] = chosen ? [chosen] : []): unknown {
  const t = field.type;
  if (t.type === "block") {
    const entries: Entry[] = [];
    if (chosen) {
      if (chosen.value.kind !== "Block") {
        ctx.report("SEER2004", `\`${field.name}\` is a block: write \`${field.name} { … }\`, found ${describeValue(chosen.value)}`, chosen.value.span);
        return undefined;
      }
      // A block written again in a later layer (an extending experiment, an override) changes only
      // the fields it writes: the earlier layers' blocks are merged underneath it.
      for (const earlier of layeredBlocks) if (earlier.value.kind === "Block") entries.push(...entriesOf(earlier.value, earlier.layer));
    }
    entries.push(...nested);
    return walkBlock(ctx, t.block, entries, path, chosen?.value.span);
  }
  if (t.type === "variant") return readVariant(ctx, t.family, chosen, nested, path);
  if (nested.length > 0) {
    ctx.report("SEER2001", `\`${field.name}\` has no fields; \`${path}.${nested[0].path.map((p) => p.name).join(".")}\` does not exist`, nested[0].path[0].span);
  }
  if (!chosen) return undefined;
  if (t.type === "custom") return readCustom(ctx, field, chosen.value, path);
  return readScalar(ctx, field.name, t, chosen.value);
}

/** Reads int, number, probability, bool, string, enum, range, numbers, ints, pixels and duration values. */
export function readScalar(ctx: CheckContext, name: string, t: FieldType, v: A.Value): unknown {
  const what = `\`${name}\``;
  switch (t.type) {
    case "int":
    case "number": {
      if (v.kind === "Number" && v.unit !== null) {
        ctx.report("SEER3001", `${what} is a plain number; remove the unit \`${v.unit}\``, v.span, { suggestions: [v.text] });
        return undefined;
      }
      const n = t.type === "int" ? readInt(ctx, v, what) : readNumber(ctx, v, what);
      if (n === null) return undefined;
      return checkBounds(ctx, what, n, t.min, t.max, t.type === "number" ? t.exclusiveMin : false, v.span) ? n : undefined;
    }
    case "probability": {
      let n: number | null;
      if (v.kind === "Number" && v.unit === "%") n = v.value / 100;
      else {
        if (v.kind === "Number" && v.unit !== null) {
          ctx.report("SEER3001", `${what} is a probability (0..1 or a percentage), not \`${v.unit}\``, v.span);
          return undefined;
        }
        n = readNumber(ctx, v, what);
      }
      if (n === null) return undefined;
      return checkBounds(ctx, what, n, 0, 1, false, v.span) ? n : undefined;
    }
    case "bool":
      if (v.kind === "Bool") return v.value;
      ctx.report("SEER2004", `${what} is \`true\` or \`false\`, found ${describeValue(v)}`, v.span, {
        suggestions: v.kind === "Number" ? [v.value ? "true" : "false"] : [],
      });
      return undefined;
    case "string":
      if (v.kind === "String") return v.value;
      ctx.report("SEER2004", `${what} is a string in double quotes, found ${describeValue(v)}`, v.span);
      return undefined;
    case "enum": {
      const name = v.kind === "String" ? v.value : refName(v);
      if (name !== null && t.values.includes(name)) return name;
      if (name === null) {
        ctx.report("SEER2004", `${what} is one of ${t.values.map((x) => `\`${x}\``).join(", ")}; found ${describeValue(v)}`, v.span);
        return undefined;
      }
      const suggestions = suggestNames(name, t.values);
      ctx.report("SEER2003", `unknown value \`${name}\` for ${what}.${didYouMean(suggestions)}`, v.span, {
        suggestions,
        hint: `expected one of ${t.values.join(", ")}`,
      });
      return undefined;
    }
    case "range": {
      if (v.kind !== "Range") {
        ctx.report("SEER2004", `${what} is a range \`low .. high\`, found ${describeValue(v)}`, v.span);
        return undefined;
      }
      const lo = readNumber(ctx, v.low, `${what}'s lower end`);
      const hi = readNumber(ctx, v.high, `${what}'s upper end`);
      if (lo === null || hi === null) return undefined;
      if (lo > hi) {
        ctx.report("SEER2005", `${what} goes from ${lo} down to ${hi}; write the lower end first`, v.span, { suggestions: [`${hi} .. ${lo}`] });
        return undefined;
      }
      if (!checkBounds(ctx, what, lo, t.min, t.max, false, v.low.span) || !checkBounds(ctx, what, hi, t.min, t.max, false, v.high.span)) return undefined;
      return [lo, hi];
    }
    case "numbers":
    case "ints": {
      if (v.kind !== "List") {
        ctx.report("SEER2004", `${what} is a list \`[…]\`, found ${describeValue(v)}`, v.span);
        return undefined;
      }
      if (t.type === "numbers" && t.length !== undefined && v.items.length !== t.length) {
        ctx.report("SEER2004", `${what} needs exactly ${t.length} numbers, found ${v.items.length}`, v.span);
        return undefined;
      }
      const values: number[] = [];
      let ok = true;
      for (const item of v.items) {
        const n = t.type === "ints" ? readInt(ctx, item, `an item of ${what}`) : readNumber(ctx, item, `an item of ${what}`);
        if (n === null || !checkBounds(ctx, `an item of ${what}`, n, t.min, undefined, false, item.span)) ok = false;
        else values.push(n);
      }
      return ok ? values : undefined;
    }
    case "pixels": {
      if (v.kind === "Number" && v.unit === "px") return checkBounds(ctx, what, v.value, t.min, undefined, false, v.span) && integerPixels(ctx, what, v) ? v.value : undefined;
      const n = evaluateNumber(v);
      ctx.report("SEER3001", `${what} is a size in pixels; write it with \`px\``, v.span, { suggestions: n.ok ? [`${n.value}px`] : [] });
      return undefined;
    }
    case "duration":
      return readDuration(ctx, what, v);
    default:
      throw new Error(`internal: readScalar cannot read ${t.type}`);
  }
}

function integerPixels(ctx: CheckContext, what: string, v: A.NumberNode): boolean {
  if (Number.isInteger(v.value)) return true;
  ctx.report("SEER2004", `${what} must be a whole number of pixels`, v.span);
  return false;
}

export function checkBounds(ctx: CheckContext, what: string, n: number, min: number | undefined, max: number | undefined, exclusiveMin: boolean | undefined, span: Span): boolean {
  if (min !== undefined && (exclusiveMin ? n <= min : n < min)) {
    ctx.report("SEER2005", `${what} must be ${exclusiveMin ? "greater than" : "at least"} ${min}, found ${formatNumber(n)}`, span);
    return false;
  }
  if (max !== undefined && n > max) {
    ctx.report("SEER2005", `${what} must be at most ${max}, found ${formatNumber(n)}`, span);
    return false;
  }
  return true;
}

const UNIT_OF: Record<string, WrittenDuration["unit"]> = { step: "steps", steps: "steps", epoch: "epochs", epochs: "epochs", image: "images", images: "images" };

/** `8000 steps`, `2 epochs`, `1B images`, or `1 epoch of imagenet_1k at 4096`. */
export function readDuration(ctx: CheckContext, what: string, v: A.Value): WrittenDuration | undefined {
  if (v.kind === "Number") {
    const unit = v.unit ? UNIT_OF[v.unit] : undefined;
    if (!unit) {
      ctx.report("SEER3001", `${what} is a duration: give it a unit (steps, epochs or images)`, v.span, {
        suggestions: [`${v.text} steps`, `${v.text} epochs`],
      });
      return undefined;
    }
    if (v.value < 0) {
      ctx.report("SEER2005", `${what} cannot be negative`, v.span);
      return undefined;
    }
    return { amount: v.value, unit, of: null };
  }
  // `-5 steps` parses as a negation of the quantity `5 steps`.
  if (v.kind === "Negate" && v.operand.kind === "Number" && v.operand.unit !== null) {
    ctx.report("SEER2005", `${what} cannot be negative`, v.span);
    return undefined;
  }
  if (v.kind === "Phrase") {
    const [amount, ofWord, dataset, atWord, batch] = v.items;
    const okShape = v.items.length === 5 && amount.kind === "Number" && refName(ofWord) === "of" && dataset.kind === "Ref" && refName(atWord) === "at";
    if (okShape && amount.kind === "Number") {
      const unit = amount.unit ? UNIT_OF[amount.unit] : undefined;
      if (unit !== "epochs") {
        ctx.report("SEER3001", `${what}: \`… of DATASET at BATCH\` counts epochs; write \`${amount.text} epoch${amount.value === 1 ? "" : "s"} of …\``, amount.span);
        return undefined;
      }
      const datasetName = refName(dataset)!;
      const known = ctx.knownDatasets[datasetName];
      if (!known) {
        const suggestions = suggestNames(datasetName, Object.keys(ctx.knownDatasets));
        ctx.report("SEER2009", `unknown dataset \`${datasetName}\`.${didYouMean(suggestions)}`, dataset.span, { suggestions, hint: `known datasets: ${Object.keys(ctx.knownDatasets).join(", ")}` });
        return undefined;
      }
      const b = readInt(ctx, batch, `the batch in ${what}`);
      if (b === null) return undefined;
      if (b < 1) {
        ctx.report("SEER2005", `the batch in ${what} must be at least 1`, batch.span);
        return undefined;
      }
      return { amount: amount.value, unit: "epochs", of: { dataset: datasetName, images: known.trainImages, batch: b } };
    }
  }
  ctx.report("SEER2004", `${what} is a duration such as \`500 steps\`, \`2 epochs\`, \`1M images\` or \`1 epoch of imagenet_1k at 4096\`; found ${describeValue(v)}`, v.span);
  return undefined;
}

/**
 * `trunk = regnety { … }`, `trunk = RegNetY_400MF`, `trunk = RegNetY_400MF { rounding = torchvision }`,
 * `head = mlp [trunk.width, 512, 128] { … }`. Presets are ordinary definitions, expanded here.
 */
export function readVariant(ctx: CheckContext, family: string, chosen: Entry | null, nested: Entry[], path: string): Checked | undefined {
  if (!chosen) {
    // With the base experiment unresolved, `path = …` may be written there.
    if (!ctx.baseUnresolved) ctx.report("SEER2006", `\`${path}\` is set only partly; write \`${path} = …\` first`, nested[0]?.path[0].span);
    return undefined;
  }
  const resolved = resolveVariant(ctx, family, chosen.value, chosen.layer, path, []);
  if (!resolved) return undefined;
  const entries = [...resolved.entries, ...nested];
  const out = walkBlock(ctx, resolved.kind, entries, path, chosen.value.span);
  return { kind: resolved.kind, ...out };
}

interface ResolvedVariant {
  kind: string;
  entries: Entry[];
}

function resolveVariant(ctx: CheckContext, family: string, value: A.Value, layer: number, path: string, seen: string[]): ResolvedVariant | null {
  const items = value.kind === "Phrase" ? value.items : [value];
  const head = items[0];
  const name = refName(head);
  const kinds = familyKinds(family);
  if (name === null || head.kind !== "Ref" || head.parts.length !== 1) {
    ctx.report("SEER2004", `\`${path}\` is written \`KIND { … }\` (one of ${kinds.join(", ")}) or a preset name; found ${describeValue(value)}`, value.span);
    return null;
  }
  const rest = items.slice(1);
  let base: ResolvedVariant;
  if (kinds.includes(name)) {
    base = { kind: name, entries: [] };
  } else {
    const def = ctx.definitions.get(name);
    if (!def || def.decl.kind !== "Preset") {
      const presetNames = [...ctx.definitions.values()].filter((d) => d.decl.kind === "Preset").map((d) => d.name);
      const suggestions = suggestNames(name, [...kinds, ...presetNames]);
      const hint = def ? `\`${name}\` is ${def.decl.kind === "Experiment" ? "an experiment" : "a sweep"}, not a ${family}` : `${family} kinds: ${kinds.join(", ")}${presetNames.length ? "; or a preset from an import" : "; presets come from imports such as `import \"regnet\"`"}`;
      ctx.report("SEER2002", `unknown ${family} kind or preset \`${name}\`.${didYouMean(suggestions)}`, head.span, { suggestions, hint });
      return null;
    }
    if (seen.includes(name)) {
      ctx.report("SEER2011", `preset \`${name}\` refers to itself: ${[...seen, name].join(" → ")}`, head.span);
      return null;
    }
    // A preset of another family (`trunk = seer_multicrop`) is the user's mistake, reported at the use, not inside the preset's file.
    const rootKind = seen.length === 0 ? presetRootKind(ctx, name) : null;
    if (rootKind !== null && !kinds.includes(rootKind)) {
      const family = BLOCK_SPECS.get(rootKind)?.family;
      if (family) {
        ctx.report("SEER2002", `\`${name}\` is a preset for \`${family}\` (kind \`${rootKind}\`), not for \`${familyOf(kinds)}\``, head.span, {
          related: [{ span: def.decl.name.span, message: `\`${name}\` is defined here` }],
        });
        return null;
      }
    }
    const inner = resolveVariant(ctx, family, def.decl.value, PRESET_LAYER_BASE + seen.length * -1000, path, [...seen, name]);
    if (!inner) return null;
    if (seen.length === 0) ctx.presets.set(path, name);
    base = inner;
  }
  // Layers inside a preset chain: the outermost preset's own block overrides the inner ones.
  const ownLayer = seen.length === 0 ? layer : PRESET_LAYER_BASE + (1000 - seen.length);
  for (const item of rest) {
    if (item.kind === "Block") base.entries.push(...entriesOf(item, ownLayer));
    else if (item.kind === "List" && base.kind === "mlp") base.entries.push({ path: [{ kind: "Ident", name: "dims", span: item.span }], op: "=", value: item, span: item.span, layer: ownLayer });
    else {
      ctx.report("SEER2004", `unexpected ${describeValue(item)} after \`${name}\`; expected a block \`{ … }\``, item.span);
      return null;
    }
  }
  return base;
}

/** The block kind a chain of presets starts from (`swav_multicrop` → `seer_multicrop` → `multicrop`); null when the chain is broken. */
function presetRootKind(ctx: CheckContext, name: string): string | null {
  const seen = new Set<string>();
  for (let current: string | null = name; current !== null && !seen.has(current); ) {
    seen.add(current);
    const def = ctx.definitions.get(current);
    if (!def || def.decl.kind !== "Preset") return BLOCK_SPECS.has(current) ? current : null;
    const value = def.decl.value;
    current = refName(value.kind === "Phrase" ? value.items[0] : value);
  }
  return null;
}

function familyOf(kinds: readonly string[]): string {
  return BLOCK_SPECS.get(kinds[0])?.family ?? kinds.join(" or ");
}
