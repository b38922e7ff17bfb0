import { existsSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { flag, flagAll, intFlag, parseArgs, UsageError, type ParsedArgs } from "./args.js";
import { BACKEND_FLAG, HELP_FLAG, OVERRIDE_FLAG, type Command } from "./command.js";
import type { BackendPreference } from "../runtime/backend.js";
import { ReportedFailure } from "./load.js";
import { checkFiles, overridesFrom, printDiagnostics, type Workspace } from "./workspace.js";
import { writeAtomically } from "./compile.js";
import { duration, si } from "./explain.js";
import { findDeviceProfile } from "../compile/device-profiles.js";
import { err, out } from "./io.js";
import { canonicalPretty } from "../compile/hash.js";
import { countBySeverity, sortDiagnostics } from "../diagnostics/make.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { SweepResult } from "../sweep/check.js";
import { estimatedSeconds, planSweep, type SweepPlan } from "../sweep/plan.js";
import {
  absolutePath,
  completedRunsElsewhere,
  countByStatus,
  fillFromSummary,
  newSweepState,
  processAlive,
  readRunSummary,
  readState,
  settleForResume,
  storedPath,
  writeState,
  type SweepState,
} from "../sweep/state.js";
import { summaryTable, writeResults } from "../sweep/results.js";
import type { SweepEvent } from "../sweep/events.js";

export const sweepCommand: Command = {
  name: "sweep",
  summary: "expand a sweep into trials, check them, and run them in parallel (resumable) or emit a SLURM array",
  usage: "seerc sweep FILE [--dry-run] [--parallel N] [--backend B] [--steps N] [--sweeps DIR] [--resume] [--json|--plain]   |   seerc sweep FILE --emit slurm -o DIR",
  flags: [
    { name: "dry-run", doc: "list the trials (assignment, IR hash, estimated time) and check them; run nothing" },
    { name: "parallel", value: true, doc: "trials at once (default: the sweep's `parallel`)" },
    { ...BACKEND_FLAG, doc: "backend of every trial's `seerc run`" },
    { name: "steps", value: true, doc: "stop every trial after N steps (a quick pass over the space)" },
    { name: "workers", value: true, doc: "data decoding threads per trial (default: the spare cores shared out)" },
    { name: "sweeps", value: true, doc: "where sweep directories go (default ./sweeps)" },
    { name: "resume", doc: "continue the sweep: completed trials are kept, stopped or failed ones run again (from their checkpoints)" },
    { name: "sweep", value: true, doc: "which sweep, when the file defines several" },
    { name: "emit", value: true, choices: ["slurm"], doc: "write a SLURM array job (one trial per task) instead of running" },
    { name: "output", short: "o", value: true, doc: "--emit: the folder to write" },
    { name: "json", doc: "NDJSON sweep events on stdout (dry run: the trial list as JSON)" },
    { name: "plain", doc: "plain lines even on a terminal" },
    OVERRIDE_FLAG,
    HELP_FLAG,
  ],
  examples: [
    "seerc sweep experiments/scaling.seer --dry-run",
    "seerc sweep my-sweep.seer --parallel 2 --backend wasm",
    "seerc sweep my-sweep.seer --resume",
    "seerc sweep experiments/scaling.seer --emit slurm -o cluster/scaling",
  ],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.positionals.length !== 1) throw new UsageError("seerc sweep takes one file; see `seerc sweep --help`");
    const file = args.positionals[0];
    const steps = intFlag(args, "steps");
    if (steps === 0) throw new UsageError("--steps needs at least 1");
    const parallel = intFlag(args, "parallel");
    if (parallel === 0) throw new UsageError("--parallel needs at least 1");
    // Absent on a resume means the sweep's own backend, so no default here.
    const backend = flag(args, "backend") as BackendPreference | undefined;
    const emit = flag(args, "emit");
    const modes = [args.flags.has("dry-run") ? "--dry-run" : null, emit ? "--emit" : null, args.flags.has("resume") ? "--resume" : null].filter(Boolean);
    if (modes.length > 1) throw new UsageError(`${modes.join(" and ")} cannot be combined`);
    if (flag(args, "output") && !emit) throw new UsageError("-o/--output goes with --emit slurm");

    const { ws, sweep, diagnostics } = loadSweep(file, args, backend);
    const plan = planSweep(sweep);
    const errors = countBySeverity(diagnostics).errors > 0 || !plan || plan.trials.length === 0;

    if (args.flags.has("dry-run")) {
      if (args.flags.has("json")) out(JSON.stringify(dryRunJson(plan, diagnostics, steps ?? undefined), null, 2));
      else {
        if (plan && plan.trials.length > 0) out(dryRunText(plan, file, steps ?? undefined, parallel));
        if (diagnostics.length > 0) printDiagnostics(diagnostics, ws.texts, "text", 1, "stdout");
      }
      return errors ? 1 : 0;
    }
    if (diagnostics.length > 0) printDiagnostics(diagnostics, ws.texts, "text", 1, "stderr");
    if (errors || !plan) return 1;

    if (emit) {
      const output = flag(args, "output");
      if (!output) throw new UsageError("--emit slurm needs -o DIR, the folder for the script and the trials' files");
      return emitSlurmFiles(plan, file, resolve(output), { parallel: parallel ?? plan.settings.parallel, backend: backend ?? "auto", steps: steps ?? null, texts: ws.texts, argv, known: diagnostics });
    }

    const vissl = plan.unique.find((t) => t.ir!.target === "vissl");
    if (vissl) {
      throw new UsageError(
        `trial ${vissl.index} (${vissl.assignmentText}) is meant for the VISSL target; write a SLURM array with \`seerc sweep ${file} --emit slurm -o DIR\`, or run it here with \`-s target=tfjs\``,
      );
    }
    return runSweepHere(plan, file, args, { steps, parallel, backend });
  },
};

function loadSweep(file: string, args: ParsedArgs, backend: BackendPreference | undefined): { ws: Workspace; sweep: SweepResult; diagnostics: Diagnostic[] } {
  let ws: Workspace;
  try {
    ws = checkFiles([resolve(file)], { overrides: overridesFrom(flagAll(args, "set")), backend: backend && backend !== "auto" ? backend : null });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (ws.diagnostics.some((d) => d.code === "SEER1010")) {
    printDiagnostics(ws.diagnostics, ws.texts, "text", 1, "stderr");
    throw new ReportedFailure(2);
  }
  const wanted = flag(args, "sweep");
  const entry = resolve(file);
  const own = ws.program.files.get(entry)?.decls.filter((d) => d.kind === "Sweep").map((d) => d.name.name) ?? [];
  const candidates = wanted ? ws.sweeps.filter((s) => s.name === wanted) : ws.sweeps.filter((s) => own.includes(s.name));
  if (candidates.length === 0) {
    throw new UsageError(wanted ? `no sweep \`${wanted}\` in ${file}${own.length ? ` (it has ${own.join(", ")})` : ""}` : `${file} defines no sweep (\`sweep NAME from EXPERIMENT { path in [values] }\`)`);
  }
  if (candidates.length > 1) throw new UsageError(`${file} defines several sweeps (${candidates.map((c) => c.name).join(", ")}); choose one with --sweep NAME`);
  const sweep = candidates[0];
  // Problems of other declarations in the file do not stop this sweep; its base's problems reach it through its trials.
  const keys = new Set([...ws.program.diagnostics, ...sweep.diagnostics].map((d) => `${d.code}|${d.span?.file}|${d.span?.start}|${d.message}`));
  const diagnostics = sortDiagnostics(ws.diagnostics.filter((d) => keys.has(`${d.code}|${d.span?.file}|${d.span?.start}|${d.message}`)));
  return { ws, sweep, diagnostics };
}

// ---- dry run -------------------------------------------------------------------------------

function table(rows: string[][], rightAligned: (column: number) => boolean): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (rightAligned(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd());
}

function totalEstimate(plan: SweepPlan, steps?: number): { seconds: number; unknown: number } {
  let seconds = 0;
  let unknown = 0;
  for (const t of plan.unique) {
    const s = estimatedSeconds(t.ir!, steps);
    if (s === null) unknown++;
    else seconds += s;
  }
  return { seconds, unknown };
}

export function dryRunText(plan: SweepPlan, file: string, steps?: number, parallelOverride?: number): string {
  const strategy = plan.settings.strategy.kind === "grid" ? "grid" : `random ${plan.settings.strategy.trials} (seed ${plan.settings.seed})`;
  const L = [`sweep ${plan.name} from ${plan.base} (${file}): ${plan.trials.length} trials, ${strategy}`];
  const header = ["#", ...plan.axes, "IR hash", "params", "est. time", ""];
  const rows = plan.trials.map((t) => {
    const est = t.ir ? estimatedSeconds(t.ir, steps) : null;
    const note = !t.ir ? "invalid (see below)" : t.duplicateOf !== null ? `same as trial ${t.duplicateOf}, runs once` : "";
    return [String(t.index), ...plan.axes.map((a) => t.values[a] ?? ""), t.hash ? t.hash.slice(0, 12) : "-", t.ir ? si(t.ir.cost.parameters_total) : "-", est === null ? (t.ir ? "at run time" : "-") : duration(est), note];
  });
  const numeric = new Set([0, plan.axes.length + 2, plan.axes.length + 3]);
  L.push(...table([header, ...rows], (c) => numeric.has(c)).map((r) => `  ${r}`));
  const invalid = plan.trials.filter((t) => !t.ir).length;
  const duplicates = plan.trials.filter((t) => t.duplicateOf !== null).length;
  const { seconds, unknown } = totalEstimate(plan, steps);
  const parallel = parallelOverride ?? plan.settings.parallel;
  const counts = [`${plan.unique.length} to run`, duplicates ? `${duplicates} duplicate${duplicates === 1 ? "" : "s"}` : "", invalid ? `${invalid} invalid` : ""].filter(Boolean).join(", ");
  const wall = parallel > 1 && plan.unique.length > 1 ? `; about ${duration(seconds / Math.min(parallel, plan.unique.length))} with ${parallel} at a time` : "";
  const unknownText = unknown ? ` (+${unknown} trial${unknown === 1 ? "" : "s"} whose length is known only at run time)` : "";
  L.push("", `${counts}. Estimated time: ${duration(seconds)} in all${steps !== undefined ? ` at --steps ${steps}` : ""}${unknownText}${wall}.`);
  const devices = [...new Set(plan.unique.map((t) => `${t.ir!.train.devices} x ${findDeviceProfile(t.ir!.train.device)?.name ?? t.ir!.train.device}`))];
  if (devices.length === 1) L.push(`(cost model of ${devices[0]} per trial)`);
  if (plan.dirName && plan.unique.some((t) => t.ir!.target === "vissl")) L.push(`These trials target VISSL: \`seerc sweep ${file} --emit slurm -o DIR\` writes a SLURM array job for them.`);
  else if (plan.dirName) L.push(`Run them with \`seerc sweep ${file}\` (into sweeps/${plan.dirName}/).`);
  return L.join("\n");
}

function dryRunJson(plan: SweepPlan | null, diagnostics: readonly Diagnostic[], steps?: number) {
  return {
    sweep: plan?.name ?? null,
    base: plan?.base ?? null,
    hash: plan?.hash ?? null,
    directory: plan?.dirName ?? null,
    axes: plan?.axes ?? [],
    trials: (plan?.trials ?? []).map((t) => ({
      index: t.index,
      assignment: t.values,
      hash: t.hash,
      valid: t.ir !== null,
      duplicate_of: t.duplicateOf,
      parameters: t.ir?.cost.parameters_total ?? null,
      estimated_seconds: t.ir ? estimatedSeconds(t.ir, steps) : null,
    })),
    estimated_seconds: plan ? totalEstimate(plan, steps).seconds : null,
    diagnostics: diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, line: d.span?.line ?? null, column: d.span?.column ?? null })),
  };
}

// ---- SLURM ---------------------------------------------------------------------------------

async function emitSlurmFiles(
  plan: SweepPlan,
  file: string,
  outDir: string,
  o: { parallel: number; backend: string; steps: number | null; texts: ReadonlyMap<string, string>; argv: string[]; known: readonly Diagnostic[] },
): Promise<number> {
  const { emitSlurm } = await import("../sweep/slurm.js");
  const scriptPath = shownPath(join(outDir, `${plan.name}.sbatch`));
  const emitted = emitSlurm(plan, { outDir, invocation: `seerc sweep ${o.argv.join(" ")}`, parallel: o.parallel, backend: o.backend, steps: o.steps, scriptPath, known: o.known });
  if (emitted.diagnostics.length > 0) printDiagnostics(emitted.diagnostics, o.texts, "text", 1, "stderr");
  if (countBySeverity(emitted.diagnostics).errors > 0) {
    err("nothing written: VISSL cannot run these trials as written");
    return 1;
  }
  for (const note of emitted.notes) err(`note: ${note}`);
  for (const f of emitted.files) writeAtomically(join(outDir, f.name), f.text);
  out(`wrote ${scriptPath}: ${emitted.tasks.length} array task${emitted.tasks.length === 1 ? "" : "s"} for ${plan.trials.length} trial${plan.trials.length === 1 ? "" : "s"} of ${file}, plus their IR files under ${shownPath(join(outDir, "trials"))}/`);
  return 0;
}

// ---- running -------------------------------------------------------------------------------

async function runSweepHere(plan: SweepPlan, file: string, args: ParsedArgs, o: { steps: number | undefined; parallel: number | undefined; backend: BackendPreference | undefined }): Promise<number> {
  const root = resolve(flag(args, "sweeps") ?? "sweeps");
  const dir = join(root, plan.dirName!);
  const resume = args.flags.has("resume");
  let state = existsSync(join(dir, "state.json")) ? readStateOrFail(dir) : null;
  const notes: string[] = [];

  if (state && !resume) {
    const c = countByStatus(state);
    throw new UsageError(`${shownPath(dir)} already holds this sweep (${c.completed} of ${state.trials.length} trials completed); continue it with \`--resume\`, or delete the folder to start over`);
  }
  if (state) {
    if (state.hash !== plan.hash) throw new UsageError(`${dir}/state.json belongs to a different sweep (hash ${state.hash.slice(0, 12)}, this one is ${plan.hash!.slice(0, 12)})`);
    if (state.status === "running" && state.host === hostname() && processAlive(state.pid)) {
      throw new UsageError(`the sweep in ${shownPath(dir)} is still running (process ${state.pid}); stop it first (Ctrl-C, or kill -INT ${state.pid})`);
    }
    const { live } = settleForResume(dir, state);
    if (live.length > 0) {
      const list = live.map((l) => `trial ${l.index} (process ${l.pid})`).join(", ");
      throw new UsageError(`runs of an earlier sweep process are still going: ${list}; wait for them or stop them (kill -INT PID), then resume`);
    }
    // The metric and fail_fast are not part of any IR: an edit to them keeps the sweep's directory, and takes effect now.
    state.metric = plan.settings.metric;
    state.options.fail_fast = plan.settings.fail_fast;
    for (const t of state.trials) if (t.status === "completed" && t.run_dir) fillFromSummary(t, readRunSummary(absolutePath(dir, t.run_dir)), state.metric?.path ?? null);
  } else {
    state = newSweepState(plan, file, { backend: o.backend ?? "auto", steps: o.steps ?? null, parallel: o.parallel ?? plan.settings.parallel, fail_fast: plan.settings.fail_fast });
    if (resume) {
      const reused = completedRunsElsewhere(root, plan.name, dir);
      for (const t of state.trials) {
        const found = t.duplicate_of === null ? reused.get(t.hash) : undefined;
        if (!found) continue;
        t.status = "completed";
        t.run_dir = storedPath(dir, found.runDir);
        fillFromSummary(t, readRunSummary(found.runDir), state.metric?.path ?? null);
      }
      const n = state.trials.filter((t) => t.status === "completed").length;
      notes.push(n > 0 ? `reusing ${n} completed run(s) of earlier versions of this sweep` : "no earlier run of this sweep to resume; starting it");
    }
  }
  // Options of a resumed sweep stay those it started with, unless given again.
  const backend = o.backend ?? (state.options.backend as BackendPreference);
  const steps = o.steps ?? state.options.steps ?? null;
  const parallel = o.parallel ?? plan.settings.parallel;
  state.options = { ...state.options, backend, steps, parallel };

  mkdirSync(join(dir, "trials"), { recursive: true });
  for (const t of plan.trials) {
    const target = absolutePath(dir, state.trials[t.index].ir_file);
    if (!existsSync(target)) writeAtomically(target, canonicalPretty(t.ir!));
  }
  writeState(dir, state);
  writeResults(dir, state);

  const presentation = args.flags.has("json") ? "json" : args.flags.has("plain") || !process.stdout.isTTY ? "plain" : "ink";
  const { SweepRunner } = await import("../sweep/runner.js");
  const { currentSeerc } = await import("../sweep/child.js");
  const { PlainSweepLogger } = await import("../sweep/log.js");
  for (const n of notes) (presentation === "json" ? err : out)(n);

  let view: { handle(e: SweepEvent): void; close(): Promise<void> } | null = null;
  let ended: SweepEvent | null = null;
  const plain = new PlainSweepLogger((line) => out(line), state.metric?.path ?? null);
  const runner = new SweepRunner({
    dir,
    state,
    command: currentSeerc(),
    parallel,
    failFast: plan.settings.fail_fast,
    backend,
    steps,
    workers: intFlag(args, "workers") ?? null,
    emit: (event) => {
      if (event.type === "sweep_end") ended = event;
      if (presentation === "json") out(JSON.stringify(event));
      else if (view) view.handle(event);
      else plain.handle(event);
    },
  });
  if (presentation === "ink") {
    const { startSweepView, SweepViewModel } = await import("../sweep/ui.js");
    view = startSweepView({ model: new SweepViewModel(state, shownPath(dir)), onInterrupt: () => runner.stop() });
  }
  const onSignal = () => runner.stop();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let status;
  try {
    status = await runner.run();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (view) await view.close();
  }
  if (presentation !== "json") {
    // The live table is gone once closed; its last line stays in the terminal's scrollback as plain text.
    if (view && ended) plain.handle(ended);
    out("");
    out(summaryTable(state));
    out(`\nresults: ${shownPath(join(dir, "results.csv"))} · state: ${shownPath(join(dir, "state.json"))}`);
  }
  return status === "completed" ? 0 : status === "failed" ? 1 : 130;
}

/** Relative to the working folder when inside it, absolute otherwise. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

function readStateOrFail(dir: string): SweepState {
  try {
    return readState(dir)!;
  } catch (e) {
    throw new UsageError(`cannot read ${join(dir, "state.json")}: ${(e as Error).message}`);
  }
}
