// Features of arbitrary image files (`seerc embed`): the files named and every image under the
// folders named, in a stable order, and writers for .npy (+ a .paths.txt sidecar), safetensors (paths
// in the metadata) and JSON Lines.
import { createWriteStream, renameSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ImageSource, ListEvent } from "../data/index.js";
import { compileGlob, DEFAULT_IMAGE_GLOB } from "../data/glob.js";
import type { SampleRef, SkippedFile, SourceWorkerContext } from "../data/types.js";
import { walkFiles } from "../data/walk.js";
import { encodeSafetensors, type NamedTensor } from "../train/safetensors.js";
import { EvaluationError } from "./errors.js";
import type { FeatureSet } from "./features.js";
import { encodeNpy } from "./npy.js";

/** A random-access source over a fixed list of image files (unlabelled). */
export class PathListSource implements ImageSource {
  readonly kind = "list" as const;
  readonly randomAccess = true;
  readonly classNames = null;
  readonly labels = null;
  constructor(
    readonly paths: readonly string[],
    readonly location: string,
    private readonly issues: SkippedFile[] = [],
  ) {}
  size(): number {
    return this.paths.length;
  }
  async count(): Promise<number> {
    return this.paths.length;
  }
  ref(index: number): SampleRef {
    return { kind: "file", path: this.paths[index] };
  }
  path(index: number): string {
    return this.paths[index];
  }
  async *list(): AsyncGenerator<ListEvent> {
    for (let index = 0; index < this.paths.length; index++) yield { kind: "sample", index, ref: this.ref(index), label: -1, path: this.paths[index] };
  }
  takeListingIssues(): SkippedFile[] {
    return this.issues.splice(0);
  }
  workerContext(): SourceWorkerContext {
    return { kind: "files" };
  }
  async close(): Promise<void> {}
}

/**
 * The image files named by `inputs`: a file is taken as given (whatever its extension; undecodable
 * files are skipped later and reported), a folder contributes every image below it (sorted walk, the
 * data pipeline's image extensions). Paths are absolute; a file named twice is embedded once.
 */
export async function listImageFiles(inputs: readonly string[]): Promise<{ files: string[]; issues: SkippedFile[] }> {
  const files: string[] = [];
  const issues: SkippedFile[] = [];
  const seen = new Set<string>();
  const add = (path: string) => {
    if (!seen.has(path)) {
      seen.add(path);
      files.push(path);
    }
  };
  for (const input of inputs) {
    const path = resolve(input);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new EvaluationError("SEER7001", `${input} does not exist`);
    }
    if (!isDirectory) {
      add(path);
      continue;
    }
    const before = files.length;
    for await (const event of walkFiles(path, { include: [compileGlob(DEFAULT_IMAGE_GLOB)], exclude: [] })) {
      if (event.kind === "file") add(event.path);
      else issues.push(event.skipped);
    }
    if (files.length === before) throw new EvaluationError("SEER7002", `no image files (${DEFAULT_IMAGE_GLOB}) under ${input}`);
  }
  if (files.length === 0) throw new EvaluationError("SEER7002", "no images to embed");
  return { files, issues };
}

export type EmbeddingFormat = "npy" | "safetensors" | "jsonl";

/** The format an output file's extension implies, if any. */
export function formatOfPath(path: string): EmbeddingFormat | null {
  if (/\.npy$/i.test(path)) return "npy";
  if (/\.safetensors$/i.test(path)) return "safetensors";
  if (/\.jsonl$/i.test(path) || /\.ndjson$/i.test(path)) return "jsonl";
  return null;
}

/** `features.npy` → `features.paths.txt`. */
export function pathsSidecarOf(path: string): string {
  return path.replace(/\.npy$/i, "") + ".paths.txt";
}

function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Writes the rows of `set` with their paths. npy: [N, D] float32 plus `<name>.paths.txt`, one path a
 * line (a path holding a line break is written as a JSON string, quotes included, so every line is
 * one row); safetensors: tensor `features` [N, D] F32 with the paths as a JSON array in the metadata
 * (`paths`) beside `metadata`; jsonl: `{"path": …, "features": […]}` per line.
 */
export async function writeEmbeddings(set: FeatureSet, path: string, format: EmbeddingFormat, metadata: Record<string, string> = {}): Promise<string[]> {
  const paths = set.paths ?? Array.from(set.rows, (r) => String(r));
  const written = [path];
  if (format === "npy") {
    writeAtomic(path, encodeNpy(set.features, [set.count, set.dim]));
    const sidecar = pathsSidecarOf(path);
    writeAtomic(sidecar, paths.map((p) => (/[\r\n]/.test(p) ? JSON.stringify(p) : p)).join("\n") + "\n");
    written.push(sidecar);
  } else if (format === "safetensors") {
    const tensors = new Map<string, NamedTensor>([["features", { dtype: "F32", shape: [set.count, set.dim], data: set.features }]]);
    writeAtomic(path, encodeSafetensors(tensors, { ...metadata, paths: JSON.stringify(paths) }));
  } else {
    const tmp = `${path}.tmp-${process.pid}`;
    const stream = createWriteStream(tmp);
    for (let i = 0; i < set.count; i++) {
      const row = Array.from(set.features.subarray(i * set.dim, (i + 1) * set.dim));
      if (!stream.write(JSON.stringify({ path: paths[i], features: row }) + "\n")) await new Promise<void>((r) => stream.once("drain", () => r()));
    }
    await new Promise<void>((done, fail) => {
      stream.on("error", fail);
      stream.end(() => done());
    });
    renameSync(tmp, path);
  }
  return written;
}
