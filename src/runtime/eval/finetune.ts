// Fine-tuning: the whole trunk plus a fresh linear classifier, trained on labelled images with
// train-mode BatchNorm, torchvision's standard training crops (RandomResizedCrop scale 0.08..1, ratio
// 3/4..4/3, horizontal flip) and the evaluation's optimiser and schedule; then scored on the test
// split with eval-mode BatchNorm and centre crops. It works on a copy of the model: the pretrained
// weights the caller holds are never changed.
import * as tf from "@tensorflow/tfjs";
import type { SchedulePieceIR } from "../../compile/ir.js";
import { learningRateAt } from "../../compile/schedule.js";
import { createBatchStream, type AugmentSpec, type ImageSource } from "../data/index.js";
import { createSwavModel, type SwavModel } from "../model/index.js";
import { SeededRandom } from "../model/init.js";
import { createOptimizer, type OptimizerSpec } from "../optim/index.js";
import { EvaluationError, EvaluationStopped } from "./errors.js";
import { evaluationAugment, mapImages, type FeatureSet, type ImagePassOptions } from "./features.js";

const WEIGHT_INIT_STD = 0.01;
let fineTuneCounter = 0;

export interface FineTuneOptions {
  classes: number;
  imageSize: number;
  normalize: AugmentSpec["normalize"];
  batch: number;
  /** Training batches in all (the stream runs on across epochs; see fineTuneSteps). */
  steps: number;
  epochs: number;
  optimizer: OptimizerSpec;
  schedule: readonly SchedulePieceIR[];
  seed: number;
  workers?: number;
  maxPixels?: number;
  shouldStop?: () => boolean;
  onStep?: (step: number, loss: number) => void;
}

export interface FineTuneResult {
  /** Classifier scores of the test images, one row per image read. */
  scores: FeatureSet;
  steps: number;
  /** Mean training loss over the last ceil(images / batch) steps. */
  finalLoss: number;
}

/** Batches of `epochs` passes over `images` images, the passes joined without a short batch between them. */
export function fineTuneSteps(images: number, epochs: number, batch: number): number {
  return Math.ceil((epochs * images) / batch);
}

/** Trunk variables (stem and stages), by name: what fine-tuning trains besides the classifier. */
function trunkVariables(model: SwavModel): Map<string, tf.Variable> {
  return new Map([...model.trainableVariables()].filter(([name]) => name.startsWith("stem.") || name.startsWith("trunk_output.")));
}

/** A model with the same spec and a copy of every variable of `model`. */
export function copyModel(model: SwavModel): SwavModel {
  const copy = createSwavModel(model.spec);
  for (const [name, v] of model.variables) copy.variables.get(name)!.assign(v);
  return copy;
}

export async function fineTune(model: SwavModel, train: ImageSource, test: ImageSource, options: FineTuneOptions): Promise<FineTuneResult> {
  const { classes, imageSize, batch } = options;
  const tuned = copyModel(model);
  const width = model.spec.trunk.stages[model.spec.trunk.stages.length - 1].width;
  const id = ++fineTuneCounter;
  const init = new Float32Array(width * classes);
  const random = new SeededRandom(options.seed, "fc.weight");
  for (let i = 0; i < init.length; i++) init[i] = random.normal() * WEIGHT_INIT_STD;
  const fcWeight = tf.tidy(() => tf.variable(tf.tensor2d(init, [width, classes]), true, `finetune_${id}/fc.weight`));
  const fcBias = tf.tidy(() => tf.variable(tf.zeros([classes]), true, `finetune_${id}/fc.bias`));
  const variables = trunkVariables(tuned);
  variables.set("fc.weight", fcWeight);
  variables.set("fc.bias", fcBias);
  const names = [...variables.keys()];
  const list = [...variables.values()];
  const optimizer = createOptimizer(options.optimizer, variables);
  const augment: AugmentSpec = evaluationAugment(options.normalize, imageSize);
  const stream = createBatchStream({
    source: train,
    augment,
    batchSize: batch,
    seed: options.seed,
    workers: options.workers,
    limits: options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : undefined,
  });
  const perEpoch = Math.max(1, Math.ceil((train.size() ?? batch) / batch));
  const recent: number[] = [];
  let step = 0;
  try {
    while (step < options.steps) {
      if (options.shouldStop?.()) throw new EvaluationStopped();
      const next = await stream.next();
      if (next.done) break;
      const b = next.value;
      if (!b.labels) throw new EvaluationError("SEER7002", `the images of ${train.location} have no labels`);
      const lr = learningRateAt(options.schedule, step);
      const labels = b.labels;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const images = tf.tensor4d(b.crops[0].data, [b.size, imageSize, imageSize, 3]);
            const features = tuned.forwardTrunk(images, "train");
            const logits = tf.add(tf.matMul(features, fcWeight), fcBias);
            return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, "int32"), classes), logits) as tf.Scalar;
          }),
        list,
      );
      const loss = value.dataSync()[0];
      value.dispose();
      if (!Number.isFinite(loss)) {
        tf.dispose(Object.values(grads));
        throw new EvaluationError("SEER7003", `the fine-tuning loss became ${loss} at step ${step + 1} (learning rate ${lr})`, "lower the evaluation's learning rate");
      }
      const gradMap = new Map<string, tf.Tensor>();
      names.forEach((name, i) => {
        const g = grads[list[i].name];
        if (g) gradMap.set(name, g);
      });
      optimizer.step(gradMap, lr);
      tf.dispose(Object.values(grads));
      recent.push(loss);
      if (recent.length > perEpoch) recent.shift();
      step++;
      options.onStep?.(step, loss);
    }
    const pass: ImagePassOptions = { imageSize, normalize: options.normalize, batchSize: Math.max(batch, 32), workers: options.workers, maxPixels: options.maxPixels, shouldStop: options.shouldStop };
    const scores = await mapImages(test, pass, (images) => tf.add(tf.matMul(tuned.forwardTrunk(images, "eval"), fcWeight), fcBias) as tf.Tensor2D);
    return { scores, steps: step, finalLoss: recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length) };
  } finally {
    await stream.close();
    optimizer.dispose();
    fcWeight.dispose();
    fcBias.dispose();
    tuned.dispose();
  }
}
