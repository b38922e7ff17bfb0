import { Box, Text, useInput, useStdin, useStdout } from "ink";
import { mountLiveView } from "./live-view.js";
import { useEffect, useState } from "react";
import type { ExperimentIR } from "../../compile/ir.js";
import type { RunEvent } from "../../runtime/train/events.js";
import { DashboardModel } from "./dashboard-model.js";
import { fitPieces, formatBytes, formatClock, formatCount, formatLearningRate, formatMetric, formatPercent } from "./format.js";
import { Chart, ProgressBar, Rule } from "./widgets.js";
import { HEALTH_MIN_STEPS } from "./health.js";

/** What the trainer reads between steps; the dashboard's keys set it. */
export interface RunControl {
  stopRequested: boolean;
  checkpointRequested: boolean;
}

export interface DashboardProps {
  model: DashboardModel;
  control: RunControl;
  /** Columns to lay out for; the terminal's width when omitted (and it follows resizes). */
  width?: number;
  /** Rows available; fewer than 30 shrink the loss chart. */
  height?: number;
  /** How many times Ctrl-C (or SIGINT) arrived: after one, the run is stopping. */
  interrupts?: number;
  /** Changes on every redraw so React re-renders the same (mutated) model. */
  frame?: number;
}

const MIN_WIDTH = 40;
const MAX_WIDTH = 120;

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 40 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    let columns = stdout.columns;
    const onResize = () => {
      // A narrower terminal re-wraps the old frame's lines, which Ink can then no longer erase
      // line by line; clearing the screen lets the next frame start clean.
      if (stdout.isTTY && stdout.columns < columns) stdout.write("\x1b[2J\x1b[H");
      columns = stdout.columns;
      setSize(read());
    };
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}

/** The live view of one run. Pure rendering of the model; keys live in `DashboardApp`. */
export function Dashboard({ model, control, width: fixedWidth, height: fixedHeight, interrupts = 0 }: DashboardProps) {
  const terminal = useTerminalSize();
  const width = Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, fixedWidth ?? terminal.columns - 1));
  const rows = fixedHeight ?? terminal.rows;
  const chartHeight = rows >= 36 ? 4 : rows >= 28 ? 3 : 2;
  return (
    <Box flexDirection="column" width={width}>
      <Header model={model} width={width} />
      <Progress model={model} width={width} />
      <Loss model={model} width={width} chartHeight={chartHeight} />
      <Health model={model} width={width} />
      <Resources model={model} width={width} />
      <Evaluations model={model} width={width} />
      <Warnings model={model} width={width} />
      <Footer model={model} control={control} interrupts={interrupts} width={width} />
    </Box>
  );
}

function Header({ model, width }: { model: DashboardModel; width: number }) {
  const s = model.start;
  const title = fitPieces([`seerc run ${model.experiment.name}`, `IR ${model.experiment.hash.slice(0, 12)}`, s ? s.runDir : null], width, " · ");
  if (!s) {
    return (
      <Box flexDirection="column">
        <Text bold wrap="truncate-end">{title}</Text>
        <Text dimColor wrap="truncate-end">{`preparing: opening the data and building the model… ${formatClock(model.elapsedSeconds())}`}</Text>
      </Box>
    );
  }
  const b = s.backend;
  const details = [b.simd === undefined ? null : b.simd ? "SIMD" : "no SIMD", b.threads === undefined ? null : `${b.threads} thread${b.threads === 1 ? "" : "s"}`].filter(Boolean);
  const backend = fitPieces(
    [
      `backend ${b.name} ${b.version}${details.length > 0 ? ` (${details.join(", ")})` : ""}`,
      b.name === "tensorflow" ? "native TensorFlow" : b.nativeFound ? "native TensorFlow found, not used" : "no native TensorFlow",
    ],
    width,
    " · ",
  );
  // The source description can be long (a path, a generator's parameters): it goes last and is cut first.
  const data = [
    `data ${s.data.images === null ? "size unknown" : `${formatCount(s.data.images)} images`}`,
    `${s.data.workers} worker${s.data.workers === 1 ? "" : "s"}`,
    `${formatCount(s.parameters)} parameters`,
    s.data.source,
  ].join(" · ");
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">{title}</Text>
      <Text wrap="truncate-end">
        {backend}
        {b.reason && backend.length + b.reason.length + 3 <= width ? <Text dimColor>{` — ${b.reason}`}</Text> : null}
      </Text>
      <Text wrap="truncate-end">{data}</Text>
      {s.resumedFrom ? <Text color="cyan" wrap="truncate-end">{`resumed at step ${s.startStep} from ${s.resumedFrom}`}</Text> : null}
    </Box>
  );
}

function Progress({ model, width }: { model: DashboardModel; width: number }) {
  const total = model.totalSteps;
  if (total === null) return null;
  const step = model.step;
  const last = model.lastStep;
  const label = `step ${formatCount(step)}/${formatCount(total)} `;
  const batch = model.globalBatch;
  const rate = model.imagesPerSecond();
  const wait = model.dataWaitShare();
  const eta = model.etaSeconds();
  const timing = fitPieces(
    [
      `images ${formatCount(step * batch)}/${formatCount(total * batch)}`,
      `elapsed ${formatClock(model.elapsedSeconds())}`,
      model.end ? null : `ETA ${eta === null ? "--:--" : formatClock(eta)}`,
    ],
    width,
    " · ",
  );
  const speed = fitPieces(
    [
      rate === null ? "-- img/s" : `${rate.toFixed(1)} img/s`,
      wait === null ? null : `data wait ${formatPercent(wait)}`,
      last ? `lr ${formatLearningRate(last.lr)}` : null,
      last?.prototypesFrozen ? "prototypes frozen" : null,
      last ? (last.queueActive ? "queue on" : null) : null,
    ],
    width,
    " · ",
  );
  return (
    <Box flexDirection="column">
      <Rule title="progress" width={width} />
      <Text wrap="truncate-end">
        {label}
        <ProgressBar share={total === 0 ? 1 : step / total} width={width - label.length} />
      </Text>
      <Text wrap="truncate-end">{timing}</Text>
      <Text wrap="truncate-end">{speed}</Text>
    </Box>
  );
}

function Loss({ model, width, chartHeight }: { model: DashboardModel; width: number; chartHeight: number }) {
  const last = model.lastStep;
  if (!last) return null;
  const change = model.recentLossChange();
  const summary = fitPieces(
    [
      `loss ${last.loss.toFixed(4)}`,
      model.minLoss !== null ? `min ${model.minLoss.toFixed(4)}` : null,
      change !== null ? `change over ${model.recent.length} steps ${change >= 0 ? "+" : ""}${change.toFixed(4)}` : null,
      `ln K ${last.maxEntropy.toFixed(3)}`,
    ],
    width,
    "  ",
  );
  const points = model.loss.values();
  return (
    <Box flexDirection="column">
      <Rule title={model.loss.stepsPerPoint > 1 ? `loss (${model.loss.stepsPerPoint} steps per column)` : "loss"} width={width} />
      <Text wrap="truncate-end">{summary}</Text>
      {points.length >= 2 ? <Chart values={points.map((p) => p.y)} width={width} height={chartHeight} format={(v) => v.toFixed(3)} /> : null}
    </Box>
  );
}

function Health({ model, width }: { model: DashboardModel; width: number }) {
  const last = model.lastStep;
  if (!last) return null;
  const h = model.health();
  const colour = h.verdict === "collapsed" ? "red" : h.verdict === "uneven" ? "yellow" : h.verdict === "healthy" ? "green" : undefined;
  const usage = fitPieces(
    [
      `prototypes ${h.prototypesUsed.toFixed(1)}/${h.prototypes} in use`,
      h.entropy === null ? "entropy not measured" : `entropy ${h.entropy.toFixed(2)}/${h.maxEntropy.toFixed(2)} nats (${formatPercent(h.entropy / h.maxEntropy)})`,
      h.reachable < h.prototypes ? `(a batch reaches ${h.reachable})` : null,
    ],
    width,
    "  ",
  );
  return (
    <Box flexDirection="column">
      <Rule title={`SwAV health, last ${h.window} steps`} width={width} />
      <Text wrap="truncate-end">{usage}</Text>
      {h.message ? (
        <Text color={colour} bold={h.verdict === "collapsed"} wrap="wrap">
          {`${h.verdict === "collapsed" ? "✖" : "⚠"} ${h.message}`}
        </Text>
      ) : (
        <Text color={colour} wrap="truncate-end">{h.verdict === "warming up" ? `warming up (${h.window} of ${HEALTH_MIN_STEPS} steps seen)` : "✔ healthy: prototypes used evenly, loss moving"}</Text>
      )}
    </Box>
  );
}

function Resources({ model, width }: { model: DashboardModel; width: number }) {
  const last = model.lastStep;
  const ckpt = model.lastCheckpoint;
  if (!last && !ckpt && model.skippedTotal === 0) return null;
  const memory = last
    ? fitPieces([`memory rss ${formatBytes(last.memory.rssBytes)}`, `${formatCount(last.memory.tensors)} tensors`, formatBytes(last.memory.tensorBytes)], width, " · ")
    : null;
  const ago = ckpt ? formatClock(model.secondsSince(ckpt.at)) : "";
  const files = fitPieces(
    [
      ckpt ? `checkpoint step ${formatCount(ckpt.step)} (${ckpt.reason}) ${ago} ago` : "no checkpoint yet",
      `skipped files ${formatCount(model.skippedTotal)}`,
    ],
    width,
    " · ",
  );
  return (
    <Box flexDirection="column">
      <Rule title="resources" width={width} />
      {memory ? <Text wrap="truncate-end">{memory}</Text> : null}
      <Text wrap="truncate-end">{files}</Text>
      {model.lastSkipped ? <Text dimColor wrap="truncate-end">{`last skipped: ${model.lastSkipped.path}: ${model.lastSkipped.reason}`}</Text> : null}
    </Box>
  );
}

function Evaluations({ model, width }: { model: DashboardModel; width: number }) {
  if (model.evaluations.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Rule title="evaluation" width={width} />
      {model.evaluations.map((e, i) => (
        <Text key={i} wrap="wrap" color={e.metrics ? undefined : "cyan"}>
          {e.metrics
            ? `${e.protocol}: ${Object.entries(e.metrics).map(([k, v]) => `${k} ${formatMetric(k, v)}`).join(", ")}`
            : `${e.protocol}: running${e.images !== null ? ` on ${formatCount(e.images)} images` : ""}…`}
        </Text>
      ))}
    </Box>
  );
}

const SHOWN_WARNINGS = 3;

function Warnings({ model, width }: { model: DashboardModel; width: number }) {
  if (model.warnings.length === 0) return null;
  const shown = model.warnings.slice(-SHOWN_WARNINGS);
  return (
    <Box flexDirection="column">
      <Rule title={`warnings (${model.warningCount})`} width={width} />
      {shown.map((w, i) => (
        <Text key={i} color="yellow" wrap="wrap">
          {`⚠ ${w.code ? `${w.code} ` : ""}${w.message}${w.count > 1 ? ` (×${w.count})` : ""}`}
        </Text>
      ))}
    </Box>
  );
}

function Footer({ model, control, interrupts, width }: { model: DashboardModel; control: RunControl; interrupts: number; width: number }) {
  const end = model.end;
  const evaluating = model.evaluations.some((e) => e.metrics === null);
  const state = control.stopRequested
    ? interrupts > 0
      ? "stopping after this step (a checkpoint is written); Ctrl-C again aborts at once"
      : "stopping after this step (a checkpoint is written)…"
    : control.checkpointRequested && !end
      ? "checkpoint requested: written after this step…"
      : null;
  const keys = end ? ["q stop the evaluation", "Ctrl-C twice: abort"] : ["q stop (checkpoint first)", "c checkpoint", "Ctrl-C twice: abort"];
  const endLine = end
    ? `run ${end.status} after ${formatCount(end.steps)} steps in ${formatClock(end.wallSeconds)}${end.finalLoss !== null ? `, final loss ${end.finalLoss.toFixed(4)}` : ""}${end.reason ? ` — ${end.reason}` : ""}`
    : null;
  const endColour = end?.status === "completed" ? "green" : end?.status === "stopped" ? "yellow" : "red";
  return (
    <Box flexDirection="column">
      <Rule title={end ? "done" : "keys"} width={width} />
      {endLine ? (
        <Text color={endColour} bold wrap="wrap">
          {endLine}
        </Text>
      ) : null}
      {state && (!end || evaluating) ? <Text color="yellow" wrap="wrap">{state}</Text> : null}
      {!end || evaluating ? <Text dimColor wrap="truncate-end">{fitPieces(keys, width, " · ")}</Text> : null}
    </Box>
  );
}

export interface DashboardAppProps extends DashboardProps {
  /** Ctrl-C typed while the terminal is in raw mode (no SIGINT is sent then). */
  onInterrupt: () => void;
  /** Called after a key changed `control`, so the view redraws. */
  onControlChange?: () => void;
}

const CTRL_C = "\x03";

/** The dashboard plus its keys: q stops gracefully, c checkpoints now, Ctrl-C is an interrupt. */
export function DashboardApp(props: DashboardAppProps) {
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      // Keys typed while a training step blocks the event loop arrive together ("\x03\x03", "cq"):
      // Ink passes such a burst as one string, so each character counts.
      const pressed = key.ctrl && input === "c" ? [CTRL_C] : [...input];
      let changed = false;
      for (const ch of pressed) {
        if (ch === CTRL_C) props.onInterrupt();
        else if (ch === "q" || ch === "Q") props.control.stopRequested = true;
        else if ((ch === "c" || ch === "C") && !props.control.stopRequested) props.control.checkpointRequested = true;
        else continue;
        changed = true;
      }
      if (changed) props.onControlChange?.();
    },
    // Still listening after run_end: evaluation follows training and `q` stops it too.
    { isActive: isRawModeSupported === true },
  );
  return <Dashboard {...props} />;
}

export interface StartDashboardOptions {
  ir: Pick<ExperimentIR, "name" | "hash"> & { loss: { prototypes: number }; train: { global_batch: number } };
  control: RunControl;
  /** The run's interrupt handler (the one SIGINT calls): first time stops gracefully, second aborts. */
  onInterrupt?: () => void;
  /** The number of interrupts so far, for the footer. */
  interrupts?: () => number;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Redraws per second at most (events can arrive far faster on small models). */
  maxFps?: number;
}

export interface DashboardHandle {
  handle(event: RunEvent): void;
  close(): Promise<void>;
}

/** Mounts the dashboard on the terminal; `handle` feeds it events, `close` draws the last frame and unmounts. */
export function startDashboard(options: StartDashboardOptions): DashboardHandle {
  const { ir, control } = options;
  const model = new DashboardModel({ name: ir.name, hash: ir.hash, prototypes: ir.loss.prototypes, globalBatch: ir.train.global_batch });
  let localInterrupts = 0;
  let frame = 0;
  const onInterrupt =
    options.onInterrupt ??
    (() => {
      localInterrupts++;
      if (localInterrupts === 1) control.stopRequested = true;
      else {
        view.instance.unmount();
        process.exit(130);
      }
    });
  const interrupts = options.interrupts ?? (() => localInterrupts);
  const view = mountLiveView<RunEvent>({
    element: (redraw) => (
      <DashboardApp model={model} control={control} frame={frame++} interrupts={interrupts()} onInterrupt={() => (onInterrupt(), redraw())} onControlChange={() => redraw()} />
    ),
    apply: (event) => model.apply(event),
    stdout: options.stdout,
    stdin: options.stdin,
    maxFps: options.maxFps,
  });
  return { handle: view.handle, close: view.close };
}
