import type * as A from "../language/ast.js";
import type { Diagnostic, Span } from "../diagnostics/types.js";
import { diagnostic } from "../diagnostics/make.js";
import { evaluateNumber, refName } from "../check/values.js";
import { formatValue } from "../language/format.js";

/** One swept path and the values it takes, each kept as source text so every trial is checked like a hand-written file. */
export interface Axis {
  path: A.Ident[];
  pathText: string;
  span: Span;
  kind: "list" | "range" | "uniform" | "loguniform" | "choice";
  values: A.Value[];
  /** For uniform/loguniform: the bounds. */
  bounds?: [number, number];
  /** For a range with a step: integers stay integers. */
  integer?: boolean;
}

export interface TrialAssignment {
  path: A.Ident[];
  pathText: string;
  value: A.Value;
  text: string;
  axisSpan: Span;
}

export interface Trial {
  index: number;
  assignment: TrialAssignment[];
}

const MAX_RANGE_VALUES = 10_000;

function numberNode(value: number, span: Span): A.NumberNode {
  const text = Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return { kind: "Number", text, value: Number(text), unit: null, span };
}

/** Reads `path in [a, b]`, `path in lo .. hi step s`, `path in uniform(lo, hi)`, `loguniform(lo, hi)`, `choice([…])`. */
export function readAxis(stmt: A.Statement, diagnostics: Diagnostic[]): Axis | null {
  const pathText = stmt.path.map((p) => p.name).join(".");
  const v = stmt.value;
  const base = { path: stmt.path, pathText, span: stmt.span };
  if (v.kind === "List") {
    if (v.items.length === 0) {
      diagnostics.push(diagnostic("SEER5005", `the axis \`${pathText}\` has no values`, v.span));
      return null;
    }
    return { ...base, kind: "list", values: v.items };
  }
  if (v.kind === "Call" && (v.callee.name === "uniform" || v.callee.name === "loguniform")) {
    const [lo, hi] = v.args.map((a) => evaluateNumber(a));
    if (v.args.length !== 2 || !lo?.ok || !hi?.ok || lo.value >= hi.value || (v.callee.name === "loguniform" && lo.value <= 0)) {
      diagnostics.push(diagnostic("SEER5005", `\`${v.callee.name}(low, high)\` needs two numbers with low < high${v.callee.name === "loguniform" ? " and low > 0" : ""}`, v.span));
      return null;
    }
    return { ...base, kind: v.callee.name, values: [], bounds: [lo.value, hi.value] };
  }
  if (v.kind === "Call" && v.callee.name === "choice") {
    const list = v.args[0];
    if (v.args.length !== 1 || list.kind !== "List" || list.items.length === 0) {
      diagnostics.push(diagnostic("SEER5005", "`choice([…])` takes one non-empty list", v.span));
      return null;
    }
    return { ...base, kind: "choice", values: list.items };
  }
  const items = v.kind === "Phrase" ? v.items : [v];
  if (items[0].kind === "Range") {
    const range = items[0];
    const lo = evaluateNumber(range.low);
    let hi = evaluateNumber(range.high);
    let step: number | null = null;
    const high = range.high;
    if (items.length === 2 && high.kind === "Number" && (high.unit === "step" || high.unit === "steps")) {
      // `0.05 .. 0.2 step 0.05` lexes `0.2 step` as a quantity in steps: here `step` is the keyword.
      hi = { ok: true, value: high.value };
      const s = evaluateNumber(items[1]);
      step = s.ok ? s.value : null;
    } else if (items.length === 3 && refName(items[1]) === "step") {
      const s = evaluateNumber(items[2]);
      step = s.ok ? s.value : null;
    }
    if (!lo.ok || !hi.ok || step === null || step <= 0 || lo.value > hi.value) {
      diagnostics.push(diagnostic("SEER5005", "a numeric axis is written `low .. high step s` with low <= high and s > 0", v.span, { suggestions: ["0.1 .. 0.5 step 0.1"] }));
      return null;
    }
    const count = Math.floor((hi.value - lo.value) / step + 1e-9) + 1;
    if (count > MAX_RANGE_VALUES) {
      diagnostics.push(diagnostic("SEER5005", `this axis has ${count.toLocaleString("en-US")} values; use a larger step`, v.span));
      return null;
    }
    const integer = [lo.value, hi.value, step].every(Number.isInteger);
    const values = Array.from({ length: count }, (_, i) => numberNode(lo.value + i * step!, range.span));
    return { ...base, kind: "range", values, integer };
  }
  diagnostics.push(diagnostic("SEER5005", `the axis \`${pathText}\` takes a list \`[a, b]\`, a range \`low .. high step s\`, \`uniform(a, b)\`, \`loguniform(a, b)\` or \`choice([…])\``, v.span));
  return null;
}

/** A small deterministic generator (mulberry32) so random search is reproducible from the sweep's seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assign(axis: Axis, value: A.Value): TrialAssignment {
  return { path: axis.path, pathText: axis.pathText, value, text: formatValue(value), axisSpan: value.span };
}

/** Every combination of the axes' values (in the order the axes are written, last axis fastest). */
export function expandGrid(axes: readonly Axis[]): Trial[] {
  let combos: TrialAssignment[][] = [[]];
  for (const axis of axes) {
    if (axis.kind === "uniform" || axis.kind === "loguniform") continue;
    combos = combos.flatMap((c) => axis.values.map((v) => [...c, assign(axis, v)]));
  }
  return combos.map((assignment, index) => ({ index, assignment }));
}

/** `n` samples: lists and choices pick uniformly, uniform/loguniform draw from their bounds. */
export function expandRandom(axes: readonly Axis[], n: number, seed: number): Trial[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, index) => ({
    index,
    assignment: axes.map((axis) => {
      if (axis.kind === "uniform" || axis.kind === "loguniform") {
        const [lo, hi] = axis.bounds!;
        const u = rand();
        const value = axis.kind === "uniform" ? lo + u * (hi - lo) : Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo)));
        return assign(axis, numberNode(value, axis.span));
      }
      return assign(axis, axis.values[Math.floor(rand() * axis.values.length)]);
    }),
  }));
}

export function describeAssignment(a: readonly TrialAssignment[]): string {
  return a.map((x) => `${x.pathText}=${x.text}`).join(", ");
}
