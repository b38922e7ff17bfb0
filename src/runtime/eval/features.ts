// One pass of a model over a source's images (centre crops, no augmentation, source order), collecting
// one row per image that decoded: pooled trunk features, head embeddings or classifier scores.
import * as tf from "@tensorflow/tfjs";
import { createBatchStream, type AugmentSpec, type ImageSource, type SkippedFile } from "../data/index.js";
import type { SwavModel } from "../model/index.js";
import { EvaluationError, EvaluationStopped } from "./errors.js";

export interface FeatureSet {
  count: number;
  dim: number;
  /** Row-major [count, dim]. */
  features: Float32Array;
  /** Class of each row, for labelled sources. */
  labels: Int32Array | null;
  /** File of each row, for file-based sources. */
  paths: string[] | null;
  /** Source index of each row (bad files are dropped, so rows can skip indices). */
  rows: Int32Array;
  /** Files that could not be decoded (not in the rows). */
  skipped: SkippedFile[];
}

/** What a pass collects: the pooled output of a trunk stage (1-based; default the last) or the head's L2-normalised embedding. */
export type FeatureOutput = { kind: "trunk"; stage?: number } | { kind: "head" };

export interface ImagePassOptions {
  /** Side of the centre crop fed to the model (images are resized to imageSize / 0.875 first). */
  imageSize: number;
  normalize: AugmentSpec["normalize"];
  /** Images per forward pass. Default 128. */
  batchSize?: number;
  /** Decoding threads; 0 decodes on the calling thread. Default: the data pipeline's. */
  workers?: number;
  /** Images with more pixels are skipped (decompression bombs). */
  maxPixels?: number;
  /** Polled between batches; true stops the pass with EvaluationStopped. */
  shouldStop?: () => boolean;
  /** Called after each batch with the rows collected so far. */
  onProgress?: (done: number) => void;
}

/**
 * An augmentation spec whose one crop is a torchvision-style RandomResizedCrop(size, scale 0.08..1) with
 * a horizontal flip: the evaluation stream ignores it (centre crop), fine-tuning trains with it.
 */
export function evaluationAugment(normalize: AugmentSpec["normalize"], size: number): AugmentSpec {
  return {
    crops: [{ count: 1, size, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }],
    flip: 0.5,
    colorJitter: null,
    grayscale: 0,
    blur: null,
    solarize: null,
    normalize,
  };
}

/** Runs `forward` over every image of `source` in order and stacks its [N, D] outputs. */
export async function mapImages(source: ImageSource, options: ImagePassOptions, forward: (images: tf.Tensor4D) => tf.Tensor2D): Promise<FeatureSet> {
  const size = options.imageSize;
  const stream = createBatchStream({
    source,
    augment: evaluationAugment(options.normalize, size),
    batchSize: options.batchSize ?? 128,
    seed: 0,
    workers: options.workers,
    evalMode: true,
    evalSize: size,
    limits: options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : undefined,
  });
  const known = source.size();
  let capacityRows = known ?? 1024;
  let features: Float32Array | null = null;
  let dim = 0;
  let count = 0;
  let rows = new Int32Array(capacityRows);
  let labels: Int32Array | null = source.labels ? new Int32Array(capacityRows) : null;
  const paths: string[] = [];
  let anyPath = false;
  const skipped: SkippedFile[] = [];
  try {
    for (;;) {
      if (options.shouldStop?.()) throw new EvaluationStopped();
      const next = await stream.next();
      if (next.done) break;
      const batch = next.value;
      skipped.push(...batch.skipped);
      if (batch.size === 0) continue;
      const crop = batch.crops[0];
      const output = tf.tidy(() => forward(tf.tensor4d(crop.data, [batch.size, size, size, 3])));
      const values = output.dataSync() as Float32Array;
      const width = output.shape[1];
      output.dispose();
      if (features === null) {
        dim = width;
        features = new Float32Array(capacityRows * dim);
      }
      if (count + batch.size > capacityRows) {
        capacityRows = Math.max(capacityRows * 2, count + batch.size);
        const grown = new Float32Array(capacityRows * dim);
        grown.set(features);
        features = grown;
        const grownRows = new Int32Array(capacityRows);
        grownRows.set(rows);
        rows = grownRows;
        if (labels) {
          const grownLabels = new Int32Array(capacityRows);
          grownLabels.set(labels);
          labels = grownLabels;
        }
      }
      features.set(values, count * dim);
      rows.set(batch.indices, count);
      if (labels && batch.labels) labels.set(batch.labels, count);
      for (let i = 0; i < batch.size; i++) {
        const path = batch.paths?.[i] ?? null;
        if (path !== null) anyPath = true;
        paths.push(path ?? "");
      }
      count += batch.size;
      options.onProgress?.(count);
    }
  } finally {
    await stream.close();
  }
  if (count === 0) {
    const example = skipped[0];
    throw new EvaluationError("SEER7002", `no image of ${source.location} could be read${example ? ` (e.g. ${example.path}: ${example.reason})` : ""}`);
  }
  return {
    count,
    dim,
    features: features!.subarray(0, count * dim),
    labels: labels ? labels.subarray(0, count) : null,
    paths: anyPath ? paths : null,
    rows: rows.subarray(0, count),
    skipped,
  };
}

/** Pooled trunk features (eval-mode BatchNorm) or head embeddings of every image of `source`. */
export async function extractFeatures(model: SwavModel, source: ImageSource, options: ImagePassOptions & { output?: FeatureOutput }): Promise<FeatureSet> {
  const output = options.output ?? { kind: "trunk" };
  const stages = model.spec.trunk.stages.length;
  if (output.kind === "trunk" && output.stage !== undefined && (!Number.isInteger(output.stage) || output.stage < 1 || output.stage > stages)) {
    throw new EvaluationError("SEER2005", `stage ${output.stage} does not exist: the trunk has stages 1..${stages}`);
  }
  return mapImages(source, options, (images) =>
    output.kind === "head" ? model.forward(images, "eval").embedding : model.forwardTrunk(images, "eval", output.kind === "trunk" && output.stage !== undefined ? { stage: output.stage } : {}),
  );
}

/** Rows `rows` (indices into the set) of a feature set, as a new set. */
export function selectRows(set: FeatureSet, rows: ArrayLike<number>): FeatureSet {
  const features = new Float32Array(rows.length * set.dim);
  const picked = new Int32Array(rows.length);
  const labels = set.labels ? new Int32Array(rows.length) : null;
  const paths = set.paths ? new Array<string>(rows.length) : null;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    features.set(set.features.subarray(r * set.dim, (r + 1) * set.dim), i * set.dim);
    picked[i] = set.rows[r];
    if (labels) labels[i] = set.labels![r];
    if (paths) paths[i] = set.paths![r];
  }
  return { count: rows.length, dim: set.dim, features, labels, paths, rows: picked, skipped: [] };
}
