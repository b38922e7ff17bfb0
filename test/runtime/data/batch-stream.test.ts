import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, unlink, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { createBatchStream, DataSourceError, openSource, SEER_AUGMENT, type AugmentSpec, type Batch, type ImageSource } from "../../../src/runtime/data/index.js";
import { reductionPolicy } from "../../../src/runtime/data/processor.js";
import { CPU_AUGMENT } from "../../../src/runtime/data/recipes.js";
import { FolderSource } from "../../../src/runtime/data/sources.js";
import { colourFor, makeTempDir, rgbPixels, writeImage, writeSolid, writeText } from "./fixtures.js";

const identity = { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };

/** Crops only: flat images stay flat, so every crop must equal its image's colour. */
const plain: AugmentSpec = {
  crops: [
    { count: 2, size: 8, scale: [0.2, 1], ratio: [3 / 4, 4 / 3] },
    { count: 1, size: 4, scale: [0.05, 0.2], ratio: [3 / 4, 4 / 3] },
  ],
  flip: 0.5,
  colorJitter: null,
  grayscale: 0,
  blur: null,
  solarize: null,
  normalize: identity,
};

/** SEER's full recipe at small sizes. */
const seerSmall: AugmentSpec = {
  ...SEER_AUGMENT,
  crops: [
    { count: 2, size: 24, scale: [0.14, 1], ratio: [3 / 4, 4 / 3] },
    { count: 2, size: 12, scale: [0.05, 0.14], ratio: [3 / 4, 4 / 3] },
  ],
  solarize: { p: 0.2, threshold: 0.5 },
};

/** Index of the colour a solid fixture was written with (file names carry it: c-<i>.png). */
function colourIndexOf(path: string): number {
  return Number(/c-(\d+)/.exec(basename(path))![1]);
}

/** Every crop row k·B + b is flat and has the colour of image b. */
function assertCropsShowImages(batch: Batch): void {
  for (const group of batch.crops) {
    const length = group.size * group.size * 3;
    assert.equal(group.data.length, batch.size * group.count * length);
    for (let k = 0; k < group.count; k++) {
      for (let b = 0; b < batch.size; b++) {
        const expected = colourFor(colourIndexOf(batch.paths![b])).map((v) => v / 255);
        const start = (k * batch.size + b) * length;
        for (let i = 0; i < length; i++) {
          const v = group.data[start + i];
          assert.ok(Math.abs(v - expected[i % 3]) < 1e-5, `crop ${k} of image ${b} (${batch.paths![b]}): ${v} vs ${expected[i % 3]}`);
        }
      }
    }
  }
}

async function take(stream: AsyncIterator<Batch>, n: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  for (let i = 0; i < n; i++) {
    const { value, done } = await stream.next();
    assert.ok(!done);
    batches.push(value);
  }
  return batches;
}

function sameBatches(a: Batch[], b: Batch[]): void {
  assert.equal(a.length, b.length);
  a.forEach((batch, i) => {
    assert.deepEqual([...batch.indices], [...b[i].indices]);
    batch.crops.forEach((group, g) => assert.ok(Buffer.from(group.data.buffer, group.data.byteOffset, group.data.byteLength).equals(Buffer.from(b[i].crops[g].data.buffer, b[i].crops[g].data.byteOffset, b[i].crops[g].data.byteLength)), `batch ${i} group ${g} differs`));
  });
}

describe("batch streams", () => {
  let dir = "";
  let cleanup = async () => {};
  let classes = "";
  before(async () => {
    ({ dir, cleanup } = await makeTempDir());
    classes = join(dir, "classes");
    for (let i = 0; i < 24; i++) await writeSolid(join(classes, ["ant", "bee", "cow"][i % 3], `c-${i}.png`), colourFor(i), 20);
  });
  after(() => cleanup());

  it("lays out crops crop-major by size, with labels, indices and paths of the images used", async () => {
    const source = await openSource({ kind: "image_folder", path: classes });
    const stream = createBatchStream({ source, augment: plain, batchSize: 5, seed: 3, workers: 0 });
    for (const batch of await take(stream, 3)) {
      assert.equal(batch.size, 5);
      assert.deepEqual(batch.crops.map((c) => [c.size, c.count]), [[8, 2], [4, 1]]);
      assertCropsShowImages(batch);
      batch.paths!.forEach((p, b) => {
        assert.equal(source.path(batch.indices[b]), p);
        assert.equal(batch.labels![b], colourIndexOf(p) % 3);
      });
      assert.ok(batch.dataWaitMs >= 0 && Number.isFinite(batch.dataWaitMs));
      assert.deepEqual(batch.skipped, []);
    }
    assert.deepEqual(stream.cursor(), { seed: 3, batchSize: 5, nextStep: 3, samplesConsumed: 15 });
    await stream.close();
  });

  it("visits every image once per epoch, in a new order each epoch", async () => {
    const source = await openSource({ kind: "image_folder", path: classes });
    const stream = createBatchStream({ source, augment: plain, batchSize: 5, seed: 9, workers: 0 });
    const indices = (await take(stream, 10)).flatMap((b) => [...b.indices]);
    const epoch0 = indices.slice(0, 24);
    const epoch1 = indices.slice(24, 48);
    assert.deepEqual([...epoch0].sort((a, b) => a - b), Array.from({ length: 24 }, (_, i) => i));
    assert.deepEqual([...epoch1].sort((a, b) => a - b), Array.from({ length: 24 }, (_, i) => i));
    assert.notDeepEqual(epoch0, epoch1);
    await stream.close();
  });

  it("gives bit-identical batches with 0, 1 or 2 workers, and resumes exactly at a step", async () => {
    const synthetic = await openSource({ kind: "synthetic", images: 40, classes: 4, size: 40, seed: 5 });
    const run = async (workers: number, startStep = 0, n = 3) => {
      const stream = createBatchStream({ source: synthetic, augment: seerSmall, batchSize: 6, seed: 21, workers, startStep });
      const batches = await take(stream, n);
      await stream.close();
      return batches;
    };
    const inline = await run(0);
    sameBatches(await run(1), inline);
    sameBatches(await run(2), inline);
    const resumed = await run(2, 2, 1);
    assert.equal(resumed[0].step, 2);
    sameBatches(resumed, inline.slice(2));
    const otherSeed = createBatchStream({ source: synthetic, augment: seerSmall, batchSize: 6, seed: 22, workers: 0 });
    const [different] = await take(otherSeed, 1);
    assert.ok(!Buffer.from(different.crops[0].data.buffer).equals(Buffer.from(inline[0].crops[0].data.buffer)));
    await otherSeed.close();
  });

  it("streams a lazily listed folder: first batch before the listing ends, deterministic, resumable", async () => {
    const root = join(dir, "lazy");
    for (let i = 0; i < 90; i++) await writeSolid(join(root, `d${i % 6}`, `c-${i}.png`), colourFor(i), 12);
    const options = { augment: plain, batchSize: 4, seed: 4, workers: 1, shuffleBuffer: 16 };
    const source = (await openSource({ kind: "folder", path: root })) as FolderSource;
    const stream = createBatchStream({ source, ...options });
    const batches = await take(stream, 4);
    assert.equal(source.size(), null);
    assert.equal(source.progress.finished, false);
    batches.forEach(assertCropsShowImages);
    await stream.close();
    const again = createBatchStream({ source, ...options, startStep: 3 });
    const [resumed] = await take(again, 1);
    assert.deepEqual(resumed.paths, batches[3].paths);
    sameBatches([resumed], [batches[3]]);
    await again.close();
  });

  it("evaluates in order with centre crops, one pass, a short last batch, then ends", async () => {
    const root = join(dir, "eval");
    // 32×16 gradient: red = 7x, green = 13y. Resizing the shorter side to 8 / 0.5 = 16 leaves it unchanged,
    // so the 8×8 centre crop is rows 4..11 and columns 12..19 exactly.
    await writeImage(join(root, "0.png"), 32, 16, (x, y) => [7 * x, 13 * y, 100]);
    await writeImage(join(root, "1.png"), 32, 16, () => [1, 2, 3]);
    await writeImage(join(root, "2.png"), 32, 16, () => [4, 5, 6]);
    const list = await writeText(join(root, "all.txt"), "0.png\n1.png\n2.png\n");
    const source = await openSource({ kind: "list", file: list });
    const stream = createBatchStream({ source, augment: plain, batchSize: 2, seed: 1, workers: 0, evalMode: true, evalResizeRatio: 0.5 });
    const first = (await stream.next()).value as Batch;
    assert.deepEqual([...first.indices], [0, 1]);
    assert.deepEqual(first.crops.map((c) => [c.size, c.count]), [[8, 1]]);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const o = (y * 8 + x) * 3;
        assert.ok(Math.abs(first.crops[0].data[o] - (7 * (x + 12)) / 255) < 1e-6);
        assert.ok(Math.abs(first.crops[0].data[o + 1] - (13 * (y + 4)) / 255) < 1e-6);
      }
    }
    const second = (await stream.next()).value as Batch;
    assert.equal(second.size, 1);
    assert.deepEqual([...second.indices], [2]);
    assert.equal(second.crops[0].data.length, 8 * 8 * 3);
    assert.equal((await stream.next()).done, true);
  });

  it("flips at the configured rate (end to end)", async () => {
    const path = await writeImage(join(dir, "flip", "c-0.png"), 16, 16, (x) => (x < 8 ? [255, 0, 0] : [0, 0, 255]));
    const source = await openSource({ kind: "list", file: await writeText(join(dir, "flip", "list.txt"), `${path}\n`) });
    const augment: AugmentSpec = { ...plain, crops: [{ count: 2, size: 4, scale: [1, 1], ratio: [1, 1] }], flip: 0.3 };
    const stream = createBatchStream({ source, augment, batchSize: 50, seed: 2, workers: 0 });
    let flipped = 0;
    let total = 0;
    for (const batch of await take(stream, 4)) {
      const data = batch.crops[0].data;
      for (let row = 0; row < batch.size * 2; row++) {
        total++;
        if (data[row * 48 + 2] > data[row * 48]) flipped++; // top-left pixel blue: mirrored
      }
    }
    const sd = Math.sqrt((0.3 * 0.7) / total);
    assert.ok(Math.abs(flipped / total - 0.3) < 5 * sd, `flip rate ${flipped / total}`);
    await stream.close();
  });

  it("keeps jittered pixels within the brightness range (end to end)", async () => {
    const path = await writeImage(join(dir, "gray", "c-0.png"), 16, 16, () => [128, 128, 128]);
    const source = await openSource({ kind: "list", file: await writeText(join(dir, "gray", "list.txt"), `${path}\n`) });
    const augment: AugmentSpec = { ...plain, crops: [{ count: 1, size: 4, scale: [0.5, 1], ratio: [1, 1] }], colorJitter: { p: 1, brightness: 0.4, contrast: 0, saturation: 0, hue: 0 } };
    const stream = createBatchStream({ source, augment, batchSize: 100, seed: 8, workers: 0 });
    const [batch] = await take(stream, 1);
    const factors = Array.from({ length: 100 }, (_, b) => batch.crops[0].data[b * 48] / (128 / 255));
    assert.ok(Math.min(...factors) >= 0.6 - 1e-6 && Math.max(...factors) <= 1.4 + 1e-6, `factors ${Math.min(...factors)}..${Math.max(...factors)}`);
    assert.ok(Math.min(...factors) < 0.7 && Math.max(...factors) > 1.3, "the range is used");
    await stream.close();
  });

  it("shrinks only what its crops allow, and shrinking on load changes crops only slightly", async () => {
    const train = reductionPolicy({ mode: "train", augment: SEER_AUGMENT, evalSize: 224, evalResizeRatio: 0.875 });
    // 500×375: min(sqrt(0.14 · 187500 · 0.75) / 224, sqrt(0.05 · 187500 · 0.75) / 96) = min(0.626, 0.873): nothing to shrink.
    assert.ok(Math.abs(train(500, 375) - Math.sqrt(0.14 * 500 * 375 * 0.75) / 224) < 1e-12);
    // 4000×3000: the large crops bind, sqrt(0.14 · 12e6 · 0.75) / 224 = 5.01.
    assert.ok(Math.abs(train(4000, 3000) - Math.sqrt(0.14 * 12e6 * 0.75) / 224) < 1e-12);
    const evaluation = reductionPolicy({ mode: "eval", augment: SEER_AUGMENT, evalSize: 224, evalResizeRatio: 0.875 });
    assert.equal(evaluation(4000, 3000), 3000 / 256);

    // Smooth pictures with CPU-sized crops: 1200×900 shrinks by ≈ 4.5 in libvips, 601×451 by ≈ 2.6 with
    // a 2×2 box after decoding (odd sizes: the last row and column fall outside the halved image).
    for (const [width, height] of [
      [1200, 900],
      [601, 451],
    ]) {
      const factor = reductionPolicy({ mode: "train", augment: CPU_AUGMENT, evalSize: 64, evalResizeRatio: 0.875 })(width, height);
      assert.ok(width === 1200 ? factor > 4 : factor > 2 && factor < 3, `${width}×${height} shrinks by ${factor}`);
      const path = await writeImage(join(dir, "photo", `p-${width}.png`), width, height, (x, y) => [
        128 + 100 * Math.sin(x / 37) * Math.cos(y / 53),
        128 + 90 * Math.sin((x + y) / 71),
        (x * y) % 256 < 128 ? 60 : 190,
      ]);
      const source = await openSource({ kind: "list", file: await writeText(join(dir, "photo", `list-${width}.txt`), `${path}\n`) });
      const augment: AugmentSpec = { ...plain, crops: CPU_AUGMENT.crops };
      const crops = async (shrinkOnLoad: boolean) => {
        const stream = createBatchStream({ source, augment, batchSize: 8, seed: 12, workers: 0, shrinkOnLoad });
        const [batch] = await take(stream, 1);
        await stream.close();
        return batch.crops;
      };
      const [exact, shrunk] = [await crops(false), await crops(true)];
      for (let g = 0; g < exact.length; g++) {
        let total = 0;
        for (let i = 0; i < exact[g].data.length; i++) total += Math.abs(exact[g].data[i] - shrunk[g].data[i]);
        const mean = total / exact[g].data.length;
        assert.ok(mean < 0.02 && mean > 0, `mean |exact - shrunk| for ${exact[g].size}px crops of ${width}×${height}: ${mean}`);
      }
    }
  });

  it("evaluation views of a halved image match those of the full image", async () => {
    // 601×451 at a 64px centre crop (resize to 73): factor 451 / 73 ≈ 6.2 goes through libvips, so ask
    // for 112px (resize to 128, factor ≈ 3.5) and 160px (resize to 182, factor ≈ 2.5: halved).
    const path = await writeImage(join(dir, "photo", "eval-601.png"), 601, 451, (x, y) => [60 + ((x * 3) % 256) / 2, 60 + ((y * 5) % 256) / 2, 60 + (((x + y) * 2) % 256) / 2]);
    const source = await openSource({ kind: "list", file: await writeText(join(dir, "photo", "eval-list.txt"), `${path}\n`) });
    for (const evalSize of [112, 160]) {
      const view = async (shrinkOnLoad: boolean) => {
        const stream = createBatchStream({ source, augment: plain, batchSize: 1, seed: 1, workers: 0, evalMode: true, evalSize, shrinkOnLoad });
        const [batch] = await take(stream, 1);
        await stream.close();
        return batch.crops[0].data;
      };
      const [exact, shrunk] = [await view(false), await view(true)];
      let total = 0;
      for (let i = 0; i < exact.length; i++) total += Math.abs(exact[i] - shrunk[i]);
      assert.ok(total / exact.length < 0.03, `mean |exact - shrunk| at ${evalSize}px: ${total / exact.length}`);
    }
  });

  it("keeps at most `prefetch` batches ahead of the consumer", async () => {
    const inner = await openSource({ kind: "synthetic", images: 1000, classes: 2, size: 16, seed: 1 });
    let refs = 0;
    const counting: ImageSource = Object.create(inner, { ref: { value: (i: number) => (refs++, inner.ref(i)) } });
    const stream = createBatchStream({ source: counting, augment: plain, batchSize: 10, seed: 1, workers: 1, prefetch: 2, alternates: 3 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(refs > 0 && refs <= 2 * 10 * 4, `${refs} samples referenced before any batch was taken`);
    await take(stream, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(refs <= 3 * 10 * 4, `${refs} samples referenced after one batch`);
    await stream.close();
  });
});

describe("bad files", () => {
  let dir = "";
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir()));
  after(() => cleanup());

  it("skips, reports and replaces every kind of bad file, keeping batches full", async () => {
    const root = join(dir, "mixed");
    const good = [];
    for (let i = 0; i < 12; i++) good.push(await writeSolid(join(root, `c-${i}.png`), colourFor(i), 16));
    const bad: Record<string, string> = {
      empty: await writeText(join(root, "empty.jpg"), ""),
      "not-an-image": await writeText(join(root, "notes.jpg"), "Dear diary, this is not a JPEG.\n"),
      "too-many-pixels": await writeSolid(join(root, "c-99-huge.png"), [9, 9, 9], 100),
      missing: await writeSolid(join(root, "c-98-deleted.png"), [8, 8, 8], 16),
    };
    const jpeg = await sharp(rgbPixels(64, 64, (x, y) => [x * 4, y * 4, 7]), { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
    bad.truncated = join(root, "cut.jpg");
    await writeFile(bad.truncated, jpeg.subarray(0, jpeg.length >> 1));
    const list = await writeText(join(dir, "mixed.txt"), [...good, ...Object.values(bad)].join("\n"));
    const source = await openSource({ kind: "list", file: list });
    await unlink(bad.missing); // deleted after listing, before decoding
    const stream = createBatchStream({ source, augment: plain, batchSize: 8, seed: 6, workers: 1, limits: { maxPixels: 5000 } });
    const seen = new Map<string, string>();
    for (const batch of await take(stream, 5)) {
      assert.equal(batch.size, 8);
      assert.equal(batch.indices.length, 8);
      for (const p of batch.paths!) assert.ok(good.includes(p), `a bad file was used: ${p}`);
      assertCropsShowImages(batch);
      for (const s of batch.skipped) seen.set(s.path, s.reason);
    }
    for (const [reason, path] of Object.entries(bad)) assert.equal(seen.get(path), reason, `${path} should be skipped as ${reason}`);
    assert.equal(seen.size, Object.keys(bad).length);
    await stream.close();
  });

  it("skips files it may not read", async () => {
    const root = join(dir, "locked");
    await mkdir(root);
    await chmod(dir, 0o755);
    await chmod(root, 0o755);
    const readable = await writeSolid(join(root, "c-1.png"), colourFor(1), 8);
    const locked = await writeSolid(join(root, "c-2.png"), colourFor(2), 8);
    await chmod(readable, 0o644);
    await chmod(locked, 0o000);
    const list = await writeText(join(root, "list.txt"), `${readable}\n${locked}\n`);
    await chmod(list, 0o644);
    const script = `
      import { openSource, createBatchStream } from ${JSON.stringify(new URL("../../../src/runtime/data/index.ts", import.meta.url).href)};
      const source = await openSource({ kind: "list", file: ${JSON.stringify(list)} });
      const augment = { crops: [{ count: 1, size: 4, scale: [1, 1], ratio: [1, 1] }], flip: 0, colorJitter: null, grayscale: 0, blur: null, solarize: null, normalize: { mean: [0, 0, 0], std: [1, 1, 1] } };
      const stream = createBatchStream({ source, augment, batchSize: 2, seed: 1, workers: 0, shuffle: false });
      const { value } = await stream.next();
      console.log(JSON.stringify({ paths: value.paths, skipped: value.skipped }));`;
    // Root reads anything, so as root the check runs as "nobody".
    const asRoot = process.getuid?.() === 0;
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: new URL("../../..", import.meta.url).pathname,
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as { paths: string[]; skipped: { path: string; reason: string }[] };
    assert.deepEqual(result.paths, [readable, readable]);
    assert.deepEqual(result.skipped.map((s) => [s.path, s.reason]), [[locked, "permission-denied"]]);
  });

  it("fails with a clear error naming the source when every file is bad", async () => {
    const root = join(dir, "all-bad");
    for (let i = 0; i < 5; i++) await writeText(join(root, `fake-${i}.jpg`), `text ${i}`);
    const source = await openSource({ kind: "folder", path: root });
    const stream = createBatchStream({ source, augment: plain, batchSize: 4, seed: 1, workers: 0 });
    await assert.rejects(stream.next(), (e: unknown) => {
      assert.ok(e instanceof DataSourceError);
      assert.equal(e.code, "data-all-unreadable");
      assert.match(e.message, /every file tried for batch 0 was unreadable/);
      assert.match(e.message, /fake-\d\.jpg: not-an-image/);
      assert.ok(e.message.includes(root));
      return true;
    });
    assert.equal((await stream.next()).done, true);
  });

  it("drops bad files in evaluation instead of replacing them", async () => {
    const root = join(dir, "eval-bad");
    const a = await writeSolid(join(root, "c-1.png"), colourFor(1), 8);
    const broken = await writeText(join(root, "broken.png"), "");
    const b = await writeSolid(join(root, "c-2.png"), colourFor(2), 8);
    const source = await openSource({ kind: "list", file: await writeText(join(root, "l.txt"), `${a}\n${broken}\n${b}\n`) });
    const stream = createBatchStream({ source, augment: plain, batchSize: 3, seed: 1, workers: 0, evalMode: true, evalSize: 4 });
    const batch = (await stream.next()).value as Batch;
    assert.equal(batch.size, 2);
    assert.deepEqual(batch.paths, [a, b]);
    assert.deepEqual([...batch.indices], [0, 2]);
    assert.deepEqual(batch.skipped.map((s) => s.reason), ["empty"]);
    assertCropsShowImages(batch);
    assert.equal(batch.cursor.samplesConsumed, 3);
    assert.equal((await stream.next()).done, true);
  });
});
