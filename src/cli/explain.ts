import { flag, flagAll, parseArgs, UsageError } from "./args.js";
import { HELP_FLAG, OVERRIDE_FLAG, type Command } from "./command.js";
import { loadExperiment } from "./load.js";
import { overridesFrom } from "./workspace.js";
import { out } from "./io.js";
import { canonicalPretty } from "../compile/hash.js";
import type { DurationIR, ExperimentIR } from "../compile/ir.js";
import { learningRateAt } from "../compile/schedule.js";
import { findDeviceProfile } from "../compile/device-profiles.js";
import { BLOCK_SPECS, type FieldSpec } from "../check/registry.js";
import { didYouMean, suggestNames } from "../diagnostics/did-you-mean.js";

const fmtInt = (n: number) => n.toLocaleString("en-US");
const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** 1,234,567,890 → "1.23 G" for FLOPs and parameter totals. */
export function si(n: number): string {
  const units: Array<[number, string]> = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [scale, unit] of units) if (Math.abs(n) >= scale) return `${(n / scale).toFixed(n / scale >= 100 ? 0 : n / scale >= 10 ? 1 : 2)} ${unit}`;
  return String(n);
}

export function duration(seconds: number): string {
  if (seconds < 1) return `${(seconds * 1000).toFixed(0)} ms`;
  if (seconds < 120) return `${seconds.toFixed(2)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 3 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

function describeDuration(d: DurationIR): string {
  const unit = d.amount === 1 ? d.unit.slice(0, -1) : d.unit;
  const written = `${fmtInt(d.amount)} ${unit}${d.of ? ` of ${d.of.dataset} at ${d.of.batch}` : ""}`;
  if (d.unit === "steps") return written;
  return d.steps === null ? `${written} (steps known at run time)` : `${written} = ${fmtInt(d.steps)} steps`;
}

function table(rows: string[][], align: Array<"l" | "r">): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (align[c] === "r" ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd());
}

/** The learning-rate curve drawn with text: one column per slice of the run, log-free linear axis. */
export function plotSchedule(ir: ExperimentIR, width = 64, height = 10): string[] {
  const pieces = ir.schedule.pieces;
  if (pieces.length === 0) return ["  (the schedule is laid out once the run's length is known at run time)"];
  const total = pieces[pieces.length - 1].end_step;
  const values = Array.from({ length: width }, (_, i) => learningRateAt(pieces, Math.min(total - 1, Math.floor(((i + 0.5) / width) * total))));
  const max = Math.max(...values, 1e-12);
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(" "));
  values.forEach((v, x) => {
    const y = height - 1 - Math.round((v / max) * (height - 1));
    grid[y][x] = "•";
  });
  const label = (v: number) => v.toPrecision(3).padStart(9);
  const lines = grid.map((row, i) => `${i === 0 ? label(max) : i === height - 1 ? label(0) : " ".repeat(9)} ┤${row.join("")}`);
  lines.push(`${" ".repeat(10)}└${"─".repeat(width)}`);
  lines.push(`${" ".repeat(11)}0${`step ${fmtInt(total)}`.padStart(width - 1)}`);
  return lines;
}

export function explainText(ir: ExperimentIR, sourcePath: string | null): string {
  const L: string[] = [];
  const t = ir.trunk;
  L.push(`experiment ${ir.name}${sourcePath ? `  (${sourcePath})` : ""}`);
  L.push(`  target ${ir.target} · seed ${ir.seed} · IR hash ${ir.hash.slice(0, 12)}`);
  L.push("");
  const gen = t.generator;
  const genText = gen ? `w0=${gen.w0} wa=${gen.wa} wm=${gen.wm} group_width=${gen.group_width} depth=${gen.depth}, ${gen.rounding} rounding` : "explicit stages";
  L.push(`Trunk  ${t.kind}${t.preset ? ` (${t.preset})` : ""}: ${genText}, SE ${t.se_ratio}`);
  const rows = [["stage", "depth", "width", "groups", "group width", "bottleneck", "SE width"], ["stem", "1", String(t.stem_width), "", "", "", ""]];
  t.stages.forEach((s, i) => rows.push([String(i + 1), String(s.depth), String(s.width), String(s.groups), String(s.group_width), String(s.bottleneck_width), String(s.se_width)]));
  L.push(...table(rows, ["l", "r", "r", "r", "r", "r", "r"]).map((r) => `  ${r}`));
  L.push(`  width ${t.width} (trunk.width) · total stride ${t.total_stride} · ${fmtInt(t.parameters)} parameters`);
  L.push(`Head   mlp [${ir.head.dims.join(", ")}]${ir.head.batchnorm ? " with BatchNorm" : ""} · ${fmtInt(ir.head.parameters)} parameters`);
  L.push(`Prototypes  ${fmtInt(ir.loss.prototypes)} x ${ir.head.dims[ir.head.dims.length - 1]} · ${fmtInt(ir.loss.prototype_parameters)} parameters`);
  L.push(`Total  ${fmtInt(ir.cost.parameters_total)} parameters (${si(ir.cost.parameters_total)})`);
  L.push("");
  L.push(`Compute (multiply-adds per image)`);
  for (const c of ir.cost.flops_per_crop) L.push(`  trunk at ${c.size}px: ${si(c.flops)} x ${c.count} crop${c.count === 1 ? "" : "s"}`);
  L.push(`  whole recipe, with head and prototypes: ${si(ir.cost.flops_per_image)}`);
  L.push("");
  const tr = ir.train;
  L.push(`Batch  ${tr.batch_per_device} per device x ${tr.devices} device${tr.devices === 1 ? "" : "s"} = ${fmtInt(tr.global_batch)} global${tr.micro_batch < tr.batch_per_device ? ` · micro-batches of ${tr.micro_batch}` : ""}`);
  const src = ir.data.source;
  const where = src.kind === "synthetic" ? `synthetic (${fmtInt(src.images)} images, ${src.classes} classes, ${src.size}px)` : src.kind === "named" ? src.name : src.kind === "list" ? `list ${src.file}` : `${src.kind} ${src.path}`;
  L.push(`Data   ${where} · ${ir.data.images === null ? "size known at run time" : `${fmtInt(ir.data.images)} images`}`);
  L.push(`Length ${describeDuration(tr.length)}${tr.steps_per_epoch !== null ? ` · ${fmtInt(tr.steps_per_epoch)} steps per epoch` : ""}`);
  L.push(`Crops  ${ir.augment.crops.map((c) => `${c.count} x ${c.size}px (scale ${c.scale[0]}..${c.scale[1]})`).join(" + ")}`);
  L.push(`SwAV   temperature ${ir.loss.temperature} · Sinkhorn epsilon ${ir.loss.sinkhorn.epsilon}, ${ir.loss.sinkhorn.iterations} iterations · codes from crops [${ir.loss.assign_crops.join(", ")}]`);
  L.push(`  prototypes frozen for ${describeDuration(ir.loss.freeze_prototypes)}`);
  if (ir.loss.queue) L.push(`  queue of ${fmtInt(ir.loss.queue.length)} embeddings from ${describeDuration(ir.loss.queue.start)}`);
  L.push(`  checkpoint every ${describeDuration(tr.checkpoint_every)}, keep ${tr.keep_checkpoints}`);
  L.push("");
  const profile = findDeviceProfile(tr.device);
  L.push(`Estimates on ${tr.devices} x ${profile?.name ?? tr.device}`);
  L.push(`  memory per device ${gib(ir.cost.activation_bytes_per_device)} of ${gib(ir.cost.device_memory_bytes)} (${tr.precision}${tr.activation_checkpointing ? ", activation checkpointing" : ""})`);
  if (ir.cost.step_seconds !== null) {
    L.push(`  ${duration(ir.cost.step_seconds)} per step${ir.cost.total_seconds !== null ? ` · ${duration(ir.cost.total_seconds)} in all` : ""}`);
  }
  if (profile) L.push(`  (assumes ${(profile.utilisation[tr.precision] * 100).toFixed(0)}% of the ${si(tr.precision === "mixed" ? profile.peakFlopsMixed : profile.peakFlopsFp32)}FLOP/s peak; see the device profile's sources)`);
  L.push("");
  L.push(`Schedule  ${ir.schedule.written}`);
  for (const p of ir.schedule.pieces) {
    const span = `steps ${fmtInt(p.start_step)}..${fmtInt(p.end_step)}`;
    if (p.kind === "constant") L.push(`  ${span}: constant ${p.value}`);
    else if (p.kind === "step") L.push(`  ${span}: ${p.value}${p.milestones.map((m) => `, x${m.factor} at step ${fmtInt(m.step)}`).join("")}`);
    else L.push(`  ${span}: ${p.kind} ${p.from} -> ${p.to}`);
  }
  L.push(...plotSchedule(ir));
  if (ir.evaluate.length > 0) {
    L.push("");
    L.push("Evaluation");
    for (const e of ir.evaluate) {
      const s = e.data.source;
      const data = s.kind === "named" ? s.name : s.kind === "synthetic" ? "synthetic" : `${s.kind}`;
      const extra = e.kind === "knn" ? `k=${e.k}, T=${e.temperature}` : `${e.epochs} epochs, batch ${e.batch}${e.schedule ? `, ${e.schedule.written}` : ""}${e.fraction !== null ? `, ${(e.fraction * 100).toFixed(1)}% of labels` : ""}`;
      L.push(`  ${e.kind} on ${data}: ${extra}`);
    }
  }
  return L.join("\n");
}

function fieldDocs(kind: string | undefined): string {
  const kinds = kind ? [kind] : [...BLOCK_SPECS.keys()];
  const L: string[] = [];
  for (const k of kinds) {
    const spec = BLOCK_SPECS.get(k);
    if (!spec) {
      const suggestions = suggestNames(k, BLOCK_SPECS.keys());
      throw new UsageError(`unknown block kind \`${k}\`.${didYouMean(suggestions)}`);
    }
    L.push(`${spec.kind}${spec.family ? ` (${spec.family})` : ""} — ${spec.doc}`);
    for (const f of spec.fields) L.push(`  ${f.name}: ${typeText(f)}${f.required ? " (required)" : f.default !== undefined ? ` = ${defaultText(f.default)}` : ""}\n      ${f.doc}`);
    L.push("");
  }
  return L.join("\n");
}

function typeText(f: FieldSpec): string {
  const t = f.type;
  if (t.type === "enum") return t.values.join(" | ");
  if (t.type === "block") return `${t.block} { … }`;
  if (t.type === "variant") return `${t.family} kind or preset`;
  if (t.type === "custom") return t.reader;
  return t.type;
}

function defaultText(v: unknown): string {
  if (v && typeof v === "object" && "written" in (v as object)) return String((v as { written: string }).written);
  if (v && typeof v === "object" && "amount" in (v as object)) {
    const d = v as { amount: number; unit: string };
    return `${d.amount} ${d.unit}`;
  }
  return JSON.stringify(v);
}

export const explainCommand: Command = {
  name: "explain",
  summary: "show every derived value: stages, parameters, FLOPs, batch, steps, memory, time, schedule",
  usage: "seerc explain FILE|IR.json [--json] [--experiment NAME] [-s path=value …]   |   seerc explain --fields [KIND]",
  flags: [
    { name: "json", doc: "print the IR (every derived value) as JSON" },
    { name: "experiment", value: true, doc: "which experiment, when the file defines several" },
    { name: "fields", doc: "document the fields of every block kind (or of KIND) instead" },
    OVERRIDE_FLAG,
    HELP_FLAG,
  ],
  examples: ["seerc explain experiments/seer_1p3b.seer", "seerc explain experiments/quickstart.seer -s train.batch=64", "seerc explain --fields swav"],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.flags.has("fields")) {
      out(fieldDocs(args.positionals[0]));
      return 0;
    }
    if (args.positionals.length !== 1) throw new UsageError("seerc explain takes one file; see `seerc explain --help`");
    const loaded = loadExperiment(args.positionals[0], { overrides: overridesFrom(flagAll(args, "set")), experiment: flag(args, "experiment") });
    if (args.flags.has("json")) out(canonicalPretty(loaded.ir));
    else out(explainText(loaded.ir, args.positionals[0]));
    return 0;
  },
};
