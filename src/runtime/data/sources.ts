// Image sources: where samples come from and how a worker finds each one. Random-access sources (an index
// → a sample) are shuffled exactly per epoch; the lazily listed `folder` source is streamed through a
// bounded shuffle buffer instead (see sampler.ts), so a million-file folder starts at once.

import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { DataSourceError } from "./errors.js";
import { compileGlob, DEFAULT_IMAGE_GLOB, type CompiledGlob } from "./glob.js";
import { FASHION_MNIST_CLASSES, loadIdxImageSet } from "./idx.js";
import { PathTable } from "./path-table.js";
import { syntheticClassNames, syntheticLabels } from "./synthetic.js";
import type { SampleRef, SkippedFile, SourceSpec, SourceWorkerContext } from "./types.js";
import { walkFiles, type WalkEvent, type WalkFilters, type WalkProgress } from "./walk.js";

export type ListEvent = { kind: "sample"; index: number; ref: SampleRef; label: number; path: string | null } | { kind: "issue"; skipped: SkippedFile };

export interface ImageSource {
  readonly kind: SourceSpec["kind"];
  /** The path (or description) named in messages. */
  readonly location: string;
  /** True when `ref(index)` works and `size()` is known from the start. */
  readonly randomAccess: boolean;
  readonly classNames: readonly string[] | null;
  /** Label of each index, for labelled random-access sources. */
  readonly labels: Int32Array | null;
  /** Number of samples; null for a lazily listed folder until one listing pass has finished. */
  size(): number | null;
  /** Number of samples, listing a lazy folder once (names only) if needed — e.g. to turn epochs into steps. */
  count(): Promise<number>;
  ref(index: number): SampleRef;
  /** File behind an index (null for in-memory sources). */
  path(index: number): string | null;
  /** Every sample once, in source order (files listed lazily for folders), with listing problems. */
  list(): AsyncGenerator<ListEvent>;
  /** Problems found while listing eagerly at open (reported once, with the first batch). */
  takeListingIssues(): SkippedFile[];
  workerContext(): SourceWorkerContext;
  close(): Promise<void>;
}

abstract class RandomAccessSource implements ImageSource {
  abstract readonly kind: SourceSpec["kind"];
  abstract readonly location: string;
  readonly randomAccess = true;
  abstract readonly classNames: readonly string[] | null;
  abstract readonly labels: Int32Array | null;
  protected issues: SkippedFile[] = [];
  abstract size(): number;
  async count(): Promise<number> {
    return this.size();
  }
  abstract ref(index: number): SampleRef;
  abstract path(index: number): string | null;
  abstract workerContext(): SourceWorkerContext;

  async *list(): AsyncGenerator<ListEvent> {
    const n = this.size();
    for (let index = 0; index < n; index++) {
      yield { kind: "sample", index, ref: this.ref(index), label: this.labels ? this.labels[index] : -1, path: this.path(index) };
    }
  }

  takeListingIssues(): SkippedFile[] {
    return this.issues.splice(0);
  }

  async close(): Promise<void> {}
}

class FileTableSource extends RandomAccessSource {
  constructor(
    readonly kind: "image_folder" | "list",
    readonly location: string,
    private readonly root: string,
    private readonly table: PathTable,
    readonly labels: Int32Array | null,
    readonly classNames: readonly string[] | null,
    issues: SkippedFile[],
  ) {
    super();
    this.issues = issues;
  }
  size(): number {
    return this.table.length;
  }
  path(index: number): string {
    const stored = this.table.get(index);
    return this.root === "" ? stored : join(this.root, stored);
  }
  ref(index: number): SampleRef {
    return { kind: "file", path: this.path(index) };
  }
  workerContext(): SourceWorkerContext {
    return { kind: "files" };
  }
}

class PixelSource extends RandomAccessSource {
  readonly kind = "idx" as const;
  constructor(
    readonly location: string,
    private readonly context: Extract<SourceWorkerContext, { kind: "pixels" }>,
    readonly labels: Int32Array,
    readonly classNames: readonly string[],
  ) {
    super();
  }
  size(): number {
    return this.context.count;
  }
  path(): null {
    return null;
  }
  ref(index: number): SampleRef {
    return { kind: "pixels", index };
  }
  workerContext(): SourceWorkerContext {
    return this.context;
  }
}

class SyntheticSource extends RandomAccessSource {
  readonly kind = "synthetic" as const;
  readonly location: string;
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  constructor(private readonly spec: Extract<SourceSpec, { kind: "synthetic" }>) {
    super();
    this.location = `synthetic(images=${spec.images}, classes=${spec.classes}, size=${spec.size}, seed=${spec.seed})`;
    this.labels = syntheticLabels(spec);
    this.classNames = syntheticClassNames(spec.classes);
  }
  size(): number {
    return this.spec.images;
  }
  path(): null {
    return null;
  }
  ref(index: number): SampleRef {
    return { kind: "synthetic", index };
  }
  workerContext(): SourceWorkerContext {
    const { images, classes, size, seed } = this.spec;
    return { kind: "synthetic", images, classes, size, seed };
  }
}

/** A folder listed lazily on every pass; its size is known once a pass has finished. */
export class FolderSource implements ImageSource {
  readonly kind = "folder" as const;
  readonly randomAccess = false;
  readonly classNames = null;
  readonly labels = null;
  /** Counters of the most recent listing pass. */
  progress: WalkProgress = { directoriesOpened: 0, filesYielded: 0, finished: false };
  private knownSize: number | null = null;

  constructor(
    readonly location: string,
    private readonly filters: WalkFilters,
  ) {}

  size(): number | null {
    return this.knownSize;
  }
  async count(): Promise<number> {
    if (this.knownSize === null) for await (const _ of this.list());
    return this.knownSize!;
  }
  ref(): SampleRef {
    throw new Error("a folder source is listed lazily and has no random access; use list()");
  }
  path(): null {
    return null;
  }
  takeListingIssues(): SkippedFile[] {
    return [];
  }
  workerContext(): SourceWorkerContext {
    return { kind: "files" };
  }

  async *list(): AsyncGenerator<ListEvent> {
    const progress: WalkProgress = { directoriesOpened: 0, filesYielded: 0, finished: false };
    this.progress = progress;
    let index = 0;
    let walk: AsyncGenerator<WalkEvent>;
    try {
      await requireFolder(this.location, "image folder");
      walk = walkFiles(this.location, this.filters, progress);
    } catch (error) {
      throw error instanceof DataSourceError ? error : new DataSourceError("data-not-found", `cannot list ${this.location}: ${(error as Error).message}`, this.location);
    }
    for await (const event of walk) {
      if (event.kind === "issue") yield event;
      else yield { kind: "sample", index: index++, ref: { kind: "file", path: event.path }, label: -1, path: event.path };
    }
    this.knownSize = index;
  }

  async close(): Promise<void> {}
}

async function requireFolder(path: string, what: string): Promise<void> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") throw new DataSourceError("data-not-found", `cannot read ${what} ${path}: permission denied`, path);
    throw new DataSourceError("data-not-found", `${what} ${path} does not exist`, path);
  }
  if (!stats.isDirectory()) throw new DataSourceError("data-not-a-directory", `${what} ${path} is not a folder`, path);
}

function compileAll(patterns: readonly string[] | undefined, fallback: string[]): CompiledGlob[] {
  return (patterns && patterns.length > 0 ? patterns : fallback).map(compileGlob);
}

async function openFolder(spec: Extract<SourceSpec, { kind: "folder" }>): Promise<FolderSource> {
  const root = resolve(spec.path);
  await requireFolder(root, "image folder");
  const filters: WalkFilters = { include: compileAll(spec.include, [DEFAULT_IMAGE_GLOB]), exclude: compileAll(spec.exclude, []) };
  // Walk only until the first image: an empty folder is an error now, not at the first batch.
  for await (const event of walkFiles(root, filters)) {
    if (event.kind === "file") return new FolderSource(root, filters);
  }
  const globs = spec.include && spec.include.length > 0 ? `matching ${spec.include.join(", ")}` : `(${DEFAULT_IMAGE_GLOB})`;
  throw new DataSourceError("data-empty", `no image files ${globs} under ${root}`, root, spec.exclude?.length ? `exclude: ${spec.exclude.join(", ")}` : undefined);
}

async function openImageFolder(spec: Extract<SourceSpec, { kind: "image_folder" }>): Promise<FileTableSource> {
  const root = resolve(spec.path);
  await requireFolder(root, "image folder");
  const filters: WalkFilters = { include: [compileGlob(DEFAULT_IMAGE_GLOB)], exclude: [] };
  const classNames: string[] = [];
  const issues: SkippedFile[] = [];
  const table = new PathTable();
  let labels = new Int32Array(1024);
  // Class folders: the root's immediate sub-folders, sorted (torchvision's ImageFolder convention).
  const classFolders: string[] = [];
  for await (const event of walkFolderNames(root)) classFolders.push(event);
  if (classFolders.length === 0) {
    throw new DataSourceError("data-empty", `${root} has no class sub-folders`, root, "an image_folder source needs one sub-folder per class (e.g. train/cat/*.jpg, train/dog/*.jpg)");
  }
  for (const name of classFolders) {
    const label = classNames.length;
    classNames.push(name);
    for await (const event of walkFiles(join(root, name), filters)) {
      if (event.kind === "issue") {
        issues.push(event.skipped);
        continue;
      }
      table.push(`${name}/${event.relative}`);
      if (table.length > labels.length) {
        const grown = new Int32Array(labels.length * 2);
        grown.set(labels);
        labels = grown;
      }
      labels[table.length - 1] = label;
    }
  }
  if (table.length === 0) throw new DataSourceError("data-empty", `no image files in the class folders of ${root}`, root);
  return new FileTableSource("image_folder", root, root, table, labels.slice(0, table.length), classNames, issues);
}

async function* walkFolderNames(root: string): AsyncGenerator<string> {
  const entries = await readdir(root, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) names.push(entry.name);
    else if (entry.isSymbolicLink()) {
      try {
        if ((await stat(join(root, entry.name))).isDirectory()) names.push(entry.name);
      } catch {
        // a dangling link is not a class
      }
    }
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  yield* names;
}

async function openList(spec: Extract<SourceSpec, { kind: "list" }>): Promise<FileTableSource> {
  const file = resolve(spec.file);
  try {
    const stats = await stat(file);
    if (!stats.isFile()) throw new DataSourceError("data-list-format", `image list ${file} is not a file`, file);
  } catch (error) {
    if (error instanceof DataSourceError) throw error;
    throw new DataSourceError("data-not-found", `image list ${file} does not exist`, file);
  }
  const base = dirname(file);
  const table = new PathTable();
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    table.push(isAbsolute(line) ? line : join(base, line));
  }
  if (table.length === 0) throw new DataSourceError("data-empty", `image list ${file} names no files`, file, "one path a line; blank lines and lines starting with # are ignored");
  return new FileTableSource("list", file, "", table, null, null, []);
}

async function openIdx(spec: Extract<SourceSpec, { kind: "idx" }>): Promise<PixelSource> {
  const dir = resolve(spec.path);
  await requireFolder(dir, "IDX folder");
  const set = await loadIdxImageSet(dir, spec.split);
  const shared = new SharedArrayBuffer(set.pixels.length);
  new Uint8Array(shared).set(set.pixels);
  const maxLabel = set.labels.reduce((m, v) => Math.max(m, v), 0);
  const classCount = maxLabel + 1;
  // The format does not say which dataset it holds; the folder name is the only hint.
  const names =
    /fashion/i.test(dir) && classCount <= FASHION_MNIST_CLASSES.length ? FASHION_MNIST_CLASSES.slice(0, classCount) : Array.from({ length: classCount }, (_, i) => String(i));
  return new PixelSource(set.imagesPath, { kind: "pixels", pixels: shared, count: set.count, width: set.width, height: set.height, channels: 1 }, set.labels, names);
}

function openSynthetic(spec: Extract<SourceSpec, { kind: "synthetic" }>): SyntheticSource {
  const check = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) throw new DataSourceError("data-config", `synthetic ${name} must be an integer >= ${min}, got ${value}`);
  };
  check("images", spec.images, 1);
  check("classes", spec.classes, 1);
  check("size", spec.size, 8);
  if (!Number.isInteger(spec.seed) || spec.seed < 0) throw new DataSourceError("data-config", `synthetic seed must be a non-negative integer, got ${spec.seed}`);
  return new SyntheticSource(spec);
}

export async function openSource(spec: SourceSpec): Promise<ImageSource> {
  switch (spec.kind) {
    case "folder":
      return openFolder(spec);
    case "image_folder":
      return openImageFolder(spec);
    case "list":
      return openList(spec);
    case "idx":
      return openIdx(spec);
    case "synthetic":
      return openSynthetic(spec);
  }
}
