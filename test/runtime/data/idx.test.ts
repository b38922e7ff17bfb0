import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { createBatchStream, DataSourceError, openSource, SEER_AUGMENT } from "../../../src/runtime/data/index.js";
import { loadIdxImageSet, parseIdx } from "../../../src/runtime/data/idx.js";
import { makeTempDir } from "./fixtures.js";

/** An IDX file built byte by byte from the format description. */
function idxBytes(dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

describe("IDX files", () => {
  let dir = "";
  let cleanup = async () => {};
  // Three 2×3 images: image i has pixel value 10·i + position; labels 4, 0, 9.
  const images = [0, 1, 2].flatMap((i) => [0, 1, 2, 3, 4, 5].map((p) => 10 * i + p));
  const labels = [4, 0, 9];

  before(async () => {
    ({ dir, cleanup } = await makeTempDir());
    await writeFile(join(dir, "train-images-idx3-ubyte"), idxBytes([3, 2, 3], images));
    await writeFile(join(dir, "train-labels-idx1-ubyte"), idxBytes([3], labels));
    await writeFile(join(dir, "t10k-images-idx3-ubyte.gz"), gzipSync(idxBytes([3, 2, 3], images)));
    await writeFile(join(dir, "t10k-labels-idx1-ubyte.gz"), gzipSync(idxBytes([3], labels)));
  });
  after(() => cleanup());

  it("parses header and data, raw and gzipped", async () => {
    for (const split of ["train", "test"] as const) {
      const set = await loadIdxImageSet(dir, split);
      assert.equal(set.count, 3);
      assert.equal(set.height, 2);
      assert.equal(set.width, 3);
      assert.deepEqual([...set.pixels], images);
      assert.deepEqual([...set.labels], labels);
    }
  });

  it("rejects malformed files with the reason", () => {
    const fails = (bytes: Buffer, why: RegExp) => assert.throws(() => parseIdx(bytes, "f"), (e: unknown) => e instanceof DataSourceError && why.test(e.message));
    fails(Buffer.from([1, 0, 8, 1, 0, 0, 0, 0]), /first two bytes/);
    fails(Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 0]), /element type 0x0d/);
    fails(idxBytes([2, 2], [1, 2, 3]), /need 4 bytes of data, the file has 3/);
    fails(idxBytes([1], [1, 2]), /1 bytes left over/);
  });

  it("reports a missing or mismatched pair", async () => {
    const { dir: other, cleanup: clean } = await makeTempDir();
    try {
      await writeFile(join(other, "train-images-idx3-ubyte"), idxBytes([3, 2, 3], images));
      await assert.rejects(loadIdxImageSet(other, "train"), (e: unknown) => e instanceof DataSourceError && /train-labels-idx1-ubyte/.test(e.message));
      await writeFile(join(other, "train-labels-idx1-ubyte"), idxBytes([2], [1, 2]));
      await assert.rejects(loadIdxImageSet(other, "train"), /holds 3 images but .* holds 2 labels/);
    } finally {
      await clean();
    }
  });

  it("serves labelled 3-channel crops through the pipeline", async () => {
    const source = await openSource({ kind: "idx", path: dir, split: "test" });
    assert.equal(source.size(), 3);
    assert.deepEqual([...source.labels!], labels);
    const normalize = { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
    const stream = createBatchStream({ source, augment: { ...SEER_AUGMENT, normalize }, batchSize: 3, seed: 1, workers: 0, evalMode: true, evalSize: 2, evalResizeRatio: 1 });
    const { value: batch } = await stream.next();
    assert.ok(batch);
    assert.deepEqual([...batch.labels!], labels);
    assert.deepEqual([...batch.indices], [0, 1, 2]);
    // Image 1, centre 2×2 of the 2×3 image after resizing the shorter side to 2 (no change): columns 0-1.
    const crop = batch.crops[0];
    const pixel = (b: number, y: number, x: number) => [0, 1, 2].map((c) => crop.data[((b * 2 + y) * 2 + x) * 3 + c]);
    for (const [y, x] of [[0, 0], [1, 1]]) {
      const expected = (10 + y * 3 + x) / 255;
      for (const v of pixel(1, y, x)) assert.ok(Math.abs(v - expected) < 1e-6, `${v} vs ${expected}`);
    }
    await stream.close();
  });

  const fashion = "/usr/share/datasets/fashion-mnist";
  it("reads Debian's Fashion-MNIST: 60,000 + 10,000 images of 28×28, balanced over 10 classes", { skip: !existsSync(fashion) && `${fashion} not installed` }, async () => {
    const train = await openSource({ kind: "idx", path: fashion, split: "train" });
    const test = await openSource({ kind: "idx", path: fashion, split: "test" });
    assert.equal(train.size(), 60000);
    assert.equal(test.size(), 10000);
    assert.equal(train.classNames![0], "T-shirt/top");
    // Published: 6,000 training and 1,000 test images per class.
    for (const [source, perClass] of [[train, 6000], [test, 1000]] as const) {
      const counts = new Array(10).fill(0);
      for (const l of source.labels!) counts[l]++;
      assert.deepEqual(counts, new Array(10).fill(perClass));
    }
  });
});
