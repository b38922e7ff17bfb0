// Train and test splits of an evaluation's labelled data, and fixed, seeded, class-balanced subsets
// of them (low-shot labels, capped evaluations). Everything here is plain data over ImageSources: the
// same images, the same order, whatever the backend or the number of workers.
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { DataIR, SourceIR } from "../../compile/ir.js";
import { DataSourceError, openSource, type ImageSource, type ListEvent } from "../data/index.js";
import { Rng, shuffledIndices } from "../data/random.js";
import type { SampleRef, SkippedFile, SourceWorkerContext } from "../data/types.js";
import { sourceSpecOf, UnsupportedSourceError } from "../train/specs.js";
import { EvaluationError } from "./errors.js";

/** Salts of the random streams owned by evaluation (kept apart from the data pipeline's). */
const STREAM_HOLDOUT = 0x6576_0001;
const STREAM_SUBSET = 0x6576_0002;

/** Share of an image folder without train/ and val/ sub-folders held out for testing. */
export const HOLDOUT_FRACTION = 0.2;

/**
 * A random-access view of some rows of another source, optionally with relabelled classes. It shares
 * the base source's worker context (no copy of pixels or paths) and never closes the base.
 */
export class ViewSource implements ImageSource {
  readonly randomAccess = true;
  readonly kind: ImageSource["kind"];

  constructor(
    private readonly base: ImageSource,
    /** Base index of each row of the view. */
    readonly rows: Int32Array,
    readonly labels: Int32Array | null,
    readonly classNames: readonly string[] | null,
    readonly location: string,
  ) {
    if (!base.randomAccess) throw new Error(`internal: a view needs a random-access source (${base.location} is listed lazily)`);
    if (labels && labels.length !== rows.length) throw new Error("internal: a view needs one label per row");
    this.kind = base.kind;
  }

  size(): number {
    return this.rows.length;
  }
  async count(): Promise<number> {
    return this.rows.length;
  }
  ref(index: number): SampleRef {
    return this.base.ref(this.rows[index]);
  }
  path(index: number): string | null {
    return this.base.path(this.rows[index]);
  }
  async *list(): AsyncGenerator<ListEvent> {
    for (let index = 0; index < this.rows.length; index++) {
      yield { kind: "sample", index, ref: this.ref(index), label: this.labels ? this.labels[index] : -1, path: this.path(index) };
    }
  }
  takeListingIssues(): SkippedFile[] {
    return this.base.takeListingIssues();
  }
  workerContext(): SourceWorkerContext {
    return this.base.workerContext();
  }
  async close(): Promise<void> {}
}

/** A view of `rows` of a labelled source, keeping its labels and class names. */
export function viewOf(source: ImageSource, rows: Int32Array, location = source.location): ViewSource {
  const labels = source.labels ? Int32Array.from(rows, (r) => source.labels![r]) : null;
  return new ViewSource(source, rows, labels, source.classNames, location);
}

/**
 * `perClass` images of every class (all of a class's images when it has fewer), chosen by a seeded
 * permutation of each class's members; returned in ascending order. The choice depends only on the
 * labels, the count, the seed and `salt`.
 */
export function classBalancedRows(labels: Int32Array, classes: number, perClass: number, seed: number, salt = STREAM_SUBSET): Int32Array {
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`internal: perClass must be a positive integer, got ${perClass}`);
  const members = membersByClass(labels, classes);
  const chosen: number[] = [];
  members.forEach((rows, c) => {
    if (rows.length === 0) return;
    const order = shuffledIndices(rows.length, Rng.forKey([seed, c, salt]));
    const take = Math.min(perClass, rows.length);
    for (let i = 0; i < take; i++) chosen.push(rows[order[i]]);
  });
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

/**
 * Low-shot labels: `fraction` of the labelled images, the same number from every class
 * (round(fraction · N / classes), at least 1, as the 1% and 10% ImageNet subsets of SimCLR and SEER
 * take ~13 and ~128 images per class).
 */
export function lowShotRows(labels: Int32Array, classes: number, fraction: number, seed: number): Int32Array {
  if (!(fraction > 0 && fraction <= 1)) throw new EvaluationError("SEER2005", `a low-shot fraction must be in (0, 1], got ${fraction}`);
  if (fraction === 1) return Int32Array.from({ length: labels.length }, (_, i) => i);
  const perClass = Math.max(1, Math.round((fraction * labels.length) / Math.max(1, classes)));
  return classBalancedRows(labels, classes, perClass, seed);
}

/** At most `max` rows, class-balanced (max / classes per class, at least 1), for quick evaluations. */
export function cappedRows(labels: Int32Array, classes: number, max: number, seed: number): Int32Array | null {
  if (max >= labels.length) return null;
  return classBalancedRows(labels, classes, Math.max(1, Math.floor(max / Math.max(1, classes))), seed, STREAM_SUBSET + 1);
}

function membersByClass(labels: Int32Array, classes: number): number[][] {
  const members: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c < 0 || c >= classes) throw new Error(`internal: label ${c} outside 0..${classes - 1}`);
    members[c].push(i);
  }
  return members;
}

/**
 * A seeded, stratified split: round(HOLDOUT_FRACTION · n_c) images of each class (at least 1 when the
 * class has 2 or more) go to the test split, the rest to training.
 */
export function holdoutSplit(labels: Int32Array, classes: number, seed: number): { train: Int32Array; test: Int32Array } {
  const train: number[] = [];
  const test: number[] = [];
  membersByClass(labels, classes).forEach((rows, c) => {
    const order = shuffledIndices(rows.length, Rng.forKey([seed, c, STREAM_HOLDOUT]));
    const held = rows.length >= 2 ? Math.max(1, Math.round(HOLDOUT_FRACTION * rows.length)) : 0;
    order.forEach((o, i) => (i < held ? test : train).push(rows[o]));
  });
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}

export interface EvaluationSplits {
  train: ImageSource;
  test: ImageSource;
  classNames: readonly string[];
  /** How the split was made, in words (shown in logs and the results). */
  description: string;
  /** True when the test split was drawn from the training images (a seeded 80/20 split). */
  heldOut: boolean;
  close(): Promise<void>;
}

async function open(source: SourceIR): Promise<ImageSource> {
  try {
    return await openSource(sourceSpecOf(source));
  } catch (e) {
    if (e instanceof UnsupportedSourceError) throw new EvaluationError("SEER7002", `${e.message}; evaluation needs the images on this machine`);
    if (e instanceof DataSourceError) throw new EvaluationError("SEER7002", e.message, e.hint);
    throw e;
  }
}

function requireLabels(source: ImageSource, role: string): { labels: Int32Array; classNames: readonly string[] } {
  if (!source.labels || !source.classNames) throw new EvaluationError("SEER7002", `the ${role} images of ${source.location} have no labels; evaluation needs labelled data (image_folder, idx or synthetic)`);
  return { labels: source.labels, classNames: source.classNames };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Opens the train and test splits of an evaluation's data:
 *  - `idx`: the train-… and t10k-… files; `synthetic`: its train and test splits (other images of the
 *    same classes);
 *  - `image_folder`: its `train/` and `val/` (or `test/`) sub-folders when present (test classes matched
 *    to training classes by name), else a seeded, stratified 80/20 split of its images;
 *  - named datasets cannot be opened in-process.
 */
export async function openEvaluationSplits(data: DataIR, seed: number): Promise<EvaluationSplits> {
  const source = data.source;
  switch (source.kind) {
    case "idx":
    case "synthetic": {
      const train = await open({ ...source, split: "train" });
      let test: ImageSource;
      try {
        test = await open({ ...source, split: "test" });
      } catch (e) {
        await train.close();
        throw e;
      }
      const { classNames } = requireLabels(train, "training");
      requireLabels(test, "test");
      return {
        train,
        test,
        classNames,
        description: source.kind === "idx" ? `train and test files of ${resolve(source.path)}` : "train and test splits of the synthetic images",
        heldOut: false,
        close: async () => {
          await train.close();
          await test.close();
        },
      };
    }
    case "image_folder": {
      const root = resolve(source.path);
      const testFolder = ["val", "test"].map((name) => join(root, name)).find(isFolder);
      if (isFolder(join(root, "train")) && testFolder) {
        const train = await open({ kind: "image_folder", path: join(root, "train") });
        const testBase = await open({ kind: "image_folder", path: testFolder });
        const { classNames } = requireLabels(train, "training");
        const testLabels = requireLabels(testBase, "test");
        const index = new Map(classNames.map((name, i) => [name, i]));
        const unknown = testLabels.classNames.filter((name) => !index.has(name));
        if (unknown.length > 0) {
          await train.close();
          await testBase.close();
          throw new EvaluationError("SEER7002", `${testFolder} has class folders that ${join(root, "train")} lacks: ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", …" : ""}`);
        }
        const remapped = Int32Array.from(testLabels.labels, (l) => index.get(testLabels.classNames[l])!);
        const rows = Int32Array.from({ length: testBase.size()! }, (_, i) => i);
        const test = new ViewSource(testBase, rows, remapped, classNames, testFolder);
        return {
          train,
          test,
          classNames,
          description: `${join(root, "train")} for training, ${testFolder} for testing`,
          heldOut: false,
          close: async () => {
            await train.close();
            await testBase.close();
          },
        };
      }
      const all = await open(source);
      const { labels, classNames } = requireLabels(all, "");
      const split = holdoutSplit(labels, classNames.length, seed);
      if (split.test.length === 0) {
        await all.close();
        throw new EvaluationError("SEER7002", `${root} has too few images to hold some out for testing; give it train/ and val/ sub-folders`);
      }
      return {
        train: viewOf(all, split.train, `${root} (80% training split)`),
        test: viewOf(all, split.test, `${root} (20% test split)`),
        classNames,
        description: `${root} has no train/ and val/ sub-folders: a seeded, stratified ${Math.round((1 - HOLDOUT_FRACTION) * 100)}/${Math.round(HOLDOUT_FRACTION * 100)} split (seed ${seed}) gives ${split.train.length} training and ${split.test.length} test images`,
        heldOut: true,
        close: () => all.close(),
      };
    }
    case "named":
      throw new EvaluationError("SEER7002", `\`${source.name}\` is a dataset name with no local copy; evaluate on a local copy with image_folder("…") (train/ and val/ sub-folders)`);
    case "folder":
    case "list":
      throw new EvaluationError("SEER7002", `evaluation needs labelled data; ${source.kind === "folder" ? source.path : source.file} has no labels (use image_folder("…") with one sub-folder per class)`);
  }
}

