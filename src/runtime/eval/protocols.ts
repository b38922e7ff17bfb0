// The evaluation protocols of an experiment's `evaluate` blocks, run on a model: linear probe, kNN,
// fine-tuning and low-shot. Results go out as `eval_result` events (the run directory's summary.json
// collects their metrics) and come back to the caller.
import type { EvaluationIR, ExperimentIR, SchedulePieceIR } from "../../compile/ir.js";
import { resolveSchedule, withRunTimeSpans } from "../../compile/schedule.js";
import { isDataSourceError, type ImageSource } from "../data/index.js";
import type { SwavModel } from "../model/index.js";
import type { RunEventListener } from "../train/events.js";
import { optimizerSpecOf } from "../train/specs.js";
import { EvaluationError, EvaluationStopped } from "./errors.js";
import { extractFeatures, selectRows, type FeatureSet } from "./features.js";
import { fineTune, fineTuneSteps } from "./finetune.js";
import { knnClassVotes } from "./knn.js";
import { linearScores, linearSteps, trainLinearClassifier } from "./linear.js";
import { classificationMetrics, type ClassificationMetrics } from "./metrics.js";
import { cappedRows, lowShotRows, openEvaluationSplits, viewOf, type EvaluationSplits } from "./splits.js";

export interface EvaluationControl {
  stopRequested: boolean;
}

export interface RunEvaluationsOptions {
  ir: ExperimentIR;
  model: SwavModel;
  emit: RunEventListener;
  /** Decoding threads (default: the data pipeline's). */
  workers?: number;
  /** Polled between batches: a stop request ends the evaluations early (what finished is kept). */
  control?: EvaluationControl;
  /** Run only the evaluations with these names or kinds (default: all of the IR's). */
  only?: readonly string[];
  /**
   * Cap the images of each split (a seeded, class-balanced subset), for quick evaluations and
   * benchmarks. The caps are part of the reported metrics (`train_images`, `test_images`).
   */
  maxTrainImages?: number;
  maxTestImages?: number;
  /** Images per forward pass when extracting features. Default 128. */
  batchSize?: number;
}

export interface EvaluationOutcome {
  /** The key results are filed under (the evaluation's name, numbered when several share it). */
  protocol: string;
  kind: EvaluationIR["kind"];
  metrics: Record<string, number>;
  perClass: number[];
  confusion: number[][];
  classNames: string[];
  /** How the data was split and subsetted, in words. */
  notes: string[];
}

export interface EvaluationFailure {
  protocol: string;
  error: EvaluationError;
}

export interface EvaluationsReport {
  outcomes: EvaluationOutcome[];
  failures: EvaluationFailure[];
  stopped: boolean;
}

/** Result keys: each evaluation's name, with `-2`, `-3`… when several evaluations share one. */
export function evaluationKeys(evaluations: readonly EvaluationIR[]): string[] {
  const seen = new Map<string, number>();
  const totals = new Map<string, number>();
  for (const e of evaluations) totals.set(e.name, (totals.get(e.name) ?? 0) + 1);
  return evaluations.map((e) => {
    const n = (seen.get(e.name) ?? 0) + 1;
    seen.set(e.name, n);
    return totals.get(e.name)! > 1 && n > 1 ? `${e.name}-${n}` : e.name;
  });
}

/**
 * Runs the IR's evaluate blocks (or those named in `only`) in order. A failing evaluation is reported as
 * a `warning` event with its code and the next one runs; the caller decides what failures mean (the
 * CLI exits 1). Features of the same images at the same size and stage are extracted once and shared.
 */
export async function runEvaluations(options: RunEvaluationsOptions): Promise<EvaluationsReport> {
  const { ir, emit } = options;
  const keys = evaluationKeys(ir.evaluate);
  const wanted = ir.evaluate.map((e, i) => ({ e, key: keys[i] })).filter(({ e, key }) => !options.only || options.only.includes(key) || options.only.includes(e.name) || options.only.includes(e.kind));
  const cache = new FeatureCache();
  const report: EvaluationsReport = { outcomes: [], failures: [], stopped: false };
  try {
    for (const { e, key } of wanted) {
      if (options.control?.stopRequested) {
        report.stopped = true;
        break;
      }
      try {
        const outcome = await runOne(e, key, options, cache);
        report.outcomes.push(outcome);
      } catch (error) {
        if (error instanceof EvaluationStopped) {
          emit({ type: "warning", message: `evaluation ${key} stopped on request; no result` });
          report.stopped = true;
          break;
        }
        const failure = isDataSourceError(error) ? new EvaluationError("SEER7002", error.message, error.hint) : error;
        if (!(failure instanceof EvaluationError)) throw error;
        emit({ type: "warning", code: failure.code, message: `evaluation ${key} failed: ${failure.message}` });
        report.failures.push({ protocol: key, error: failure });
      }
    }
  } finally {
    await cache.close();
  }
  return report;
}

/** Splits opened once per data source and features extracted once per (source, split, size, stage, cap). */
class FeatureCache {
  private splits = new Map<string, Promise<EvaluationSplits>>();
  private extracted = new Map<string, FeatureSet>();

  openSplits(e: EvaluationIR, seed: number): Promise<EvaluationSplits> {
    const key = JSON.stringify(e.data.source);
    let s = this.splits.get(key);
    if (!s) {
      s = openEvaluationSplits(e.data, seed);
      this.splits.set(key, s);
      s.catch(() => this.splits.delete(key));
    }
    return s;
  }

  peek(key: string): FeatureSet | undefined {
    return this.extracted.get(key);
  }

  async features(key: string, make: () => Promise<FeatureSet>): Promise<FeatureSet> {
    const hit = this.extracted.get(key);
    if (hit) return hit;
    const made = await make();
    this.extracted.set(key, made);
    return made;
  }

  async close(): Promise<void> {
    for (const s of this.splits.values()) await (await s.catch(() => null))?.close();
    this.splits.clear();
    this.extracted.clear();
  }
}

interface Prepared {
  splits: EvaluationSplits;
  train: ImageSource;
  test: ImageSource;
  classes: number;
  notes: string[];
}

async function prepare(e: EvaluationIR, options: RunEvaluationsOptions, cache: FeatureCache): Promise<Prepared> {
  const splits = await cache.openSplits(e, options.ir.seed);
  const classes = splits.classNames.length;
  const notes = [splits.description];
  let train = splits.train;
  let test = splits.test;
  if (options.maxTrainImages !== undefined) {
    const rows = cappedRows(train.labels!, classes, options.maxTrainImages, options.ir.seed);
    if (rows) {
      train = viewOf(train, rows);
      notes.push(`training images capped at ${rows.length} (class-balanced, seed ${options.ir.seed})`);
    }
  }
  if (options.maxTestImages !== undefined) {
    const rows = cappedRows(test.labels!, classes, options.maxTestImages, options.ir.seed);
    if (rows) {
      test = viewOf(test, rows);
      notes.push(`test images capped at ${rows.length} (class-balanced, seed ${options.ir.seed})`);
    }
  }
  return { splits, train, test, classes, notes };
}

/** The evaluation's schedule laid out over its real number of steps (the training set's size is known only now). */
export function evaluationSchedule(e: EvaluationIR, steps: number, trainImages: number): SchedulePieceIR[] {
  if (!e.schedule || e.batch === null) throw new Error(`internal: evaluation ${e.name} has no schedule or batch`);
  const resolved = resolveSchedule(withRunTimeSpans(e.schedule.written_pieces, `<evaluate ${e.name}>`), steps, { globalBatch: e.batch, datasetImages: trainImages });
  if (resolved.problems.length > 0 || resolved.pieces.length === 0) {
    const first = resolved.problems[0];
    throw new EvaluationError(
      first?.code ?? "SEER3006",
      `the schedule \`${e.schedule.written}\` of evaluate ${e.name} does not fit its ${steps} steps (${e.epochs} epochs of ${trainImages} images at batch ${e.batch})${first ? `: ${first.message}` : ""}`,
      first?.hint,
    );
  }
  return resolved.pieces;
}

async function runOne(e: EvaluationIR, key: string, options: RunEvaluationsOptions, cache: FeatureCache): Promise<EvaluationOutcome> {
  const { ir, model, emit } = options;
  const stages = model.spec.trunk.stages.length;
  if (e.stage !== null && e.stage > stages) throw new EvaluationError("SEER2005", `\`stage = ${e.stage}\` but the trunk has ${stages} stages`);
  const p = await prepare(e, options, cache);
  const shouldStop = () => options.control?.stopRequested === true;
  const pass = { imageSize: e.image_size, normalize: ir.augment.normalize, batchSize: options.batchSize, workers: options.workers, maxPixels: e.data.max_pixels, shouldStop };
  const featureKey = (split: "train" | "test", source: ImageSource, tag = "") => JSON.stringify([e.data.source, split, e.image_size, e.stage, source.size(), options.maxTrainImages, options.maxTestImages, tag]);
  const featuresOf = (split: "train" | "test", source: ImageSource, tag = "") =>
    cache.features(featureKey(split, source, tag), () => extractFeatures(model, source, { ...pass, output: { kind: "trunk", stage: e.stage ?? undefined } }));
  const protocol = e.kind === "lowshot" ? (e.protocol ?? "linear") : e.kind;
  let trainSource = p.train;
  const notes = [...p.notes];
  let lowShot: Int32Array | null = null;
  if (e.kind === "lowshot") {
    if (e.fraction === null) throw new Error(`internal: low-shot evaluation ${key} has no fraction`);
    lowShot = lowShotRows(trainSource.labels!, p.classes, e.fraction, ir.seed);
    trainSource = viewOf(trainSource, lowShot);
    notes.push(`low-shot: ${lowShot.length} labelled training images (${formatPercent(e.fraction)} of ${p.train.size()}, the same number from each class, seed ${ir.seed})`);
  }
  emit({ type: "eval_start", protocol: key, images: (trainSource.size() ?? 0) + (p.test.size() ?? 0) });
  for (const note of p.splits.heldOut ? [p.splits.description] : []) emit({ type: "warning", message: `evaluation ${key}: ${note}` });

  const metrics: Record<string, number> = {};
  let result: ClassificationMetrics;
  if (protocol === "knn") {
    const train = await featuresOf("train", trainSource);
    const test = await featuresOf("test", p.test);
    const k = e.k ?? 20;
    const temperature = e.temperature ?? 0.07;
    const votes = knnClassVotes({ features: train.features, labels: train.labels!, dim: train.dim }, { features: test.features, dim: test.dim }, { k, temperature, classes: p.classes });
    result = classificationMetrics(votes, test.labels!, p.classes);
    Object.assign(metrics, { top1: result.top1, top5: result.top5, k: Math.min(k, train.count), temperature, train_images: train.count, test_images: test.count });
  } else if (protocol === "linear") {
    requireTraining(e, key);
    // A low-shot subset is a selection of rows of the full training features when those are at hand.
    const full = lowShot ? cache.peek(featureKey("train", p.train)) : undefined;
    const train = full && lowShot ? selectRows(full, rowsOf(full, lowShot)) : await featuresOf("train", trainSource, lowShot ? `lowshot ${e.fraction}` : "");
    const test = await featuresOf("test", p.test);
    const steps = linearSteps(train.count, e.epochs!, e.batch!);
    const classifier = trainLinearClassifier(
      { features: train.features, labels: train.labels!, dim: train.dim },
      { classes: p.classes, epochs: e.epochs!, batch: e.batch!, optimizer: optimizerSpecOf(e.optimizer!), schedule: evaluationSchedule(e, steps, train.count), seed: ir.seed, shouldStop },
    );
    result = classificationMetrics(linearScores(classifier, test.features), test.labels!, p.classes);
    const trainResult = classificationMetrics(linearScores(classifier, train.features), train.labels!, p.classes);
    Object.assign(metrics, { top1: result.top1, top5: result.top5, train_top1: trainResult.top1, train_loss: classifier.finalLoss, epochs: e.epochs!, steps: classifier.steps, train_images: train.count, test_images: test.count });
  } else {
    requireTraining(e, key);
    if (e.batch! < 2) throw new EvaluationError("SEER2005", `fine-tuning trains BatchNorm on batch statistics and needs a batch of at least 2 (evaluate ${key} has batch ${e.batch})`);
    const images = trainSource.size()!;
    const steps = fineTuneSteps(images, e.epochs!, e.batch!);
    const tuned = await fineTune(model, trainSource, p.test, {
      classes: p.classes,
      imageSize: e.image_size,
      normalize: ir.augment.normalize,
      batch: e.batch!,
      steps,
      epochs: e.epochs!,
      optimizer: optimizerSpecOf(e.optimizer!),
      schedule: evaluationSchedule(e, steps, images),
      seed: ir.seed,
      workers: options.workers,
      maxPixels: e.data.max_pixels,
      shouldStop,
    });
    result = classificationMetrics(tuned.scores.features, tuned.scores.labels!, p.classes);
    Object.assign(metrics, { top1: result.top1, top5: result.top5, train_loss: tuned.finalLoss, epochs: e.epochs!, steps: tuned.steps, train_images: images, test_images: tuned.scores.count });
  }
  if (e.kind === "lowshot") metrics.fraction = e.fraction!;
  if (e.stage !== null) metrics.stage = e.stage;
  if (p.splits.heldOut) metrics.held_out_split = 1;
  const outcome: EvaluationOutcome = { protocol: key, kind: e.kind, metrics, perClass: result.perClass, confusion: result.confusion, classNames: [...p.splits.classNames], notes };
  emit({ type: "eval_result", protocol: key, metrics, perClass: result.perClass, confusion: result.confusion, classNames: outcome.classNames });
  return outcome;
}

function requireTraining(e: EvaluationIR, key: string): void {
  if (e.epochs === null || e.batch === null || e.optimizer === null || e.schedule === null) throw new Error(`internal: evaluation ${key} lacks epochs, batch, optimizer or schedule in the IR`);
}

/** Positions in `set` of the source indices `wanted` (rows of files that failed to decode are left out). */
function rowsOf(set: FeatureSet, wanted: Int32Array): number[] {
  const position = new Map<number, number>();
  set.rows.forEach((r, i) => position.set(r, i));
  return [...wanted].flatMap((r) => (position.has(r) ? [position.get(r)!] : []));
}

function formatPercent(f: number): string {
  return `${Number((f * 100).toPrecision(3))}%`;
}
