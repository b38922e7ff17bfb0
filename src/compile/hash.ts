import { createHash } from "node:crypto";

/**
 * Canonical JSON: object keys sorted at every depth (integer-like keys, which the IR never has, come
 * first in numeric order, as JavaScript orders them in any object), no whitespace, numbers as
 * JavaScript prints them (shortest round-trip form). Two IRs that mean the same have the same text, whatever the key
 * order or the formatting of the .seer file they came from.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, sortedKeys);
}

// The native serializer with a replacer that hands it each object with its keys in order: every IR of
// a sweep's trials is hashed, and a serializer written out in JavaScript cost several times as much.
function sortedKeys(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) throw new Error("canonicalJson: non-finite number");
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key];
  return sorted;
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
