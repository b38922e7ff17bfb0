import { createHash } from "node:crypto";

/**
 * Canonical JSON: object keys sorted at every depth, no whitespace, numbers as JavaScript prints
 * them (shortest round-trip form). Two IRs that mean the same have the same text, whatever the key
 * order or the formatting of the .seer file they came from.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error("canonicalJson: non-finite number");
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * sha256 of the canonical JSON, hex. Neither the `hash` field itself nor `sources` (where the files
 * happen to live) is part of what is hashed: the same experiment has the same hash in any checkout.
 */
export function canonicalHash(value: Record<string, unknown>): string {
  const { hash: _hash, sources: _sources, ...rest } = value;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

/** Pretty JSON with keys in canonical order, for files people read (ir.json). */
export function canonicalPretty(value: unknown): string {
  return JSON.stringify(JSON.parse(canonicalJson(value)), null, 2) + "\n";
}
