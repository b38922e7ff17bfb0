import * as tf from "@tensorflow/tfjs";
import { withoutGradient } from "./no-gradient.js";

export interface EmbeddingQueueConfig {
  /** One queue per assigned crop. */
  assignedCrops: number;
  /** Rows kept per assigned crop (L). The compiler rounds it to a multiple of the batch; any L >= 1 works here. */
  length: number;
  /** Embedding width (the head's output, e.g. 128 or 256). */
  dim: number;
  /** First training step whose embeddings are stored; before it `push` does nothing. */
  startStep: number;
}

/** Plain data for a checkpoint. `rows[slot]` is [length, dim] row-major, newest rows first. */
export interface EmbeddingQueueState {
  assignedCrops: number;
  length: number;
  dim: number;
  filledRows: number;
  rows: Float32Array[];
}

/**
 * SwAV's queue of past embeddings, one FIFO per assigned crop. It stores embeddings, not scores, so
 * queued samples are scored with the current prototypes each step. Like SwAV it is used only once
 * full (`isFull()`): until then the codes come from the batch alone.
 *
 * Order within a step: score the queue (if full), compute the loss, then `push` this batch's
 * embeddings, so the queue only ever holds earlier batches.
 */
export class EmbeddingQueue {
  readonly config: EmbeddingQueueConfig;
  private slots: tf.Tensor2D[];
  private filled = 0;

  constructor(config: EmbeddingQueueConfig) {
    const { assignedCrops, length, dim, startStep } = config;
    for (const [name, value] of Object.entries({ assignedCrops, length, dim })) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`EmbeddingQueue: ${name} must be a positive integer, got ${value}`);
    }
    if (!Number.isInteger(startStep) || startStep < 0) throw new Error(`EmbeddingQueue: startStep must be >= 0, got ${startStep}`);
    this.config = { ...config };
    this.slots = Array.from({ length: assignedCrops }, () => tf.keep(tf.zeros([length, dim])) as tf.Tensor2D);
  }

  get filledRows(): number {
    return this.filled;
  }

  isFull(): boolean {
    return this.filled >= this.config.length;
  }

  /** The queued embeddings of one assigned crop, [L, dim], newest first; undefined until full. Owned by the queue: do not dispose. */
  embeddings(slot: number): tf.Tensor2D | undefined {
    this.checkSlot(slot);
    return this.isFull() ? this.slots[slot] : undefined;
  }

  /**
   * Scores of every assigned crop's queue under `score` (e.g. `e => tf.matMul(e, prototypes, false, true)`),
   * ready for `swavLoss({ queueScores })`; undefined until full. Computed without gradient: they only
   * feed the codes, which carry none, so taping them would only cost a backward pass into the prototypes.
   * The returned tensors belong to the caller (dispose them, or create them inside a tidy).
   */
  scores(score: (embeddings: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D[] | undefined {
    if (!this.isFull()) return undefined;
    return this.slots.map((queued) => withoutGradient(() => score(queued)));
  }

  /** Adds this step's embeddings ([B, dim] per assigned crop) in front and drops the oldest rows. */
  push(step: number, embeddingsPerAssignedCrop: tf.Tensor2D[]): void {
    if (embeddingsPerAssignedCrop.length !== this.config.assignedCrops) {
      throw new Error(
        `EmbeddingQueue.push: expected embeddings for ${this.config.assignedCrops} assigned crops, got ${embeddingsPerAssignedCrop.length}`,
      );
    }
    const { length, dim } = this.config;
    const batch = embeddingsPerAssignedCrop[0].shape[0];
    for (const embeddings of embeddingsPerAssignedCrop) {
      if (embeddings.rank !== 2 || embeddings.shape[0] !== batch || embeddings.shape[1] !== dim) {
        throw new Error(
          `EmbeddingQueue.push: every assigned crop needs [${batch}, ${dim}] embeddings, got [${embeddings.shape.join(", ")}]`,
        );
      }
    }
    if (step < this.config.startStep) return;
    this.slots = this.slots.map((queued, slot) => {
      const incoming = embeddingsPerAssignedCrop[slot];
      const next = withoutGradient(() =>
        batch >= length
          ? tf.slice(incoming, [0, 0], [length, dim])
          : tf.concat([incoming, tf.slice(queued, [0, 0], [length - batch, dim])], 0),
      );
      queued.dispose();
      return tf.keep(next);
    });
    this.filled = Math.min(length, this.filled + batch);
  }

  exportState(): EmbeddingQueueState {
    const { assignedCrops, length, dim } = this.config;
    return {
      assignedCrops,
      length,
      dim,
      filledRows: this.filled,
      rows: this.slots.map((queued) => Float32Array.from(queued.dataSync() as Float32Array)),
    };
  }

  importState(state: EmbeddingQueueState): void {
    const { assignedCrops, length, dim } = this.config;
    if (state.assignedCrops !== assignedCrops || state.length !== length || state.dim !== dim) {
      throw new Error(
        `EmbeddingQueue.importState: saved queue is ${state.assignedCrops}x${state.length}x${state.dim}, ` +
          `this run's is ${assignedCrops}x${length}x${dim}`,
      );
    }
    if (state.rows.length !== assignedCrops || state.rows.some((rows) => rows.length !== length * dim)) {
      throw new Error("EmbeddingQueue.importState: saved rows do not match the queue's size");
    }
    if (!Number.isInteger(state.filledRows) || state.filledRows < 0 || state.filledRows > length) {
      throw new Error(`EmbeddingQueue.importState: filledRows ${state.filledRows} is outside [0, ${length}]`);
    }
    this.slots.forEach((queued) => queued.dispose());
    // slice(): the cpu backend keeps the very array it is given, and the caller still owns this one.
    this.slots = state.rows.map((rows) => tf.keep(tf.tensor2d(rows.slice(), [length, dim])));
    this.filled = state.filledRows;
  }

  dispose(): void {
    this.slots.forEach((queued) => queued.dispose());
    this.slots = [];
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.config.assignedCrops) {
      throw new Error(`EmbeddingQueue: slot ${slot} is not one of the ${this.config.assignedCrops} assigned crops`);
    }
  }
}
