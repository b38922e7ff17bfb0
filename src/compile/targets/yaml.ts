// A small YAML writer for configuration files that Python reads back: PyYAML (YAML 1.1, what Hydra and
// OmegaConf use) and YAML 1.2 parsers must both read every scalar as the type it was written as, and
// every number as the same double. Key order is insertion order, so output is stable.

/** A number that must be read back as a float even when it is whole (`1.0`, not `1`). */
export class YamlFloat {
  constructor(readonly value: number) {}
}

/** A list or mapping written on one line, `[a, b]` / `{"k": v}`, as VISSL's own configs write head params. */
export class YamlFlow {
  constructor(readonly value: YamlValue) {}
}

export type YamlScalar = null | boolean | number | string | YamlFloat;
export type YamlValue = YamlScalar | YamlFlow | YamlValue[] | { [key: string]: YamlValue };

export const float = (value: number): YamlFloat => new YamlFloat(value);
export const flow = (value: YamlValue): YamlFlow => new YamlFlow(value);

/**
 * The shortest text that reads back as exactly `value` (JavaScript's and Python's shortest round-trip
 * representations agree), with a decimal point and a signed exponent so YAML 1.1 resolves it as a
 * float: `1e-5` is a string to PyYAML, `1.0e-5` is a float to both.
 */
export function formatFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`yaml: cannot write the non-finite number ${value}`);
  const text = String(value);
  const exponent = text.indexOf("e");
  if (exponent < 0) return text.includes(".") ? text : `${text}.0`;
  const mantissa = text.slice(0, exponent);
  return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}${text.slice(exponent)}`;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) throw new Error(`yaml: ${value} is too large to write as an exact integer`);
    return String(value);
  }
  return formatFloat(value);
}

// Words some YAML version reads as something other than a string.
const SPECIAL_WORDS = /^(?:y|n|yes|no|on|off|true|false|null|~|nan|inf)$/i;
const PLAIN_STRING = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function formatString(value: string): string {
  if (PLAIN_STRING.test(value) && !SPECIAL_WORDS.test(value)) return value;
  // A JSON string is a valid YAML double-quoted scalar with the same escapes.
  return JSON.stringify(value);
}

function formatScalar(value: YamlScalar): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return formatString(value);
  return formatFloat(value.value);
}

function isScalar(value: YamlValue): value is YamlScalar {
  return value === null || typeof value !== "object" || value instanceof YamlFloat;
}

function isMapping(value: YamlValue): value is { [key: string]: YamlValue } {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof YamlFloat) && !(value instanceof YamlFlow);
}

function formatKey(key: string): string {
  if (key.length === 0) throw new Error("yaml: empty key");
  return formatString(key);
}

function formatFlow(value: YamlValue): string {
  if (value instanceof YamlFlow) return formatFlow(value.value);
  if (isScalar(value)) return formatScalar(value);
  if (Array.isArray(value)) return `[${value.map(formatFlow).join(", ")}]`;
  // Keys quoted so the flow mapping is also valid JSON-style, as in VISSL's configs.
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${formatFlow(v)}`).join(", ")}}`;
}

/** Lists of scalars (or of lists of scalars) read best on one line. */
function fitsOnOneLine(value: YamlValue[]): boolean {
  return value.every((item) => isScalar(item) || (Array.isArray(item) && fitsOnOneLine(item)));
}

function renderMapping(mapping: { [key: string]: YamlValue }, indent: string, lines: string[]): void {
  for (const [key, value] of Object.entries(mapping)) {
    const head = `${indent}${formatKey(key)}:`;
    if (isScalar(value) || value instanceof YamlFlow) {
      lines.push(`${head} ${isScalar(value) ? formatScalar(value) : formatFlow(value)}`);
    } else if (Array.isArray(value)) {
      if (value.length === 0 || fitsOnOneLine(value)) lines.push(`${head} ${formatFlow(value)}`);
      else {
        lines.push(head);
        renderSequence(value, indent + "  ", lines);
      }
    } else if (Object.keys(value).length === 0) {
      lines.push(`${head} {}`);
    } else {
      lines.push(head);
      renderMapping(value, indent + "  ", lines);
    }
  }
}

function renderSequence(items: YamlValue[], indent: string, lines: string[]): void {
  for (const item of items) {
    if (isMapping(item) && Object.keys(item).length > 0) {
      // The first key shares the dash's line; the rest align under it.
      const nested: string[] = [];
      renderMapping(item, indent + "  ", nested);
      lines.push(`${indent}- ${nested[0].slice(indent.length + 2)}`, ...nested.slice(1));
    } else if (isScalar(item)) {
      lines.push(`${indent}- ${formatScalar(item)}`);
    } else {
      lines.push(`${indent}- ${formatFlow(item)}`);
    }
  }
}

/** Block-style YAML of a mapping, one line per key, ending with a newline. */
export function renderYaml(root: { [key: string]: YamlValue }): string {
  const lines: string[] = [];
  renderMapping(root, "", lines);
  return lines.join("\n") + "\n";
}
