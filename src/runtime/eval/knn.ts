// Weighted k-nearest-neighbour classification on L2-normalised features (as in InstDisc, DINO and
// VISSL's knn benchmark): each of a query's k most cosine-similar training rows votes for its class
// with weight exp(similarity / T).
import * as tf from "@tensorflow/tfjs";

export interface KnnOptions {
  k: number;
  temperature: number;
  classes: number;
  /** Queries per similarity block (bounds memory: chunk × training rows floats). Default 256. */
  chunk?: number;
}

/** Each row divided by its L2 norm (rows of zeros stay zero), in a new array. */
export function l2NormalizeRows(features: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(features.length);
  for (let r = 0; r < features.length / dim; r++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += features[r * dim + d] ** 2;
    const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
    for (let d = 0; d < dim; d++) out[r * dim + d] = features[r * dim + d] * scale;
  }
  return out;
}

/**
 * Class votes [queries, classes] (row-major, float64). The query's largest similarity is subtracted
 * inside the exponent: votes are scaled by one positive factor per query, which changes no ranking
 * and keeps small temperatures finite.
 */
export function knnClassVotes(
  train: { features: Float32Array; labels: Int32Array; dim: number },
  queries: { features: Float32Array; dim: number },
  options: KnnOptions,
): Float64Array {
  const { dim } = train;
  if (queries.dim !== dim) throw new Error(`internal: ${queries.dim}-dimensional queries against ${dim}-dimensional training features`);
  const trainCount = train.labels.length;
  const queryCount = queries.features.length / dim;
  const k = Math.min(options.k, trainCount);
  const chunk = options.chunk ?? 256;
  const votes = new Float64Array(queryCount * options.classes);
  const bank = tf.tensor2d(l2NormalizeRows(train.features, dim), [trainCount, dim]);
  const normalizedQueries = l2NormalizeRows(queries.features, dim);
  try {
    for (let start = 0; start < queryCount; start += chunk) {
      const rows = Math.min(chunk, queryCount - start);
      const [values, indices] = tf.tidy(() => {
        const q = tf.tensor2d(normalizedQueries.subarray(start * dim, (start + rows) * dim), [rows, dim]);
        const { values, indices } = tf.topk(tf.matMul(q, bank, false, true), k, true);
        return [values.dataSync() as Float32Array, indices.dataSync() as Int32Array];
      });
      for (let i = 0; i < rows; i++) {
        const top = values[i * k];
        const out = (start + i) * options.classes;
        for (let j = 0; j < k; j++) {
          votes[out + train.labels[indices[i * k + j]]] += Math.exp((values[i * k + j] - top) / options.temperature);
        }
      }
    }
  } finally {
    bank.dispose();
  }
  return votes;
}
