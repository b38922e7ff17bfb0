import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { execa, type ResultPromise } from "execa";
import type { SweepEvent, SweepEventListener } from "./events.js";
import type { SeercCommand } from "./child.js";
import { writeResults } from "./results.js";
import {
  absolutePath,
  countByStatus,
  fillFromSummary,
  hasCheckpoint,
  readRunSummary,
  storedPath,
  syncDuplicates,
  writeState,
  type SweepState,
  type TrialState,
} from "./state.js";

/**
 * Runs a sweep's pending trials as child `seerc run --json` processes, at most `parallel` at once,
 * each with its own run directory (under the sweep's runs/) and log (logs/NNN.log: the child's NDJSON
 * events and its stderr). The state file is rewritten on every change, so the sweep can be resumed
 * after anything short of losing the disk.
 *
 * Children get their own process group: a Ctrl-C typed in the terminal reaches only the sweep, which
 * sends each child one SIGTERM (the child checkpoints and exits 130). A second stop sends SIGINT, the
 * child's "abort now" (its last checkpoint is kept).
 */
export interface SweepRunOptions {
  dir: string;
  state: SweepState;
  command: SeercCommand;
  parallel: number;
  failFast: boolean;
  backend: string;
  steps: number | null;
  /** Data workers per trial; by default the spare cores are shared out between the trials running at once. */
  workers?: number | null;
  emit: SweepEventListener;
}

export type SweepStatus = "completed" | "failed" | "stopped";

interface RunningTrial {
  trial: TrialState;
  child: ResultPromise;
  started: number;
}

/** The last lines of a child's stderr that say what went wrong (diagnostic headers first). */
function failureText(stderrTail: string[]): string | null {
  const lines = stderrTail.map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trim()).filter((l) => l.length > 0);
  const headline = [...lines].reverse().find((l) => /\berror\b|SEER\d{4}/.test(l));
  return headline ?? lines[lines.length - 1] ?? null;
}

export class SweepRunner {
  private readonly running = new Map<number, RunningTrial>();
  private stopRequests = 0;
  private failures = 0;
  private readonly started = Date.now();
  private readonly onExit = () => {
    // The sweep is going away without having stopped its children (an uncaught error): do not orphan them.
    for (const r of this.running.values()) r.child.kill("SIGTERM");
  };

  constructor(private readonly o: SweepRunOptions) {}

  /** First call: stop launching and ask every running trial to checkpoint and exit. Second: abort them. */
  stop(): void {
    this.stopRequests++;
    const abort = this.stopRequests > 1;
    this.emit({ type: "sweep_stopping", running: this.running.size, abort });
    for (const r of this.running.values()) r.child.kill(abort ? "SIGINT" : "SIGTERM");
  }

  get stopping(): boolean {
    return this.stopRequests > 0;
  }

  async run(): Promise<SweepStatus> {
    const { state, dir } = this.o;
    mkdirSync(join(dir, "logs"), { recursive: true });
    mkdirSync(join(dir, "runs"), { recursive: true });
    const unique = state.trials.filter((t) => t.duplicate_of === null);
    const queue = unique.filter((t) => t.status !== "completed");
    state.status = "running";
    state.pid = process.pid;
    this.save();
    this.emit({ type: "sweep_start", sweep: state.sweep, dir, trials: state.trials.length, unique: unique.length, done: unique.length - queue.length, toRun: queue.length, parallel: this.o.parallel });
    process.on("exit", this.onExit);
    try {
      await new Promise<void>((resolveAll) => {
        const launchMore = () => {
          while (!this.stopping && !(this.o.failFast && this.failures > 0) && this.running.size < this.o.parallel && queue.length > 0) {
            const trial = queue.shift()!;
            this.launch(trial).then(
              () => launchMore(),
              (e) => {
                trial.status = "failed";
                trial.error = (e as Error).message;
                this.failures++;
                this.save();
                launchMore();
              },
            );
          }
          if (this.running.size === 0) resolveAll();
        };
        launchMore();
      });
    } finally {
      process.off("exit", this.onExit);
    }
    const counts = countByStatus(state);
    const status: SweepStatus = counts.failed > 0 ? "failed" : counts.completed === state.trials.length ? "completed" : "stopped";
    state.status = status;
    state.pid = null;
    this.save();
    this.emit({ type: "sweep_end", status, completed: counts.completed, failed: counts.failed, stopped: counts.stopped, pending: counts.pending, seconds: (Date.now() - this.started) / 1000, dir });
    return status;
  }

  private emit(event: SweepEvent): void {
    this.o.emit(event);
  }

  private save(): void {
    syncDuplicates(this.o.state);
    writeState(this.o.dir, this.o.state);
    writeResults(this.o.dir, this.o.state);
  }

  /**
   * At least one worker thread per trial even when cores are short: with decoding in-process (0) the
   * training loop never returns to the event loop between steps, so `seerc run` would not see the
   * SIGTERM that stops it gracefully until the run ends.
   */
  private workersPerTrial(): number {
    if (this.o.workers !== undefined && this.o.workers !== null) return this.o.workers;
    return Math.max(1, Math.floor((availableParallelism() - this.o.parallel) / this.o.parallel));
  }

  private async launch(trial: TrialState): Promise<void> {
    const { dir, command, state } = this.o;
    const previousRun = trial.run_dir ? absolutePath(dir, trial.run_dir) : null;
    const resumeFrom = previousRun && hasCheckpoint(previousRun) ? previousRun : null;
    const args = [...command.args, "run", absolutePath(dir, trial.ir_file), "--runs", join(dir, "runs"), "--json", "--backend", this.o.backend, "--workers", String(this.workersPerTrial())];
    if (this.o.steps !== null) args.push("--steps", String(this.o.steps));
    if (resumeFrom) args.push("--resume", resumeFrom);
    else trial.run_dir = null;

    trial.attempts++;
    trial.status = "running";
    trial.started = new Date().toISOString();
    trial.ended = null;
    trial.exit_code = null;
    trial.signal = null;
    trial.error = null;
    const log = createWriteStream(absolutePath(dir, trial.log_file), { flags: "a" });
    log.write(`# seerc sweep ${state.sweep}: trial ${trial.index} (${trial.assignment}), attempt ${trial.attempts}, ${trial.started}\n# ${[command.file, ...args].join(" ")}\n`);

    const child = execa(command.file, args, {
      reject: false,
      buffer: false,
      detached: true,
      cleanup: false,
      // A graceful stop may take a whole training step plus a checkpoint; never escalate to SIGKILL on our own.
      forceKillAfterDelay: false,
      stdin: "ignore",
      env: { NO_COLOR: "1" },
    });
    const started = Date.now();
    this.running.set(trial.index, { trial, child, started });
    trial.pid = child.pid ?? null;
    this.save();
    this.emit({ type: "trial_start", index: trial.index, assignment: trial.assignment, hash: trial.hash, attempt: trial.attempts, resumeFrom, pid: trial.pid });
    // A stop that arrived while this child was being set up still reaches it.
    if (this.stopping) child.kill(this.stopRequests > 1 ? "SIGINT" : "SIGTERM");

    const stderrTail: string[] = [];
    const stdoutDone = this.followEvents(trial, child, log);
    const stderrDone = new Promise<void>((resolveStderr) => {
      if (!child.stderr) return resolveStderr();
      const lines = createInterface({ input: child.stderr, crlfDelay: Infinity });
      lines.on("line", (line) => {
        log.write(`${line}\n`);
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
      });
      lines.on("close", () => resolveStderr());
    });
    const result = await child;
    await Promise.all([stdoutDone, stderrDone]);
    await new Promise<void>((resolveLog) => log.end(() => resolveLog()));
    this.running.delete(trial.index);

    const runDir = trial.run_dir ? absolutePath(dir, trial.run_dir) : null;
    const summary = runDir ? readRunSummary(runDir) : null;
    fillFromSummary(trial, summary, state.metric?.path ?? null);
    const exitCode = typeof result.exitCode === "number" ? result.exitCode : null;
    const signal = result.signal ?? null;
    trial.exit_code = exitCode;
    trial.signal = signal;
    trial.pid = null;
    trial.ended = new Date().toISOString();
    if (exitCode === 0 && (summary === null || summary.status === "completed")) trial.status = "completed";
    else if (exitCode === 130 || (signal !== null && this.stopping)) trial.status = "stopped";
    else {
      trial.status = "failed";
      this.failures++;
      const spawnError = result.failed && exitCode === null && signal === null ? result.message : null;
      trial.error = spawnError ?? failureText(stderrTail) ?? summary?.error ?? (signal ? `killed by ${signal}` : `exit code ${exitCode}`);
    }
    this.save();
    this.emit({
      type: "trial_end",
      index: trial.index,
      assignment: trial.assignment,
      status: trial.status as "completed" | "failed" | "stopped",
      exitCode,
      signal,
      metric: trial.metric,
      finalLoss: trial.final_loss,
      steps: trial.steps,
      seconds: (Date.now() - started) / 1000,
      runDir,
      error: trial.error,
      log: absolutePath(dir, trial.log_file),
    });
  }

  /** Reads the child's NDJSON events: the run directory, progress, evaluation phase. Every line also goes to the log. */
  private followEvents(trial: TrialState, child: ResultPromise, log: WriteStream): Promise<void> {
    return new Promise<void>((resolveEvents) => {
      if (!child.stdout) return resolveEvents();
      const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on("line", (line) => {
        log.write(`${line}\n`);
        let event: { type?: string; [key: string]: unknown };
        try {
          event = JSON.parse(line);
        } catch {
          return;
        }
        if (event.type === "run_start") {
          trial.run_dir = storedPath(this.o.dir, String(event.runDir));
          trial.total_steps = Number(event.totalSteps);
          this.save();
          this.emit({ type: "trial_run_dir", index: trial.index, runDir: String(event.runDir), startStep: Number(event.startStep), totalSteps: Number(event.totalSteps) });
        } else if (event.type === "step") {
          this.emit({ type: "trial_progress", index: trial.index, step: Number(event.step), totalSteps: Number(event.totalSteps), loss: Number(event.loss) });
        } else if (event.type === "eval_start") {
          this.emit({ type: "trial_phase", index: trial.index, phase: "evaluating", protocol: String(event.protocol) });
        }
      });
      lines.on("close", () => resolveEvents());
    });
  }
}
