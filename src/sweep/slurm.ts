import { join } from "node:path";
import type { Diagnostic } from "../diagnostics/types.js";
import { canonicalPretty } from "../compile/hash.js";
import { compileToVissl } from "../compile/targets/vissl.js";
import type { PlannedTrial, SweepPlan } from "./plan.js";
import { trialLabel } from "./plan.js";

/**
 * `seerc sweep FILE --emit slurm -o DIR`: one sbatch array script, one array task per distinct trial.
 * A task of a tfjs trial runs `seerc run` on the trial's IR (resuming its last run directory when the
 * task is requeued); a task of a VISSL trial installs the trial's compiled config in the VISSL checkout
 * and runs the launch script the VISSL target wrote for it. Pure: returns the files to write.
 */
export interface EmittedFile {
  /** Relative to the output folder. */
  name: string;
  text: string;
}

export interface SlurmEmit {
  files: EmittedFile[];
  diagnostics: Diagnostic[];
  /** Array task → trial index. */
  tasks: Array<{ task: number; trial: number }>;
  script: string;
  notes: string[];
}

export interface SlurmOptions {
  /** Absolute path of the output folder, the default SWEEP_DIR of the script. */
  outDir: string;
  /** How the command was invoked, for the header. */
  invocation: string;
  /** Concurrent array tasks (`--array=0-N%P`). */
  parallel: number;
  backend: string;
  steps: number | null;
  /** The script's path as the user should type it after `sbatch`. */
  scriptPath: string;
  /** Diagnostics already shown (the sweep's check runs the VISSL target's rules too): the same message is not repeated. */
  known?: readonly Diagnostic[];
}

/** Single-quoted for bash: safe for any text. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const comment = (text: string) => text.replace(/[\r\n]+/g, " ");

interface TaskPlan {
  trial: PlannedTrial;
  label: string;
  body: string[];
}

export function emitSlurm(plan: SweepPlan, options: SlurmOptions): SlurmEmit {
  const count = plan.trials.length;
  const files: EmittedFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const notes: string[] = [];
  const vissl = new Map<string, { message: string; severity: Diagnostic["severity"]; code: Diagnostic["code"]; trials: PlannedTrial[] }>();
  const tasks: TaskPlan[] = [];
  let nodes = 1;
  let gpusPerNode = 0;
  const shapes = new Set<string>();

  for (const trial of plan.unique) {
    const ir = trial.ir!;
    const label = trialLabel(trial.index, count);
    files.push({ name: join("trials", `${label}.ir.json`), text: canonicalPretty(ir) });
    if (ir.target === "vissl") {
      const configName = `seerc_sweeps/${plan.name}/trial_${label}`;
      // Each trial gets its own experiment name: VISSL keeps checkpoints under checkpoints/<name> and
      // resumes from whatever it finds there.
      const compiled = compileToVissl({ ...ir, name: `${plan.name}_${label}` }, { launcher: "slurm", configName });
      for (const d of compiled.diagnostics) {
        if (options.known?.some((k) => k.message.includes(d.message))) continue;
        const key = `${d.code}|${d.message}`;
        const entry = vissl.get(key) ?? { message: d.message, severity: d.severity, code: d.code, trials: [] };
        entry.trials.push(trial);
        vissl.set(key, entry);
      }
      for (const f of compiled.files) files.push({ name: join("trials", label, f.name), text: f.text });
      const perNode = Math.max(1, Math.floor(ir.train.devices / ir.train.nodes));
      nodes = Math.max(nodes, ir.train.nodes);
      gpusPerNode = Math.max(gpusPerNode, perNode);
      shapes.add(`${ir.train.nodes} node(s) x ${perNode} GPUs`);
      tasks.push({ trial, label, body: [`run_vissl ${label} ${shellQuote(configName)}`] });
    } else {
      shapes.add("1 node");
      tasks.push({ trial, label, body: [`run_seerc ${label}`] });
    }
  }

  for (const entry of vissl.values()) {
    const first = entry.trials[0];
    const which = entry.trials.length === plan.unique.length ? (plan.unique.length > 1 ? `every trial` : `trial ${first.index}`) : `trial${entry.trials.length > 1 ? "s" : ""} ${entry.trials.map((t) => t.index).join(", ")}`;
    diagnostics.push({
      code: entry.code,
      severity: entry.severity,
      message: `VISSL target, ${which} (${first.assignmentText}${entry.trials.length > 1 ? ", …" : ""}): ${entry.message}`,
      span: first.assignment[0]?.axisSpan,
      related: [],
      suggestions: [],
    });
  }
  if (shapes.size > 1) notes.push(`the trials need different resources (${[...shapes].join("; ")}); every array task asks for the largest (${nodes} node(s) x ${gpusPerNode} GPUs)`);

  const hasVissl = tasks.some((t) => t.trial.ir!.target === "vissl");
  const hasSeerc = tasks.some((t) => t.trial.ir!.target !== "vissl");
  const last = tasks.length - 1;
  const throttle = options.parallel > 0 && options.parallel < tasks.length ? `%${options.parallel}` : "";
  const seercFlags = [`--backend ${options.backend}`, options.steps !== null ? `--steps ${options.steps}` : "", "--plain"].filter(Boolean).join(" ");
  const L: string[] = [
    "#!/bin/bash",
    `# seerc sweep \`${plan.name}\` (from \`${plan.base}\`): ${count} trial${count === 1 ? "" : "s"}, ${tasks.length} distinct, one per array task.`,
    `# Generated by \`${comment(options.invocation)}\`; edits are lost on the next emit.`,
    `# Submit with \`sbatch ${options.scriptPath}\`${hasVissl ? " from the root of a VISSL checkout (or set VISSL_DIR)" : ""}.`,
    ...(throttle ? [`# At most ${options.parallel} task${options.parallel === 1 ? "" : "s"} at once: the sweep's \`parallel\` (\`--parallel N\` changes it).`] : []),
    "# SEERC_SWEEP_DIR overrides where the trials' files are (default: where they were written).",
    ...(hasSeerc ? ["# SEERC overrides the seerc command (default: `seerc` on PATH), e.g. SEERC=\"node /opt/seerc/bin/seerc.js\"."] : []),
    `#SBATCH --job-name=${plan.name.replace(/[^A-Za-z0-9_.-]/g, "_")}`,
    `#SBATCH --array=0-${last}${throttle}`,
    `#SBATCH --nodes=${nodes}`,
    "#SBATCH --ntasks-per-node=1",
    ...(gpusPerNode > 0 ? [`#SBATCH --gpus-per-node=${gpusPerNode}`, "#SBATCH --exclusive"] : []),
    "#SBATCH --output=%x-%A_%a.out",
    "",
    "set -euo pipefail",
    `SWEEP_DIR="\${SEERC_SWEEP_DIR:-${options.outDir.replace(/(["\\$`])/g, "\\$1")}}"`,
    "",
  ];
  if (hasSeerc) {
    L.push(
      "# A requeued task continues the trial's last run from its checkpoint.",
      "run_seerc() {",
      '  local trial="$1" runs="$SWEEP_DIR/runs/$1" last=""',
      '  local -a seerc',
      '  read -r -a seerc <<< "${SEERC:-seerc}"',
      '  mkdir -p "$runs"',
      '  last=$(ls -1d "$runs"/*/ 2>/dev/null | tail -n 1 || true)',
      '  if [ -n "$last" ] && [ -d "${last}checkpoints" ]; then',
      `    exec "\${seerc[@]}" run "$SWEEP_DIR/trials/$trial.ir.json" --runs "$runs" ${seercFlags} --resume "$last"`,
      "  fi",
      `  exec "\${seerc[@]}" run "$SWEEP_DIR/trials/$trial.ir.json" --runs "$runs" ${seercFlags}`,
      "}",
      "",
    );
  }
  if (hasVissl) {
    L.push(
      "# Installs the trial's configs under configs/config/ of the VISSL checkout, then runs its launch script there.",
      "run_vissl() {",
      '  local trial="$1" config="$2"',
      '  local vissl_dir="${VISSL_DIR:-${SLURM_SUBMIT_DIR:-$PWD}}"',
      '  local target="$vissl_dir/configs/config/$(dirname "$config")"',
      '  mkdir -p "$target"',
      '  cp "$SWEEP_DIR/trials/$trial"/*.yaml "$target/"',
      '  cd "$vissl_dir"',
      '  exec bash "$SWEEP_DIR/trials/$trial/$(basename "$config").sbatch"',
      "}",
      "",
    );
  }
  L.push('case "${SLURM_ARRAY_TASK_ID:?this script runs as a SLURM array task}" in');
  tasks.forEach((t, task) => {
    L.push(`  ${task}) # trial ${t.trial.index}: ${comment(t.trial.assignmentText)}`);
    for (const line of t.body) L.push(`    ${line} ;;`);
  });
  L.push('  *) echo "no trial for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;', "esac");
  const duplicates = plan.trials.filter((t) => t.duplicateOf !== null);
  if (duplicates.length > 0) {
    L.push("", "# Trials that are the same experiment as an earlier one run once, as that trial:");
    for (const d of duplicates) L.push(`#   trial ${d.index} (${comment(d.assignmentText)}) = trial ${d.duplicateOf}`);
  }
  const script = L.join("\n") + "\n";
  files.push({ name: `${plan.name}.sbatch`, text: script });
  return { files, diagnostics, tasks: tasks.map((t, task) => ({ task, trial: t.trial.index })), script, notes };
}
