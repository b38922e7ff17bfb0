import type * as A from "../language/ast.js";
import type { CheckContext } from "./context.js";

/** What a value looks like, in the user's words, for "expected a number, found a list". */
export function describeValue(v: A.Value): string {
  switch (v.kind) {
    case "Number":
      return v.unit ? `the quantity \`${v.text} ${v.unit}\`` : `the number \`${v.text}\``;
    case "String":
      return "a string";
    case "Bool":
      return `\`${v.value}\``;
    case "Ref":
      return `the name \`${v.parts.map((p) => p.name).join(".")}\``;
    case "Member":
      return "a member reference";
    case "Call":
      return `a call to \`${v.callee.name}(…)\``;
    case "List":
      return "a list";
    case "Block":
      return "a block `{ … }`";
    case "Phrase":
      return v.items[0].kind === "Ref" ? `\`${v.items[0].parts.map((p) => p.name).join(".")} …\`` : "a phrase";
    case "Range":
      return "a range `a .. b`";
    case "Arrow":
      return "`a -> b`";
    case "Cross":
      return "`a x b`";
    case "Per":
      return `\`… per ${v.unit.name}\``;
    case "Binary":
    case "Negate":
    case "Paren":
      return "an expression";
    case "Multiplier":
      return "a factor `x…`";
    case "Chain":
      return "a chained schedule";
  }
}

export type NumericResult = { ok: true; value: number } | { ok: false; reason: string };

/**
 * Evaluates a constant arithmetic expression without units: `16 * 512`, `1e-5`, `(2 + 4) * 8`, `16k`.
 * Quantities with units are not plain numbers; the caller decides what they mean.
 */
export function evaluateNumber(v: A.Value): NumericResult {
  switch (v.kind) {
    case "Number":
      return v.unit === null ? { ok: true, value: v.value } : { ok: false, reason: `\`${v.text} ${v.unit}\` has a unit where a plain number is expected` };
    case "Paren":
      return evaluateNumber(v.inner);
    case "Negate": {
      const inner = evaluateNumber(v.operand);
      return inner.ok ? { ok: true, value: -inner.value } : inner;
    }
    case "Binary": {
      const l = evaluateNumber(v.left);
      if (!l.ok) return l;
      const r = evaluateNumber(v.right);
      if (!r.ok) return r;
      if (v.op === "/" && r.value === 0) return { ok: false, reason: "division by zero" };
      const value = v.op === "+" ? l.value + r.value : v.op === "-" ? l.value - r.value : v.op === "*" ? l.value * r.value : l.value / r.value;
      return { ok: true, value };
    }
    default:
      return { ok: false, reason: `expected a number, found ${describeValue(v)}` };
  }
}

/** Reads a number, reporting SEER2004 at the value when it is not one. */
export function readNumber(ctx: CheckContext, v: A.Value, what: string): number | null {
  const r = evaluateNumber(v);
  if (r.ok) {
    if (!Number.isFinite(r.value)) {
      ctx.report("SEER2005", `${what} is not a finite number`, v.span);
      return null;
    }
    return r.value;
  }
  ctx.report("SEER2004", `${what}: ${r.reason}`, v.span);
  return null;
}

export function readInt(ctx: CheckContext, v: A.Value, what: string): number | null {
  const n = readNumber(ctx, v, what);
  if (n === null) return null;
  if (!Number.isInteger(n)) {
    ctx.report("SEER2004", `${what} must be a whole number, found ${n}`, v.span, { suggestions: [String(Math.round(n))] });
    return null;
  }
  return n;
}

export function refName(v: A.Value): string | null {
  return v.kind === "Ref" ? v.parts.map((p) => p.name).join(".") : null;
}

/** Splits a phrase or single value into its items. */
export function phraseItems(v: A.Value): A.Value[] {
  return v.kind === "Phrase" ? v.items : [v];
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return String(Number(n.toPrecision(6)));
}
