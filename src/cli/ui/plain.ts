import type { RunEvent } from "../../runtime/train/events.js";

/**
 * The line logger used when stdout is not a terminal (CI, pipes, files): one line every `logEvery`
 * steps and one for every event that matters, no escape codes. `formatEvent` returns null for
 * events that produce no line.
 */
export class PlainLogger {
  private lastStepLine = 0;

  constructor(private readonly logEvery: number, private readonly write: (line: string) => void) {}

  handle(event: RunEvent): void {
    const line = this.format(event);
    if (line !== null) this.write(line);
  }

  format(event: RunEvent): string | null {
    switch (event.type) {
      case "run_start": {
        const b = event.backend;
        const threads = b.threads !== undefined ? `, ${b.threads} thread${b.threads === 1 ? "" : "s"}` : "";
        const simd = b.simd !== undefined ? (b.simd ? ", SIMD" : ", no SIMD") : "";
        const lines = [
          `run ${event.experiment} (IR ${event.hash.slice(0, 12)}) → ${event.runDir}`,
          `backend ${b.name} ${b.version}${simd}${threads} — ${b.reason}`,
          `data ${event.data.source} (${event.data.images === null ? "size unknown" : `${event.data.images.toLocaleString("en-US")} images`}, ${event.data.workers} worker${event.data.workers === 1 ? "" : "s"})`,
          `${event.totalSteps.toLocaleString("en-US")} steps of ${event.globalBatch} images${event.microBatch < event.globalBatch ? ` (micro-batches of ${event.microBatch})` : ""}, ${event.parameters.toLocaleString("en-US")} parameters${event.resumedFrom ? `, resumed at step ${event.startStep} from ${event.resumedFrom}` : ""}`,
        ];
        return lines.join("\n");
      }
      case "step": {
        const due = event.step === 1 || event.step === event.totalSteps || event.step - this.lastStepLine >= this.logEvery;
        if (!due) return null;
        this.lastStepLine = event.step;
        const width = String(event.totalSteps).length;
        const waitShare = event.dataWaitMs / Math.max(1, event.stepMs + event.dataWaitMs);
        return [
          `step ${String(event.step).padStart(width)}/${event.totalSteps}`,
          `loss ${event.loss.toFixed(4)}`,
          `lr ${event.lr.toPrecision(3)}`,
          `${event.imagesPerSecond.toFixed(1)} img/s`,
          `data wait ${(waitShare * 100).toFixed(0)}%`,
          `prototypes ${event.prototypesUsed.toFixed(0)}/${event.prototypes}${event.prototypesFrozen ? " (frozen)" : ""}`,
          `rss ${(event.memory.rssBytes / 2 ** 20).toFixed(0)} MB`,
        ].join("  ");
      }
      case "checkpoint":
        return `checkpoint at step ${event.step} (${event.reason}): ${event.path}`;
      case "skipped_files": {
        const first = event.files[0];
        return `skipped ${event.files.length} unreadable file${event.files.length === 1 ? "" : "s"} (${event.total} so far)${first ? `, e.g. ${first.path}: ${first.reason}` : ""}`;
      }
      case "warning":
        return `warning${event.code ? ` ${event.code}` : ""}: ${event.message}`;
      case "eval_start":
        return `evaluating: ${event.protocol}${event.images !== null ? ` on ${event.images.toLocaleString("en-US")} images` : ""}`;
      case "eval_result":
        return `${event.protocol}: ${Object.entries(event.metrics).map(([k, v]) => `${k} ${formatMetric(k, v)}`).join(", ")}`;
      case "run_end":
        return `run ${event.status} after ${event.steps} steps in ${event.wallSeconds.toFixed(1)} s${event.finalLoss !== null ? `, final loss ${event.finalLoss.toFixed(4)}` : ""}${event.reason ? ` — ${event.reason}` : ""}`;
    }
  }
}

function formatMetric(name: string, value: number): string {
  return /top|acc/.test(name) ? `${(value * 100).toFixed(2)}%` : value.toPrecision(4);
}
