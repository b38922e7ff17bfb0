// What a worker does with a job: for each slot, try its candidate images in order until one decodes, then
// render that image's crops into the shared output arrays. The same code runs in-process when workers = 0.

import { planCropGroups, type CropGroupPlan } from "./augment-params.js";
import { decodeImageFile, type ReductionPolicy } from "./decode.js";
import { SkipError } from "./errors.js";
import { Scratch } from "./image-ops.js";
import { evalResizeShorterSide, renderEvalSample, renderTrainingSample, type RgbImage } from "./render.js";
import { renderSyntheticImage } from "./synthetic.js";
import type { AugmentSpec, DecodeLimits, SampleRef, SkippedFile, SourceWorkerContext } from "./types.js";

export interface ProcessorInit {
  context: SourceWorkerContext;
  augment: AugmentSpec;
  seed: number;
  mode: "train" | "eval";
  evalSize: number;
  evalResizeRatio: number;
  limits: DecodeLimits;
  /** Decode large images at the resolution their crops need (see `reductionFor`); false keeps every pixel. */
  shrinkOnLoad: boolean;
}

export interface SlotJob {
  slot: number;
  epoch: number;
  positionInEpoch: number;
  /** Images to try in order; the first that decodes is used. */
  candidates: SampleRef[];
  /** Attempt number of `candidates[0]` (part of the randomness key; later candidates count up from it). */
  firstAttempt: number;
}

export interface ProcessJob {
  batchSize: number;
  /** One per crop group, shared with the consumer. */
  outputs: SharedArrayBuffer[];
  slots: SlotJob[];
}

export interface SlotResult {
  slot: number;
  /** Index into `candidates` of the image used, or -1 when all failed. */
  used: number;
  skipped: SkippedFile[];
}

export function cropGroupsFor(mode: "train" | "eval", augment: AugmentSpec, evalSize: number): CropGroupPlan[] {
  if (mode === "eval") return [{ size: evalSize, count: 1, members: [] }];
  return planCropGroups(augment.crops);
}

/**
 * The largest factor by which an image can be shrunk before cropping while every crop is still a
 * reduction (or 1:1) of what is left: for a crop spec, the smallest box RandomResizedCrop can draw has a
 * side of at least sqrt(scale_min · W · H · min(ratio_min, 1/ratio_max)) (the centre fallback is larger);
 * that side over the crop size bounds the factor. For evaluation: the shorter side over the resize target.
 */
export function reductionPolicy(init: Pick<ProcessorInit, "mode" | "augment" | "evalSize" | "evalResizeRatio">): ReductionPolicy {
  if (init.mode === "eval") {
    const target = evalResizeShorterSide(init.evalSize, init.evalResizeRatio);
    return (width, height) => Math.min(width, height) / target;
  }
  const crops = init.augment.crops;
  return (width, height) => {
    let factor = Infinity;
    for (const crop of crops) {
      const smallestSide = Math.sqrt(crop.scale[0] * width * height * Math.min(crop.ratio[0], 1 / crop.ratio[1]));
      factor = Math.min(factor, smallestSide / crop.size);
    }
    return factor;
  };
}

export function describeRef(ref: SampleRef): string {
  return ref.kind === "file" ? ref.path : `${ref.kind}#${ref.index}`;
}

type Loaded = { image: RgbImage } | { error: unknown };

/**
 * Images decoding ahead of the one being rendered, per worker. Decoding a JPEG (libvips) takes two to
 * three times as long as rendering its crops, so one image ahead leaves this thread waiting; with three,
 * a worker keeps a second core busy when one is free (bench:data, CPU recipe, 1 worker: 1.1x → 1.5x
 * torchvision). Each costs one decoded image of memory.
 */
const DECODE_LOOKAHEAD = 3;

export class SampleProcessor {
  private readonly groups: CropGroupPlan[];
  private readonly scratch = new Scratch();
  private readonly reduce: ReductionPolicy | undefined;
  /** Slots of jobs given, in order, whose first image is not decoding yet. */
  private readonly upcoming: SlotJob[] = [];
  private readonly started = new Map<SlotJob, Promise<Loaded>>();
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly init: ProcessorInit) {
    this.groups = cropGroupsFor(init.mode, init.augment, init.evalSize);
    this.reduce = init.shrinkOnLoad ? reductionPolicy(init) : undefined;
  }

  private async decode(ref: SampleRef): Promise<RgbImage> {
    const context = this.init.context;
    if (ref.kind === "file") return decodeImageFile(ref.path, this.init.limits, this.reduce);
    if (ref.kind === "synthetic") {
      if (context.kind !== "synthetic") throw new Error(`synthetic sample given to a ${context.kind} worker`);
      return { width: context.size, height: context.size, data: renderSyntheticImage(context, ref.index) };
    }
    if (context.kind !== "pixels") throw new Error(`in-memory sample given to a ${context.kind} worker`);
    const pixels = context.width * context.height;
    const start = ref.index * pixels * context.channels;
    const stored = new Uint8Array(context.pixels, start, pixels * context.channels);
    if (context.channels === 3) return { width: context.width, height: context.height, data: stored };
    const rgb = new Uint8Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      const v = stored[p];
      rgb[p * 3] = v;
      rgb[p * 3 + 1] = v;
      rgb[p * 3 + 2] = v;
    }
    return { width: context.width, height: context.height, data: rgb };
  }

  /**
   * Jobs are worked through in the order given; a job given while another is running waits its turn,
   * but the first images of its slots already count for decoding ahead.
   */
  process(job: ProcessJob): Promise<SlotResult[]> {
    this.upcoming.push(...job.slots);
    const result = this.turn.then(() => this.processInTurn(job));
    this.turn = result.catch(() => undefined);
    return result;
  }

  private load(ref: SampleRef): Promise<Loaded> {
    return this.decode(ref).then(
      (image) => ({ image }),
      (error: unknown) => ({ error }),
    );
  }

  /** Files decode off this thread (libvips): keeps up to `count` first images decoding, in slot order. */
  private startLoads(count: number): void {
    while (this.started.size < count && this.upcoming.length > 0) {
      const slotJob = this.upcoming.shift()!;
      this.started.set(slotJob, this.load(slotJob.candidates[0]));
    }
  }

  private async processInTurn(job: ProcessJob): Promise<SlotResult[]> {
    try {
      return await this.renderSlots(job);
    } catch (error) {
      // A job that fails part-way must not leave its remaining slots in the look-ahead of the next.
      for (const slotJob of job.slots) this.started.delete(slotJob);
      const mine = new Set(job.slots);
      const others = this.upcoming.filter((slotJob) => !mine.has(slotJob));
      this.upcoming.splice(0, this.upcoming.length, ...others);
      throw error;
    }
  }

  private async renderSlots(job: ProcessJob): Promise<SlotResult[]> {
    const outputs = job.outputs.map((buffer) => new Float32Array(buffer));
    const results: SlotResult[] = [];
    for (const slotJob of job.slots) {
      this.startLoads(DECODE_LOOKAHEAD + 1);
      const current = this.started.get(slotJob)!;
      this.started.delete(slotJob);
      this.startLoads(DECODE_LOOKAHEAD);
      const skipped: SkippedFile[] = [];
      let used = -1;
      for (let c = 0; c < slotJob.candidates.length && used < 0; c++) {
        const ref = slotJob.candidates[c];
        // Alternates are only read once a file has turned out bad.
        const loaded = c === 0 ? await current : await this.load(ref);
        if ("error" in loaded) {
          if (!(loaded.error instanceof SkipError)) throw loaded.error;
          skipped.push({ path: describeRef(ref), reason: loaded.error.reason, detail: loaded.error.detail });
          continue;
        }
        const image = loaded.image;
        if (this.init.mode === "eval") {
          const size = this.init.evalSize;
          renderEvalSample(image, size, this.init.evalResizeRatio, this.init.augment, outputs[0], slotJob.slot * size * size * 3, this.scratch);
        } else {
          const key = [this.init.seed, slotJob.epoch, slotJob.positionInEpoch, slotJob.firstAttempt + c] as const;
          renderTrainingSample(image, key, this.init.augment, this.groups, outputs, slotJob.slot, job.batchSize, this.scratch);
        }
        used = c;
      }
      results.push({ slot: slotJob.slot, used, skipped });
    }
    return results;
  }
}
