// Evaluation arithmetic checked against hand computations: kNN votes, metrics, the linear probe,
// low-shot subsets, hold-out splits, schedule layout, .npy bytes and the PyTorch conv layout.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { selectBackend } from "../../src/runtime/backend.js";
import type { EvaluationIR } from "../../src/compile/ir.js";
import { learningRateAt } from "../../src/compile/schedule.js";
import {
  classificationMetrics,
  classBalancedRows,
  convToTorch,
  decodeNpy,
  encodeNpy,
  evaluationSchedule,
  EvaluationError,
  holdoutSplit,
  knnClassVotes,
  linearScores,
  lowShotRows,
  standardization,
  trainLinearClassifier,
} from "../../src/runtime/eval/index.js";

/** Deterministic uniform numbers in [0, 1) (an LCG independent of the code under test). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

before(async () => {
  await selectBackend("wasm");
});

describe("kNN", () => {
  it("weights each of the k nearest votes by exp(cosine / T), as computed by hand", () => {
    // Training rows (already unit length except the last, normalised to [1,1]/√2), labels 0, 1, 1.
    const train = { features: Float32Array.from([1, 0, 0, 1, 3, 3]), labels: Int32Array.from([0, 1, 1]), dim: 2 };
    const query = { features: Float32Array.from([2, 0]), dim: 2 };
    const T = 0.1;
    const votes = knnClassVotes(train, query, { k: 2, temperature: T, classes: 2 });
    // Similarities 1, 0, 1/√2; the two nearest are row 0 (class 0) and row 2 (class 1). Votes are
    // exp(sim/T) divided by exp(max sim / T) = exp(10).
    assert.ok(Math.abs(votes[0] - 1) < 1e-6, `class 0 vote ${votes[0]}`);
    assert.ok(Math.abs(votes[1] - Math.exp((Math.SQRT1_2 - 1) / T)) < 1e-5, `class 1 vote ${votes[1]}`);
    // With k = 3 the orthogonal row adds exp((0 - 1) / T) to class 1.
    const all = knnClassVotes(train, query, { k: 3, temperature: T, classes: 2 });
    assert.ok(Math.abs(all[1] - (Math.exp((Math.SQRT1_2 - 1) / T) + Math.exp(-1 / T))) < 1e-5);
  });

  it("classifies perfectly separable features with 100% top-1", () => {
    const classes = 5;
    const dim = 8;
    const random = lcg(7);
    const make = (n: number) => {
      const features = new Float32Array(n * dim);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const c = i % classes;
        labels[i] = c;
        // Class c lives near the axis e_c, scaled arbitrarily (cosine similarity ignores the length).
        const scale = 0.5 + 3 * random();
        for (let d = 0; d < dim; d++) features[i * dim + d] = scale * ((d === c ? 1 : 0) + 0.1 * (random() - 0.5));
      }
      return { features, labels };
    };
    const train = make(100);
    const test = make(40);
    const votes = knnClassVotes({ ...train, dim }, { features: test.features, dim }, { k: 10, temperature: 0.07, classes, chunk: 7 });
    const m = classificationMetrics(votes, test.labels, classes);
    assert.equal(m.top1, 1);
    assert.equal(m.top5, 1);
    assert.deepEqual(m.perClass, [1, 1, 1, 1, 1]);
  });
});

describe("classification metrics", () => {
  it("counts top-1, top-5, per-class accuracy and confusion as by hand, ties to the lower class", () => {
    const classes = 6;
    const scores = [
      [0.1, 0.9, 0, 0, 0, 0], // true 1: top-1 right
      [0.5, 0.5, 0, 0, 0, 0], // true 1: tie between 0 and 1, lower index wins → predicted 0, in top-5
      [6, 5, 4, 3, 2, 1], // true 5: last of six → outside the top-5
      [0, 0, 1, 0, 0, 0], // true 0: predicted 2; 0 ties with 1, 3, 4, 5 for second place → in top-5 (lowest indices first)
    ].flat();
    const m = classificationMetrics(scores, [1, 1, 5, 0], classes);
    assert.equal(m.top1, 1 / 4);
    assert.equal(m.top5, 3 / 4);
    assert.equal(m.confusion[1][1], 1);
    assert.equal(m.confusion[1][0], 1);
    assert.equal(m.confusion[5][0], 1);
    assert.equal(m.confusion[0][2], 1);
    assert.equal(m.perClass[1], 0.5);
    assert.equal(m.perClass[0], 0);
    assert.ok(Number.isNaN(m.perClass[3]), "a class without test images has no accuracy");
  });
});

describe("linear probe", () => {
  it("standardises with the training rows' mean and biased variance (+1e-5, BatchNorm's eps)", () => {
    const s = standardization(Float32Array.from([1, 10, 3, 10, 5, 10]), 2);
    assert.ok(Math.abs(s.mean[0] - 3) < 1e-6);
    assert.ok(Math.abs(s.invStd[0] - 1 / Math.sqrt(8 / 3 + 1e-5)) < 1e-6);
    assert.ok(Math.abs(s.invStd[1] - 1 / Math.sqrt(1e-5)) < 1e-2, "a constant dimension divides by sqrt(eps)");
  });

  it("learns a linearly separable set (100% on held-out points)", () => {
    const dim = 6;
    const classes = 3;
    const random = lcg(11);
    // Three clusters far apart relative to their spread: separable by hyperplanes.
    const centres = [
      [4, 0, 0, 1, -2, 0],
      [0, 4, 0, -1, 2, 0],
      [0, 0, 4, 0, 0, 3],
    ];
    const make = (n: number) => {
      const features = new Float32Array(n * dim);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const c = (i * 7) % classes;
        labels[i] = c;
        for (let d = 0; d < dim; d++) features[i * dim + d] = centres[c][d] + (random() - 0.5);
      }
      return { features, labels };
    };
    const train = make(150);
    const test = make(60);
    const classifier = trainLinearClassifier(
      { ...train, dim },
      { classes, epochs: 10, batch: 16, optimizer: { kind: "sgd", momentum: 0.9, nesterov: false, weightDecay: 0 }, schedule: [{ kind: "constant", start_step: 0, end_step: 100, value: 0.1 }], seed: 0 },
    );
    assert.equal(classifier.steps, 10 * Math.ceil(150 / 16));
    const m = classificationMetrics(linearScores(classifier, test.features), test.labels, classes);
    assert.equal(m.top1, 1, `held-out top-1 ${m.top1}`);
    assert.ok(classifier.finalLoss < 0.1, `final loss ${classifier.finalLoss}`);
  });

  it("reports a diverging classifier as SEER7003, not NaN metrics", () => {
    // Labels unrelated to the features keep the gradient from vanishing; a rate of 1e38 overflows float32.
    const random = lcg(3);
    const features = Float32Array.from({ length: 40 }, () => random() * 4 - 2);
    const labels = Int32Array.from({ length: 20 }, () => (random() < 0.5 ? 0 : 1));
    assert.throws(
      () => trainLinearClassifier({ features, labels, dim: 2 }, { classes: 2, epochs: 50, batch: 4, optimizer: { kind: "sgd", momentum: 0.99, nesterov: false, weightDecay: 0 }, schedule: [{ kind: "constant", start_step: 0, end_step: 250, value: 1e38 }], seed: 0 }),
      (e: unknown) => e instanceof EvaluationError && e.code === "SEER7003",
    );
  });
});

describe("low-shot subsets", () => {
  // 4 classes of unequal sizes: 40, 30, 20, 10 (100 labels), interleaved.
  const labels = Int32Array.from(
    [...Array(40).fill(0), ...Array(30).fill(1), ...Array(20).fill(2), ...Array(10).fill(3)].map((c, i, all) => all[(i * 37) % all.length]),
  );
  const counts = (rows: Int32Array) => [0, 1, 2, 3].map((c) => [...rows].filter((r) => labels[r] === c).length);

  it("takes the same number of labels from every class: round(fraction · N / classes)", () => {
    const rows = lowShotRows(labels, 4, 0.2, 5); // 0.2 · 100 / 4 = 5 per class
    assert.deepEqual(counts(rows), [5, 5, 5, 5]);
    assert.equal(new Set(rows).size, rows.length, "no row twice");
    assert.deepEqual([...rows], [...rows].sort((a, b) => a - b), "ascending");
  });

  it("is a pure function of the labels, the fraction and the seed", () => {
    assert.deepEqual(lowShotRows(labels, 4, 0.1, 1), lowShotRows(labels, 4, 0.1, 1));
    assert.notDeepEqual(lowShotRows(labels, 4, 0.1, 1), lowShotRows(labels, 4, 0.1, 2));
  });

  it("takes a whole class when it is smaller than its share, and at least one image per class", () => {
    assert.deepEqual(counts(classBalancedRows(labels, 4, 15, 0)), [15, 15, 15, 10]);
    assert.deepEqual(counts(lowShotRows(labels, 4, 0.001, 0)), [1, 1, 1, 1]);
  });

  it("splits an unsplit folder 80/20 within every class, disjointly", () => {
    const { train, test } = holdoutSplit(labels, 4, 9);
    const tr = new Set(train);
    assert.equal(train.length + test.length, 100);
    assert.ok([...test].every((r) => !tr.has(r)));
    assert.deepEqual([0, 1, 2, 3].map((c) => [...test].filter((r) => labels[r] === c).length), [8, 6, 4, 2]);
    assert.deepEqual(holdoutSplit(labels, 4, 9), { train, test });
  });
});

describe("evaluation schedules", () => {
  const evaluation = (written: EvaluationIR["schedule"]): EvaluationIR => ({
    kind: "linear",
    name: "linear",
    data: { source: { kind: "synthetic", images: 100, classes: 4, size: 32, seed: 0, split: "train" }, images: 100, labelled: true, max_pixels: 1e8, workers: 0 },
    epochs: 4,
    batch: 10,
    optimizer: { kind: "sgd", momentum: 0.9, nesterov: false, weight_decay: 0, clip_grad_norm: null },
    schedule: written,
    k: null,
    temperature: null,
    stage: null,
    fraction: null,
    protocol: null,
    image_size: 32,
  });

  it("lays the written pieces out over the real training set (epochs in steps of this run)", () => {
    // 60 training images at batch 10: 6 steps an epoch, 24 in all; warm-up 1 epoch = 6 steps.
    const e = evaluation({
      written: "warmup linear 0.0 -> 0.6 over 1 epochs, then cosine -> 0.0",
      written_pieces: [
        { kind: "linear", from: 0, to: 0.6, over: { amount: 1, unit: "epochs", of: null }, restart: false },
        { kind: "cosine", from: null, to: 0, over: null, restart: false },
      ],
      pieces: [],
    });
    const pieces = evaluationSchedule(e, 24, 60);
    assert.equal(learningRateAt(pieces, 3), 0.3);
    assert.ok(Math.abs(learningRateAt(pieces, 6 + 9) - 0.3) < 1e-12, "half-way through the 18-step cosine: 0.6 · (1 + cos(π/2)) / 2");
  });

  it("reports a schedule longer than the evaluation as the schedule's own diagnostic", () => {
    const e = evaluation({
      written: "constant 0.1 over 100 steps",
      written_pieces: [{ kind: "constant", value: 0.1, over: { amount: 100, unit: "steps", of: null }, restart: false }],
      pieces: [],
    });
    assert.throws(() => evaluationSchedule(e, 24, 60), (err: unknown) => err instanceof EvaluationError && /^SEER30/.test(err.code) && /24 steps/.test(err.message));
  });
});

describe("interop layouts", () => {
  it("writes .npy v1.0: magic, version, 64-byte aligned header, little-endian float32 in C order", () => {
    const data = Float32Array.from([1.5, -2, 3.25, 4, 5, 6]);
    const bytes = encodeNpy(data, [2, 3]);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = bytes.readUInt16LE(8);
    assert.equal((10 + headerLength) % 64, 0);
    const header = bytes.subarray(10, 10 + headerLength).toString("latin1");
    assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    assert.equal(bytes.readFloatLE(10 + headerLength + 2 * 4), 3.25);
    assert.deepEqual(decodeNpy(bytes), { data, shape: [2, 3] });
  });

  it("transposes conv weights [kh, kw, in, out] → [out, in, kh, kw]", () => {
    // value = 1000·y + 100·x + 10·i + o at [y, x, i, o]; PyTorch index [o, i, y, x] must hold the same value.
    const [kh, kw, cin, cout] = [2, 3, 2, 4];
    const data = new Float32Array(kh * kw * cin * cout);
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) data[((y * kw + x) * cin + i) * cout + o] = 1000 * y + 100 * x + 10 * i + o;
    const t = convToTorch({ dtype: "F32", shape: [kh, kw, cin, cout], data });
    assert.deepEqual(t.shape, [cout, cin, kh, kw]);
    const at = (o: number, i: number, y: number, x: number) => t.data[((o * cin + i) * kh + y) * kw + x];
    assert.equal(at(3, 1, 1, 2), 1000 + 200 + 10 + 3);
    assert.equal(at(2, 0, 0, 1), 100 + 2);
  });
});
