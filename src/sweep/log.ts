import { relative } from "node:path";
import type { SweepEvent } from "./events.js";

/** Seconds as `8.1 s`, `3.2 min`, `1.5 h`: trial and sweep durations in plain lines. */
export function shortDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 3 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

export function formatNumber(value: number | null): string {
  if (value === null) return "-";
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/**
 * One plain line per trial event (started, finished with its metric and last loss, failed with the
 * reason and its log) for logs and pipes; step progress is left to the Ink view and `--json`.
 */
export class PlainSweepLogger {
  constructor(
    private readonly write: (line: string) => void,
    private readonly metricPath: string | null,
    private readonly cwd = process.cwd(),
  ) {}

  private path(p: string): string {
    const rel = relative(this.cwd, p);
    return rel.startsWith("..") ? p : rel;
  }

  handle(event: SweepEvent): void {
    switch (event.type) {
      case "sweep_start": {
        const done = event.done > 0 ? `, ${event.done} already completed` : "";
        const dups = event.trials > event.unique ? ` (${event.unique} distinct)` : "";
        this.write(`sweep ${event.sweep}: ${event.trials} trials${dups}${done}; ${event.toRun} to run, ${event.parallel} at a time, in ${this.path(event.dir)}`);
        break;
      }
      case "trial_start":
        this.write(`trial ${event.index} started: ${event.assignment}${event.resumeFrom ? ` (resuming ${this.path(event.resumeFrom)})` : event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`);
        break;
      case "trial_end": {
        const when = shortDuration(event.seconds);
        if (event.status === "completed") {
          const metric = this.metricPath && this.metricPath !== "final_loss" ? `${this.metricPath} ${formatNumber(event.metric)}, ` : "";
          this.write(`trial ${event.index} completed in ${when}: ${metric}last loss ${formatNumber(event.finalLoss)} after ${event.steps ?? "?"} steps`);
        } else if (event.status === "stopped") {
          this.write(`trial ${event.index} stopped after ${when}${event.steps !== null ? ` at step ${event.steps}` : ""}; \`--resume\` continues it`);
        } else {
          const how = event.exitCode !== null ? `exit ${event.exitCode}` : event.signal ? `killed by ${event.signal}` : "did not start";
          this.write(`trial ${event.index} failed (${how}) after ${when}: ${event.error ?? "no message"} (log: ${this.path(event.log)})`);
        }
        break;
      }
      case "sweep_stopping":
        this.write(event.abort ? "aborting the running trials (their last checkpoints are kept)" : `stopping: ${event.running} running trial(s) write a checkpoint and exit; press Ctrl-C again to abort them`);
        break;
      case "sweep_end": {
        const parts = [`${event.completed} completed`, event.failed ? `${event.failed} failed` : "", event.stopped ? `${event.stopped} stopped` : "", event.pending ? `${event.pending} not started` : ""].filter(Boolean);
        const next = event.status === "completed" ? "" : `; continue with \`--resume\``;
        this.write(`sweep ${event.status} in ${shortDuration(event.seconds)}: ${parts.join(", ")}${next}`);
        break;
      }
      default:
        break;
    }
  }
}
