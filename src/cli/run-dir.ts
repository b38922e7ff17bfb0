import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import type { ExperimentIR } from "../compile/ir.js";
import { canonicalPretty } from "../compile/hash.js";
import type { RunEvent } from "../runtime/train/events.js";
import { writeAtomically } from "./compile.js";

/**
 * The run directory every run leaves behind: runs/<experiment>-<hash8>-<time>/ with the source
 * .seer files as written, ir.json, metrics.jsonl (one line per step), events.jsonl (every event),
 * checkpoints/, skipped-files.txt and summary.json. Everything needed to reproduce or resume the run.
 */
export interface RunSummary {
  experiment: string;
  hash: string;
  status: "running" | "completed" | "stopped" | "failed";
  started: string;
  ended: string | null;
  steps: number;
  total_steps: number | null;
  final_loss: number | null;
  wall_seconds: number | null;
  backend: string | null;
  backend_reason: string | null;
  evaluations: Record<string, Record<string, number>>;
  skipped_files: number;
  error: string | null;
  /** The process that wrote the run and its machine: `seerc runs` tells a killed run ("running", process gone) from a live one. */
  pid: number | null;
  host: string | null;
}

export function newRunDir(root: string, ir: ExperimentIR, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-");
  let dir = join(root, `${ir.name}-${ir.hash.slice(0, 8)}-${stamp}`);
  for (let i = 2; existsSync(dir); i++) dir = join(root, `${ir.name}-${ir.hash.slice(0, 8)}-${stamp}-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Copies the experiment's source files (entry and imports) under sources/, keeping their relative layout. */
export function saveSources(dir: string, files: readonly string[]): void {
  const target = join(dir, "sources");
  mkdirSync(target, { recursive: true });
  const base = files.length > 0 ? resolve(files[0], "..") : process.cwd();
  for (const file of files) {
    if (!existsSync(file)) continue;
    const rel = relative(base, file);
    const dest = rel.startsWith("..") ? join(target, "imports", basename(file)) : join(target, rel);
    mkdirSync(resolve(dest, ".."), { recursive: true });
    copyFileSync(file, dest);
  }
}

export class RunRecorder {
  private summary: RunSummary;
  private skipped = new Set<string>();

  constructor(readonly dir: string, ir: ExperimentIR, resumed: boolean) {
    if (!resumed || !existsSync(join(dir, "ir.json"))) writeAtomically(join(dir, "ir.json"), canonicalPretty(ir));
    const previous = resumed ? readSummary(dir) : null;
    this.summary = {
      experiment: ir.name,
      hash: ir.hash,
      status: "running",
      started: previous?.started ?? new Date().toISOString(),
      ended: null,
      steps: previous?.steps ?? 0,
      total_steps: ir.train.total_steps,
      final_loss: previous?.final_loss ?? null,
      wall_seconds: null,
      backend: null,
      backend_reason: null,
      evaluations: previous?.evaluations ?? {},
      skipped_files: previous?.skipped_files ?? 0,
      error: null,
      pid: process.pid,
      host: hostname(),
    };
    this.writeSummary();
  }

  record(event: RunEvent): void {
    appendFileSync(join(this.dir, "events.jsonl"), JSON.stringify(event) + "\n");
    switch (event.type) {
      case "run_start":
        this.summary.backend = event.backend.name;
        this.summary.backend_reason = event.backend.reason;
        this.summary.total_steps = event.totalSteps;
        this.writeSummary();
        break;
      case "step":
        appendFileSync(
          join(this.dir, "metrics.jsonl"),
          JSON.stringify({
            step: event.step,
            loss: event.loss,
            lr: event.lr,
            images_per_s: event.imagesPerSecond,
            step_ms: event.stepMs,
            data_wait_ms: event.dataWaitMs,
            prototypes_used: event.prototypesUsed,
            assignment_entropy: event.assignmentEntropy,
            rss_bytes: event.memory.rssBytes,
            tensors: event.memory.tensors,
            tensor_bytes: event.memory.tensorBytes,
          }) + "\n",
        );
        this.summary.steps = event.step;
        this.summary.final_loss = event.loss;
        break;
      case "checkpoint":
        this.writeSummary();
        break;
      case "skipped_files":
        for (const f of event.files) {
          const line = `${f.reason}\t${f.path}`;
          if (!this.skipped.has(line)) {
            this.skipped.add(line);
            appendFileSync(join(this.dir, "skipped-files.txt"), line + "\n");
          }
        }
        this.summary.skipped_files = event.total;
        break;
      case "eval_result":
        this.summary.evaluations[event.protocol] = event.metrics;
        this.writeSummary();
        break;
      case "run_end":
        this.summary.status = event.status;
        this.summary.steps = event.steps;
        this.summary.final_loss = event.finalLoss;
        this.summary.wall_seconds = event.wallSeconds;
        this.summary.ended = new Date().toISOString();
        if (event.reason) this.summary.error = event.reason;
        this.writeSummary();
        break;
      default:
        break;
    }
  }

  /** Marks the run as ended after work that follows training (evaluation), or as failed outside training. */
  finish(status: RunSummary["status"], error: string | null = null): void {
    this.summary.status = status;
    this.summary.ended = new Date().toISOString();
    if (error) this.summary.error = error;
    this.writeSummary();
  }

  private writeSummary(): void {
    writeAtomically(join(this.dir, "summary.json"), JSON.stringify(this.summary, null, 2) + "\n");
  }
}

export function readSummary(dir: string): RunSummary | null {
  try {
    return JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
  } catch {
    return null;
  }
}
