import { Box, Text, useInput, useStdin } from "ink";
import { mountLiveView } from "../cli/ui/live-view.js";
import type { SweepEvent } from "./events.js";
import type { SweepState, TrialStatus } from "./state.js";
import { formatNumber, shortDuration } from "./log.js";

/** One row of the live sweep table. */
export interface TrialRow {
  index: number;
  assignment: string;
  duplicateOf: number | null;
  status: TrialStatus;
  step: number | null;
  totalSteps: number | null;
  loss: number | null;
  metric: number | null;
  phase: string | null;
  error: string | null;
}

/** The sweep's live state, updated from its events; the view only draws it. */
export class SweepViewModel {
  readonly rows: TrialRow[];
  readonly started = Date.now();
  stopping: "no" | "stopping" | "aborting" = "no";
  end: Extract<SweepEvent, { type: "sweep_end" }> | null = null;

  constructor(readonly state: Pick<SweepState, "sweep" | "metric" | "trials">, readonly dir: string) {
    this.rows = state.trials.map((t) => ({
      index: t.index,
      assignment: t.assignment,
      duplicateOf: t.duplicate_of,
      status: t.status,
      step: t.steps,
      totalSteps: t.total_steps,
      loss: t.final_loss,
      metric: t.metric,
      phase: null,
      error: t.error,
    }));
  }

  private row(index: number): TrialRow | undefined {
    return this.rows.find((r) => r.index === index);
  }

  apply(event: SweepEvent): void {
    switch (event.type) {
      case "trial_start": {
        const r = this.row(event.index);
        if (r) Object.assign(r, { status: "running", phase: null, error: null });
        break;
      }
      case "trial_run_dir": {
        const r = this.row(event.index);
        if (r) Object.assign(r, { step: event.startStep, totalSteps: event.totalSteps });
        break;
      }
      case "trial_progress": {
        const r = this.row(event.index);
        if (r) Object.assign(r, { step: event.step, totalSteps: event.totalSteps, loss: event.loss });
        break;
      }
      case "trial_phase": {
        const r = this.row(event.index);
        if (r) r.phase = `evaluating ${event.protocol}`;
        break;
      }
      case "trial_end": {
        const r = this.row(event.index);
        if (r) Object.assign(r, { status: event.status, metric: event.metric, loss: event.finalLoss ?? r.loss, step: event.steps ?? r.step, phase: null, error: event.error });
        for (const d of this.rows) if (d.duplicateOf === event.index) Object.assign(d, { status: event.status, metric: event.metric, loss: event.finalLoss, step: event.steps });
        break;
      }
      case "sweep_stopping":
        this.stopping = event.abort ? "aborting" : "stopping";
        break;
      case "sweep_end":
        this.end = event;
        break;
      default:
        break;
    }
  }

  counts(): Record<TrialStatus, number> {
    const c: Record<TrialStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, stopped: 0 };
    for (const r of this.rows) c[r.status]++;
    return c;
  }
}

const STATUS_COLOR: Record<TrialStatus, string> = { pending: "gray", running: "cyan", completed: "green", failed: "red", stopped: "yellow" };

function bar(step: number | null, total: number | null, width: number): string {
  if (step === null || !total) return " ".repeat(width);
  const share = Math.max(0, Math.min(1, step / total));
  const filled = Math.round(share * width);
  return "█".repeat(filled) + "░".repeat(width - filled);
}

function fit(text: string, width: number): string {
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + "…" : text.padEnd(width);
}

/** Rows shown when the terminal is short: running trials first, then failures, then the rest in order. */
function visibleRows(rows: readonly TrialRow[], max: number): TrialRow[] {
  if (rows.length <= max) return [...rows];
  const rank = (r: TrialRow) => (r.status === "running" ? 0 : r.status === "failed" ? 1 : r.status === "stopped" ? 2 : 3);
  return [...rows].sort((a, b) => rank(a) - rank(b) || a.index - b.index).slice(0, max).sort((a, b) => a.index - b.index);
}

export function SweepView({ model, width = 100, height = 40 }: { model: SweepViewModel; width?: number; height?: number; frame?: number }) {
  const counts = model.counts();
  const metricName = model.state.metric?.path ?? null;
  const indexWidth = Math.max(2, String(model.rows.length - 1).length + 1);
  const assignmentWidth = Math.max(12, Math.min(48, width - indexWidth - 10 - 18 - 10 - (metricName ? 12 : 0) - 8));
  const shown = visibleRows(model.rows, Math.max(3, height - 6));
  const hidden = model.rows.length - shown.length;
  const header = `${"#".padStart(indexWidth)}  ${fit("trial", assignmentWidth)}  ${fit("status", 10)}  ${fit("progress", 18)}  ${"loss".padStart(8)}${metricName ? `  ${fit(metricName, 10)}` : ""}`;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate-end">{`seerc sweep ${model.state.sweep} · ${model.rows.length} trials · ${shortDuration((Date.now() - model.started) / 1000)}`}</Text>
      <Text dimColor wrap="truncate-end">{`${counts.completed} completed · ${counts.running} running · ${counts.pending} waiting${counts.failed ? ` · ${counts.failed} failed` : ""}${counts.stopped ? ` · ${counts.stopped} stopped` : ""} · ${model.dir}`}</Text>
      <Text dimColor>{header}</Text>
      {shown.map((r) => {
        const progress = r.duplicateOf !== null ? fit(`= trial ${r.duplicateOf}`, 18) : r.phase ? fit(r.phase, 18) : `${bar(r.step, r.totalSteps, 10)} ${fit(r.step !== null && r.totalSteps ? `${r.step}/${r.totalSteps}` : "", 7)}`;
        return (
          <Text key={r.index} wrap="truncate-end">
            {`${String(r.index).padStart(indexWidth)}  ${fit(r.assignment, assignmentWidth)}  `}
            <Text color={STATUS_COLOR[r.status]}>{fit(r.status, 10)}</Text>
            {`  ${progress}  ${formatNumber(r.loss).padStart(8)}${metricName ? `  ${fit(formatNumber(r.metric), 10)}` : ""}`}
          </Text>
        );
      })}
      {hidden > 0 ? <Text dimColor>{`… ${hidden} more trials (see state.json)`}</Text> : null}
      {model.stopping !== "no" && !model.end ? (
        <Text color="yellow">{model.stopping === "stopping" ? "stopping: running trials write a checkpoint and exit; Ctrl-C again aborts them" : "aborting the running trials"}</Text>
      ) : null}
      {model.end ? null : <Text dimColor>Ctrl-C: stop (trials checkpoint; resume with --resume) · twice: abort</Text>}
    </Box>
  );
}

function SweepApp({ model, frame, onInterrupt, width, height }: { model: SweepViewModel; frame: number; onInterrupt: () => void; width: number; height: number }) {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (key.ctrl && input === "c") onInterrupt();
    },
    { isActive: isRawModeSupported === true && model.end === null },
  );
  return <SweepView model={model} frame={frame} width={width} height={height} />;
}

export interface SweepViewHandle {
  handle(event: SweepEvent): void;
  close(): Promise<void>;
}

/** Mounts the live table on the terminal; Ctrl-C typed there (raw mode sends no SIGINT) calls `onInterrupt`. */
export function startSweepView(options: { model: SweepViewModel; onInterrupt: () => void; stdout?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream; maxFps?: number }): SweepViewHandle {
  const { model } = options;
  const stdout = options.stdout ?? process.stdout;
  const size = () => ({ width: Math.max(60, Math.min(140, (stdout.columns || 100) - 1)), height: stdout.rows || 40 });
  let frame = 0;
  const view = mountLiveView<SweepEvent>({
    element: (redraw) => <SweepApp model={model} frame={frame++} onInterrupt={() => (options.onInterrupt(), redraw())} {...size()} />,
    apply: (event) => model.apply(event),
    stdout,
    stdin: options.stdin,
    maxFps: options.maxFps,
  });
  return { handle: view.handle, close: view.close };
}
