import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs, UsageError } from "./args.js";
import { HELP_FLAG, type Command } from "./command.js";
import { out } from "./io.js";
import { effectiveStatus, readLastJsonLine, type MetricRow } from "./report.js";
import type { RunSummary } from "./run-dir.js";

export interface RunListing {
  /** The run directory, relative to the listed root. */
  name: string;
  dir: string;
  experiment: string | null;
  status: ReturnType<typeof effectiveStatus>;
  steps: number;
  totalSteps: number | null;
  lastLoss: number | null;
  hash: string | null;
  started: string | null;
}

function isRunDirectory(dir: string): boolean {
  return existsSync(join(dir, "summary.json")) || existsSync(join(dir, "ir.json"));
}

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir)
      .map((name) => join(dir, name))
      .filter((path) => {
        try {
          return statSync(path).isDirectory();
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/**
 * The run directories under `root`, oldest first: those directly inside it and, one level down,
 * those grouped in a folder (a sweep's trials).
 */
export function listRuns(root: string): RunListing[] {
  const dirs: string[] = [];
  for (const dir of subdirectories(root)) {
    if (isRunDirectory(dir)) dirs.push(dir);
    else for (const inner of subdirectories(dir)) if (isRunDirectory(inner)) dirs.push(inner);
  }
  const runs = dirs.map((dir) => describeRun(root, dir));
  return runs.sort((a, b) => (a.started ?? "").localeCompare(b.started ?? "") || a.name.localeCompare(b.name));
}

export function describeRun(root: string, dir: string): RunListing {
  let summary: RunSummary | null = null;
  try {
    summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
  } catch {
    summary = null;
  }
  let hash = summary?.hash ?? null;
  let experiment = summary?.experiment ?? null;
  let totalSteps = summary?.total_steps ?? null;
  if (!summary) {
    try {
      const ir = JSON.parse(readFileSync(join(dir, "ir.json"), "utf8")) as { name?: string; hash?: string; train?: { total_steps?: number | null } };
      hash = ir.hash ?? null;
      experiment = ir.name ?? null;
      totalSteps = ir.train?.total_steps ?? null;
    } catch {
      // Neither file readable: listed with what the directory name says.
    }
  }
  // summary.json is rewritten at checkpoints and at the end; metrics.jsonl has every step so far.
  const last = readLastJsonLine<MetricRow>(join(dir, "metrics.jsonl"));
  const ended = summary !== null && summary.status !== "running";
  return {
    name: relative(root, dir) || dir,
    dir,
    experiment,
    status: effectiveStatus(summary),
    steps: ended ? summary!.steps : Math.max(summary?.steps ?? 0, last?.step ?? 0),
    totalSteps,
    lastLoss: ended ? summary!.final_loss : last?.loss ?? summary?.final_loss ?? null,
    hash,
    started: summary?.started ?? null,
  };
}

/** "2026-11-29 17:00Z": minutes are enough to tell runs apart, and UTC reads the same on every machine. */
function shortTime(iso: string | null): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 16).replace("T", " ") + "Z";
}

export function formatRunsTable(runs: readonly RunListing[]): string {
  const header = ["RUN", "STATUS", "STEPS", "LOSS", "HASH", "STARTED"];
  const rows = runs.map((r) => [
    r.name,
    r.status,
    `${r.steps}${r.totalSteps !== null ? `/${r.totalSteps}` : ""}`,
    r.lastLoss !== null && Number.isFinite(r.lastLoss) ? r.lastLoss.toFixed(4) : "—",
    r.hash ? r.hash.slice(0, 8) : "—",
    shortTime(r.started),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const right = new Set([2, 3]);
  return all.map((row) => row.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd()).join("\n");
}

export const runsCommand: Command = {
  name: "runs",
  summary: "list the run directories (default ./runs) with status, steps, last loss, IR hash and start time",
  usage: "seerc runs [DIR] [--json]",
  flags: [{ name: "json", doc: "print the list as JSON" }, HELP_FLAG],
  examples: ["seerc runs", "seerc runs /data/seer-runs --json"],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.positionals.length > 1) throw new UsageError("seerc runs takes at most one directory; see `seerc runs --help`");
    const root = args.positionals[0] ?? "runs";
    if (!existsSync(root)) {
      if (args.positionals[0] !== undefined) throw new UsageError(`${root} does not exist`);
      out("no runs yet (seerc run puts them in ./runs unless --runs says otherwise)");
      return 0;
    }
    const runs = listRuns(root);
    if (args.flags.has("json")) out(JSON.stringify(runs, null, 2));
    else if (runs.length === 0) out(`no runs in ${root}`);
    else out(formatRunsTable(runs));
    return 0;
  },
};
