import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { flag, flagAll, intFlag, parseArgs, UsageError } from "./args.js";
import { BACKEND_FLAG, backendPreference, HELP_FLAG, OVERRIDE_FLAG, type Command } from "./command.js";
import { loadExperiment, ReportedFailure } from "./load.js";
import { overridesFrom } from "./workspace.js";
import { newRunDir, RunRecorder, saveSources } from "./run-dir.js";
import { PlainLogger } from "./ui/plain.js";
import { writeReport } from "./report.js";
import { err, out } from "./io.js";
import type { RunEvent } from "../runtime/train/events.js";
import type { ExperimentIR } from "../compile/ir.js";
import { diagnostic } from "../diagnostics/make.js";
import { renderText } from "../diagnostics/render.js";
import type { DiagnosticCode } from "../diagnostics/catalog.js";
import type { BackendInfo, BackendPreference } from "../runtime/backend.js";
import { WASM_HEAP_LIMIT_BYTES } from "../check/rules/memory.js";

export type Presentation = "auto" | "plain" | "json" | "quiet";

/** Prints a runtime failure as a diagnostic with its code: the user sees what went wrong and what to do, never a stack trace. */
export function reportRuntimeError(code: DiagnosticCode, message: string, hint?: string): void {
  err(renderText([diagnostic(code, message, undefined, hint ? { hint } : {})], new Map(), { color: Boolean(process.stderr.isTTY) }));
}

/**
 * Starts the backend the user asked for; a forced one that cannot start is reported (SEER7006) and
 * gives null. Loads TensorFlow.js, so only commands that compute call it.
 */
export async function selectBackendOrReport(preference: BackendPreference): Promise<BackendInfo | null> {
  const { selectBackend, BackendUnavailableError } = await import("../runtime/backend.js");
  try {
    return await selectBackend(preference);
  } catch (e) {
    if (e instanceof BackendUnavailableError) {
      reportRuntimeError("SEER7006", e.message, "run with --backend auto to fall back automatically");
      return null;
    }
    throw e;
  }
}

export const runCommand: Command = {
  name: "run",
  summary: "train an experiment in-process (TensorFlow.js), with checkpoints and evaluation",
  usage: "seerc run FILE|IR.json [-s path=value …] [--backend auto|tensorflow|wasm|cpu] [--steps N] [--resume RUN_DIR] [--runs DIR] [--json|--plain|--quiet]",
  flags: [
    BACKEND_FLAG,
    { name: "steps", value: true, doc: "stop after N steps in all (a short trial of a long run)" },
    { name: "resume", value: true, doc: "continue the run in RUN_DIR from its last good checkpoint" },
    { name: "runs", value: true, doc: "where run directories go (default ./runs)" },
    { name: "workers", value: true, doc: "data decoding threads (default: one per spare core)" },
    { name: "experiment", value: true, doc: "which experiment, when the file defines several" },
    { name: "no-eval", doc: "skip the experiment's evaluate blocks" },
    { name: "json", doc: "write the event stream as NDJSON to stdout" },
    { name: "plain", doc: "plain log lines even on a terminal" },
    { name: "quiet", doc: "print only warnings, errors and the final line" },
    { name: "strict", doc: "treat checker warnings as errors" },
    OVERRIDE_FLAG,
    HELP_FLAG,
  ],
  examples: [
    "seerc run experiments/quickstart.seer",
    "seerc run experiments/quickstart.seer -s train.steps=20 --backend cpu",
    "seerc run experiments/quickstart.seer --resume runs/quickstart-9bf9b8f8-20261129-170000Z",
    "seerc run quickstart.ir.json --json > events.ndjson",
  ],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    const resumeDir = flag(args, "resume");
    if (args.positionals.length > 1) throw new UsageError("seerc run takes one file; see `seerc run --help`");
    let input = args.positionals[0];
    if (!input && resumeDir) input = join(resumeDir, "ir.json");
    if (!input) throw new UsageError("seerc run needs an experiment file (or --resume RUN_DIR); see `seerc run --help`");
    if (resumeDir && !existsSync(join(resumeDir, "checkpoints")) && !existsSync(join(resumeDir, "ir.json"))) throw new UsageError(`${resumeDir} is not a run directory (no ir.json or checkpoints/)`);
    const preference = backendPreference(args);
    const loaded = loadExperiment(input, {
      overrides: overridesFrom(flagAll(args, "set")),
      experiment: flag(args, "experiment"),
      strict: args.flags.has("strict"),
      backend: preference === "auto" ? null : preference,
    });
    const ir = loaded.ir;
    if (ir.target !== "tfjs") {
      throw new UsageError(`experiment \`${ir.name}\` is meant for the ${ir.target} target (\`target = ${ir.target}\`); compile it with \`seerc compile ${input} --target ${ir.target}\`, or run a copy with \`-s target=tfjs\``);
    }
    const presentation: Presentation = args.flags.has("json") ? "json" : args.flags.has("quiet") ? "quiet" : args.flags.has("plain") ? "plain" : "auto";
    const maxSteps = intFlag(args, "steps");
    const workers = intFlag(args, "workers");
    return runExperiment(ir, {
      input,
      sourceFiles: loaded.workspace ? [...loaded.workspace.program.files.keys()] : [],
      resumeDir,
      runsRoot: flag(args, "runs") ?? "runs",
      backendPreference: preference,
      maxSteps,
      workers,
      evaluate: !args.flags.has("no-eval"),
      presentation,
    });
  },
};

export interface RunExperimentOptions {
  input: string;
  sourceFiles: string[];
  resumeDir?: string;
  runsRoot: string;
  backendPreference: BackendPreference;
  maxSteps?: number;
  workers?: number;
  evaluate: boolean;
  presentation: Presentation;
}

async function runExperiment(ir: ExperimentIR, o: RunExperimentOptions): Promise<number> {
  // TensorFlow.js is loaded only here, so `seerc check` and friends start fast.
  const { train, TrainingError } = await import("../runtime/train/trainer.js");
  const { DataSourceError } = await import("../runtime/data/index.js");
  const { UnsupportedSourceError } = await import("../runtime/train/specs.js");

  const backend = await selectBackendOrReport(o.backendPreference);
  if (backend === null) return 1;
  if (backend.name === "wasm" && ir.cost.activation_bytes_per_device > WASM_HEAP_LIMIT_BYTES) {
    // The wasm heap stops near 3.8 GB and a failed allocation is not detected: refuse before step one.
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
    reportRuntimeError("SEER4011", `this run needs about ${gib(ir.cost.activation_bytes_per_device)} of memory; the wasm backend's heap stops near ${gib(WASM_HEAP_LIMIT_BYTES)}`, ir.train.activation_checkpointing ? "lower the batch (train.batch or train.micro_batch)" : "set `train.activation_checkpointing = true` or lower the batch (train.micro_batch)");
    return 1;
  }
  const { verifyGradientKernels, MissingKernelsError } = await import("../runtime/backend.js");
  const { SWAV_MODEL_KERNELS } = await import("../runtime/model/index.js");
  try {
    verifyGradientKernels(SWAV_MODEL_KERNELS);
  } catch (e) {
    if (e instanceof MissingKernelsError) {
      reportRuntimeError("SEER7006", e.message);
      return 1;
    }
    throw e;
  }
  const runDir = o.resumeDir ? resolve(o.resumeDir) : newRunDir(o.runsRoot, ir);
  if (!o.resumeDir) saveSources(runDir, o.sourceFiles);
  const recorder = new RunRecorder(runDir, ir, Boolean(o.resumeDir));
  const control = { stopRequested: false, checkpointRequested: false };

  let ui: { handle(e: RunEvent): void; close(): Promise<void> } | null = null;
  // One handler for SIGINT/SIGTERM and for Ctrl-C typed into the dashboard (raw mode sends no SIGINT).
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      control.stopRequested = true;
      if (!ui && o.presentation !== "json") err("stopping after this step (a checkpoint is written); press Ctrl-C again to abort at once");
    } else {
      err("aborted; the last checkpoint is kept");
      process.exit(130);
    }
  };
  const tty = Boolean(process.stdout.isTTY) && o.presentation === "auto";
  if (tty) {
    const { startDashboard } = await import("./ui/dashboard.js");
    ui = startDashboard({ ir, control, onInterrupt: onSignal, interrupts: () => interrupts });
  }
  // Closes the dashboard before anything else is printed, so messages do not land inside its frame.
  const closeUi = async () => {
    const open = ui;
    ui = null;
    if (open) await open.close();
  };
  const plain = new PlainLogger(ir.train.log_every, (line) => out(line), { quiet: o.presentation === "quiet" });
  const emit = (event: RunEvent) => {
    recorder.record(event);
    if (ui) ui.handle(event);
    else if (o.presentation === "json") out(JSON.stringify(event));
    else if (!tty) plain.handle(event);
  };

  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await train({ ir, runDir, backend, emit, control, resume: Boolean(o.resumeDir), maxSteps: o.maxSteps, workers: o.workers });
    if (result.status === "completed" && o.evaluate && ir.evaluate.length > 0 && !control.stopRequested) {
      const { runEvaluations } = await import("../runtime/eval/index.js");
      const evaluations = await runEvaluations({ ir, model: result.model, emit, workers: o.workers, control });
      if (evaluations.failures.length > 0) {
        for (const f of evaluations.failures) reportRuntimeError(f.error.code, f.error.message);
        result.model.dispose();
        recorder.finish("failed", evaluations.failures.map((f) => f.error.message).join("; "));
        return 1;
      }
    }
    result.model.dispose();
    recorder.finish(result.status);
    return result.status === "completed" ? 0 : 130;
  } catch (e) {
    const message = (e as Error).message;
    await closeUi();
    if (e instanceof TrainingError) {
      reportRuntimeError(e.code, message, e.code === "SEER7003" ? "lower the learning rate or check the data; the last good checkpoint is kept" : undefined);
      recorder.finish("failed", message);
      return 1;
    }
    if (e instanceof DataSourceError || e instanceof UnsupportedSourceError) {
      reportRuntimeError("SEER7002", message);
      recorder.finish("failed", message);
      return 1;
    }
    recorder.finish("failed", message);
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await closeUi();
    writeRunReport(runDir, o.presentation);
  }
}

/** report.html at the end of every run that got a directory, stopped and failed ones included. */
function writeRunReport(runDir: string, presentation: Presentation): void {
  try {
    const path = writeReport(runDir);
    if (presentation === "plain" || presentation === "auto") out(`report ${path}`);
  } catch (e) {
    err(`seerc run: could not write report.html: ${(e as Error).message}`);
  }
}

export { ReportedFailure };
