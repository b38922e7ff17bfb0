import * as tf from "@tensorflow/tfjs";
import { withoutGradient } from "./no-gradient.js";
import { sinkhornWithQueue } from "./sinkhorn.js";

export interface SwavLossOptions {
  /** Raw scores (L2-normalised embedding · L2-normalised prototypes), one [B, K] tensor per crop, in crop order. */
  scoresPerCrop: tf.Tensor2D[];
  /** Indices into `scoresPerCrop` of the crops whose codes are computed (SwAV: the two large crops, [0, 1]). */
  assignCrops: number[];
  temperature: number;
  epsilon: number;
  iterations: number;
  /** Per assigned crop (same order as `assignCrops`): scores of that crop's queued embeddings, [Q, K], or undefined. */
  queueScores?: ReadonlyArray<tf.Tensor2D | undefined>;
  /** Default true. Reading the statistics back synchronises with the device once per call. */
  computeStats?: boolean;
}

/** How the batch spreads over prototypes for one assigned crop; a collapse shows as few distinct argmaxes. */
export interface PrototypeUsage {
  crop: number;
  /** Distinct argmax prototypes among the batch's codes (at most min(B, K)). */
  distinctCodeArgmax: number;
  /** Distinct argmax prototypes among the batch's raw scores (the model's own assignment, before Sinkhorn). */
  distinctScoreArgmax: number;
  /** Entropy in nats of the batch-mean code; ln K is a perfectly even use of the prototypes. */
  meanCodeEntropy: number;
  /** Entropy in nats of the batch-mean softmax(scores / temperature). */
  meanPredictionEntropy: number;
}

export interface SwavLossStats {
  crops: PrototypeUsage[];
  /** ln K, the largest possible entropy, for scale. */
  maxEntropy: number;
}

export interface SwavLossResult {
  loss: tf.Scalar;
  /** Codes per assigned crop, [B, K]; no gradient flows through them. */
  codes: tf.Tensor2D[];
  stats: SwavLossStats | undefined;
}

/**
 * SwAV's swapped-prediction loss, as VISSL computes it: for each assigned crop i the codes q_i come
 * from Sinkhorn over crop i's scores (plus its queue's, when given) restricted to the batch; for every
 * other crop v the loss is -mean_b sum_k q_i[b,k] * log_softmax(scores_v / temperature)[b,k]; these are
 * averaged over the other crops, then over the assigned crops.
 *
 * Call it inside the function given to `tf.variableGrads`: the loss is differentiable in the scores,
 * the codes are constants. The returned tensors belong to the caller's scope.
 */
export function swavLoss(options: SwavLossOptions): SwavLossResult {
  const { scoresPerCrop, assignCrops, temperature, epsilon, iterations } = options;
  const [batch, prototypes] = checkLossArguments(options);
  const computeStats = options.computeStats ?? true;

  const { loss, codes, summary } = tf.tidy(() => {
    const logProbs = scoresPerCrop.map((scores) => tf.logSoftmax(tf.div<tf.Tensor2D>(scores, temperature)));
    const codes = assignCrops.map((crop, slot) => sinkhornWithQueue(scoresPerCrop[crop], options.queueScores?.[slot], epsilon, iterations));
    const loss = swappedPrediction(logProbs, codes, assignCrops);
    const summary = computeStats ? usageSummary(assignCrops, codes, scoresPerCrop, logProbs) : undefined;
    return { loss, codes, summary };
  });

  let stats: SwavLossStats | undefined;
  if (summary !== undefined) {
    const values = summary.dataSync();
    summary.dispose();
    stats = { crops: readUsage(values, assignCrops, batch, prototypes), maxEntropy: Math.log(prototypes) };
  }
  return { loss, codes, stats };
}

/**
 * The swapped prediction given the codes: for each assigned crop, the cross-entropy between its codes
 * and every other crop's log-probabilities, averaged over the batch and the other crops, then over the
 * assigned crops. `logProbs[v]` is log_softmax(scores_v / temperature), [B, K].
 */
function swappedPrediction(logProbs: tf.Tensor2D[], codes: tf.Tensor2D[], assignCrops: number[]): tf.Scalar {
  const batch = logProbs[0].shape[0];
  const otherCrops = logProbs.length - 1;
  const logProbsOfAllCrops = logProbs.length === 1 ? logProbs[0] : tf.addN(logProbs);
  const perAssigned = assignCrops.map((crop, slot) => {
    // sum over v != crop of log p_v, so one product covers all the other crops at once.
    const logProbsOfOthers = tf.sub(logProbsOfAllCrops, logProbs[crop]);
    return tf.div(tf.neg(tf.sum(tf.mul(codes[slot], logProbsOfOthers))), batch * otherCrops) as tf.Scalar;
  });
  return tf.div(perAssigned.length === 1 ? perAssigned[0] : tf.addN(perAssigned), assignCrops.length) as tf.Scalar;
}

/**
 * The SwAV loss of one micro-batch when the codes were computed beforehand over the whole global
 * batch (gradient accumulation): `codes[slot]` holds this micro-batch's rows of assigned crop
 * `assignCrops[slot]`. Differentiable in the scores; the codes are constants.
 */
export function swavLossWithCodes(scoresPerCrop: tf.Tensor2D[], codes: tf.Tensor2D[], assignCrops: number[], temperature: number): tf.Scalar {
  return tf.tidy(() => swappedPrediction(scoresPerCrop.map((scores) => tf.logSoftmax(tf.div<tf.Tensor2D>(scores, temperature))), codes, assignCrops));
}

/** One flat float32 tensor per call so the statistics cost a single read-back: per assigned crop
 * [argmax of codes (B), argmax of scores (B), mean code (K), mean prediction (K)]. */
function usageSummary(
  assignCrops: number[],
  codes: tf.Tensor2D[],
  scoresPerCrop: tf.Tensor2D[],
  logProbs: tf.Tensor2D[],
): tf.Tensor1D {
  return withoutGradient(() =>
    tf.concat(
      assignCrops.flatMap((crop, slot) => [
        tf.cast(tf.argMax(codes[slot], 1), "float32"),
        tf.cast(tf.argMax(scoresPerCrop[crop], 1), "float32"),
        tf.mean(codes[slot], 0),
        tf.mean(tf.exp(logProbs[crop]), 0),
      ]) as tf.Tensor1D[],
    ),
  );
}

function readUsage(values: Float32Array | Int32Array | Uint8Array, assignCrops: number[], batch: number, prototypes: number): PrototypeUsage[] {
  const stride = 2 * batch + 2 * prototypes;
  return assignCrops.map((crop, slot) => {
    const base = slot * stride;
    return {
      crop,
      distinctCodeArgmax: new Set(values.subarray(base, base + batch)).size,
      distinctScoreArgmax: new Set(values.subarray(base + batch, base + 2 * batch)).size,
      meanCodeEntropy: entropy(values.subarray(base + 2 * batch, base + 2 * batch + prototypes)),
      meanPredictionEntropy: entropy(values.subarray(base + 2 * batch + prototypes, base + stride)),
    };
  });
}

function entropy(distribution: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < distribution.length; i++) total += distribution[i];
  let h = 0;
  for (let i = 0; i < distribution.length; i++) {
    const p = distribution[i] / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

function checkLossArguments(options: SwavLossOptions): [number, number] {
  const { scoresPerCrop, assignCrops, temperature, queueScores } = options;
  if (scoresPerCrop.length < 2) throw new Error(`swavLoss: needs at least 2 crops, got ${scoresPerCrop.length}`);
  const [batch, prototypes] = scoresPerCrop[0].shape;
  scoresPerCrop.forEach((scores, crop) => {
    if (scores.rank !== 2 || scores.shape[0] !== batch || scores.shape[1] !== prototypes) {
      throw new Error(
        `swavLoss: every crop's scores must be [${batch}, ${prototypes}], crop ${crop} is [${scores.shape.join(", ")}]`,
      );
    }
  });
  if (assignCrops.length === 0) throw new Error("swavLoss: assignCrops is empty");
  const seen = new Set<number>();
  for (const crop of assignCrops) {
    if (!Number.isInteger(crop) || crop < 0 || crop >= scoresPerCrop.length) {
      throw new Error(`swavLoss: assigned crop ${crop} is not one of the ${scoresPerCrop.length} crops`);
    }
    if (seen.has(crop)) throw new Error(`swavLoss: crop ${crop} is assigned twice`);
    seen.add(crop);
  }
  if (!(temperature > 0)) throw new Error(`swavLoss: temperature must be > 0, got ${temperature}`);
  if (queueScores !== undefined && queueScores.length !== assignCrops.length) {
    throw new Error(
      `swavLoss: queueScores has ${queueScores.length} entries, one per assigned crop (${assignCrops.length}) is needed`,
    );
  }
  return [batch, prototypes];
}
