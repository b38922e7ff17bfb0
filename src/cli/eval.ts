import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { flag, flagAll, intFlag, parseArgs, UsageError } from "./args.js";
import { BACKEND_FLAG, backendPreference, HELP_FLAG, type Command } from "./command.js";
import { loadExperiment } from "./load.js";
import { readSummary } from "./run-dir.js";
import { reportRuntimeError, selectBackendOrReport } from "./run.js";
import { writeAtomically } from "./compile.js";
import { PlainLogger } from "./ui/plain.js";
import { err, out } from "./io.js";
import { didYouMean, suggestNames } from "../diagnostics/did-you-mean.js";
import type { RunEvent } from "../runtime/train/events.js";
import type { ExperimentIR } from "../compile/ir.js";

export const evalCommand: Command = {
  name: "eval",
  summary: "evaluate a checkpoint with the experiment's evaluate blocks (linear probe, kNN, fine-tuning, low-shot)",
  usage: "seerc eval RUN_DIR|CHECKPOINT_DIR [--protocol NAME …] [--with FILE] [--backend auto|tensorflow|wasm|cpu] [--max-train N] [--max-test N] [-o RESULTS.json] [--json|--quiet]",
  flags: [
    { name: "protocol", short: "p", value: true, repeatable: true, doc: "run only this evaluation (its name or kind: knn, linear, finetune, lowshot); repeatable" },
    { name: "with", value: true, doc: "take the evaluate blocks (and the model) from this .seer or IR .json instead of the checkpoint's ir.json" },
    { name: "experiment", value: true, doc: "with --with: which experiment, when the file defines several" },
    BACKEND_FLAG,
    { name: "workers", value: true, doc: "data decoding threads (default: one per spare core)" },
    { name: "max-train", value: true, doc: "use at most N training images per evaluation (seeded, class-balanced), for a quick look" },
    { name: "max-test", value: true, doc: "score at most N test images (seeded, class-balanced)" },
    { name: "output", short: "o", value: true, doc: "also write every result (metrics, per-class accuracy, confusion matrix) to this JSON file" },
    { name: "details", doc: "print per-class accuracy and the confusion matrix" },
    { name: "json", doc: "write the events as NDJSON to stdout" },
    { name: "quiet", doc: "print only warnings, errors and the results" },
    HELP_FLAG,
  ],
  examples: [
    "seerc eval runs/quickstart-9bf9b8f8-20261129-170000Z",
    "seerc eval runs/fashion_mnist-…/checkpoints/step-00001000 --protocol knn",
    "seerc eval runs/quickstart-…/ --with experiments/fashion_mnist.seer --max-train 5000",
  ],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.positionals.length !== 1) throw new UsageError("seerc eval takes one run or checkpoint folder; see `seerc eval --help`");
    const target = args.positionals[0];
    if (!existsSync(target)) throw new UsageError(`cannot read \`${target}\`: no such folder`);
    const withFile = flag(args, "with");
    if (flag(args, "experiment") && !withFile) throw new UsageError("--experiment chooses an experiment of the --with file");
    const maxTrain = intFlag(args, "max-train");
    const maxTest = intFlag(args, "max-test");
    for (const [name, v] of [["max-train", maxTrain], ["max-test", maxTest]] as const) if (v === 0) throw new UsageError(`--${name} needs at least 1 image`);
    const json = args.flags.has("json");
    const quiet = args.flags.has("quiet");

    const runtime = await import("../runtime/eval/index.js");
    let found;
    try {
      found = runtime.findCheckpoint(target);
    } catch (e) {
      if (e instanceof runtime.EvaluationError) {
        reportRuntimeError(e.code, e.message, "give a run folder (runs/NAME-HASH-TIME) or one of its checkpoints/step-NNNNNNNN folders");
        return 1;
      }
      throw e;
    }
    for (const s of found.skipped) err(`warning: skipping a damaged checkpoint: ${s.reason}`);
    const irFile = withFile ?? runtime.irPathFor(target, found.dir);
    if (!withFile && !existsSync(irFile)) throw new UsageError(`${found.dir} has no ir.json; give the experiment with --with FILE`);
    const ir = loadExperiment(irFile, { experiment: flag(args, "experiment") }).ir;
    if (!withFile && ir.hash !== found.contents.state.ir_hash) {
      err(`warning: ${irFile} (IR ${ir.hash.slice(0, 12)}) is not the IR the checkpoint was written with (${found.contents.state.ir_hash.slice(0, 12)})`);
    }
    if (ir.evaluate.length === 0) throw new UsageError(`experiment \`${ir.name}\` has no evaluate blocks; add one (e.g. \`evaluate knn { data = … }\`) or take them from another file with --with FILE`);
    const only = flagAll(args, "protocol");
    checkProtocols(ir, only, runtime.evaluationKeys(ir.evaluate));

    const backend = await selectBackendOrReport(backendPreference(args));
    if (backend === null) return 1;
    let model;
    try {
      model = runtime.modelFromCheckpoint(ir, found);
    } catch (e) {
      if (e instanceof runtime.EvaluationError) {
        reportRuntimeError(e.code, e.message, withFile ? "evaluate with the experiment the checkpoint was trained with, or one with the same trunk, head and prototypes" : undefined);
        return 1;
      }
      throw e;
    }

    const plain = new PlainLogger(1, (line) => out(line));
    const emit = (event: RunEvent) => {
      if (json) out(JSON.stringify(event));
      else if (!quiet || event.type === "warning" || event.type === "eval_result") plain.handle(event);
    };
    if (!json && !quiet) {
      out(`evaluating ${found.dir} (step ${found.contents.state.step} of \`${found.contents.state.experiment}\`) with the evaluate blocks of \`${ir.name}\``);
      out(`backend ${backend.name} ${backend.version} — ${backend.reason}`);
    }
    const control = { stopRequested: false };
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      if (interrupts === 1) {
        control.stopRequested = true;
        err("stopping after this batch; press Ctrl-C again to abort at once");
      } else process.exit(130);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    let report;
    try {
      report = await runtime.runEvaluations({
        ir,
        model,
        emit,
        workers: intFlag(args, "workers"),
        control,
        only: only.length > 0 ? only : undefined,
        maxTrainImages: maxTrain,
        maxTestImages: maxTest,
      });
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      model.dispose();
    }

    if (!json) {
      for (const line of resultTable(report.outcomes)) out(line);
      if (args.flags.has("details")) for (const o of report.outcomes) for (const line of detailLines(o)) out(line);
    }
    const output = flag(args, "output");
    const results = {
      checkpoint: found.dir,
      step: found.contents.state.step,
      experiment: ir.name,
      ir_hash: ir.hash,
      evaluations: report.outcomes,
      failures: report.failures.map((f) => ({ protocol: f.protocol, code: f.error.code, message: f.error.message })),
      stopped: report.stopped,
    };
    if (output) {
      writeAtomically(output, JSON.stringify(results, null, 2) + "\n");
      if (!json) out(`wrote ${output}`);
    }
    if (!withFile && report.outcomes.length > 0) recordInRunDir(target, report.outcomes);
    for (const f of report.failures) reportRuntimeError(f.error.code, `evaluation ${f.protocol}: ${f.error.message}`, f.error.hint);
    if (report.failures.length > 0) return 1;
    return report.stopped ? 130 : 0;
  },
};

function checkProtocols(ir: ExperimentIR, only: readonly string[], keys: readonly string[]): void {
  const known = [...new Set([...keys, ...ir.evaluate.map((e) => e.name), ...ir.evaluate.map((e) => e.kind)])];
  for (const name of only) {
    if (!known.includes(name)) {
      const suggestions = suggestNames(name, known);
      throw new UsageError(`experiment \`${ir.name}\` has no evaluation \`${name}\` (it has ${keys.join(", ")}).${didYouMean(suggestions)}`);
    }
  }
}

/** Merges the results into a run folder's summary.json, as `seerc run` files them. */
function recordInRunDir(target: string, outcomes: ReadonlyArray<{ protocol: string; metrics: Record<string, number> }>): void {
  const dir = resolve(target);
  const summary = readSummary(dir);
  if (!summary) return;
  for (const o of outcomes) summary.evaluations[o.protocol] = o.metrics;
  writeAtomically(join(dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
}

const percent = (v: number | undefined) => (v === undefined ? "" : `${(v * 100).toFixed(2)}%`);

export function resultTable(outcomes: ReadonlyArray<{ protocol: string; metrics: Record<string, number> }>): string[] {
  if (outcomes.length === 0) return [];
  const rows = [["evaluation", "top-1", "top-5", "train images", "test images"], ...outcomes.map((o) => [o.protocol, percent(o.metrics.top1), percent(o.metrics.top5), String(o.metrics.train_images ?? ""), String(o.metrics.test_images ?? "")])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
}

function detailLines(o: { protocol: string; perClass: number[]; confusion: number[][]; classNames: string[] }): string[] {
  const nameWidth = Math.max(5, ...o.classNames.map((n) => n.length));
  const lines = [``, `${o.protocol}: accuracy per class, then the confusion matrix (rows: true class, columns: predicted)`];
  o.classNames.forEach((name, c) => lines.push(`  ${name.padEnd(nameWidth)}  ${Number.isNaN(o.perClass[c]) ? "(no test images)" : percent(o.perClass[c]).padStart(7)}`));
  const cell = Math.max(3, ...o.confusion.flat().map((v) => String(v).length));
  lines.push(`  ${"".padEnd(nameWidth)}  ${o.classNames.map((_, c) => String(c).padStart(cell)).join(" ")}`);
  o.confusion.forEach((row, c) => lines.push(`  ${`${c} ${o.classNames[c]}`.slice(0, nameWidth).padEnd(nameWidth)}  ${row.map((v) => String(v).padStart(cell)).join(" ")}`));
  return lines;
}
