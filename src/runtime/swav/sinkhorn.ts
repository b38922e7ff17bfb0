import * as tf from "@tensorflow/tfjs";
import { withoutGradient } from "./no-gradient.js";

/**
 * Sinkhorn-Knopp codes as VISSL's SwAV loss computes them (float32, `use_double_prec: false`).
 *
 * `scores` is [N, K] (N samples, K prototypes). VISSL works on the transpose (K x N); here the same
 * scalings are applied to the [N, K] layout directly, which is the same arithmetic without two
 * transposes: a row of VISSL's matrix is a column here.
 *   P = exp(scores/epsilon - max(scores/epsilon)); P /= sum(P)
 *   repeat `iterations` times: scale each prototype's column to sum 1/K, then each sample's row to 1/N
 *   finally scale each sample's row to sum 1 (a code is a distribution over prototypes).
 *
 * After the last step every row sums to 1 and, as iterations grow, every column tends to N/K
 * (equipartition). The result carries no gradient (see `withoutGradient`).
 */
export function sinkhorn(scores: tf.Tensor2D, epsilon: number, iterations: number): tf.Tensor2D {
  checkSinkhornArguments(scores, epsilon, iterations);
  return withoutGradient(() => balancedCodes(scores, epsilon, iterations));
}

/**
 * Codes for the current batch computed over the batch plus queued rows: the optimal transport is solved
 * over all B + Q samples (so the equipartition is over the bigger set, as SwAV's queue intends) and
 * only the B batch rows are returned. Without `queueScores` this is `sinkhorn(batchScores, ...)`.
 */
export function sinkhornWithQueue(
  batchScores: tf.Tensor2D,
  queueScores: tf.Tensor2D | undefined,
  epsilon: number,
  iterations: number,
): tf.Tensor2D {
  if (queueScores === undefined) return sinkhorn(batchScores, epsilon, iterations);
  checkSinkhornArguments(batchScores, epsilon, iterations);
  if (queueScores.rank !== 2 || queueScores.shape[1] !== batchScores.shape[1]) {
    throw new Error(
      `sinkhornWithQueue: queue scores must be [Q, ${batchScores.shape[1]}], got [${queueScores.shape.join(", ")}]`,
    );
  }
  const [batchRows, prototypes] = batchScores.shape;
  return withoutGradient(() => {
    const all = tf.concat([batchScores, queueScores], 0);
    return tf.slice(balancedCodes(all, epsilon, iterations), [0, 0], [batchRows, prototypes]);
  });
}

function balancedCodes(scores: tf.Tensor2D, epsilon: number, iterations: number): tf.Tensor2D {
  const [samples, prototypes] = scores.shape;
  const scaled = tf.div<tf.Tensor2D>(scores, epsilon);
  // Subtracting the global max keeps exp() finite at scores/epsilon of 20 and beyond; the
  // normalisation that follows removes the constant factor it introduces.
  let codes = tf.exp(tf.sub<tf.Tensor2D>(scaled, tf.max(scaled)));
  codes = tf.div(codes, tf.sum(codes));
  for (let i = 0; i < iterations; i++) {
    codes = tf.mul(codes, tf.div(1 / prototypes, tf.sum(codes, 0, true)));
    codes = tf.mul(codes, tf.div(1 / samples, tf.sum(codes, 1, true)));
  }
  return tf.div(codes, tf.sum(codes, 1, true));
}

function checkSinkhornArguments(scores: tf.Tensor, epsilon: number, iterations: number): void {
  if (scores.rank !== 2) throw new Error(`sinkhorn: scores must be [N, K], got rank ${scores.rank}`);
  if (scores.shape[0] === 0 || scores.shape[1] === 0) {
    throw new Error(`sinkhorn: scores must be non-empty, got [${scores.shape.join(", ")}]`);
  }
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new Error(`sinkhorn: epsilon must be > 0, got ${epsilon}`);
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw new Error(`sinkhorn: iterations must be a non-negative integer, got ${iterations}`);
  }
}
