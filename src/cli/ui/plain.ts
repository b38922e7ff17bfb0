import type { RunEvent } from "../../runtime/train/events.js";
import { formatBytes, formatClock, formatCount, formatLearningRate, formatMetric, formatPercent } from "./format.js";
import { assessSwavHealth, HEALTH_WINDOW, type HealthSample, type HealthVerdict } from "./health.js";
import { RecentWindow } from "./series.js";

export interface PlainLoggerOptions {
  /** Only warnings (the SwAV health ones included), evaluation results and the final line. */
  quiet?: boolean;
}

type StepEvent = Extract<RunEvent, { type: "step" }>;

/**
 * The line logger used when stdout is not a terminal (CI, pipes, files): no escape codes, one line
 * on the first step, every `logEvery`-th step and the last step, and one for every event that
 * matters. It also watches SwAV health and prints a warning when it turns bad (and when it
 * recovers), since nobody watches a log for a slowly stuck loss. `format` returns null for events
 * that produce no line.
 */
export class PlainLogger {
  private firstStepSeen = false;
  /** Steps since the last step line, for the ETA. */
  private sinceLine: StepEvent[] = [];
  private readonly recent = new RecentWindow<HealthSample>(HEALTH_WINDOW);
  private verdict: HealthVerdict = "warming up";
  private globalBatch = 1;
  private readonly logEvery: number;

  constructor(logEvery: number, private readonly write: (line: string) => void, private readonly options: PlainLoggerOptions = {}) {
    this.logEvery = Math.max(1, Math.floor(logEvery));
  }

  handle(event: RunEvent): void {
    const lines = [this.format(event), event.type === "step" ? this.watchHealth(event) : null];
    for (const line of lines) if (line !== null) this.write(line);
  }

  format(event: RunEvent): string | null {
    const quiet = this.options.quiet === true;
    switch (event.type) {
      case "run_start": {
        this.globalBatch = event.globalBatch;
        if (quiet) return null;
        const b = event.backend;
        const threads = b.threads !== undefined ? `, ${b.threads} thread${b.threads === 1 ? "" : "s"}` : "";
        const simd = b.simd !== undefined ? (b.simd ? ", SIMD" : ", no SIMD") : "";
        const native = b.name === "tensorflow" ? "" : b.nativeFound ? " (native TensorFlow found, not used)" : " (native TensorFlow not found)";
        const lines = [
          `run ${event.experiment} (IR ${event.hash.slice(0, 12)}) → ${event.runDir}`,
          `backend ${b.name} ${b.version}${simd}${threads} — ${b.reason}${native}`,
          `data ${event.data.source} (${event.data.images === null ? "size unknown" : `${formatCount(event.data.images)} images`}, ${event.data.workers} worker${event.data.workers === 1 ? "" : "s"})`,
          `${formatCount(event.totalSteps)} steps of ${event.globalBatch} images${event.microBatch < event.globalBatch ? ` (micro-batches of ${event.microBatch})` : ""}, ${formatCount(event.parameters)} parameters${event.resumedFrom ? `, resumed at step ${event.startStep} from ${event.resumedFrom}` : ""}`,
        ];
        return lines.join("\n");
      }
      case "step": {
        this.sinceLine.push(event);
        const first = !this.firstStepSeen;
        this.firstStepSeen = true;
        const due = first || event.step === event.totalSteps || event.step % this.logEvery === 0;
        if (!due) return null;
        const timed = this.sinceLine;
        this.sinceLine = [];
        if (quiet) return null;
        const width = String(event.totalSteps).length;
        const waitShare = event.dataWaitMs / Math.max(1, event.stepMs + event.dataWaitMs);
        const msPerStep = timed.reduce((a, s) => a + s.stepMs + s.dataWaitMs, 0) / timed.length;
        return [
          `step ${String(event.step).padStart(width)}/${event.totalSteps}`,
          `loss ${event.loss.toFixed(4)}`,
          `lr ${formatLearningRate(event.lr)}`,
          `${event.imagesPerSecond.toFixed(1)} img/s`,
          `data wait ${formatPercent(waitShare)}`,
          `prototypes ${event.prototypesUsed.toFixed(0)}/${event.prototypes}${event.prototypesFrozen ? " (frozen)" : ""}`,
          `rss ${formatBytes(event.memory.rssBytes)}`,
          `eta ${formatClock(((event.totalSteps - event.step) * msPerStep) / 1000)}`,
        ].join("  ");
      }
      case "checkpoint":
        return quiet ? null : `checkpoint at step ${event.step} (${event.reason}): ${event.path}`;
      case "skipped_files": {
        const first = event.files[0];
        return `skipped ${event.files.length} unreadable file${event.files.length === 1 ? "" : "s"} (${event.total} so far)${first ? `, e.g. ${first.path}: ${first.reason}` : ""}`;
      }
      case "warning":
        return `warning${event.code ? ` ${event.code}` : ""}: ${event.message}`;
      case "eval_start":
        return quiet ? null : `evaluating: ${event.protocol}${event.images !== null ? ` on ${formatCount(event.images)} images` : ""}`;
      case "eval_result":
        return `${event.protocol}: ${Object.entries(event.metrics).map(([k, v]) => `${k} ${formatMetric(k, v)}`).join(", ")}`;
      case "run_end":
        return `run ${event.status} after ${event.steps} steps in ${event.wallSeconds.toFixed(1)} s${event.finalLoss !== null ? `, final loss ${event.finalLoss.toFixed(4)}` : ""}${event.reason ? ` — ${event.reason}` : ""}`;
    }
  }

  /** A line when the SwAV health verdict turns bad or recovers; null otherwise. */
  private watchHealth(event: StepEvent): string | null {
    this.recent.push(event);
    const health = assessSwavHealth(this.recent.all(), event.prototypes, this.globalBatch);
    const before = this.verdict;
    this.verdict = health.verdict;
    if (health.verdict === before || health.verdict === "warming up") return null;
    if (health.message !== null) return `warning at step ${event.step}: ${health.message}`;
    return before === "collapsed" || before === "uneven" ? `SwAV health recovered at step ${event.step}: ${health.prototypesUsed.toFixed(1)} of ${health.prototypes} prototypes in use` : null;
  }
}
