import type { Severity } from "./types.js";

/**
 * Every diagnostic code seerc can emit, with its default severity and a one-line summary.
 * Codes are stable: tests, CI annotations and users' suppressions refer to them.
 * Ranges: 1xxx syntax and files, 2xxx names and types, 3xxx units, durations and schedules,
 * 4xxx shapes and derivations, 5xxx sweeps, 6xxx targets and backends, 7xxx runtime and data.
 */
export const CATALOG = {
  // 1xxx — syntax, files, imports
  SEER1001: { severity: "error", summary: "unexpected character" },
  SEER1002: { severity: "error", summary: "syntax error" },
  SEER1003: { severity: "error", summary: "`:` used where `=` assigns a field" },
  SEER1004: { severity: "error", summary: "unterminated string or comment" },
  SEER1005: { severity: "error", summary: "invalid number" },
  SEER1010: { severity: "error", summary: "cannot read file" },
  SEER1011: { severity: "error", summary: "imported file not found" },
  SEER1012: { severity: "error", summary: "import cycle" },
  SEER1013: { severity: "error", summary: "duplicate top-level name" },
  SEER1014: { severity: "error", summary: "invalid command-line override" },
  SEER1015: { severity: "error", summary: "file has no experiment" },
  // 2xxx — names and types
  SEER2001: { severity: "error", summary: "unknown field" },
  SEER2002: { severity: "error", summary: "unknown block kind or preset" },
  SEER2003: { severity: "error", summary: "unknown enum value" },
  SEER2004: { severity: "error", summary: "wrong type" },
  SEER2005: { severity: "error", summary: "value out of range" },
  SEER2006: { severity: "error", summary: "missing required field" },
  SEER2007: { severity: "error", summary: "duplicate field" },
  SEER2008: { severity: "error", summary: "conflicting fields" },
  SEER2009: { severity: "error", summary: "unknown reference" },
  SEER2010: { severity: "error", summary: "unknown experiment to extend" },
  SEER2011: { severity: "error", summary: "extends cycle" },
  SEER2012: { severity: "error", summary: "not a constant expression" },
  // 3xxx — units, durations, schedules
  SEER3001: { severity: "error", summary: "wrong or missing unit" },
  SEER3002: { severity: "error", summary: "duration cannot be converted" },
  SEER3003: { severity: "error", summary: "warm-up not shorter than the run" },
  SEER3004: { severity: "error", summary: "schedule pieces are not continuous" },
  SEER3005: { severity: "error", summary: "negative learning rate" },
  SEER3006: { severity: "error", summary: "schedule does not cover the run" },
  SEER3007: { severity: "error", summary: "global batch disagrees with per-device batch" },
  SEER3008: { severity: "error", summary: "point outside the run" },
  SEER3009: { severity: "error", summary: "queue length not a multiple of the global batch" },
  SEER3010: { severity: "error", summary: "malformed schedule" },
  SEER3011: { severity: "info", summary: "length known only at run time" },
  // 4xxx — shapes and derivations
  SEER4001: { severity: "error", summary: "invalid RegNet parameters" },
  SEER4002: { severity: "error", summary: "head input width differs from the trunk width" },
  SEER4003: { severity: "warning", summary: "crop size not a multiple of the trunk stride" },
  SEER4004: { severity: "error", summary: "invalid crop scale range" },
  SEER4005: { severity: "error", summary: "assign_crops index out of range" },
  SEER4006: { severity: "warning", summary: "assign_crops points at a small crop" },
  SEER4007: { severity: "warning", summary: "more prototypes than features per Sinkhorn call" },
  SEER4008: { severity: "warning", summary: "estimated memory exceeds the device" },
  SEER4009: { severity: "error", summary: "invalid head dimensions" },
  SEER4010: { severity: "error", summary: "invalid Sinkhorn parameters" },
  SEER4011: { severity: "error", summary: "estimated memory exceeds the backend's limit" },
  // 5xxx — sweeps
  SEER5001: { severity: "error", summary: "swept path does not exist" },
  SEER5002: { severity: "error", summary: "swept value does not type-check" },
  SEER5003: { severity: "error", summary: "invalid sweep strategy" },
  SEER5004: { severity: "warning", summary: "duplicate trials" },
  SEER5005: { severity: "error", summary: "invalid sweep axis" },
  // 6xxx — targets and backends
  SEER6001: { severity: "warning", summary: "mixed precision unavailable on this target" },
  SEER6002: { severity: "warning", summary: "synced BatchNorm unavailable on this target" },
  SEER6003: { severity: "warning", summary: "feature not honoured by this target" },
  SEER6004: { severity: "error", summary: "value the target would rewrite" },
  SEER6005: { severity: "error", summary: "field the target cannot express" },
  SEER6006: { severity: "info", summary: "statistics are per micro-batch under gradient accumulation" },
  // 7xxx — runtime and data
  SEER7001: { severity: "error", summary: "data source not found" },
  SEER7002: { severity: "error", summary: "data source has no usable images" },
  SEER7003: { severity: "error", summary: "non-finite loss or gradient" },
  SEER7004: { severity: "error", summary: "checkpoint unreadable" },
  SEER7005: { severity: "error", summary: "resume with a different experiment" },
  SEER7006: { severity: "error", summary: "backend unavailable" },
  SEER7007: { severity: "error", summary: "invalid IR file" },
  SEER7008: { severity: "error", summary: "checkpoint does not match the architecture" },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type DiagnosticCode = keyof typeof CATALOG;
