// Decoding image files with sharp (libvips) in the worker threads. Every failure becomes a SkipError with
// a reason, so one bad file costs one skipped sample and never the run.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { SkipError } from "./errors.js";
import { halveRgb } from "./image-ops.js";
import { readJpegHeader } from "./jpeg-header.js";
import type { RgbImage } from "./render.js";
import type { DecodeLimits, SkipReason } from "./types.js";
import { reasonForFsError } from "./walk.js";

type Sharp = typeof import("sharp");
let sharpPromise: Promise<Sharp> | null = null;

/** Loaded on first use so synthetic and IDX pipelines never load libvips. One libvips thread per worker. */
function loadSharp(): Promise<Sharp> {
  sharpPromise ??= import("sharp").then((module) => {
    const sharp = module.default;
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpPromise;
}

/**
 * Synchronous on purpose: this runs in a data worker, where blocking for the few system calls of a small
 * read costs less than four round trips through libuv's thread pool, which libvips is using to decode
 * the images ahead of this one.
 */
function readWhole(path: string, limits: DecodeLimits): Buffer {
  let descriptor: number;
  try {
    descriptor = openSync(path, "r");
  } catch (error) {
    throw new SkipError(reasonForFsError(error), (error as Error).message);
  }
  try {
    const stats = fstatSync(descriptor);
    if (stats.isDirectory()) throw new SkipError("not-an-image", "is a directory");
    if (stats.size === 0) throw new SkipError("empty", "the file has 0 bytes");
    if (stats.size > limits.maxBytes) throw new SkipError("too-large", `${stats.size} bytes is over the ${limits.maxBytes}-byte limit`);
    const bytes = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const read = readSync(descriptor, bytes, filled, bytes.length - filled, filled);
      if (read === 0) break; // shrank since fstat: decode what is there, and let the decoder call it truncated
      filled += read;
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled);
  } catch (error) {
    if (error instanceof SkipError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SkipError(code === "EISDIR" ? "not-an-image" : reasonForFsError(error), (error as Error).message);
  } finally {
    closeSync(descriptor);
  }
}

export function reasonForDecodeError(message: string): SkipReason {
  if (/pixel limit/i.test(message)) return "too-many-pixels";
  if (/unsupported image format|unsupported (compression|codec)|not a known file format/i.test(message)) return "not-an-image";
  if (/premature end|truncat|end of (file|data|stream)|unexpected end|not enough data|input buffer is empty/i.test(message)) return "truncated";
  return "corrupt";
}

const WHITE = { r: 255, g: 255, b: 255 };

/**
 * How much a worker may shrink an image of the given (oriented) size while decoding it: a factor f ≥ 1;
 * the image is then decoded at about size / f (libvips' shrink-on-load and antialiased linear reduce,
 * SIMD C instead of JavaScript). Return 1 to keep every pixel.
 */
export type ReductionPolicy = (width: number, height: number) => number;

/** Shrinking by less than this is not worth a second resampling step. */
export const MIN_REDUCTION = 2;
/**
 * Below this factor libvips cannot shrink a JPEG inside its DCT (it keeps a factor of two for its own
 * resize and rounds down), and its resize stage then costs more than the decode saves; a 2×2 box average
 * in JavaScript halves the image for a fraction of that (measured at 500×375: 0.45 ms against 0.1 ms).
 */
export const MIN_LIBVIPS_REDUCTION = 3;

/**
 * Decodes `bytes` to 8-bit sRGB with three channels: EXIF orientation applied, embedded profiles and CMYK
 * converted to sRGB, alpha composited onto white (as a viewer shows a transparent image on a page),
 * grayscale replicated, first frame of animations and multi-page files. Images over `limits.maxPixels`
 * are refused from their header, before any pixel is decoded. Truncated files are refused (libvips'
 * "truncated" level) while files with only minor warnings are accepted, as photos in the wild often carry.
 * With a `reduce` policy, a large image is decoded straight to the smaller size its crops need (by
 * libvips), or halved after decoding when it may shrink by 2–3×.
 */
export async function decodeImageBytes(bytes: Buffer, limits: DecodeLimits, reduce?: ReductionPolicy): Promise<RgbImage> {
  const sharp = await loadSharp();
  const options = { failOn: "truncated", limitInputPixels: limits.maxPixels, sequentialRead: true } as const;
  let target: { width: number; height: number; sourceWidth: number; sourceHeight: number } | null = null;
  let halve = false;
  try {
    if (reduce) {
      const meta = readJpegHeader(bytes) ?? (await sharp(bytes, options).metadata());
      if (meta.width && meta.height) {
        if (meta.width * meta.height > limits.maxPixels) throw new Error("Input image exceeds pixel limit");
        const rotated = (meta.orientation ?? 1) >= 5;
        const sourceWidth = rotated ? meta.height : meta.width;
        const sourceHeight = rotated ? meta.width : meta.height;
        const factor = reduce(sourceWidth, sourceHeight);
        if (factor >= MIN_LIBVIPS_REDUCTION) {
          target = { width: Math.max(1, Math.round(sourceWidth / factor)), height: Math.max(1, Math.round(sourceHeight / factor)), sourceWidth, sourceHeight };
        } else halve = factor >= MIN_REDUCTION;
      }
    }
    let pipeline = sharp(bytes, options).autoOrient();
    if (target) pipeline = pipeline.resize(target.width, target.height, { fit: "fill", kernel: "linear" });
    const { data, info } = await pipeline.flatten({ background: WHITE }).toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    const image = toRgb(data, info);
    if (halve) {
      return { ...halveRgb(image.data, image.width, image.height), sourceWidth: image.width, sourceHeight: image.height, scale: { x: 0.5, y: 0.5 } };
    }
    return target ? { ...image, sourceWidth: target.sourceWidth, sourceHeight: target.sourceHeight } : image;
  } catch (error) {
    const message = (error as Error).message;
    throw new SkipError(reasonForDecodeError(message), message);
  }
}

function toRgb(data: Buffer, info: { width: number; height: number; channels: number }): RgbImage {
  const pixels = info.width * info.height;
  if (info.channels === 3) return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, pixels * 3) };
  const rgb = new Uint8Array(pixels * 3);
  const gray = info.channels < 3;
  for (let p = 0; p < pixels; p++) {
    const source = p * info.channels;
    rgb[p * 3] = data[source];
    rgb[p * 3 + 1] = data[gray ? source : source + 1];
    rgb[p * 3 + 2] = data[gray ? source : source + 2];
  }
  return { width: info.width, height: info.height, data: rgb };
}

export async function decodeImageFile(path: string, limits: DecodeLimits, reduce?: ReductionPolicy): Promise<RgbImage> {
  return decodeImageBytes(await readWhole(path, limits), limits, reduce);
}
