// The IDX format of MNIST and Fashion-MNIST: bytes 0-1 zero, byte 2 the element type (0x08 = unsigned
// byte, the only one these datasets use), byte 3 the number of dimensions, then each dimension as a
// big-endian uint32, then the elements in row-major order. Files may be gzipped (detected by content).

import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { DataSourceError } from "./errors.js";

const gunzipAsync = promisify(gunzip);

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function parseIdx(bytes: Uint8Array, path = "<buffer>"): IdxArray {
  const fail = (why: string) =>
    new DataSourceError("data-idx-format", `${path} is not a valid IDX file: ${why}`, path, "IDX files start with 0x00 0x00 0x08 and a dimension count");
  if (bytes.length < 4) throw fail(`only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw fail("the first two bytes are not zero");
  if (bytes[2] !== UNSIGNED_BYTE) throw fail(`element type 0x${bytes[2].toString(16).padStart(2, "0")} is not unsigned byte (0x08)`);
  const rank = bytes[3];
  if (rank === 0) throw fail("zero dimensions");
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw fail("the header is cut short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let elements = 1;
  for (let d = 0; d < rank; d++) {
    const extent = view.getUint32(4 + 4 * d, false);
    dims.push(extent);
    elements *= extent;
  }
  const available = bytes.length - headerLength;
  if (available < elements) throw fail(`dimensions ${dims.join("×")} need ${elements} bytes of data, the file has ${available}`);
  if (available > elements) throw fail(`${available - elements} bytes left over after ${dims.join("×")} elements`);
  return { dims, data: bytes.subarray(headerLength, headerLength + elements) };
}

export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array = await readFile(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      throw new DataSourceError("data-idx-format", `${path} is gzip data that does not decompress: ${(error as Error).message}`, path);
    }
  }
  return parseIdx(bytes, path);
}

export interface IdxImageSet {
  count: number;
  height: number;
  width: number;
  /** count × height × width grayscale bytes. */
  pixels: Uint8Array;
  labels: Int32Array;
  imagesPath: string;
  labelsPath: string;
}

/** The names the datasets ship under (LeCun's and Zalando's), plus the dotted variant some mirrors use. */
export function idxFileCandidates(split: "train" | "test", what: "images" | "labels"): string[] {
  const prefix = split === "train" ? "train" : "t10k";
  const rank = what === "images" ? "idx3" : "idx1";
  const bases = [`${prefix}-${what}-${rank}-ubyte`, `${prefix}-${what}.${rank}-ubyte`];
  return bases.flatMap((base) => [base, `${base}.gz`]);
}

async function findFirst(dir: string, names: string[]): Promise<string | null> {
  for (const name of names) {
    const path = join(dir, name);
    try {
      await access(path);
      return path;
    } catch {
      // try the next spelling
    }
  }
  return null;
}

export async function loadIdxImageSet(dir: string, split: "train" | "test"): Promise<IdxImageSet> {
  const imageNames = idxFileCandidates(split, "images");
  const labelNames = idxFileCandidates(split, "labels");
  const imagesPath = await findFirst(dir, imageNames);
  const labelsPath = await findFirst(dir, labelNames);
  if (!imagesPath || !labelsPath) {
    const missing = !imagesPath ? imageNames : labelNames;
    throw new DataSourceError(
      "data-not-found",
      `no ${split} ${!imagesPath ? "images" : "labels"} IDX file in ${dir} (looked for ${missing.join(", ")})`,
      dir,
      "Fashion-MNIST from Debian's dataset-fashion-mnist package lives in /usr/share/datasets/fashion-mnist",
    );
  }
  const images = await readIdxFile(imagesPath);
  const labels = await readIdxFile(labelsPath);
  if (images.dims.length !== 3) {
    throw new DataSourceError("data-idx-format", `${imagesPath} has ${images.dims.length} dimensions; images need 3 (count, rows, columns)`, imagesPath);
  }
  if (labels.dims.length !== 1) {
    throw new DataSourceError("data-idx-format", `${labelsPath} has ${labels.dims.length} dimensions; labels need 1`, labelsPath);
  }
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataSourceError("data-idx-format", `${imagesPath} holds ${count} images but ${labelsPath} holds ${labels.dims[0]} labels`, imagesPath);
  }
  if (count === 0) throw new DataSourceError("data-empty", `${imagesPath} holds no images`, imagesPath);
  return { count, height, width, pixels: images.data, labels: Int32Array.from(labels.data), imagesPath, labelsPath };
}

export const FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
