import type { RunEvent } from "../../runtime/train/events.js";
import { assessSwavHealth, HEALTH_WINDOW, type SwavHealth } from "./health.js";
import { DecimatedSeries, RecentWindow } from "./series.js";

type RunStart = Extract<RunEvent, { type: "run_start" }>;
type StepEvent = Extract<RunEvent, { type: "step" }>;
type CheckpointEvent = Extract<RunEvent, { type: "checkpoint" }>;
type RunEnd = Extract<RunEvent, { type: "run_end" }>;

export interface EvaluationState {
  protocol: string;
  images: number | null;
  metrics: Record<string, number> | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface WarningEntry {
  code?: string;
  message: string;
  /** How many times the same message arrived. */
  count: number;
}

/** Steps the rates, the ETA and the SwAV health average over. */
export const RECENT_STEPS = HEALTH_WINDOW;
const MAX_WARNINGS = 20;

/**
 * Everything the dashboard shows, folded from the run's events. Plain data and no rendering, so the
 * plain logger's tests and the dashboard's tests drive the same state with the same event scripts.
 */
export class DashboardModel {
  start: RunStart | null = null;
  lastStep: StepEvent | null = null;
  readonly loss = new DecimatedSeries(512);
  readonly recent = new RecentWindow<StepEvent>(RECENT_STEPS);
  /** Wall-clock milliseconds between consecutive step events (checkpoints and evaluation included). */
  private readonly intervals = new RecentWindow<number>(RECENT_STEPS);
  private lastStepAt: number | null = null;
  minLoss: number | null = null;
  lastCheckpoint: (CheckpointEvent & { at: number }) | null = null;
  checkpoints = 0;
  skippedTotal = 0;
  lastSkipped: { path: string; reason: string } | null = null;
  readonly warnings: WarningEntry[] = [];
  warningCount = 0;
  readonly evaluations: EvaluationState[] = [];
  end: RunEnd | null = null;
  readonly createdAt: number;

  constructor(
    readonly experiment: { name: string; hash: string; prototypes: number; globalBatch: number },
    private readonly now: () => number = Date.now,
  ) {
    this.createdAt = now();
  }

  apply(event: RunEvent): void {
    const at = this.now();
    switch (event.type) {
      case "run_start":
        this.start = event;
        // The first step also pays for building the model and the first batch; rates start from it.
        this.lastStepAt = null;
        break;
      case "step":
        if (this.lastStep !== null && event.step <= this.lastStep.step) this.recent.clear();
        if (this.lastStepAt !== null) this.intervals.push(at - this.lastStepAt);
        this.lastStepAt = at;
        this.lastStep = event;
        this.recent.push(event);
        this.loss.push(event.step, event.loss);
        if (Number.isFinite(event.loss)) this.minLoss = this.minLoss === null ? event.loss : Math.min(this.minLoss, event.loss);
        break;
      case "checkpoint":
        this.lastCheckpoint = { ...event, at };
        this.checkpoints++;
        break;
      case "skipped_files":
        this.skippedTotal = event.total;
        this.lastSkipped = event.files[0] ?? this.lastSkipped;
        break;
      case "warning": {
        this.warningCount++;
        const same = this.warnings.find((w) => w.message === event.message && w.code === event.code);
        if (same) same.count++;
        else {
          this.warnings.push({ code: event.code, message: event.message, count: 1 });
          if (this.warnings.length > MAX_WARNINGS) this.warnings.shift();
        }
        break;
      }
      case "eval_start":
        this.evaluations.push({ protocol: event.protocol, images: event.images, metrics: null, startedAt: at, finishedAt: null });
        break;
      case "eval_result": {
        const running = [...this.evaluations].reverse().find((e) => e.protocol === event.protocol && e.metrics === null);
        if (running) {
          running.metrics = event.metrics;
          running.finishedAt = at;
        } else this.evaluations.push({ protocol: event.protocol, images: null, metrics: event.metrics, startedAt: at, finishedAt: at });
        break;
      }
      case "run_end":
        this.end = event;
        break;
    }
  }

  get totalSteps(): number | null {
    return this.lastStep?.totalSteps ?? this.start?.totalSteps ?? null;
  }

  get step(): number {
    return this.lastStep?.step ?? this.start?.startStep ?? 0;
  }

  get globalBatch(): number {
    return this.start?.globalBatch ?? this.experiment.globalBatch;
  }

  /** Seconds since the run began (since the dashboard opened, before run_start). */
  elapsedSeconds(): number {
    const from = this.start ? Date.parse(this.start.time) : this.createdAt;
    return Math.max(0, (this.now() - (Number.isFinite(from) ? from : this.createdAt)) / 1000);
  }

  secondsSince(at: number): number {
    return Math.max(0, (this.now() - at) / 1000);
  }

  /** Mean wall-clock milliseconds per step over the recent window; the step's own timings before two steps exist. */
  msPerStep(): number | null {
    const intervals = this.intervals.all();
    if (intervals.length >= 2) return intervals.reduce((a, b) => a + b, 0) / intervals.length;
    const last = this.lastStep;
    return last ? last.stepMs + last.dataWaitMs : null;
  }

  imagesPerSecond(): number | null {
    const ms = this.msPerStep();
    return ms === null || ms <= 0 ? null : (this.globalBatch * 1000) / ms;
  }

  etaSeconds(): number | null {
    const ms = this.msPerStep();
    const total = this.totalSteps;
    if (ms === null || total === null) return null;
    return (Math.max(0, total - this.step) * ms) / 1000;
  }

  /** Share of the recent steps' time spent waiting for data rather than computing. */
  dataWaitShare(): number | null {
    const steps = this.recent.all();
    if (steps.length === 0) return null;
    const wait = steps.reduce((a, s) => a + s.dataWaitMs, 0);
    const busy = steps.reduce((a, s) => a + s.stepMs, 0);
    return wait + busy === 0 ? 0 : wait / (wait + busy);
  }

  /** Loss change from the oldest to the newest step of the recent window. */
  recentLossChange(): number | null {
    const steps = this.recent.all();
    return steps.length < 2 ? null : steps[steps.length - 1].loss - steps[0].loss;
  }

  health(): SwavHealth {
    const prototypes = this.lastStep?.prototypes ?? this.experiment.prototypes;
    return assessSwavHealth(this.recent.all(), prototypes, this.globalBatch);
  }
}
