import type { CheckedExperiment, CheckedTrunk } from "../check/checked.js";
import { KNOWN_DATASETS } from "../check/registry.js";
import { deriveAnyNet, deriveRegNet, type ParamProblem, type StageTable } from "./regnet.js";
import { estimateMemory, estimateStep, type MemoryEstimate, type StepEstimate, type TrainingSetup } from "./cost.js";
import { findDeviceProfile, type DeviceProfile } from "./device-profiles.js";
import { durationSteps, resolveSchedule, type ResolvedSchedule, type RunSize } from "./schedule.js";

/**
 * Every value that follows from what the user wrote, computed once: the RegNet stage table, head
 * dimensions, global batch, run length, schedule pieces and cost estimates. `seerc explain` shows
 * them; the IR stores them; rules compare them with what the user wrote. Each is null when an
 * input it needs is missing or broken (the checker already said why).
 */
export interface Derived {
  table: StageTable | null;
  trunkProblems: ParamProblem[];
  headDims: number[] | null;
  globalBatch: number | null;
  microBatch: number | null;
  datasetImages: number | null;
  /** Where the dataset size came from, for `explain`. */
  datasetImagesSource: "declared" | "named dataset" | "synthetic" | "unknown until run time";
  totalSteps: number | null;
  stepsPerEpoch: number | null;
  schedule: ResolvedSchedule | null;
  crops: Array<{ count: number; size: number }> | null;
  memory: MemoryEstimate | null;
  step: StepEstimate | null;
  profile: DeviceProfile | null;
  trainingSetup: TrainingSetup | null;
}

export function deriveTrunk(trunk: CheckedTrunk): { table: StageTable | null; problems: ParamProblem[] } {
  if (trunk.kind === "anynet") {
    if (!trunk.depths || !trunk.widths || !trunk.group_widths) return { table: null, problems: [] };
    const r = deriveAnyNet({
      depths: trunk.depths,
      widths: trunk.widths,
      groupWidths: trunk.group_widths,
      seRatio: trunk.se_ratio ?? 0,
      bottleneckMultipliers: trunk.depths.map(() => trunk.bottleneck ?? 1),
      stemWidth: trunk.stem_width ?? 32,
    });
    return r.ok ? { table: r.table, problems: [] } : { table: null, problems: r.problems };
  }
  const { w0, wa, wm, group_width, depth } = trunk;
  if (w0 === null || wa === null || wm === null || group_width === null || depth === null) return { table: null, problems: [] };
  const r = deriveRegNet(
    { w0, wa, wm, groupWidth: group_width, depth, seRatio: trunk.kind === "regnety" ? (trunk.se_ratio ?? 0.25) : 0, bottleneckMultiplier: trunk.bottleneck ?? 1, stemWidth: trunk.stem_width ?? 32 },
    { rounding: trunk.rounding ?? "pycls" },
  );
  return r.ok ? { table: r.table, problems: [] } : { table: null, problems: r.problems };
}

export function datasetSize(exp: CheckedExperiment): { images: number | null; source: Derived["datasetImagesSource"] } {
  const data = exp.data;
  if (!data || !data.source) return { images: null, source: "unknown until run time" };
  if (data.images !== null) return { images: data.images, source: data.source.kind === "synthetic" ? "synthetic" : "declared" };
  if (data.source.kind === "named") {
    const known = KNOWN_DATASETS[data.source.name];
    return { images: data.split === "test" ? known.testImages : known.trainImages, source: "named dataset" };
  }
  return { images: null, source: "unknown until run time" };
}

export function deriveAll(exp: CheckedExperiment): Derived {
  const trunk = exp.trunk ? deriveTrunk(exp.trunk) : { table: null, problems: [] };
  const table = trunk.table;
  const headDims = exp.head?.dims && table ? exp.head.dims.map((d) => (typeof d === "number" ? d : table.width)) : exp.head?.dims && exp.head.dims.every((d) => typeof d === "number") ? (exp.head.dims as number[]) : null;
  const batch = exp.train?.batch ?? null;
  const globalBatch = batch ? batch.perDevice * batch.devices : null;
  const microBatch = batch ? (exp.train?.micro_batch ?? batch.perDevice) : null;
  const size = datasetSize(exp);
  const run: RunSize | null = globalBatch ? { globalBatch, datasetImages: size.images } : null;

  let totalSteps: number | null = null;
  if (run && exp.train) {
    if (exp.train.steps !== null) totalSteps = exp.train.steps;
    else if (exp.train.images !== null) totalSteps = durationSteps({ amount: exp.train.images, unit: "images", of: null }, run);
    else totalSteps = durationSteps({ amount: exp.train.epochs ?? 1, unit: "epochs", of: null }, run);
  }
  const stepsPerEpoch = run && size.images !== null ? Math.ceil(size.images / run.globalBatch) : null;
  const schedule = exp.schedule && run ? resolveSchedule(exp.schedule.pieces, totalSteps, run) : null;

  const crops = exp.augment?.crop && exp.augment.crop.length > 0 ? exp.augment.crop.map((c) => ({ count: c.count, size: c.size })) : null;
  const profile = findDeviceProfile(exp.train?.device ?? "cpu") ?? null;
  let trainingSetup: TrainingSetup | null = null;
  let memory: MemoryEstimate | null = null;
  let step: StepEstimate | null = null;
  if (table && crops && headDims && batch && exp.train && exp.loss?.prototypes) {
    trainingSetup = {
      table,
      crops,
      head: { dims: headDims, batchNorm: exp.head?.batchnorm ?? false },
      prototypes: exp.loss.prototypes,
      batchPerDevice: batch.perDevice,
      devices: batch.devices,
      precision: exp.train.precision ?? "fp32",
      activationCheckpointing: exp.train.activation_checkpointing ?? false,
    };
    // What is in memory at once is one micro-batch (the whole device batch unless accumulation is asked for).
    memory = estimateMemory({ ...trainingSetup, batchPerDevice: microBatch ?? batch.perDevice });
    if (profile) step = estimateStep(trainingSetup, profile);
  }
  return {
    table,
    trunkProblems: trunk.problems,
    headDims,
    globalBatch,
    microBatch,
    datasetImages: size.images,
    datasetImagesSource: size.source,
    totalSteps,
    stepsPerEpoch,
    schedule,
    crops,
    memory,
    step,
    profile,
    trainingSetup,
  };
}
