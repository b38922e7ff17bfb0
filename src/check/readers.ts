import { isAbsolute, resolve } from "node:path";
import type * as A from "../language/ast.js";
import { formatValue } from "../language/format.js";
import { didYouMean, suggestNames } from "../diagnostics/did-you-mean.js";
import { EVALUATION_KINDS, type FieldSpec } from "./registry.js";
import type { CheckContext } from "./context.js";
import { describeValue, readInt, readNumber, refName } from "./values.js";
import { entriesOf, readDuration, walkBlock } from "./walker.js";
import type { WrittenDuration, WrittenPiece } from "../compile/schedule.js";

/** Values with a grammar of their own: data sources, batches, schedules, crops, head dims, … */
export function readCustom(ctx: CheckContext, field: FieldSpec, v: A.Value, path: string): unknown {
  if (field.type.type !== "custom") throw new Error("internal: readCustom on a non-custom field");
  switch (field.type.reader) {
    case "source":
      return readSource(ctx, v, path);
    case "batch":
      return readBatch(ctx, v);
    case "schedule":
      return readSchedule(ctx, v);
    case "crop":
      return readCrop(ctx, v);
    case "dims":
      return readDims(ctx, v);
    case "sync_batchnorm":
      return readSyncBatchnorm(ctx, v);
    case "evaluate":
      return readEvaluate(ctx, v, path);
    case "dataset":
      return readGlobs(ctx, v, field.name);
    case "metric":
      return readMetric(ctx, v);
    case "strategy":
      return readStrategy(ctx, v);
    case "queue":
      throw new Error("internal: queue is a block");
  }
}

export const SOURCE_FUNCTIONS = ["folder", "image_folder", "idx", "list", "synthetic"] as const;

export type WrittenSource =
  | { kind: "folder" | "image_folder" | "idx"; path: string; written: string }
  | { kind: "list"; file: string; written: string }
  | { kind: "synthetic" }
  | { kind: "named"; name: string };

function readSource(ctx: CheckContext, v: A.Value, path: string): WrittenSource | undefined {
  if (v.kind === "Ref" && v.parts.length === 1) {
    const name = v.parts[0].name;
    if (ctx.knownDatasets[name]) return { kind: "named", name };
    const suggestions = suggestNames(name, [...Object.keys(ctx.knownDatasets), ...SOURCE_FUNCTIONS]);
    ctx.report("SEER2009", `unknown dataset \`${name}\`.${didYouMean(suggestions)}`, v.span, {
      suggestions,
      hint: `write a source such as folder("path"), or a known dataset: ${Object.keys(ctx.knownDatasets).join(", ")}`,
    });
    return undefined;
  }
  if (v.kind !== "Call") {
    ctx.report("SEER2004", `\`${path}\` is a data source such as \`folder("images/")\`, \`idx("…")\` or \`synthetic()\`; found ${describeValue(v)}`, v.span);
    return undefined;
  }
  const fn = v.callee.name;
  if (!(SOURCE_FUNCTIONS as readonly string[]).includes(fn)) {
    const suggestions = suggestNames(fn, SOURCE_FUNCTIONS);
    ctx.report("SEER2002", `unknown data source \`${fn}(…)\`.${didYouMean(suggestions)}`, v.callee.span, { suggestions, hint: `sources: ${SOURCE_FUNCTIONS.join(", ")}` });
    return undefined;
  }
  if (fn === "synthetic") {
    if (v.args.length > 0) {
      ctx.report("SEER2004", "`synthetic()` takes no arguments; set `images`, `classes` and `image_size` in the data block", v.args[0].span);
      return undefined;
    }
    return { kind: "synthetic" };
  }
  if (v.args.length !== 1 || v.args[0].kind !== "String") {
    ctx.report("SEER2004", `\`${fn}(…)\` takes one path in double quotes`, v.span, { suggestions: [`${fn}("path")`] });
    return undefined;
  }
  const written = v.args[0].value;
  const abs = isAbsolute(written) ? written : resolve(ctx.baseDir, written);
  if (fn === "list") return { kind: "list", file: abs, written };
  return { kind: fn as "folder" | "image_folder" | "idx", path: abs, written };
}

export interface WrittenBatch {
  perDevice: number;
  devices: number;
  /** True for `16 per device x 512 devices`, false for a bare global batch. */
  perDeviceForm: boolean;
}

/** `16 per device x 512 devices`, `16 per device` (one device), or a bare global batch `256`. */
function readBatch(ctx: CheckContext, v: A.Value): WrittenBatch | undefined {
  const form = "write `B per device x D devices` or a global batch `B`";
  if (v.kind === "Cross" && v.left.kind === "Per") {
    const per = readPerDevice(ctx, v.left);
    if (per === null) return undefined;
    const right = v.right;
    if (right.kind !== "Number" || (right.unit !== "devices" && right.unit !== "device")) {
      ctx.report("SEER3001", `the number of devices is written \`N devices\`; ${form}`, right.span);
      return undefined;
    }
    if (!Number.isInteger(right.value) || right.value < 1) {
      ctx.report("SEER2005", "the number of devices must be a whole number of at least 1", right.span);
      return undefined;
    }
    return { perDevice: per, devices: right.value, perDeviceForm: true };
  }
  if (v.kind === "Per") {
    const per = readPerDevice(ctx, v);
    return per === null ? undefined : { perDevice: per, devices: 1, perDeviceForm: true };
  }
  if (v.kind === "Number" && v.unit !== null && v.unit !== "images") {
    ctx.report("SEER3001", `a batch counts images, not \`${v.unit}\`; ${form}`, v.span);
    return undefined;
  }
  const n = v.kind === "Number" ? v.value : readInt(ctx, v, "`batch`");
  if (n === null) return undefined;
  if (!Number.isInteger(n) || n < 1) {
    ctx.report("SEER2005", `\`batch\` must be a whole number of at least 1, found ${n}`, v.span);
    return undefined;
  }
  return { perDevice: n, devices: 1, perDeviceForm: false };
}

function readPerDevice(ctx: CheckContext, v: A.PerNode): number | null {
  if (v.unit.name !== "device") {
    ctx.report("SEER3001", `write \`per device\`, not \`per ${v.unit.name}\``, v.unit.span, { suggestions: ["per device"] });
    return null;
  }
  const n = readInt(ctx, v.value, "the batch per device");
  if (n === null) return null;
  if (n < 1) {
    ctx.report("SEER2005", "the batch per device must be at least 1", v.value.span);
    return null;
  }
  return n;
}

export interface WrittenSchedule {
  written: string;
  pieces: WrittenPiece[];
}

const SCHEDULE_FORMS = [
  "`constant 0.1`",
  "`warmup linear 0.15 -> 9.6 over 8000 steps`",
  "`cosine -> 0.0096`",
  "`step 0.1, x0.1 at 30 epochs`",
];
const SCHEDULE_WORDS = ["constant", "linear", "warmup", "cosine", "step", "restart"];

/** `warmup linear 0.15 -> 9.6 over 8000 steps, then cosine -> 0.0096`, `step 0.0125, x0.1 at 30 epochs`, `0.1`. */
export function readSchedule(ctx: CheckContext, v: A.Value, seen: string[] = []): WrittenSchedule | undefined {
  const presetName = v.kind === "Ref" && v.parts.length === 1 ? v.parts[0].name : null;
  if (presetName && !SCHEDULE_WORDS.includes(presetName)) {
    const def = ctx.definitions.get(presetName);
    if (!def || def.decl.kind !== "Preset" || seen.includes(presetName)) {
      const presets = [...ctx.definitions.values()].filter((d) => d.decl.kind === "Preset").map((d) => d.name);
      const suggestions = suggestNames(presetName, [...presets, ...SCHEDULE_WORDS]);
      ctx.report("SEER2002", `unknown schedule or preset \`${presetName}\`.${didYouMean(suggestions)}`, v.span, {
        suggestions,
        hint: `a schedule is written like ${SCHEDULE_FORMS.join(" or ")}`,
      });
      return undefined;
    }
    return readSchedule(ctx, def.decl.value, [...seen, presetName]);
  }
  const parts = v.kind === "Chain" ? v.parts : [v];
  const pieces: WrittenPiece[] = [];
  let ok = true;
  for (const part of parts) {
    const items = part.kind === "Phrase" ? part.items : [part];
    if (items[0].kind === "Multiplier") {
      const last = pieces[pieces.length - 1];
      const milestone = readMilestone(ctx, items);
      if (!last || last.kind !== "step") {
        ctx.report("SEER3010", "a factor `x… at …` must follow a `step` schedule, as in `step 0.1, x0.1 at 30 epochs`", part.span);
        ok = false;
      } else if (milestone) last.milestones.push(milestone);
      else ok = false;
      continue;
    }
    const piece = readPiece(ctx, items, part);
    if (piece) pieces.push(piece);
    else ok = false;
  }
  return ok ? { written: formatValue(v), pieces } : undefined;
}

function readMilestone(ctx: CheckContext, items: A.Value[]): { factor: number; at: WrittenDuration; span: A.Value["span"] } | null {
  const [mult, atWord, when] = items;
  if (items.length !== 3 || mult.kind !== "Multiplier" || refName(atWord) !== "at") {
    ctx.report("SEER3010", "a step factor is written `x0.1 at 30 epochs`", items[0].span);
    return null;
  }
  const factor = readNumber(ctx, mult.factor, "the step factor");
  const at = readDuration(ctx, "the step point", when);
  if (factor === null || !at) return null;
  if (factor <= 0) {
    ctx.report("SEER3005", "a step factor must be positive", mult.span);
    return null;
  }
  return { factor, at, span: when.span };
}

function readPiece(ctx: CheckContext, items: A.Value[], part: A.Value): WrittenPiece | null {
  let i = 0;
  let restart = false;
  const word = (k: number) => (items[k] ? refName(items[k]) : null);
  if (word(i) === "restart") {
    restart = true;
    i++;
  }
  if (word(i) === "warmup") i++;
  let kind = word(i);
  // `cosine -> 0.0096` parses as the arrow `cosine -> 0.0096`: the piece starts at the previous piece's end.
  let openTo: A.Value | null = null;
  const at = items[i];
  if (kind === null && at?.kind === "Arrow" && at.from.kind === "Ref" && ["linear", "cosine"].includes(refName(at.from) ?? "")) {
    kind = refName(at.from);
    openTo = at.to;
  }
  if (kind === null && items.length === 1) {
    // A bare number is a constant rate.
    const value = readNumber(ctx, items[0], "the learning rate");
    return value === null ? null : { kind: "constant", value, over: null, restart, span: part.span };
  }
  if (kind === null || !["constant", "linear", "cosine", "step"].includes(kind)) {
    const found = kind ?? describeValue(items[i] ?? part);
    const suggestions = kind ? suggestNames(kind, SCHEDULE_WORDS) : [];
    ctx.report("SEER3010", `unknown schedule piece \`${found}\`.${didYouMean(suggestions)}`, (items[i] ?? part).span, {
      suggestions,
      hint: `pieces: ${SCHEDULE_FORMS.join(", ")}, joined with \`, then\``,
    });
    return null;
  }
  i++;
  let over: WrittenDuration | null = null;
  const overAt = items.findIndex((it, k) => k >= i && refName(it) === "over");
  const body = overAt === -1 ? items.slice(i) : items.slice(i, overAt);
  if (overAt !== -1) {
    const d = items[overAt + 1];
    if (!d || items.length > overAt + 2) {
      ctx.report("SEER3010", "`over` is followed by one duration, e.g. `over 8000 steps`", items[overAt].span);
      return null;
    }
    const read = readDuration(ctx, "the piece's length", d);
    if (!read) return null;
    over = read;
  }
  if (kind === "constant" || kind === "step") {
    if (body.length !== 1) {
      ctx.report("SEER3010", `\`${kind}\` takes one learning rate, as in \`${kind} 0.1\``, part.span);
      return null;
    }
    const value = readNumber(ctx, body[0], "the learning rate");
    if (value === null) return null;
    if (kind === "step") {
      if (over) {
        ctx.report("SEER3010", "a `step` schedule runs to the end; remove `over …`", part.span);
        return null;
      }
      return { kind: "step", value, milestones: [], over: null, restart, span: part.span };
    }
    return { kind: "constant", value, over, restart, span: part.span };
  }
  // linear / cosine: `A -> B` or `-> B` (from the previous piece's end), written as an Arrow, or `-> B` alone.
  let from: number | null = null;
  let to: number | null = null;
  if (openTo && body.length === 0) {
    to = readNumber(ctx, openTo, "the end rate");
    if (to === null) return null;
  } else if (!openTo && body.length === 1 && body[0].kind === "Arrow") {
    from = readNumber(ctx, body[0].from, "the start rate");
    to = readNumber(ctx, body[0].to, "the end rate");
    if (from === null || to === null) return null;
  } else {
    ctx.report("SEER3010", `\`${kind}\` is written \`${kind} FROM -> TO\`${kind === "cosine" ? " or `cosine -> TO` (from the previous piece's end)" : ""}`, part.span);
    return null;
  }
  return { kind: kind as "linear" | "cosine", from, to, over, restart, span: part.span };
}

export interface WrittenCrop {
  count: number;
  size: number;
  scale: [number, number];
  ratio: [number, number];
}

/** `crop 2 x 224px scale 0.14 .. 1.0 [ratio 0.75 .. 1.333]` (also `crop 224px …` for one crop). */
function readCrop(ctx: CheckContext, v: A.Value): WrittenCrop | undefined {
  const items = v.kind === "Phrase" ? v.items : [v];
  const form = "write `crop N x SIZEpx scale LOW .. HIGH`";
  let count = 1;
  let sizeNode: A.Value = items[0];
  if (items[0].kind === "Cross") {
    const c = readInt(ctx, items[0].left, "the number of crops");
    if (c === null) return undefined;
    if (c < 1) {
      ctx.report("SEER2005", "the number of crops must be at least 1", items[0].left.span);
      return undefined;
    }
    count = c;
    sizeNode = items[0].right;
  }
  if (sizeNode.kind !== "Number" || sizeNode.unit !== "px") {
    ctx.report("SEER3001", `a crop size is in pixels, e.g. \`224px\`; ${form}`, sizeNode.span);
    return undefined;
  }
  if (!Number.isInteger(sizeNode.value) || sizeNode.value < 8) {
    ctx.report("SEER2005", "a crop size must be a whole number of at least 8px", sizeNode.span);
    return undefined;
  }
  let scale: [number, number] = [0.08, 1];
  let ratio: [number, number] = [3 / 4, 4 / 3];
  for (let i = 1; i < items.length; i += 2) {
    const key = refName(items[i]);
    const val = items[i + 1];
    if ((key !== "scale" && key !== "ratio") || !val) {
      const suggestions = key ? suggestNames(key, ["scale", "ratio"]) : [];
      const what = key && val ? `unknown crop setting \`${key}\`` : `${describeValue(items[i])} where \`scale\` or \`ratio\` belongs in a crop`;
      ctx.report("SEER2001", `${what}.${didYouMean(suggestions)}`, items[i].span, { suggestions, hint: form });
      return undefined;
    }
    if (val.kind !== "Range") {
      ctx.report("SEER2004", `\`${key}\` is a range \`low .. high\`, found ${describeValue(val)}`, val.span);
      return undefined;
    }
    const lo = readNumber(ctx, val.low, `the ${key}'s lower end`);
    const hi = readNumber(ctx, val.high, `the ${key}'s upper end`);
    if (lo === null || hi === null) return undefined;
    if (key === "scale") scale = [lo, hi];
    else ratio = [lo, hi];
  }
  return { count, size: sizeNode.value, scale, ratio };
}

export type WrittenDim = number | { ref: "trunk.width"; span: A.Value["span"] };

function readDims(ctx: CheckContext, v: A.Value): WrittenDim[] | undefined {
  if (v.kind !== "List") {
    ctx.report("SEER2004", `head dimensions are a list, e.g. \`[trunk.width, 2048, 128]\`; found ${describeValue(v)}`, v.span);
    return undefined;
  }
  if (v.items.length < 2) {
    ctx.report("SEER4009", "a head needs at least an input and an output dimension", v.span);
    return undefined;
  }
  const dims: WrittenDim[] = [];
  for (const item of v.items) {
    const name = refName(item);
    if (name !== null) {
      if (name === "trunk.width") dims.push({ ref: "trunk.width", span: item.span });
      else {
        ctx.report("SEER2009", `unknown reference \`${name}\`; the head can refer to \`trunk.width\``, item.span, { suggestions: ["trunk.width"] });
        return undefined;
      }
      continue;
    }
    const n = readInt(ctx, item, "a head dimension");
    if (n === null) return undefined;
    if (n < 1) {
      ctx.report("SEER4009", "head dimensions must be at least 1", item.span);
      return undefined;
    }
    dims.push(n);
  }
  return dims;
}

function readSyncBatchnorm(ctx: CheckContext, v: A.Value): { mode: "none" | "all" | "group"; group_size: number | null } | undefined {
  const name = refName(v);
  if (name === "none" || name === "all") return { mode: name, group_size: null };
  if (v.kind === "Phrase" && refName(v.items[0]) === "group" && v.items.length === 2) {
    const size = readInt(ctx, v.items[1], "the sync group size");
    if (size === null) return undefined;
    if (size < 2) {
      ctx.report("SEER2005", "a sync group needs at least 2 devices", v.items[1].span);
      return undefined;
    }
    return { mode: "group", group_size: size };
  }
  const suggestions = name ? suggestNames(name, ["none", "all", "group"]) : [];
  ctx.report("SEER2003", `\`sync_batchnorm\` is \`none\`, \`all\` or \`group N\`.${didYouMean(suggestions)}`, v.span, { suggestions });
  return undefined;
}

function readEvaluate(ctx: CheckContext, v: A.Value, path: string): Record<string, unknown> | undefined {
  const items = v.kind === "Phrase" ? v.items : [v];
  const kind = refName(items[0]);
  if (kind === null || !(EVALUATION_KINDS as readonly string[]).includes(kind)) {
    const suggestions = kind ? suggestNames(kind, EVALUATION_KINDS) : [];
    ctx.report("SEER2002", `unknown evaluation protocol${kind ? ` \`${kind}\`` : ""}.${didYouMean(suggestions)}`, items[0].span, {
      suggestions,
      hint: `write \`evaluate KIND { … }\` with KIND one of ${EVALUATION_KINDS.join(", ")}`,
    });
    return undefined;
  }
  const block = items[1];
  if (items.length > 2 || (block && block.kind !== "Block")) {
    ctx.report("SEER2004", `write \`evaluate ${kind} { … }\``, (block ?? v).span);
    return undefined;
  }
  const entries = block && block.kind === "Block" ? entriesOf(block, 0) : [];
  return { kind, ...walkBlock(ctx, `eval_${kind}`, entries, path, v.span) };
}

function readGlobs(ctx: CheckContext, v: A.Value, name: string): string[] | undefined {
  const items = v.kind === "List" ? v.items : [v];
  const out: string[] = [];
  for (const item of items) {
    if (item.kind !== "String") {
      ctx.report("SEER2004", `\`${name}\` takes glob patterns in double quotes, e.g. \`["**/*.jpg"]\``, item.span);
      return undefined;
    }
    out.push(item.value);
  }
  return out;
}

function readMetric(ctx: CheckContext, v: A.Value): { path: string; goal: "maximize" | "minimize" } | undefined {
  const items = v.kind === "Phrase" ? v.items : [v];
  const path = refName(items[0]);
  const goal = items[1] ? refName(items[1]) : "maximize";
  if (path === null || items.length > 2 || (goal !== "maximize" && goal !== "minimize")) {
    ctx.report("SEER2004", "`metric` is written `PATH maximize` or `PATH minimize`, e.g. `evaluate.knn.top1 maximize`", v.span);
    return undefined;
  }
  return { path, goal };
}

function readStrategy(ctx: CheckContext, v: A.Value): { kind: "grid" } | { kind: "random"; trials: number } | undefined {
  if (refName(v) === "grid") return { kind: "grid" };
  if (v.kind === "Phrase" && refName(v.items[0]) === "random" && v.items.length === 2) {
    const n = readInt(ctx, v.items[1], "the number of random trials");
    if (n === null) return undefined;
    if (n < 1) {
      ctx.report("SEER5003", "random search needs at least one trial", v.items[1].span);
      return undefined;
    }
    return { kind: "random", trials: n };
  }
  const name = refName(v.kind === "Phrase" ? v.items[0] : v);
  const suggestions = name ? suggestNames(name, ["grid", "random"]) : [];
  ctx.report("SEER5003", `\`strategy\` is \`grid\` or \`random N\`.${didYouMean(suggestions)}`, v.span, { suggestions });
  return undefined;
}
