// Batches out of a source: positions from the sampler, pixels from the worker pool, assembled in order.
// At most `prefetch` batches exist ahead of the consumer (in flight or ready), whatever the source's size.

import { validateAugmentSpec, type CropGroupPlan } from "./augment-params.js";
import { DataSourceError } from "./errors.js";
import { defaultWorkerCount, WorkerPool } from "./pool.js";
import { cropGroupsFor, describeRef, type ProcessJob, type SlotJob, type SlotResult } from "./processor.js";
import { Rng, STREAM } from "./random.js";
import { createSampler, type Assignment, type Candidate, type Sampler } from "./sampler.js";
import type { ImageSource } from "./sources.js";
import { DEFAULT_DECODE_LIMITS, type AugmentSpec, type Batch, type DataCursor, type DecodeLimits, type SkippedFile } from "./types.js";

export interface BatchStreamOptions {
  source: ImageSource;
  augment: AugmentSpec;
  batchSize: number;
  seed: number;
  /** Worker threads; 0 runs everything on the calling thread. Default: cores − 1, at least 1, at most 8. */
  workers?: number;
  /** Batches assembled ahead of the consumer. Default 2. */
  prefetch?: number;
  /** First step to produce: resuming at `cursor.nextStep` gives exactly the batches an uninterrupted run would have. */
  startStep?: number;
  /** Centre crop, no augmentation, no shuffle, one pass, bad files dropped rather than replaced. */
  evalMode?: boolean;
  /** Passes over the data. Default: endless for training, 1 for evaluation. */
  epochs?: number;
  /** Default: true for training, false for evaluation. */
  shuffle?: boolean;
  /** Shuffle-buffer capacity for lazily listed folders. Default 16384. */
  shuffleBuffer?: number;
  /** Evaluation crop size. Default: the largest crop size of `augment`. */
  evalSize?: number;
  /** Evaluation crop / resize ratio. Default 0.875 (224 out of 256). */
  evalResizeRatio?: number;
  limits?: Partial<DecodeLimits>;
  /** Stand-ins tried per position when its file is bad. Default 3 for training, 0 for evaluation. */
  alternates?: number;
  /**
   * Decode large images straight to the resolution their crops need (libvips shrink-on-load + linear
   * reduce) when that is at least 2× smaller — crop geometry unchanged, resampling then composed of two
   * antialiased linear filters instead of one. Default true; false resamples every crop from full
   * resolution, exactly as torchvision on PIL images.
   */
  shrinkOnLoad?: boolean;
}

export interface BatchStream extends AsyncIterableIterator<Batch> {
  /** Where the next batch starts (save it in checkpoints). */
  cursor(): DataCursor;
  readonly workers: number;
  close(): Promise<void>;
}

function configError(message: string): DataSourceError {
  return new DataSourceError("data-config", message);
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw configError(`${name} must be an integer >= ${min}, got ${value}`);
}

export function createBatchStream(options: BatchStreamOptions): BatchStream {
  return new BatchStreamImpl(options);
}

interface BuiltBatch {
  batch: Omit<Batch, "dataWaitMs">;
  /** Sample positions this batch used up (bad files dropped in evaluation still count). */
  positions: number;
}

class BatchStreamImpl implements BatchStream {
  readonly workers: number;
  private readonly evalMode: boolean;
  private readonly batchSize: number;
  private readonly seed: number;
  private readonly prefetch: number;
  private readonly alternates: number;
  private readonly groups: CropGroupPlan[];
  private readonly pool: WorkerPool;
  private readonly sampler: Sampler;
  private readonly source: ImageSource;
  private readonly chunkSize: number;
  private takeChain: Promise<unknown>;
  private nextStepToBuild: number;
  private consumedStep: number;
  private samplesConsumed: number;
  private ahead: Promise<BuiltBatch | null>[] = [];
  private finished = false;
  private closed = false;

  constructor(options: BatchStreamOptions) {
    validateAugmentSpec(options.augment);
    checkInteger("batchSize", options.batchSize, 1);
    checkInteger("seed", options.seed, 0);
    this.evalMode = options.evalMode ?? false;
    this.workers = options.workers ?? defaultWorkerCount();
    checkInteger("workers", this.workers, 0);
    this.prefetch = options.prefetch ?? 2;
    checkInteger("prefetch", this.prefetch, 1);
    const startStep = options.startStep ?? 0;
    checkInteger("startStep", startStep, 0);
    this.alternates = options.alternates ?? (this.evalMode ? 0 : 3);
    checkInteger("alternates", this.alternates, 0);
    const epochs = options.epochs ?? (this.evalMode ? 1 : Infinity);
    if (epochs !== Infinity) checkInteger("epochs", epochs, 1);
    const shuffleBuffer = options.shuffleBuffer ?? 16384;
    checkInteger("shuffleBuffer", shuffleBuffer, 1);
    const evalSize = options.evalSize ?? Math.max(...options.augment.crops.map((c) => c.size));
    checkInteger("evalSize", evalSize, 1);
    const evalResizeRatio = options.evalResizeRatio ?? 0.875;
    if (!(evalResizeRatio > 0 && evalResizeRatio <= 1)) throw configError(`evalResizeRatio must be in (0, 1], got ${evalResizeRatio}`);
    const limits: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, ...options.limits };

    this.source = options.source;
    this.batchSize = options.batchSize;
    this.seed = options.seed;
    const mode = this.evalMode ? "eval" : "train";
    this.groups = cropGroupsFor(mode, options.augment, evalSize);
    this.chunkSize = Math.max(1, Math.ceil(this.batchSize / (Math.max(1, this.workers) * 4)));
    this.sampler = createSampler(this.source, {
      seed: this.seed,
      shuffle: options.shuffle ?? !this.evalMode,
      epochs,
      alternates: this.alternates,
      shuffleBuffer,
    });
    this.pool = new WorkerPool(this.workers, {
      context: this.source.workerContext(),
      augment: options.augment,
      seed: this.seed,
      mode,
      evalSize,
      evalResizeRatio,
      limits,
      shrinkOnLoad: options.shrinkOnLoad ?? true,
    });
    this.nextStepToBuild = startStep;
    this.consumedStep = startStep;
    this.samplesConsumed = startStep * this.batchSize;
    this.takeChain = startStep > 0 ? this.sampler.skip(startStep * this.batchSize) : Promise.resolve();
    this.fill();
  }

  cursor(): DataCursor {
    return { seed: this.seed, batchSize: this.batchSize, nextStep: this.consumedStep, samplesConsumed: this.samplesConsumed };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private fill(): void {
    while (!this.closed && !this.finished && this.ahead.length < this.prefetch) {
      const built = this.build(this.nextStepToBuild++);
      built.catch(() => undefined); // surfaced by next(); never an unhandled rejection while waiting in line
      this.ahead.push(built);
    }
  }

  private takeAssignments(): Promise<{ assignments: Assignment[]; issues: SkippedFile[] }> {
    const taken = this.takeChain.then(async () => {
      const assignments: Assignment[] = [];
      while (assignments.length < this.batchSize) {
        const next = await this.sampler.next();
        if (!next) break;
        assignments.push(next);
      }
      return { assignments, issues: this.sampler.takeIssues() };
    });
    this.takeChain = taken.catch(() => undefined);
    return taken;
  }

  private async runSlots(slots: SlotJob[], outputs: SharedArrayBuffer[], batchSize: number): Promise<SlotResult[]> {
    const jobs: Promise<SlotResult[]>[] = [];
    for (let i = 0; i < slots.length; i += this.chunkSize) {
      const job: ProcessJob = { batchSize, outputs, slots: slots.slice(i, i + this.chunkSize) };
      jobs.push(this.pool.run(job));
    }
    return (await Promise.all(jobs)).flat();
  }

  private async build(step: number): Promise<BuiltBatch | null> {
    const { assignments, issues } = await this.takeAssignments();
    if (assignments.length === 0) return null;
    const size = assignments.length;
    const outputs = this.groups.map((g) => new SharedArrayBuffer(size * g.count * g.size * g.size * 3 * Float32Array.BYTES_PER_ELEMENT));
    const slotJobs: SlotJob[] = assignments.map((a, slot) => ({
      slot,
      epoch: a.epoch,
      positionInEpoch: a.positionInEpoch,
      candidates: [a.primary.ref, ...a.alternates.map((c) => c.ref)],
      firstAttempt: 0,
    }));
    const results = await this.runSlots(slotJobs, outputs, size);
    const skipped: SkippedFile[] = [...issues];
    const used: (Candidate | null)[] = new Array(size).fill(null);
    for (const result of results) {
      skipped.push(...result.skipped);
      if (result.used >= 0) {
        const a = assignments[result.slot];
        used[result.slot] = result.used === 0 ? a.primary : a.alternates[result.used - 1];
      }
    }
    if (!this.evalMode) await this.fillFailedSlots(step, assignments, used, outputs, skipped);
    return { batch: this.assemble(step, assignments, used, outputs, skipped), positions: size };
  }

  /**
   * A position whose file and alternates were all bad borrows an image that worked elsewhere in the
   * batch (chosen by (seed, epoch, position), so independent of scheduling), with fresh crops.
   */
  private async fillFailedSlots(step: number, assignments: Assignment[], used: (Candidate | null)[], outputs: SharedArrayBuffer[], skipped: SkippedFile[]): Promise<void> {
    const failed = used.flatMap((c, slot) => (c ? [] : [slot]));
    if (failed.length === 0) return;
    const good = used.flatMap((c, slot) => (c ? [slot] : []));
    if (good.length === 0) {
      const example = skipped.find((s) => s.reason !== "symlink-loop") ?? skipped[0];
      throw new DataSourceError(
        "data-all-unreadable",
        `every file tried for batch ${step} was unreadable (${skipped.length} tried)` +
          (example ? `, e.g. ${example.path}: ${example.reason}` : "") +
          ` — is ${this.source.location} a folder of images?`,
        this.source.location,
      );
    }
    const donorsBySlot = new Map<number, Candidate[]>();
    const jobs: SlotJob[] = failed.map((slot) => {
      const a = assignments[slot];
      const start = Rng.forKey([this.seed, a.epoch, a.positionInEpoch, STREAM.fallback]).int(good.length);
      const donors = good.map((_, k) => used[good[(start + k) % good.length]]!);
      donorsBySlot.set(slot, donors);
      return { slot, epoch: a.epoch, positionInEpoch: a.positionInEpoch, candidates: donors.map((d) => d.ref), firstAttempt: 1 + this.alternates };
    });
    const results = await this.runSlots(jobs, outputs, used.length);
    for (const result of results) {
      skipped.push(...result.skipped);
      if (result.used < 0) {
        throw new DataSourceError("data-all-unreadable", `files in ${this.source.location} became unreadable while batch ${step} was assembled`, this.source.location);
      }
      used[result.slot] = donorsBySlot.get(result.slot)![result.used];
    }
  }

  private assemble(step: number, assignments: Assignment[], used: (Candidate | null)[], outputs: SharedArrayBuffer[], skipped: SkippedFile[]): Omit<Batch, "dataWaitMs"> {
    const capacity = used.length;
    const kept = used.flatMap((c, slot) => (c ? [slot] : []));
    const size = kept.length;
    const crops = this.groups.map((group, g) => {
      const cropLength = group.size * group.size * 3;
      const data = new Float32Array(outputs[g]);
      if (size < capacity) {
        // Evaluation drops bad files: close the gaps, crop-major order preserved (targets never pass sources).
        for (let k = 0; k < group.count; k++) {
          kept.forEach((slot, b) => {
            const from = (k * capacity + slot) * cropLength;
            const to = (k * size + b) * cropLength;
            if (from !== to) data.copyWithin(to, from, from + cropLength);
          });
        }
      }
      return { size: group.size, count: group.count, data: size < capacity ? data.subarray(0, size * group.count * cropLength) : data };
    });
    const chosen = kept.map((slot) => used[slot]!);
    const labelled = this.source.labels !== null;
    const hasPaths = chosen.some((c) => c.path !== null);
    return {
      step,
      epoch: assignments[0].epoch,
      size,
      crops,
      labels: labelled ? Int32Array.from(chosen, (c) => c.label) : undefined,
      indices: Int32Array.from(chosen, (c) => c.index),
      paths: hasPaths ? chosen.map((c) => c.path ?? describeRef(c.ref)) : undefined,
      skipped,
      cursor: { seed: this.seed, batchSize: this.batchSize, nextStep: step + 1, samplesConsumed: 0 },
    };
  }

  async next(): Promise<IteratorResult<Batch>> {
    const started = performance.now();
    if (this.closed || this.finished) return { done: true, value: undefined };
    this.fill();
    const head = this.ahead.shift()!;
    let built: BuiltBatch | null;
    try {
      built = await head;
    } catch (error) {
      await this.close();
      throw error;
    }
    if (!built) {
      this.finished = true;
      this.ahead = [];
      await this.close();
      return { done: true, value: undefined };
    }
    this.samplesConsumed += built.positions;
    this.consumedStep = built.batch.step + 1;
    this.fill();
    const cursor = this.cursor();
    return { done: false, value: { ...built.batch, cursor, dataWaitMs: performance.now() - started } };
  }

  async return(): Promise<IteratorResult<Batch>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ahead = [];
    await this.pool.close();
    await this.sampler.close().catch(() => undefined);
  }
}
