import assert from "node:assert/strict";
import { describe, it } from "node:test";
import sharp from "sharp";
import { readJpegHeader } from "../../../src/runtime/data/jpeg-header.js";
import { rgbPixels } from "./fixtures.js";

const pixels = rgbPixels(37, 21, (x, y) => [x * 6, y * 11, 90]);
const raw = { raw: { width: 37, height: 21, channels: 3 as const } };

/** A minimal EXIF APP1 segment whose IFD0 holds one orientation entry, in the given byte order. */
function exifSegment(orientation: number, bigEndian: boolean): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (value: number, at: number) => (bigEndian ? tiff.writeUInt16BE(value, at) : tiff.writeUInt16LE(value, at));
  const u32 = (value: number, at: number) => (bigEndian ? tiff.writeUInt32BE(value, at) : tiff.writeUInt32LE(value, at));
  tiff.write(bigEndian ? "MM" : "II", 0, "latin1");
  u16(42, 2);
  u32(8, 4);
  u16(1, 8); // one entry
  u16(0x0112, 10); // orientation
  u16(3, 12); // SHORT
  u32(1, 14); // count
  u16(orientation, 18);
  const body = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([header, body]);
}

function withSegmentAfterSoi(jpeg: Buffer, segment: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

describe("JPEG header", () => {
  it("reads the size and orientation that libvips reads, for every orientation and both scan kinds", async () => {
    for (const progressive of [false, true]) {
      for (let orientation = 1; orientation <= 8; orientation++) {
        const jpeg = await sharp(pixels, raw).jpeg({ progressive }).withMetadata({ orientation }).toBuffer();
        const meta = await sharp(jpeg).metadata();
        assert.deepEqual(readJpegHeader(jpeg), { width: meta.width, height: meta.height, orientation: meta.orientation ?? 1 }, `orientation ${orientation}, progressive ${progressive}`);
      }
    }
  });

  it("reads big- and little-endian EXIF, and treats an out-of-range orientation as none", async () => {
    const plain = await sharp(pixels, raw).jpeg().toBuffer();
    for (const bigEndian of [false, true]) {
      const jpeg = withSegmentAfterSoi(plain, exifSegment(6, bigEndian));
      assert.equal((await sharp(jpeg).metadata()).orientation, 6, "libvips agrees the segment says 6");
      assert.deepEqual(readJpegHeader(jpeg), { width: 37, height: 21, orientation: 6 });
    }
    assert.deepEqual(readJpegHeader(withSegmentAfterSoi(plain, exifSegment(9, false))), { width: 37, height: 21, orientation: 1 });
  });

  it("gives up (null) on anything else, so the caller asks libvips", async () => {
    const jpeg = await sharp(pixels, raw).jpeg().toBuffer();
    assert.equal(readJpegHeader(await sharp(pixels, raw).png().toBuffer()), null, "a PNG");
    assert.equal(readJpegHeader(jpeg.subarray(0, 20)), null, "cut before the frame header");
    assert.equal(readJpegHeader(Buffer.from("not an image at all")), null, "text");
    assert.equal(readJpegHeader(Buffer.alloc(0)), null, "empty");
    const broken = Buffer.from(jpeg);
    broken[2] = 0x00; // the first marker is no longer a marker
    assert.equal(readJpegHeader(broken), null, "a damaged marker");
  });
});
