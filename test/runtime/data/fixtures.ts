// Test fixtures generated on the fly with sharp into a temp folder (no binary files in the repository).

import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import sharp from "sharp";

export async function makeTempDir(prefix = "seerc-data-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A width×height RGB image filled by `pixel(x, y) → [r, g, b]`. */
export function rgbPixels(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const o = (y * width + x) * 3;
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
    }
  }
  return data;
}

export type ImageFormat = "jpeg" | "png" | "webp" | "gif" | "tiff" | "avif";

export async function writeImage(path: string, width: number, height: number, pixel: (x: number, y: number) => [number, number, number], format: ImageFormat = "png"): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const image = sharp(rgbPixels(width, height, pixel), { raw: { width, height, channels: 3 } });
  const encoded = format === "jpeg" ? image.jpeg({ quality: 95 }) : format === "png" ? image.png() : format === "webp" ? image.webp({ lossless: true }) : format === "gif" ? image.gif() : format === "tiff" ? image.tiff() : image.avif({ lossless: true });
  await encoded.toFile(path);
  return path;
}

export async function writeSolid(path: string, rgb: [number, number, number], size = 16, format: ImageFormat = "png"): Promise<string> {
  return writeImage(path, size, size, () => rgb, format);
}

export async function writeText(path: string, text: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return path;
}

/** Distinct, well separated colours for image `i`. */
export function colourFor(i: number): [number, number, number] {
  return [(i * 37) % 256, (i * 91 + 40) % 256, (i * 151 + 80) % 256];
}
