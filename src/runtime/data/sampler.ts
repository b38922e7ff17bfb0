// The order in which samples are visited. Positions are global (epoch after epoch without a break), and
// batch `step` is always positions [step·B, step·B + B): resuming at a step needs only the seed, never
// the history. Each position also gets a few alternates, chosen deterministically, that stand in for it
// when its file turns out to be bad — a replacement never shifts later positions.
//
// Random-access sources: epoch e visits a Fisher–Yates permutation keyed by (seed, e); alternates are
// uniform indices keyed by (seed, e, position).
// Lazily listed folders: epoch e streams the listing through a shuffle buffer (as tf.data and
// WebDataset do) driven by an Rng keyed by (seed, e); alternates are drawn from what the buffer holds.
// With a buffer at least as large as the folder this is an exact uniform shuffle; resuming replays the
// listing (names only, no decoding) up to the position.

import { DataSourceError } from "./errors.js";
import { Rng, shuffledIndices, STREAM } from "./random.js";
import type { ImageSource, ListEvent } from "./sources.js";
import type { SampleRef, SkippedFile } from "./types.js";

export interface Candidate {
  index: number;
  ref: SampleRef;
  label: number;
  path: string | null;
}

export interface Assignment {
  epoch: number;
  positionInEpoch: number;
  primary: Candidate;
  alternates: Candidate[];
}

export interface SamplerOptions {
  seed: number;
  shuffle: boolean;
  /** Passes over the data before the stream ends (Infinity: never). */
  epochs: number;
  /** Alternates per position (0: bad files are dropped, as in evaluation). */
  alternates: number;
  /** Shuffle-buffer capacity for lazily listed folders. */
  shuffleBuffer: number;
}

export interface Sampler {
  /** The next assignment, or null once the last pass has ended. */
  next(): Promise<Assignment | null>;
  /** Moves `count` positions ahead without assembling anything (resume). */
  skip(count: number): Promise<void>;
  /** Listing problems met since the last call. */
  takeIssues(): SkippedFile[];
  close(): Promise<void>;
}

export function createSampler(source: ImageSource, options: SamplerOptions): Sampler {
  return source.randomAccess ? new RandomAccessSampler(source, options) : new StreamingSampler(source, options);
}

class RandomAccessSampler implements Sampler {
  private position = 0;
  private readonly count: number;
  private permutations = new Map<number, Int32Array>();
  private issues: SkippedFile[];

  constructor(
    private readonly source: ImageSource,
    private readonly options: SamplerOptions,
  ) {
    this.count = source.size() ?? 0;
    this.issues = source.takeListingIssues();
  }

  private permutation(epoch: number): Int32Array {
    let order = this.permutations.get(epoch);
    if (!order) {
      order = shuffledIndices(this.count, Rng.forKey([this.options.seed, epoch, STREAM.shuffle]));
      if (this.permutations.size >= 2) this.permutations.delete(Math.min(...this.permutations.keys()));
      this.permutations.set(epoch, order);
    }
    return order;
  }

  private candidate(index: number): Candidate {
    const source = this.source;
    return { index, ref: source.ref(index), label: source.labels ? source.labels[index] : -1, path: source.path(index) };
  }

  async next(): Promise<Assignment | null> {
    const n = this.count;
    const epoch = Math.floor(this.position / n);
    if (epoch >= this.options.epochs) return null;
    const positionInEpoch = this.position - epoch * n;
    this.position++;
    const index = this.options.shuffle ? this.permutation(epoch)[positionInEpoch] : positionInEpoch;
    const alternates: Candidate[] = [];
    if (this.options.alternates > 0 && n > 1) {
      const rng = Rng.forKey([this.options.seed, epoch, positionInEpoch, STREAM.alternates]);
      for (let k = 0; k < this.options.alternates; k++) {
        const other = (index + 1 + rng.int(n - 1)) % n;
        alternates.push(this.candidate(other));
      }
    }
    return { epoch, positionInEpoch, primary: this.candidate(index), alternates };
  }

  async skip(count: number): Promise<void> {
    this.position = Math.min(this.position + count, this.options.epochs * this.count);
  }

  takeIssues(): SkippedFile[] {
    return this.issues.splice(0);
  }

  async close(): Promise<void> {}
}

class StreamingSampler implements Sampler {
  private epoch = 0;
  private positionInEpoch = 0;
  private listing: AsyncGenerator<ListEvent> | null = null;
  private listingDone = false;
  private listedThisEpoch = 0;
  private buffer: Candidate[] = [];
  private rng: Rng | null = null;
  private issues: SkippedFile[] = [];
  private readonly capacity: number;

  constructor(
    private readonly source: ImageSource,
    private readonly options: SamplerOptions,
  ) {
    this.capacity = options.shuffle ? Math.max(1, options.shuffleBuffer) : 1;
  }

  private async pull(): Promise<void> {
    while (!this.listingDone) {
      const step = await this.listing!.next();
      if (step.done) {
        this.listingDone = true;
        return;
      }
      const event = step.value;
      if (event.kind === "issue") {
        this.issues.push(event.skipped);
        continue;
      }
      this.listedThisEpoch++;
      this.buffer.push({ index: event.index, ref: event.ref, label: event.label, path: event.path });
      return;
    }
  }

  async next(): Promise<Assignment | null> {
    for (;;) {
      if (this.epoch >= this.options.epochs) return null;
      if (!this.listing) {
        this.listing = this.source.list();
        this.listingDone = false;
        this.listedThisEpoch = 0;
        this.positionInEpoch = 0;
        this.rng = Rng.forKey([this.options.seed, this.epoch, STREAM.shuffle]);
      }
      while (!this.listingDone && this.buffer.length < this.capacity) await this.pull();
      if (this.buffer.length > 0) break;
      if (this.listedThisEpoch === 0) {
        throw new DataSourceError("data-empty", `no image files left under ${this.source.location} (were they deleted?)`, this.source.location);
      }
      this.epoch++;
      this.listing = null;
    }
    const pick = this.options.shuffle ? this.rng!.int(this.buffer.length) : 0;
    const primary = this.buffer[pick];
    if (this.options.shuffle) {
      this.buffer[pick] = this.buffer[this.buffer.length - 1];
      this.buffer.pop();
    } else {
      this.buffer.shift();
    }
    const positionInEpoch = this.positionInEpoch++;
    const alternates: Candidate[] = [];
    if (this.options.alternates > 0) {
      // Peek (not take) a few of the buffered files; the list is refilled first so it is never empty
      // while the listing lasts.
      while (!this.listingDone && this.buffer.length < this.capacity) await this.pull();
      if (this.buffer.length > 0) {
        const rng = Rng.forKey([this.options.seed, this.epoch, positionInEpoch, STREAM.alternates]);
        for (let k = 0; k < this.options.alternates; k++) alternates.push(this.buffer[rng.int(this.buffer.length)]);
      }
    }
    return { epoch: this.epoch, positionInEpoch, primary, alternates };
  }

  takeIssues(): SkippedFile[] {
    return this.issues.splice(0);
  }

  async skip(count: number): Promise<void> {
    for (let i = 0; i < count; i++) if ((await this.next()) === null) break;
    this.issues.length = 0;
  }

  async close(): Promise<void> {
    await this.listing?.return(undefined);
    this.listing = null;
    this.buffer = [];
  }
}
