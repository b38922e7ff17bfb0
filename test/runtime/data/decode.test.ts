import assert from "node:assert/strict";
import { chmod, mkdir, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { decodeImageFile, reasonForDecodeError } from "../../../src/runtime/data/decode.js";
import { SkipError } from "../../../src/runtime/data/errors.js";
import { DEFAULT_DECODE_LIMITS } from "../../../src/runtime/data/types.js";
import { makeTempDir, rgbPixels, writeImage, writeSolid } from "./fixtures.js";

const limits = DEFAULT_DECODE_LIMITS;

function pixelAt(image: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const o = (y * image.width + x) * 3;
  return [image.data[o], image.data[o + 1], image.data[o + 2]];
}

function near(actual: number[], expected: number[], tolerance: number): void {
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tolerance, `${actual} vs ${expected}`));
}

async function rejectsWith(path: string, reason: string, customLimits = limits): Promise<void> {
  await assert.rejects(decodeImageFile(path, customLimits), (e: unknown) => {
    assert.ok(e instanceof SkipError, String(e));
    assert.equal(e.reason, reason, e.detail);
    return true;
  });
}

describe("decoding with sharp", () => {
  let dir = "";
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir()));
  after(() => cleanup());

  it("decodes every bundled format to 8-bit RGB", async () => {
    for (const format of ["jpeg", "png", "webp", "gif", "tiff", "avif"] as const) {
      const path = await writeSolid(join(dir, `solid.${format}`), [200, 40, 90], 16, format);
      const image = await decodeImageFile(path, limits);
      assert.equal(image.width, 16);
      assert.equal(image.data.length, 16 * 16 * 3);
      near(pixelAt(image, 8, 8), [200, 40, 90], format === "jpeg" || format === "gif" ? 12 : 2);
    }
  });

  it("applies EXIF orientation", async () => {
    // 32×16, left half red, right half blue; orientation 6 means "rotate 90° clockwise to display".
    const raw = rgbPixels(32, 16, (x) => (x < 16 ? [255, 0, 0] : [0, 0, 255]));
    const path = join(dir, "rotated.jpg");
    await sharp(raw, { raw: { width: 32, height: 16, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(path);
    const image = await decodeImageFile(path, limits);
    assert.deepEqual([image.width, image.height], [16, 32]);
    near(pixelAt(image, 8, 4), [255, 0, 0], 40);
    near(pixelAt(image, 8, 28), [0, 0, 255], 40);
  });

  it("flattens alpha onto white, expands grayscale, reduces 16-bit and converts CMYK", async () => {
    const rgba = Buffer.from([0, 0, 0, 0, 255, 0, 0, 128]);
    const alphaPath = join(dir, "alpha.png");
    await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(alphaPath);
    const alpha = await decodeImageFile(alphaPath, limits);
    near(pixelAt(alpha, 0, 0), [255, 255, 255], 1);
    near(pixelAt(alpha, 1, 0), [255, 127, 127], 2);

    const grayPath = join(dir, "gray.png");
    await sharp(Buffer.from([10, 200]), { raw: { width: 2, height: 1, channels: 1 } }).png().toFile(grayPath);
    const gray = await decodeImageFile(grayPath, limits);
    assert.deepEqual([...gray.data], [10, 10, 10, 200, 200, 200]);

    const deepPath = join(dir, "deep.png");
    await sharp(Buffer.from([255, 128, 0]), { raw: { width: 1, height: 1, channels: 3 } }).toColourspace("rgb16").png().toFile(deepPath);
    assert.equal((await sharp(deepPath).metadata()).depth, "ushort");
    near([...(await decodeImageFile(deepPath, limits)).data], [255, 128, 0], 1);

    const cmykPath = join(dir, "cmyk.jpg");
    await sharp(rgbPixels(8, 8, () => [220, 30, 30]), { raw: { width: 8, height: 8, channels: 3 } }).toColourspace("cmyk").jpeg().toFile(cmykPath);
    assert.equal((await sharp(cmykPath).metadata()).space, "cmyk");
    near(pixelAt(await decodeImageFile(cmykPath, limits), 4, 4), [220, 30, 30], 30);
  });

  it("takes the first frame of an animation", async () => {
    const frame = (rgb: [number, number, number]) => sharp(rgbPixels(8, 8, () => rgb), { raw: { width: 8, height: 8, channels: 3 } }).png().toBuffer();
    const path = join(dir, "animated.gif");
    await sharp([await frame([255, 0, 0]), await frame([0, 0, 255])], { join: { animated: true } }).gif().toFile(path);
    assert.equal((await sharp(path).metadata()).pages, 2);
    const image = await decodeImageFile(path, limits);
    assert.deepEqual([image.width, image.height], [8, 8]);
    near(pixelAt(image, 4, 4), [255, 0, 0], 10);
  });

  it("names the reason for each kind of bad file", async () => {
    await writeFile(join(dir, "empty.jpg"), "");
    await rejectsWith(join(dir, "empty.jpg"), "empty");
    await writeFile(join(dir, "text.jpg"), "this is not a JPEG at all, just text\n");
    await rejectsWith(join(dir, "text.jpg"), "not-an-image");
    const whole = await sharp(rgbPixels(64, 64, (x, y) => [(x * 4) % 256, (y * 4) % 256, 128]), { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
    await writeFile(join(dir, "truncated.jpg"), whole.subarray(0, Math.floor(whole.length / 2)));
    await rejectsWith(join(dir, "truncated.jpg"), "truncated");
    await writeImage(join(dir, "big.png"), 200, 100, () => [1, 2, 3]);
    await rejectsWith(join(dir, "big.png"), "too-many-pixels", { ...limits, maxPixels: 10_000 });
    await decodeImageFile(join(dir, "big.png"), { ...limits, maxPixels: 20_000 });
    await rejectsWith(join(dir, "big.png"), "too-large", { ...limits, maxBytes: 10 });
    await rejectsWith(join(dir, "never-existed.jpg"), "missing");
    await mkdir(join(dir, "folder.jpg"));
    await rejectsWith(join(dir, "folder.jpg"), "not-an-image");
    const gone = await writeSolid(join(dir, "gone.png"), [1, 1, 1]);
    await unlink(gone);
    await rejectsWith(gone, "missing");
    if (process.getuid?.() !== 0) {
      const locked = await writeSolid(join(dir, "locked.png"), [1, 1, 1]);
      await chmod(locked, 0o000);
      await rejectsWith(locked, "permission-denied");
    }
  });

  it("decodes large images straight to the size a reduction policy allows, keeping the source size", async () => {
    const path = await writeImage(join(dir, "large.png"), 1000, 800, (x, y) => [x % 256, y % 256, 50]);
    const reduced = await decodeImageFile(path, limits, () => 4);
    assert.deepEqual([reduced.width, reduced.height, reduced.sourceWidth, reduced.sourceHeight], [250, 200, 1000, 800]);
    const kept = await decodeImageFile(path, limits, () => 1.9);
    assert.deepEqual([kept.width, kept.height, kept.sourceWidth], [1000, 800, undefined]);
    const rotatedPath = join(dir, "large-rotated.jpg");
    await sharp(rgbPixels(400, 200, (x) => (x < 200 ? [255, 0, 0] : [0, 0, 255])), { raw: { width: 400, height: 200, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(rotatedPath);
    let seen: number[] = [];
    const rotated = await decodeImageFile(rotatedPath, limits, (w, h) => ((seen = [w, h]), 2));
    assert.deepEqual(seen, [200, 400], "the policy sees the displayed (oriented) size");
    assert.deepEqual([rotated.width, rotated.height, rotated.sourceWidth, rotated.sourceHeight], [100, 200, 200, 400]);
    near(pixelAt(rotated, 50, 20), [255, 0, 0], 40);
  });

  it("classifies decoder messages", () => {
    assert.equal(reasonForDecodeError("Input image exceeds pixel limit"), "too-many-pixels");
    assert.equal(reasonForDecodeError("Input buffer contains unsupported image format"), "not-an-image");
    assert.equal(reasonForDecodeError("VipsJpeg: premature end of JPEG image"), "truncated");
    assert.equal(reasonForDecodeError("pngload_buffer: libspng read error"), "corrupt");
  });
});
