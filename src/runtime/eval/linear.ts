// The linear probe: a softmax classifier trained on a fixed feature matrix (features are extracted
// once, so an epoch costs matrix products, not trunk passes). Features are standardised with the
// training rows' per-dimension mean and standard deviation first, which is what VISSL's linear-eval
// head (BatchNorm without affine parameters, then Linear) computes once its statistics have settled;
// it makes one learning rate fit trunks whose feature scales differ by orders of magnitude (a random
// initialisation and a trained trunk).
import * as tf from "@tensorflow/tfjs";
import type { SchedulePieceIR } from "../../compile/ir.js";
import { learningRateAt } from "../../compile/schedule.js";
import { Rng, shuffledIndices } from "../data/random.js";
import { SeededRandom } from "../model/init.js";
import { createOptimizer, type OptimizerSpec } from "../optim/index.js";
import { EvaluationError, EvaluationStopped } from "./errors.js";

/** BatchNorm's epsilon (PyTorch default), added to the variance before the square root. */
const STANDARDIZE_EPSILON = 1e-5;
/** Initial weights ~ normal(0, 0.01), bias 0: torchvision's RegNet `fc` and VISSL's linear-eval head. */
const WEIGHT_INIT_STD = 0.01;
const STREAM_CLASSIFIER_ORDER = 0x6576_0003;

let classifierCounter = 0;

export interface Standardization {
  mean: Float32Array;
  /** 1 / sqrt(var + eps), per dimension. */
  invStd: Float32Array;
}

export interface LinearClassifier {
  dim: number;
  classes: number;
  standardization: Standardization;
  /** [dim, classes], row-major. */
  weight: Float32Array;
  bias: Float32Array;
  steps: number;
  /** Mean training loss over the last epoch. */
  finalLoss: number;
}

export interface LinearTrainingOptions {
  classes: number;
  epochs: number;
  batch: number;
  optimizer: OptimizerSpec;
  /** The learning rate per step, over [0, epochs · ceil(rows / batch)). */
  schedule: readonly SchedulePieceIR[];
  seed: number;
  shouldStop?: () => boolean;
}

/** Per-dimension mean and 1/sqrt(biased variance + eps) of `features` ([rows, dim]), in float64. */
export function standardization(features: Float32Array, dim: number): Standardization {
  const rows = features.length / dim;
  const sum = new Float64Array(dim);
  const squares = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dim; d++) {
      const v = features[r * dim + d];
      sum[d] += v;
      squares[d] += v * v;
    }
  }
  const mean = new Float32Array(dim);
  const invStd = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    const m = sum[d] / Math.max(1, rows);
    const variance = Math.max(0, squares[d] / Math.max(1, rows) - m * m);
    mean[d] = m;
    invStd[d] = 1 / Math.sqrt(variance + STANDARDIZE_EPSILON);
  }
  return { mean, invStd };
}

export function standardize(features: Float32Array, dim: number, s: Standardization): Float32Array {
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++) {
    const d = i % dim;
    out[i] = (features[i] - s.mean[d]) * s.invStd[d];
  }
  return out;
}

/** Steps of `epochs` passes over `rows` rows in batches of `batch` (the last batch of a pass may be short). */
export function linearSteps(rows: number, epochs: number, batch: number): number {
  return epochs * Math.ceil(rows / batch);
}

/** Trains the classifier with mini-batch softmax cross-entropy; every pass visits the rows in a seeded order. */
export function trainLinearClassifier(train: { features: Float32Array; labels: Int32Array; dim: number }, options: LinearTrainingOptions): LinearClassifier {
  const { dim } = train;
  const { classes, epochs, batch } = options;
  const rows = train.labels.length;
  if (rows === 0) throw new EvaluationError("SEER7002", "the linear classifier has no training images");
  const s = standardization(train.features, dim);
  const x = standardize(train.features, dim, s);
  const id = ++classifierCounter;
  const init = new Float32Array(dim * classes);
  const random = new SeededRandom(options.seed, "classifier.weight");
  for (let i = 0; i < init.length; i++) init[i] = random.normal() * WEIGHT_INIT_STD;
  // The initial values are temporaries of the tidy; the variables keep their own copies.
  const weight = tf.tidy(() => tf.variable(tf.tensor2d(init, [dim, classes]), true, `linear_probe_${id}/weight`));
  const bias = tf.tidy(() => tf.variable(tf.zeros([classes]), true, `linear_probe_${id}/bias`));
  const variables = new Map<string, tf.Variable>([
    ["classifier.weight", weight],
    ["classifier.bias", bias],
  ]);
  const optimizer = createOptimizer(options.optimizer, variables);
  const batchRows = new Float32Array(batch * dim);
  const batchLabels = new Int32Array(batch);
  let step = 0;
  let epochLoss = 0;
  let epochBatches = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(rows, Rng.forKey([options.seed, epoch, STREAM_CLASSIFIER_ORDER]));
      epochLoss = 0;
      epochBatches = 0;
      for (let start = 0; start < rows; start += batch) {
        if (options.shouldStop?.()) throw new EvaluationStopped();
        const n = Math.min(batch, rows - start);
        for (let i = 0; i < n; i++) {
          const r = order[start + i];
          batchRows.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
          batchLabels[i] = train.labels[r];
        }
        const lr = learningRateAt(options.schedule, step);
        const { value, grads } = tf.variableGrads(() =>
          tf.tidy(() => {
            const inputs = tf.tensor2d(batchRows.subarray(0, n * dim), [n, dim]);
            const targets = tf.oneHot(tf.tensor1d(batchLabels.subarray(0, n), "int32"), classes);
            const logits = tf.add(tf.matMul(inputs, weight), bias);
            return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
          }),
        );
        const loss = value.dataSync()[0];
        value.dispose();
        if (!Number.isFinite(loss)) {
          tf.dispose(Object.values(grads));
          throw new EvaluationError("SEER7003", `the linear classifier's loss became ${loss} at step ${step + 1} (learning rate ${lr})`, "lower the evaluation's learning rate");
        }
        optimizer.step(new Map([["classifier.weight", grads[weight.name]], ["classifier.bias", grads[bias.name]]]), lr);
        tf.dispose(Object.values(grads));
        epochLoss += loss;
        epochBatches++;
        step++;
      }
    }
    return {
      dim,
      classes,
      standardization: s,
      weight: Float32Array.from(weight.dataSync() as Float32Array),
      bias: Float32Array.from(bias.dataSync() as Float32Array),
      steps: step,
      finalLoss: epochLoss / Math.max(1, epochBatches),
    };
  } finally {
    optimizer.dispose();
    weight.dispose();
    bias.dispose();
  }
}

/** Class scores (logits) [rows, classes] of feature rows under a trained classifier. */
export function linearScores(classifier: LinearClassifier, features: Float32Array): Float32Array {
  const { dim, classes } = classifier;
  const x = standardize(features, dim, classifier.standardization);
  return tf.tidy(() => {
    const logits = tf.add(tf.matMul(tf.tensor2d(x, [x.length / dim, dim]), tf.tensor2d(classifier.weight, [dim, classes])), tf.tensor1d(classifier.bias));
    return logits.dataSync() as Float32Array;
  });
}
