import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ExperimentIR, SchedulePieceIR } from "../../compile/ir.js";
import { durationSteps, learningRateAt, resolveSchedule, withRunTimeSpans } from "../../compile/schedule.js";
import type { BackendInfo } from "../backend.js";
import { createBatchStream, openSource, type Batch, type BatchStream, type ImageSource } from "../data/index.js";
import { createSwavModel, type SwavModel } from "../model/index.js";
import { createOptimizer, type Optimizer } from "../optim/index.js";
import { EmbeddingQueue, sinkhornWithQueue, swavLoss, swavLossWithCodes, withoutGradient } from "../swav/index.js";
import { diffIR, latestGoodCheckpoint, writeCheckpoint, type CheckpointContents } from "./checkpoint.js";
import type { RunEvent, RunEventListener } from "./events.js";
import type { NamedTensor } from "./safetensors.js";
import { augmentSpecOf, modelSpecOf, optimizerSpecOf, sourceSpecOf } from "./specs.js";

/** Set by the front end (signals, keys); read between steps. */
export interface TrainControl {
  stopRequested: boolean;
  checkpointRequested: boolean;
}

export interface TrainOptions {
  ir: ExperimentIR;
  runDir: string;
  backend: BackendInfo;
  emit: RunEventListener;
  control: TrainControl;
  /** Continue from the run directory's newest good checkpoint. */
  resume?: boolean;
  /** Stop after this many steps in total (`--steps N`), whatever the IR says. */
  maxSteps?: number;
  /** Data workers; default from the IR (0 = automatic). */
  workers?: number;
}

export interface TrainResult {
  status: "completed" | "stopped";
  steps: number;
  finalLoss: number | null;
  model: SwavModel;
  /** Images of the training source, as opened (evaluation may reuse the source's settings). */
  datasetImages: number | null;
}

/** A run that cannot continue; the message is written for the user (the CLI adds the code). */
export class TrainingError extends Error {
  constructor(readonly code: "SEER7003" | "SEER7004" | "SEER7005" | "SEER7008" | "SEER7002", message: string) {
    super(message);
  }
}

const PROTOTYPES_WEIGHT = "prototypes.weight";

export interface StepOutcome {
  loss: number;
  prototypesUsed: number;
  assignmentEntropy: number;
  maxEntropy: number;
}

/** Trains the experiment the IR describes. Emits events; never prints. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { ir, runDir, emit, control } = options;
  const started = Date.now();
  const source = await openSource(sourceSpecOf(ir.data.source));
  const datasetImages = source.size() ?? (await countImages(source));
  const totalSteps = Math.min(options.maxSteps ?? Number.POSITIVE_INFINITY, planTotalSteps(ir, datasetImages));
  const pieces = schedulePieces(ir, datasetImages, planTotalSteps(ir, datasetImages));
  const run = { globalBatch: ir.train.global_batch, datasetImages };
  const freezeSteps = durationSteps(ir.loss.freeze_prototypes, run) ?? 0;

  const model = createSwavModel(modelSpecOf(ir));
  const trainable = model.trainableVariables();
  // Biases and BatchNorm weights by what they are, not by how they are named (the head's BN is `head.1.*`).
  const isBiasOrNorm = (name: string) => ["conv_bias", "linear_bias", "bn_weight", "bn_bias"].includes(model.roleOf(name));
  const optimizer = createOptimizer(optimizerSpecOf(ir.optimizer), trainable, { isBiasOrNorm });
  const queue = ir.loss.queue
    ? new EmbeddingQueue({ assignedCrops: ir.loss.assign_crops.length, length: ir.loss.queue.length, dim: model.embeddingDim, startStep: durationSteps(ir.loss.queue.start, run) ?? 0 })
    : null;

  let startStep = 0;
  let resumedFrom: string | null = null;
  if (options.resume) {
    const latest = latestGoodCheckpoint(runDir);
    for (const s of latest?.skipped ?? []) emit({ type: "warning", code: "SEER7004", message: `skipping a damaged checkpoint: ${s.reason}` });
    if (latest) {
      restore(latest.contents, latest.dir, ir, model, optimizer, queue);
      startStep = latest.contents.state.step;
      resumedFrom = latest.dir;
    } else emit({ type: "warning", message: `no checkpoint to resume from in ${runDir}; starting from step 0` });
  }

  const stream = createBatchStream({
    source,
    augment: augmentSpecOf(ir.augment),
    batchSize: ir.train.global_batch,
    seed: ir.seed,
    workers: options.workers ?? (ir.data.workers === 0 ? undefined : ir.data.workers),
    startStep,
  });

  emit({
    type: "run_start",
    time: new Date(started).toISOString(),
    experiment: ir.name,
    hash: ir.hash,
    runDir,
    backend: { ...options.backend },
    data: { source: source.location, images: datasetImages, workers: stream.workers },
    totalSteps,
    startStep,
    globalBatch: ir.train.global_batch,
    microBatch: ir.train.micro_batch,
    parameters: model.parameterCount(),
    resumedFrom,
  });

  const keep = ir.train.keep_checkpoints;
  const checkpointEvery = durationSteps(ir.train.checkpoint_every, run) ?? 0;
  let step = startStep;
  let lastLoss: number | null = null;
  let skippedTotal = 0;
  const save = (reason: "interval" | "requested" | "stop" | "final") => {
    const path = writeCheckpoint(runDir, ir, snapshot(ir, step, lastLoss, stream, model, optimizer, queue), keep);
    emit({ type: "checkpoint", step, path, reason });
  };

  try {
    while (step < totalSteps) {
      // A step blocks the event loop; yielding between steps lets signals and keys set `control`.
      await new Promise((resolve) => setImmediate(resolve));
      if (control.stopRequested) break;
      const next = await stream.next();
      if (next.done) throw new TrainingError("SEER7002", `the data stream ended at step ${step}`);
      const batch = next.value;
      const dataWaitMs = batch.dataWaitMs;
      if (batch.skipped.length > 0) {
        skippedTotal += batch.skipped.length;
        emit({ type: "skipped_files", total: skippedTotal, files: batch.skipped.map((s) => ({ path: s.path, reason: s.reason })) });
      }
      const stepStart = Date.now();
      const lr = learningRateAt(pieces, step);
      const outcome = trainStep(ir, model, optimizer, queue, batch, step, lr, step < freezeSteps);
      lastLoss = outcome.loss;
      step++;
      const stepMs = Date.now() - stepStart;
      const mem = tf.memory();
      const event: RunEvent = {
        type: "step",
        step,
        totalSteps,
        loss: outcome.loss,
        lr,
        imagesPerSecond: (ir.train.global_batch * 1000) / Math.max(1, stepMs + dataWaitMs),
        stepMs,
        dataWaitMs,
        prototypesUsed: outcome.prototypesUsed,
        prototypes: ir.loss.prototypes,
        assignmentEntropy: outcome.assignmentEntropy,
        maxEntropy: outcome.maxEntropy,
        prototypesFrozen: step <= freezeSteps,
        queueActive: queue?.isFull() ?? false,
        memory: { rssBytes: process.memoryUsage().rss, tensors: mem.numTensors, tensorBytes: mem.numBytes },
      };
      emit(event);
      if (control.checkpointRequested) {
        control.checkpointRequested = false;
        save("requested");
      } else if (checkpointEvery > 0 && step % checkpointEvery === 0 && step < totalSteps) save("interval");
    }
    const completed = step >= totalSteps;
    save(completed ? "final" : "stop");
    emit({ type: "run_end", status: completed ? "completed" : "stopped", steps: step, wallSeconds: (Date.now() - started) / 1000, finalLoss: lastLoss });
    return { status: completed ? "completed" : "stopped", steps: step, finalLoss: lastLoss, model, datasetImages };
  } catch (e) {
    emit({ type: "run_end", status: "failed", steps: step, wallSeconds: (Date.now() - started) / 1000, finalLoss: lastLoss, reason: (e as Error).message });
    optimizer.dispose();
    queue?.dispose();
    model.dispose();
    throw e;
  } finally {
    await stream.close();
    await source.close();
  }
}

async function countImages(source: ImageSource): Promise<number> {
  let n = 0;
  for await (const event of source.list()) if (event.kind === "sample") n++;
  return n;
}

function planTotalSteps(ir: ExperimentIR, datasetImages: number): number {
  if (ir.train.total_steps !== null) return ir.train.total_steps;
  const steps = durationSteps(ir.train.length, { globalBatch: ir.train.global_batch, datasetImages });
  if (steps === null || steps < 1) throw new TrainingError("SEER7002", `the run's length (${ir.train.length.amount} ${ir.train.length.unit}) gives no steps for ${datasetImages} images`);
  return steps;
}

/** The schedule in steps; laid out now when its length was only known at run time. */
function schedulePieces(ir: ExperimentIR, datasetImages: number, totalSteps: number): SchedulePieceIR[] {
  if (ir.schedule.pieces.length > 0) return ir.schedule.pieces;
  const resolved = resolveSchedule(withRunTimeSpans(ir.schedule.written_pieces, "<schedule>"), totalSteps, { globalBatch: ir.train.global_batch, datasetImages });
  if (resolved.problems.length > 0 || resolved.pieces.length === 0) {
    throw new TrainingError("SEER7002", `the schedule \`${ir.schedule.written}\` does not fit the run of ${totalSteps} steps over ${datasetImages} images: ${resolved.problems.map((p) => p.message).join("; ")}`);
  }
  return resolved.pieces;
}

/** Crop tensors of one batch in the IR's crop order, grouped by size as the data pipeline delivers them. */
export interface CropGroupTensors {
  size: number;
  count: number;
  /** First global crop index of the group. */
  first: number;
  data: Float32Array;
}

export function cropGroups(ir: ExperimentIR, batch: Batch): CropGroupTensors[] {
  let first = 0;
  return batch.crops.map((g) => {
    const group = { size: g.size, count: g.count, first, data: g.data };
    first += g.count;
    return group;
  });
}

/** Rows [from, to) of every crop of a group, as one [count*(to-from), s, s, 3] tensor. */
function groupRows(group: CropGroupTensors, batchSize: number, from: number, to: number): tf.Tensor4D {
  const pixels = group.size * group.size * 3;
  const rows = to - from;
  if (rows === batchSize) return tf.tensor4d(group.data, [group.count * batchSize, group.size, group.size, 3]);
  const out = new Float32Array(group.count * rows * pixels);
  for (let k = 0; k < group.count; k++) out.set(group.data.subarray((k * batchSize + from) * pixels, (k * batchSize + to) * pixels), k * rows * pixels);
  return tf.tensor4d(out, [group.count * rows, group.size, group.size, 3]);
}

export interface ForwardOutput {
  scoresPerCrop: tf.Tensor2D[];
  embeddingsPerCrop: tf.Tensor2D[];
}

/** One forward per crop size (as SwAV does: BatchNorm statistics over all crops of a resolution). */
export function forwardCrops(model: SwavModel, groups: CropGroupTensors[], batchSize: number, from: number, to: number): ForwardOutput {
  const scoresPerCrop: tf.Tensor2D[] = [];
  const embeddingsPerCrop: tf.Tensor2D[] = [];
  for (const g of groups) {
    const out = model.forward(groupRows(g, batchSize, from, to), "train");
    const scores = g.count === 1 ? [out.scores] : tf.split(out.scores, g.count, 0);
    const embeddings = g.count === 1 ? [out.embedding] : tf.split(out.embedding, g.count, 0);
    scoresPerCrop.push(...(scores as tf.Tensor2D[]));
    embeddingsPerCrop.push(...(embeddings as tf.Tensor2D[]));
  }
  return { scoresPerCrop, embeddingsPerCrop };
}

/**
 * One SwAV step on one batch: forward per crop size, loss (Sinkhorn codes, queue), gradients, optimiser
 * update, prototype normalisation, queue push. Exported for the training benchmark.
 */
export function trainStep(ir: ExperimentIR, model: SwavModel, optimizer: Optimizer, queue: EmbeddingQueue | null, batch: Batch, step: number, lr: number, prototypesFrozen: boolean): StepOutcome {
  const groups = cropGroups(ir, batch);
  const batchSize = batch.size;
  const assign = ir.loss.assign_crops;
  const { temperature } = ir.loss;
  const { epsilon, iterations } = ir.loss.sinkhorn;
  const microBatch = Math.min(ir.train.micro_batch, batchSize);
  const chunks = Math.ceil(batchSize / microBatch);
  const varList = [...model.trainableVariables().values()];
  const names = [...model.trainableVariables().keys()];
  // LARS and gradient clipping read every gradient's norm anyway: their report replaces a second
  // pass over all gradients (two ops per variable and a read-back) for the finiteness check.
  const optimizerMeasuresNorm = optimizer.kind === "lars" || ir.optimizer.clip_grad_norm !== null;

  let outcome: StepOutcome | null = null;
  const kept = tf.tidy(() => {
    const queueScores = queue?.scores((e) => model.scoreEmbeddings(e)) ?? undefined;
    let grads: tf.Tensor[];
    let lossValue: number;
    let assignedEmbeddings: tf.Tensor2D[];
    if (chunks === 1) {
      let stats: ReturnType<typeof swavLoss>["stats"];
      let kept: tf.Tensor2D[] = [];
      const result = tf.variableGrads(() => {
        const fwd = forwardCrops(model, groups, batchSize, 0, batchSize);
        const r = swavLoss({ scoresPerCrop: fwd.scoresPerCrop, assignCrops: assign, temperature, epsilon, iterations, queueScores });
        stats = r.stats;
        kept = assign.map((c) => tf.keep(fwd.embeddingsPerCrop[c]));
        return r.loss;
      }, varList);
      grads = names.map((n) => result.grads[n] ?? result.grads[varNameOf(model, n)]);
      lossValue = result.value.dataSync()[0];
      assignedEmbeddings = kept;
      outcome = { loss: lossValue, prototypesUsed: mean(stats?.crops.map((c) => c.distinctCodeArgmax) ?? [0]), assignmentEntropy: mean(stats?.crops.map((c) => c.meanCodeEntropy) ?? [0]), maxEntropy: stats?.maxEntropy ?? Math.log(ir.loss.prototypes) };
    } else {
      // Gradient accumulation: codes over the whole global batch first (no gradient, BatchNorm running
      // statistics left as they were), then one backward per micro-batch against its rows of the codes.
      const saved = [...model.bnStateVariables().entries()].map(([name, v]) => [name, tf.clone(v)] as const);
      const codes = withoutGradient(() => {
        const fwd = forwardCrops(model, groups, batchSize, 0, batchSize);
        return tf.concat(assign.map((c, slot) => sinkhornWithQueue(fwd.scoresPerCrop[c], queueScores?.[slot], epsilon, iterations)), 1);
      });
      for (const [name, value] of saved) model.bnStateVariables().get(name)!.assign(value);
      const codesPerSlot = tf.split(codes, assign.length, 1) as tf.Tensor2D[];
      const sums: tf.Tensor[] = names.map((n) => tf.zerosLike(model.variables.get(n)!));
      let total = 0;
      const embeddingParts: tf.Tensor2D[][] = assign.map(() => []);
      for (let j = 0; j < chunks; j++) {
        const from = j * microBatch;
        const to = Math.min(batchSize, from + microBatch);
        const weight = (to - from) / batchSize;
        const result = tf.variableGrads(() => {
          const fwd = forwardCrops(model, groups, batchSize, from, to);
          assign.forEach((c, slot) => embeddingParts[slot].push(tf.keep(fwd.embeddingsPerCrop[c])));
          const rows = codesPerSlot.map((code) => tf.slice(code, [from, 0], [to - from, -1]) as tf.Tensor2D);
          return tf.mul(swavLossWithCodes(fwd.scoresPerCrop, rows, assign, temperature), weight) as tf.Scalar;
        }, varList);
        names.forEach((n, i) => {
          const g = result.grads[n] ?? result.grads[varNameOf(model, n)];
          if (g) sums[i] = tf.add(sums[i], g);
        });
        total += result.value.dataSync()[0];
      }
      grads = sums;
      lossValue = total;
      assignedEmbeddings = embeddingParts.map((parts) => {
        if (parts.length === 1) return parts[0];
        const joined = tf.concat(parts, 0);
        tf.dispose(parts);
        return joined;
      });
      // The same statistics swavLoss reports, over the whole global batch: distinct argmax prototypes and
      // the entropy of the batch-mean code, averaged over the assigned crops.
      const used = codesPerSlot.map((code) => new Set(tf.argMax(code, 1).dataSync()).size);
      const entropies = codesPerSlot.map((code) => {
        const meanCode = tf.mean(code, 0);
        return -tf.sum(tf.mul(meanCode, tf.log(tf.maximum(meanCode, 1e-12)))).dataSync()[0];
      });
      outcome = { loss: lossValue, prototypesUsed: mean(used), assignmentEntropy: mean(entropies), maxEntropy: Math.log(ir.loss.prototypes) };
    }
    if (!Number.isFinite(lossValue)) throw new TrainingError("SEER7003", `the loss became ${lossValue} at step ${step + 1}${firstNonFinite(names, grads)}`);
    const used = names.map((n, i) => (grads[i] && !(prototypesFrozen && n === PROTOTYPES_WEIGHT) ? grads[i] : null));
    if (!optimizerMeasuresNorm) {
      const norm = tf.addN(used.filter((g): g is tf.Tensor => g !== null).map((g) => tf.sum(tf.square(g)))).dataSync()[0];
      if (!Number.isFinite(norm)) throw new TrainingError("SEER7003", `a gradient became non-finite at step ${step + 1}${firstNonFinite(names, grads)}`);
    }
    return { grads: used.map((g) => g ?? tf.scalar(0)), used: used.map((g) => (g ? 1 : 0)), embeddings: assignedEmbeddings };
  });
  // The optimiser keeps state across steps, so it runs outside the tidy that owns this step's temporaries.
  const gradMap = new Map<string, tf.Tensor>();
  names.forEach((n, i) => {
    if (kept.used[i]) gradMap.set(n, kept.grads[i]);
  });
  const report = optimizer.step(gradMap, lr);
  if (optimizerMeasuresNorm && !Number.isFinite(report.gradNorm ?? Number.NaN)) {
    // The update already ran with the non-finite gradient; the run stops here and nothing after
    // the last checkpoint is saved, so the model's state no longer matters.
    const where = firstNonFinite(names, kept.grads);
    tf.dispose([...kept.grads, ...kept.embeddings]);
    throw new TrainingError("SEER7003", `a gradient became non-finite at step ${step + 1}${where}`);
  }
  model.normalizePrototypes();
  queue?.push(step, kept.embeddings);
  tf.dispose([...kept.grads, ...kept.embeddings]);
  return outcome!;
}

/** tf.variableGrads keys gradients by the variable's own name; the model may name variables differently from its map keys. */
function varNameOf(model: SwavModel, key: string): string {
  return model.variables.get(key)!.name;
}

function firstNonFinite(names: string[], grads: tf.Tensor[]): string {
  for (let i = 0; i < names.length; i++) {
    const g = grads[i];
    if (!g) continue;
    const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(g))).dataSync()[0]);
    if (bad) return `; first non-finite gradient: ${names[i]}`;
  }
  return "";
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function tensorsOf(vars: ReadonlyMap<string, tf.Variable>): Map<string, NamedTensor> {
  const out = new Map<string, NamedTensor>();
  for (const [name, v] of vars) out.set(name, { dtype: "F32", shape: v.shape, data: Float32Array.from(v.dataSync() as Float32Array) });
  return out;
}

function snapshot(ir: ExperimentIR, step: number, loss: number | null, stream: BatchStream, model: SwavModel, optimizer: Optimizer, queue: EmbeddingQueue | null): CheckpointContents {
  const opt = optimizer.exportState();
  const optimizerTensors = new Map<string, NamedTensor>();
  for (const [slot, data] of Object.entries(opt.slots)) optimizerTensors.set(slot, { dtype: "F32", shape: [data.length], data });
  const q = queue?.exportState() ?? null;
  const queueTensors = q ? new Map<string, NamedTensor>(q.rows.map((rows, i) => [`queue.${i}`, { dtype: "F32", shape: [q.length, q.dim], data: rows }])) : null;
  return {
    state: {
      format: 1,
      step,
      ir_hash: ir.hash,
      experiment: ir.name,
      data_cursor: stream.cursor(),
      loss,
      created: new Date().toISOString(),
      optimizer_kind: opt.kind,
      optimizer_steps: opt.stepCount,
      queue_filled: q?.filledRows ?? null,
    },
    model: tensorsOf(model.variables),
    optimizer: optimizerTensors,
    queue: queueTensors,
  };
}

function restore(contents: CheckpointContents, dir: string, ir: ExperimentIR, model: SwavModel, optimizer: Optimizer, queue: EmbeddingQueue | null): void {
  if (contents.state.ir_hash !== ir.hash) {
    let differences: string[] = [];
    try {
      differences = diffIR(JSON.parse(readFileSync(join(dir, "ir.json"), "utf8")), ir);
    } catch {
      differences = ["(the checkpoint's ir.json is unreadable)"];
    }
    throw new TrainingError("SEER7005", `${dir} was written by a different experiment (IR ${contents.state.ir_hash.slice(0, 12)}, this one is ${ir.hash.slice(0, 12)}); it differs in:\n  ${differences.slice(0, 20).join("\n  ")}\nStart a new run, or resume with the experiment as it was.`);
  }
  loadWeights(model, contents.model, dir);
  const slots: Record<string, Float32Array> = {};
  for (const [name, t] of contents.optimizer) slots[name] = t.data as Float32Array;
  optimizer.importState({ kind: contents.state.optimizer_kind as Optimizer["kind"], stepCount: contents.state.optimizer_steps, slots });
  if (queue && contents.queue) {
    const rows = [...contents.queue.entries()].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })).map(([, t]) => t.data as Float32Array);
    queue.importState({ assignedCrops: rows.length, length: queue.config.length, dim: queue.config.dim, filledRows: contents.state.queue_filled ?? 0, rows });
  }
}

/** Assigns every model variable from a checkpoint; a missing, extra or misshapen tensor means another architecture. */
export function loadWeights(model: SwavModel, tensors: ReadonlyMap<string, NamedTensor>, label: string): void {
  const problems: string[] = [];
  for (const [name, v] of model.variables) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing ${name}`);
    else if (t.shape.join("x") !== v.shape.join("x")) problems.push(`${name} is [${t.shape}] in the checkpoint, [${v.shape}] in the model`);
  }
  for (const name of tensors.keys()) if (!model.variables.has(name)) problems.push(`unexpected ${name}`);
  if (problems.length > 0) throw new TrainingError("SEER7008", `${label} does not match this model's architecture: ${problems.slice(0, 8).join("; ")}${problems.length > 8 ? `; and ${problems.length - 8} more` : ""}`);
  for (const [name, v] of model.variables) {
    const t = tensors.get(name)!;
    v.assign(tf.tensor(t.data as Float32Array, t.shape, "float32"));
  }
}
