// Evaluation end to end on a tiny RegNetY (wasm): every protocol through runEvaluations, data splits,
// `seerc eval` on a checkpoint (and on one of another architecture), `seerc embed` round trips.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import type { ExperimentIR } from "../../src/compile/ir.js";
import { selectBackend } from "../../src/runtime/backend.js";
import { createSwavModel, type SwavModel } from "../../src/runtime/model/index.js";
import { modelSpecOf } from "../../src/runtime/train/specs.js";
import { decodeSafetensors, encodeSafetensors, readSafetensors } from "../../src/runtime/train/safetensors.js";
import type { RunEvent } from "../../src/runtime/train/events.js";
import {
  decodeNpy,
  EvaluationError,
  extractFeatures,
  openEvaluationSplits,
  PathListSource,
  runEvaluations,
  torchvisionStateDict,
} from "../../src/runtime/eval/index.js";
import { writeImage } from "./data/fixtures.js";
import { compileSeer, modelTensors, runCli, tempDir, tinySeer, writeModelCheckpoint, type CliResult } from "./eval-helpers.js";

const EVALUATIONS = `  evaluate knn { data = synthetic(), k = 5, image_size = 32px }
  evaluate linear { data = synthetic(), epochs = 3, batch = 8, image_size = 32px }
  evaluate lowshot { data = synthetic(), fraction = 25%, epochs = 2, batch = 4, image_size = 32px }
  evaluate finetune { data = synthetic(), epochs = 1, batch = 8, image_size = 32px }`;

let work: { dir: string; cleanup: () => void };
let ir: ExperimentIR;
let model: SwavModel;

before(async () => {
  await selectBackend("wasm");
  work = tempDir();
  ir = compileSeer(tinySeer({ evaluate: EVALUATIONS }), work.dir);
  model = createSwavModel(modelSpecOf(ir));
});

after(() => {
  model.dispose();
  work.cleanup();
});

describe("runEvaluations", () => {
  it("runs knn, linear, low-shot and fine-tuning and reports each as an eval_result", async () => {
    const events: RunEvent[] = [];
    const before = model.variables.get("trunk_output.block2.block2-1.f.b.0.weight")!.dataSync().slice();
    const tensorsBefore = tf.memory().numTensors;
    const report = await runEvaluations({ ir, model, emit: (e) => events.push(e), workers: 0, maxTrainImages: 40, maxTestImages: 20 });
    assert.deepEqual(report.failures, []);
    assert.equal(tf.memory().numTensors, tensorsBefore, "every tensor an evaluation makes is released");
    assert.deepEqual(report.outcomes.map((o) => o.protocol), ["knn", "linear", "lowshot", "finetune"]);
    const results = events.filter((e): e is Extract<RunEvent, { type: "eval_result" }> => e.type === "eval_result");
    assert.deepEqual(results.map((r) => r.protocol), ["knn", "linear", "lowshot", "finetune"]);
    assert.deepEqual(events.filter((e) => e.type === "eval_start").length, 4);
    for (const r of results) {
      assert.ok(r.metrics.top1 >= 0 && r.metrics.top1 <= 1);
      assert.ok(r.metrics.top5 >= r.metrics.top1);
      assert.equal(r.metrics.test_images, 20, "10 classes × 2 test images");
      assert.equal(r.classNames!.length, 10);
      assert.equal(r.confusion!.flat().reduce((a, b) => a + b, 0), 20);
      // top-1 is the confusion matrix's diagonal share.
      assert.ok(Math.abs(r.confusion!.reduce((a, row, c) => a + row[c], 0) / 20 - r.metrics.top1) < 1e-12);
    }
    const [knn, linear, lowshot, finetune] = results;
    assert.equal(knn.metrics.k, 5);
    assert.equal(knn.metrics.train_images, 40);
    assert.equal(linear.metrics.steps, 3 * Math.ceil(40 / 8));
    // 25% of the 40 capped training images, the same number from each of the 10 classes: 1 each.
    assert.equal(lowshot.metrics.train_images, 10);
    assert.equal(lowshot.metrics.fraction, 0.25);
    assert.equal(finetune.metrics.steps, Math.ceil(40 / 8));
    assert.deepEqual(model.variables.get("trunk_output.block2.block2-1.f.b.0.weight")!.dataSync(), before, "fine-tuning works on a copy");
  });

  it("keeps going after a failing evaluation and reports it with its code", async () => {
    const broken: ExperimentIR = { ...ir, evaluate: [{ ...ir.evaluate[0], name: "missing", data: { ...ir.evaluate[0].data, source: { kind: "idx", path: join(work.dir, "no-such-folder"), split: "train" } } }, ir.evaluate[0]] };
    const events: RunEvent[] = [];
    const report = await runEvaluations({ ir: broken, model, emit: (e) => events.push(e), workers: 0, maxTrainImages: 20, maxTestImages: 10 });
    assert.equal(report.failures.length, 1);
    assert.equal(report.failures[0].protocol, "missing");
    assert.equal(report.failures[0].error.code, "SEER7002");
    assert.match(report.failures[0].error.message, /no-such-folder/);
    assert.deepEqual(report.outcomes.map((o) => o.protocol), ["knn"]);
    assert.ok(events.some((e) => e.type === "warning" && e.code === "SEER7002"));
  });

  it("stops on request without a result", async () => {
    const report = await runEvaluations({ ir, model, emit: () => {}, workers: 0, control: { stopRequested: true } });
    assert.equal(report.stopped, true);
    assert.deepEqual(report.outcomes, []);
  });
});

describe("image folder splits", () => {
  const colour = (c: number): [number, number, number] => [c * 120, 255 - c * 100, 60];
  it("uses train/ and val/ sub-folders, matching test classes to training classes by name", async () => {
    const root = join(work.dir, "folders-split");
    for (const [split, classes] of [["train", ["ant", "bee", "cat"]], ["val", ["bee", "cat"]]] as const) {
      for (const [c, name] of classes.entries()) for (let i = 0; i < 2; i++) await writeImage(join(root, split, name, `${i}.png`), 12, 12, () => colour(c));
    }
    const splits = await openEvaluationSplits({ source: { kind: "image_folder", path: root }, images: null, labelled: true, max_pixels: 1e8, workers: 0 }, 0);
    try {
      assert.deepEqual(splits.classNames, ["ant", "bee", "cat"]);
      assert.equal(splits.heldOut, false);
      assert.equal(splits.train.size(), 6);
      assert.deepEqual([...splits.test.labels!], [1, 1, 2, 2], "val's bee and cat are training classes 1 and 2");
    } finally {
      await splits.close();
    }
  });

  it("holds out a seeded 20% of a folder without splits, and says so", async () => {
    const root = join(work.dir, "folders-flat");
    for (const [c, name] of ["a", "b"].entries()) for (let i = 0; i < 10; i++) await writeImage(join(root, name, `${i}.png`), 8, 8, () => colour(c));
    const data = { source: { kind: "image_folder" as const, path: root }, images: null, labelled: true, max_pixels: 1e8, workers: 0 };
    const splits = await openEvaluationSplits(data, 4);
    try {
      assert.equal(splits.heldOut, true);
      assert.match(splits.description, /80\/20 split \(seed 4\) gives 16 training and 4 test images/);
      const trainPaths = new Set(Array.from({ length: splits.train.size()! }, (_, i) => splits.train.path(i)));
      const testPaths = Array.from({ length: splits.test.size()! }, (_, i) => splits.test.path(i));
      assert.ok(testPaths.every((p) => !trainPaths.has(p)));
      assert.deepEqual([...splits.test.labels!].sort(), [0, 0, 1, 1]);
    } finally {
      await splits.close();
    }
  });

  it("refuses test classes the training split lacks", async () => {
    const root = join(work.dir, "folders-bad");
    await writeImage(join(root, "train", "a", "0.png"), 8, 8, () => colour(0));
    await writeImage(join(root, "val", "zebra", "0.png"), 8, 8, () => colour(1));
    await assert.rejects(
      openEvaluationSplits({ source: { kind: "image_folder", path: root }, images: null, labelled: true, max_pixels: 1e8, workers: 0 }, 0),
      (e: unknown) => e instanceof EvaluationError && e.code === "SEER7002" && /zebra/.test(e.message),
    );
  });
});

describe("seerc eval and seerc embed", () => {
  let runDir = "";
  const images = () => join(work.dir, "photos");
  const files: string[] = [];
  let cli: CliResult[] = [];
  before(async () => {
    runDir = join(work.dir, "run");
    // The same architecture as `model`, with only a kNN evaluation.
    const knnOnly = compileSeer(tinySeer(), work.dir, "knn.seer");
    writeModelCheckpoint(runDir, knnOnly, model, 2);
    writeFileSync(join(runDir, "summary.json"), JSON.stringify({ experiment: "tiny", evaluations: {} }));
    const wider = compileSeer(tinySeer({ name: "wider", widths: [16, 48] }), work.dir, "wider.seer");
    assert.equal(wider.trunk.width, 48);
    for (let i = 0; i < 3; i++) files.push(await writeImage(join(images(), `p${i}.png`), 20 + i, 24, (x, y) => [(x * 9 + i * 50) % 256, (y * 7) % 256, 128]));
    files.push(await writeImage(join(images(), "nested", "q.png"), 16, 16, () => [10, 200, 30]));
    const checkpoint = join(runDir, "checkpoints", "step-00000002");
    cli = runCli([
      ["eval", runDir, "--max-train", "20", "--max-test", "10", "--workers", "0", "--quiet"],
      ["eval", checkpoint, "--with", join(work.dir, "wider.seer"), "--workers", "0"],
      ...(["npy", "safetensors", "jsonl"] as const).map((format) => ["embed", checkpoint, images(), "-o", join(work.dir, `emb.${format}`), "--stage", "1", "--workers", "0"]),
    ]);
  });

  it("evaluates a run folder's newest checkpoint and files the result in summary.json", () => {
    const { code, stdout, stderr } = cli[0];
    assert.equal(code, 0, stdout + stderr);
    assert.match(stdout, /knn\s+\d+\.\d\d%\s+\d+\.\d\d%\s+20\s+10/);
    const filed = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"));
    assert.equal(filed.evaluations.knn.test_images, 10);
  });

  it("says SEER7008, without a stack, when the checkpoint holds another architecture", () => {
    const { code, stderr } = cli[1];
    assert.equal(code, 1, stderr);
    assert.match(stderr, /SEER7008/);
    assert.match(stderr, /trunk_output\.block2\.block2-0\.f\.a\.0\.weight is \[1,1,16,32\] in the checkpoint, \[1,1,16,48\] in the model/);
    assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  });

  it("writes the same features as npy (+ paths), safetensors and jsonl", async () => {
    const expected = await extractFeatures(model, new PathListSource(files, "photos"), { imageSize: 32, normalize: ir.augment.normalize, workers: 0, output: { kind: "trunk", stage: 1 } });
    (["npy", "safetensors", "jsonl"] as const).forEach((format, k) => {
      const { code, stdout, stderr } = cli[2 + k];
      assert.equal(code, 0, stdout + stderr);
      const file = join(work.dir, `emb.${format}`);
      let features: Float32Array;
      let paths: string[];
      if (format === "npy") {
        const npy = decodeNpy(readFileSync(file));
        assert.deepEqual(npy.shape, [4, 16]);
        features = npy.data;
        paths = readFileSync(join(work.dir, "emb.paths.txt"), "utf8").trimEnd().split("\n");
      } else if (format === "safetensors") {
        const st = readSafetensors(file);
        features = st.tensors.get("features")!.data as Float32Array;
        paths = JSON.parse(st.metadata.paths);
        assert.equal(st.metadata.output, "stage 1");
      } else {
        const rows = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
        features = Float32Array.from(rows.flatMap((r) => r.features));
        paths = rows.map((r) => r.path);
      }
      assert.deepEqual(paths, files.slice().sort(), `${format}: paths in walk order (sorted names)`);
      const reordered = paths.flatMap((p) => {
        const i = files.indexOf(p);
        return Array.from(expected.features.subarray(i * 16, (i + 1) * 16));
      });
      assert.deepEqual(Array.from(features), reordered, `${format}: features`);
    });
    assert.ok(!existsSync(join(work.dir, "emb.safetensors.paths.txt")));
  });
});

describe("torchvision state dict (without PyTorch)", () => {
  it("round-trips every trunk tensor through the safetensors bytes, in PyTorch layout, with int64 num_batches_tracked", () => {
    const tensors = modelTensors(model);
    const state = torchvisionStateDict(modelSpecOf(ir).trunk, tensors, { numBatchesTracked: 42, label: "test" });
    const bytes = encodeSafetensors(state, { format: "pt" });
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
    const data = bytes.subarray(8 + headerLength);
    assert.equal(header.__metadata__.format, "pt");
    const trunkNames = [...tensors.keys()].filter((n) => n.startsWith("stem.") || n.startsWith("trunk_output."));
    const batchNorms = trunkNames.filter((n) => n.endsWith(".running_mean")).map((n) => n.slice(0, -".running_mean".length));
    assert.deepEqual(Object.keys(header).filter((k) => k !== "__metadata__").sort(), [...trunkNames, ...batchNorms.map((b) => `${b}.num_batches_tracked`)].sort());
    for (const b of batchNorms) {
      const e = header[`${b}.num_batches_tracked`];
      assert.deepEqual([e.dtype, e.shape], ["I64", []]);
      assert.equal(data.readBigInt64LE(e.data_offsets[0]), 42n);
      const decoded = decodeSafetensors(bytes, "test").tensors.get(`${b}.num_batches_tracked`)!;
      assert.deepEqual([decoded.dtype, Array.from(decoded.data)], ["I64", [42n]], "read back as int64 too");
    }
    for (const name of trunkNames) {
      const e = header[name];
      const t = tensors.get(name)!;
      const stored = new Float32Array(data.buffer.slice(data.byteOffset + e.data_offsets[0], data.byteOffset + e.data_offsets[1]));
      if (t.shape.length === 4) {
        const [kh, kw, cin, cout] = t.shape;
        assert.deepEqual(e.shape, [cout, cin, kh, kw], name);
        // Element [o, i, y, x] of PyTorch's layout is element [y, x, i, o] here.
        for (const [o, i, y, x] of [[0, 0, 0, 0], [cout - 1, cin - 1, kh - 1, kw - 1], [cout >> 1, cin >> 1, kh >> 1, kw >> 1]]) {
          assert.equal(stored[((o * cin + i) * kh + y) * kw + x], (t.data as Float32Array)[((y * kw + x) * cin + i) * cout + o], name);
        }
      } else {
        assert.deepEqual(Array.from(stored), Array.from(t.data), name);
      }
    }
  });

  it("refuses a checkpoint of another trunk with SEER7008", () => {
    const wider = compileSeer(tinySeer({ name: "wider2", widths: [16, 48] }), work.dir, "wider2.seer");
    assert.throws(
      () => torchvisionStateDict(modelSpecOf(wider).trunk, modelTensors(model), { numBatchesTracked: 0, label: "ckpt" }),
      (e: unknown) => e instanceof EvaluationError && e.code === "SEER7008" && /ckpt does not hold the experiment's trunk/.test(e.message),
    );
  });
});

