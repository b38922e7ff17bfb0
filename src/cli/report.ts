import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs, UsageError, flag } from "./args.js";
import { HELP_FLAG, type Command } from "./command.js";
import { writeAtomically } from "./compile.js";
import { out } from "./io.js";
import type { RunSummary } from "./run-dir.js";
import type { RunEvent } from "../runtime/train/events.js";
import { formatBytes, formatClock, formatCount, formatMetric, formatPercent } from "./ui/format.js";
import { assessSwavHealth, HEALTH_WINDOW, type SwavHealth } from "./ui/health.js";
import { escapeXml, linePlot, movingMean } from "./ui/svg-plot.js";

/** One line of metrics.jsonl, as `RunRecorder` writes it. */
export interface MetricRow {
  step: number;
  loss: number;
  lr: number;
  images_per_s: number;
  step_ms: number;
  data_wait_ms: number;
  prototypes_used: number;
  assignment_entropy: number;
  rss_bytes: number;
  tensors: number;
  tensor_bytes: number;
}

export interface JsonLines<T> {
  rows: T[];
  /** The last line was cut short (the run is still writing, or was killed mid-write) and is left out. */
  truncatedLast: boolean;
  /** Other lines that did not parse, left out. */
  badLines: number;
}

/** Reads a JSON-lines file written by a run that may be going on or may have been killed. */
export function readJsonLines<T>(path: string): JsonLines<T> {
  if (!existsSync(path)) return { rows: [], truncatedLast: false, badLines: 0 };
  return parseJsonLines<T>(readFileSync(path, "utf8"));
}

export function parseJsonLines<T>(text: string): JsonLines<T> {
  const lines = text.split("\n");
  const rows: T[] = [];
  let truncatedLast = false;
  let badLines = 0;
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      rows.push(JSON.parse(line) as T);
    } catch {
      // Only the last line can be half-written; a bad line elsewhere is damage worth counting.
      if (i === lines.length - 1) truncatedLast = true;
      else badLines++;
    }
  });
  return { rows, truncatedLast, badLines };
}

/** The last complete JSON line of a file, reading only its tail (metrics files of long runs are large). */
export function readLastJsonLine<T>(path: string, tailBytes = 64 * 1024): T | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, tailBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n");
    for (let i = lines.length - 1; i >= (size > length ? 1 : 0); i--) {
      if (lines[i].trim() === "") continue;
      try {
        return JSON.parse(lines[i]) as T;
      } catch {
        continue;
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * A resumed run appends again from its checkpoint's step, so metrics.jsonl can hold steps the
 * resumed run redid; the later lines are the run's real history, the earlier ones are dropped.
 */
export function latestHistory(rows: readonly MetricRow[]): MetricRow[] {
  const out: MetricRow[] = [];
  for (const row of rows) {
    if (typeof row.step !== "number") continue;
    while (out.length > 0 && out[out.length - 1].step >= row.step) out.pop();
    out.push(row);
  }
  return out;
}

/** "running" in summary.json while the process that wrote it is gone (same machine) means it was killed. */
export function effectiveStatus(summary: Pick<RunSummary, "status" | "pid" | "host"> | null): RunSummary["status"] | "interrupted" | "unknown" {
  if (!summary) return "unknown";
  if (summary.status !== "running") return summary.status;
  if (typeof summary.pid === "number" && summary.host === hostname() && !processAlive(summary.pid)) return "interrupted";
  return "running";
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

type EvalResult = Extract<RunEvent, { type: "eval_result" }>;
type RunStart = Extract<RunEvent, { type: "run_start" }>;
type RunEnd = Extract<RunEvent, { type: "run_end" }>;
type Checkpoint = Extract<RunEvent, { type: "checkpoint" }>;

/** Fields of ir.json the report reads; everything else in the IR is shown only through the summary. */
interface IrExcerpt {
  name?: string;
  hash?: string;
  loss?: { prototypes?: number };
  train?: { global_batch?: number; total_steps?: number | null };
}

export interface RunRecord {
  dir: string;
  summary: RunSummary | null;
  status: ReturnType<typeof effectiveStatus>;
  ir: IrExcerpt | null;
  metrics: MetricRow[];
  starts: RunStart[];
  end: RunEnd | null;
  checkpoints: Checkpoint[];
  evaluations: EvalResult[];
  warnings: Array<{ code?: string; message: string }>;
  skippedFiles: number;
  /** What was wrong with the files (truncated last lines, damaged lines, missing files). */
  notes: string[];
}

export function readRunDirectory(dir: string): RunRecord {
  const notes: string[] = [];
  let summary: RunSummary | null = null;
  try {
    summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;
  } catch {
    notes.push("summary.json is missing or unreadable");
  }
  let ir: IrExcerpt | null = null;
  try {
    ir = JSON.parse(readFileSync(join(dir, "ir.json"), "utf8")) as IrExcerpt;
  } catch {
    notes.push("ir.json is missing or unreadable");
  }
  const metricsFile = readJsonLines<MetricRow>(join(dir, "metrics.jsonl"));
  const eventsFile = readJsonLines<RunEvent>(join(dir, "events.jsonl"));
  for (const [name, file] of [["metrics.jsonl", metricsFile], ["events.jsonl", eventsFile]] as const) {
    if (file.truncatedLast) notes.push(`the last line of ${name} was cut short (the run was still writing or was killed) and is left out`);
    if (file.badLines > 0) notes.push(`${file.badLines} damaged line${file.badLines === 1 ? "" : "s"} of ${name} left out`);
  }
  const events = eventsFile.rows;
  const evaluations = new Map<string, EvalResult>();
  for (const e of events) if (e.type === "eval_result") evaluations.set(e.protocol, e);
  const ends = events.filter((e): e is RunEnd => e.type === "run_end");
  const skipped = events.filter((e) => e.type === "skipped_files") as Array<Extract<RunEvent, { type: "skipped_files" }>>;
  return {
    dir,
    summary,
    status: effectiveStatus(summary),
    ir,
    metrics: latestHistory(metricsFile.rows),
    starts: events.filter((e): e is RunStart => e.type === "run_start"),
    end: ends[ends.length - 1] ?? null,
    checkpoints: events.filter((e): e is Checkpoint => e.type === "checkpoint"),
    evaluations: [...evaluations.values()],
    warnings: events.filter((e) => e.type === "warning").map((e) => ({ code: (e as { code?: string }).code, message: (e as { message: string }).message })),
    skippedFiles: skipped.length > 0 ? skipped[skipped.length - 1].total : summary?.skipped_files ?? 0,
    notes,
  };
}

const COLORS = { loss: "#1f77b4", mean: "#0b3c6e", lr: "#2ca02c", used: "#9467bd", entropy: "#8c564b", speed: "#ff7f0e", rss: "#d62728", tensors: "#7f7f7f" };

function prototypesOf(record: RunRecord): number | null {
  return record.ir?.loss?.prototypes ?? null;
}

function globalBatchOf(record: RunRecord): number | null {
  return record.ir?.train?.global_batch ?? record.starts[record.starts.length - 1]?.globalBatch ?? null;
}

/** The plots of a run's metrics, as SVG elements, in reading order. */
export function reportPlots(record: RunRecord): string[] {
  const m = record.metrics;
  const at = (f: (r: MetricRow) => number) => m.map((r) => [r.step, f(r)] as const);
  const k = prototypesOf(record);
  const batch = globalBatchOf(record);
  const plots: string[] = [];
  const window = Math.max(5, Math.round(m.length / 50));
  const loss = at((r) => r.loss);
  plots.push(
    linePlot({
      title: "Loss",
      xLabel: "step",
      yLabel: "SwAV loss",
      series: m.length > 2 * window ? [{ name: "loss", points: loss, color: COLORS.loss, faint: true }, { name: `mean of ${window} steps`, points: movingMean(loss, window), color: COLORS.mean }] : [{ name: "loss", points: loss, color: COLORS.loss }],
      references: k ? [{ y: Math.log(k), label: `ln K = ${Math.log(k).toFixed(3)} (collapse level)` }] : [],
    }),
  );
  plots.push(linePlot({ title: "Learning rate", xLabel: "step", yLabel: "learning rate", series: [{ name: "learning rate", points: at((r) => r.lr), color: COLORS.lr }], fromZero: true }));
  const reachable = k && batch ? Math.min(k, batch) : null;
  plots.push(
    linePlot({
      title: "Prototypes in use",
      xLabel: "step",
      yLabel: "distinct prototypes per batch",
      series: [{ name: "prototypes in use", points: at((r) => r.prototypes_used), color: COLORS.used }],
      references: reachable ? [{ y: reachable, label: reachable === k ? `K = ${k}` : `most a batch can use = min(K, batch) = ${reachable}` }] : [],
      fromZero: true,
    }),
  );
  if (m.some((r) => r.assignment_entropy > 0)) {
    plots.push(
      linePlot({
        title: "Assignment entropy",
        xLabel: "step",
        yLabel: "entropy of the mean code (nats)",
        series: [{ name: "assignment entropy", points: m.filter((r) => r.assignment_entropy > 0).map((r) => [r.step, r.assignment_entropy] as const), color: COLORS.entropy }],
        references: k ? [{ y: Math.log(k), label: `ln K = ${Math.log(k).toFixed(3)} (even use)` }] : [],
        fromZero: true,
      }),
    );
  }
  plots.push(linePlot({ title: "Throughput", xLabel: "step", yLabel: "images/s", series: [{ name: "images/s", points: at((r) => r.images_per_s), color: COLORS.speed }], fromZero: true }));
  plots.push(
    linePlot({
      title: "Data wait",
      xLabel: "step",
      yLabel: "share of step time (%)",
      series: [{ name: "data wait", points: at((r) => (100 * r.data_wait_ms) / Math.max(1, r.data_wait_ms + r.step_ms)), color: COLORS.speed }],
      fromZero: true,
    }),
  );
  plots.push(
    linePlot({
      title: "Memory",
      xLabel: "step",
      yLabel: "MiB",
      series: [
        { name: "process RSS", points: at((r) => r.rss_bytes / 2 ** 20), color: COLORS.rss },
        { name: "tfjs tensors", points: at((r) => r.tensor_bytes / 2 ** 20), color: COLORS.tensors },
      ],
      fromZero: true,
    }),
  );
  return plots;
}

function table(rows: Array<[string, string]>): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join("")}</table>`;
}

/** Up to this many classes the whole confusion matrix is drawn; beyond (ImageNet's 1000) only the worst confusions. */
const FULL_MATRIX_CLASSES = 30;
const CONFUSED_PAIRS_SHOWN = 25;

function confusionMatrixHtml(c: number[][], names: (i: number) => string): string {
  const head = `<tr><th>true \\ predicted</th>${c.map((_, j) => `<th>${escapeXml(names(j))}</th>`).join("")}</tr>`;
  const body = c
    .map((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      const cells = row.map((v) => {
        // Shade by the share of the true class's images, so rare classes are as readable as common ones.
        const share = total > 0 ? v / total : 0;
        return `<td class="num" style="background: rgba(31, 119, 180, ${share.toFixed(3)}); color: ${share > 0.55 ? "#fff" : "#000"}">${v}</td>`;
      });
      return `<tr><th>${escapeXml(names(i))}</th>${cells.join("")}</tr>`;
    })
    .join("");
  return `<h4>Confusion matrix</h4><p class="note">Rows are the true classes, columns the predicted ones; shading is the share of each row.</p><table class="confusion">${head}${body}</table>`;
}

function confusedPairsHtml(c: number[][], names: (i: number) => string): string {
  const pairs: Array<{ truth: number; predicted: number; images: number; share: number }> = [];
  c.forEach((row, truth) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((images, predicted) => {
      if (predicted !== truth && images > 0) pairs.push({ truth, predicted, images, share: total > 0 ? images / total : 0 });
    });
  });
  pairs.sort((a, b) => b.images - a.images || b.share - a.share);
  const rows = pairs
    .slice(0, CONFUSED_PAIRS_SHOWN)
    .map((p) => `<tr><td>${escapeXml(names(p.truth))}</td><td>${escapeXml(names(p.predicted))}</td><td class="num">${p.images}</td><td class="num">${escapeXml(formatPercent(p.share, 1))}</td></tr>`)
    .join("");
  return `<h4>Most confused classes</h4><p class="note">${c.length} classes: too many for the whole matrix, so the ${Math.min(CONFUSED_PAIRS_SHOWN, pairs.length)} largest off-diagonal cells.</p><table class="confused"><tr><th>true class</th><th>predicted as</th><th>images</th><th>share of the true class</th></tr>${rows}</table>`;
}

function evaluationHtml(e: EvalResult): string {
  const parts = [`<h3>${escapeXml(e.protocol)}</h3>`];
  parts.push(`<table class="metrics"><tr><th>metric</th><th>value</th></tr>${Object.entries(e.metrics).map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td class="num">${escapeXml(formatMetric(k, v))}</td></tr>`).join("")}</table>`);
  const names = (n: number) => e.classNames?.[n] ?? String(n);
  if (e.perClass && e.perClass.length > 0) {
    const rows = e.perClass.map((v, i) => `<tr><td>${escapeXml(names(i))}</td><td class="num">${escapeXml(formatPercent(v, 1))}</td></tr>`).join("");
    const tableHtml = `<table class="per-class"><tr><th>class</th><th>accuracy</th></tr>${rows}</table>`;
    parts.push(e.perClass.length > FULL_MATRIX_CLASSES ? `<details><summary>Accuracy per class (${e.perClass.length} classes)</summary>${tableHtml}</details>` : `<h4>Accuracy per class</h4>${tableHtml}`);
  }
  if (e.confusion && e.confusion.length > 0) parts.push(e.confusion.length <= FULL_MATRIX_CLASSES ? confusionMatrixHtml(e.confusion, names) : confusedPairsHtml(e.confusion, names));
  return parts.join("\n");
}

function healthOf(record: RunRecord): SwavHealth | null {
  const k = prototypesOf(record);
  const batch = globalBatchOf(record);
  if (!k || !batch || record.metrics.length === 0) return null;
  const samples = record.metrics.slice(-HEALTH_WINDOW).map((r) => ({ loss: r.loss, prototypesUsed: r.prototypes_used, assignmentEntropy: r.assignment_entropy, maxEntropy: Math.log(k) }));
  return assessSwavHealth(samples, k, batch);
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1340px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { margin-top: 28px; border-bottom: 1px solid #ddd; } .sub { color: #666; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 3px 10px; border: 1px solid #ddd; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { background: #f6f6f6; font-weight: 600; } .plots { display: flex; flex-wrap: wrap; gap: 12px; } .plots svg { border: 1px solid #eee; background: #fff; font-family: system-ui, sans-serif; }
.status-completed { color: #1a7f37; } .status-stopped, .status-interrupted, .status-running { color: #9a6700; } .status-failed, .status-unknown { color: #cf222e; }
.warn { color: #9a6700; } .bad { color: #cf222e; font-weight: 600; } .note { color: #666; font-size: 13px; } code { font-size: 13px; }
`;

export function renderReportHtml(record: RunRecord): string {
  const s = record.summary;
  const start = record.starts[0] ?? null;
  const lastStart = record.starts[record.starts.length - 1] ?? null;
  const m = record.metrics;
  const last = m[m.length - 1] ?? null;
  const name = s?.experiment ?? record.ir?.name ?? basename(record.dir);
  const hash = s?.hash ?? record.ir?.hash ?? "";
  const total = s?.total_steps ?? lastStart?.totalSteps ?? record.ir?.train?.total_steps ?? null;
  const losses = m.map((r) => r.loss).filter(Number.isFinite);
  const wall = s?.wall_seconds ?? record.end?.wallSeconds ?? null;
  const meanRate = m.length > 0 ? m.reduce((a, r) => a + r.images_per_s, 0) / m.length : null;
  const waitMs = m.reduce((a, r) => a + r.data_wait_ms, 0);
  const busyMs = m.reduce((a, r) => a + r.step_ms, 0);
  const rows: Array<[string, string]> = [
    ["status", record.status + (record.status === "interrupted" ? " (the process is gone without finishing; resume with seerc run --resume)" : "")],
    ["steps", `${formatCount(last?.step ?? s?.steps ?? 0)}${total !== null ? ` of ${formatCount(total)}` : ""}`],
    ["final loss", last ? last.loss.toFixed(4) : s?.final_loss?.toFixed(4) ?? "—"],
    ["lowest loss", losses.length > 0 ? Math.min(...losses).toFixed(4) : "—"],
    ["started", s?.started ?? start?.time ?? "—"],
    ["ended", s?.ended ?? "—"],
    ["wall time", wall !== null ? formatClock(wall) : "—"],
    ["backend", lastStart ? `${lastStart.backend.name} ${lastStart.backend.version}${lastStart.backend.threads !== undefined ? `, ${lastStart.backend.threads} threads` : ""} — ${lastStart.backend.reason}` : s?.backend ?? "—"],
    ["data", lastStart ? `${lastStart.data.source}${lastStart.data.images !== null ? `, ${formatCount(lastStart.data.images)} images` : ""}` : "—"],
    ["batch", lastStart ? `${lastStart.globalBatch} images${lastStart.microBatch < lastStart.globalBatch ? ` in micro-batches of ${lastStart.microBatch}` : ""}` : "—"],
    ["parameters", lastStart ? formatCount(lastStart.parameters) : "—"],
    ["mean throughput", meanRate !== null ? `${meanRate.toFixed(1)} images/s` : "—"],
    ["data wait", waitMs + busyMs > 0 ? `${formatPercent(waitMs / (waitMs + busyMs))} of step time` : "—"],
    ["peak memory", m.length > 0 ? `RSS ${formatBytes(Math.max(...m.map((r) => r.rss_bytes)))}, tensors ${formatBytes(Math.max(...m.map((r) => r.tensor_bytes)))}` : "—"],
    ["skipped files", formatCount(record.skippedFiles)],
    ["resumed", record.starts.length > 1 ? `${record.starts.length - 1} time${record.starts.length === 2 ? "" : "s"}` : "no"],
  ];
  if (s?.error) rows.push(["error", s.error]);
  const health = healthOf(record);
  const healthHtml = health
    ? `<p class="${health.verdict === "collapsed" ? "bad" : health.verdict === "uneven" ? "warn" : ""}">Last ${health.window} steps: ${health.prototypesUsed.toFixed(1)} of ${health.prototypes} prototypes in use (a batch can use ${health.reachable})${health.entropy !== null ? `, assignment entropy ${health.entropy.toFixed(3)} of ln K = ${health.maxEntropy.toFixed(3)} nats` : ""}, loss ${health.loss.toFixed(4)} — ${escapeXml(health.message ?? health.verdict)}.</p>`
    : "";
  const evaluations =
    record.evaluations.length > 0
      ? record.evaluations.map(evaluationHtml).join("\n")
      : s && Object.keys(s.evaluations).length > 0
        ? Object.entries(s.evaluations).map(([protocol, metrics]) => evaluationHtml({ type: "eval_result", protocol, metrics })).join("\n")
        : `<p class="note">No evaluation results.</p>`;
  const checkpoints = record.checkpoints.length > 0 ? `<ul>${record.checkpoints.slice(-10).map((c) => `<li>step ${formatCount(c.step)} (${escapeXml(c.reason)}): <code>${escapeXml(c.path)}</code></li>`).join("")}</ul>` : `<p class="note">No checkpoints.</p>`;
  const warnings = record.warnings.length > 0 ? `<ul>${record.warnings.map((w) => `<li class="warn">${w.code ? `${escapeXml(w.code)}: ` : ""}${escapeXml(w.message)}</li>`).join("")}</ul>` : `<p class="note">No warnings.</p>`;
  const notes = record.notes.length > 0 ? `<ul class="note">${record.notes.map((n) => `<li>${escapeXml(n)}</li>`).join("")}</ul>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(name)} — seerc run report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeXml(name)} <span class="status-${escapeXml(record.status)}">${escapeXml(record.status)}</span></h1>
<p class="sub">IR ${escapeXml(hash.slice(0, 12))} · <code>${escapeXml(resolve(record.dir))}</code> · report written ${escapeXml(new Date().toISOString())}</p>
${notes}
<h2>Summary</h2>
${table(rows)}
<h2>SwAV health</h2>
${healthHtml || `<p class="note">No steps recorded yet.</p>`}
<h2>Training curves</h2>
<div class="plots">
${reportPlots(record).join("\n")}
</div>
<h2>Evaluation</h2>
${evaluations}
<h2>Checkpoints</h2>
${checkpoints}
<h2>Warnings</h2>
${warnings}
</body>
</html>
`;
}

/** Writes report.html into the run directory (atomically) and returns its path. */
export function writeReport(dir: string): string {
  const path = join(dir, "report.html");
  writeAtomically(path, renderReportHtml(readRunDirectory(dir)));
  return path;
}

export const reportCommand: Command = {
  name: "report",
  summary: "write report.html for a run directory: loss, learning rate, prototype and throughput plots, evaluations",
  usage: "seerc report RUN_DIR [-o FILE]",
  flags: [{ name: "out", short: "o", value: true, doc: "where to write the report (default RUN_DIR/report.html)" }, HELP_FLAG],
  examples: ["seerc report runs/quickstart-9bf9b8f8-20261129-170000Z", "seerc report runs/quickstart-9bf9b8f8-20261129-170000Z -o /tmp/quickstart.html"],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.positionals.length !== 1) throw new UsageError("seerc report takes one run directory; see `seerc report --help`");
    const dir = args.positionals[0];
    if (!existsSync(join(dir, "summary.json")) && !existsSync(join(dir, "metrics.jsonl")) && !existsSync(join(dir, "ir.json"))) {
      throw new UsageError(`${dir} is not a run directory (no summary.json, metrics.jsonl or ir.json)`);
    }
    const target = flag(args, "out");
    const html = renderReportHtml(readRunDirectory(dir));
    const path = target ?? join(dir, "report.html");
    writeAtomically(path, html);
    out(path);
    return 0;
  },
};
