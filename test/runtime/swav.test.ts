import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { swavLoss } from "../../src/runtime/swav/loss.js";
import { EmbeddingQueue } from "../../src/runtime/swav/queue.js";
import { withoutGradient } from "../../src/runtime/swav/no-gradient.js";
import { sinkhorn, sinkhornWithQueue } from "../../src/runtime/swav/sinkhorn.js";
import { seededRandom } from "../../src/sweep/expand.js";

await tf.setBackend("cpu");

// ---------- independent double-precision references (plain loops, VISSL's K x N layout) ----------

type Matrix = number[][];

function referenceSinkhorn(scores: Matrix, epsilon: number, iterations: number): Matrix {
  const n = scores.length;
  const k = scores[0].length;
  let top = -Infinity;
  for (const row of scores) for (const s of row) top = Math.max(top, s / epsilon);
  const q: Matrix = [];
  for (let p = 0; p < k; p++) {
    q.push([]);
    for (let b = 0; b < n; b++) q[p].push(Math.exp(scores[b][p] / epsilon - top));
  }
  let total = 0;
  for (const row of q) for (const v of row) total += v;
  for (const row of q) for (let b = 0; b < n; b++) row[b] /= total;
  for (let it = 0; it < iterations; it++) {
    for (let p = 0; p < k; p++) {
      let rowSum = 0;
      for (let b = 0; b < n; b++) rowSum += q[p][b];
      for (let b = 0; b < n; b++) q[p][b] *= 1 / k / rowSum;
    }
    for (let b = 0; b < n; b++) {
      let columnSum = 0;
      for (let p = 0; p < k; p++) columnSum += q[p][b];
      for (let p = 0; p < k; p++) q[p][b] *= 1 / n / columnSum;
    }
  }
  const codes: Matrix = [];
  for (let b = 0; b < n; b++) {
    let columnSum = 0;
    for (let p = 0; p < k; p++) columnSum += q[p][b];
    codes.push([]);
    for (let p = 0; p < k; p++) codes[b].push(q[p][b] / columnSum);
  }
  return codes;
}

function referenceLogSoftmax(row: number[], temperature: number): number[] {
  const scaled = row.map((s) => s / temperature);
  const top = Math.max(...scaled);
  const logSum = Math.log(scaled.reduce((sum, s) => sum + Math.exp(s - top), 0)) + top;
  return scaled.map((s) => s - logSum);
}

/** VISSL's loop: per assigned crop, -mean_b sum_k q log p_v per other crop, averaged. `codes` fixed by the caller. */
function referenceLoss(scoresPerCrop: Matrix[], assignCrops: number[], codes: Matrix[], temperature: number): number {
  let total = 0;
  assignCrops.forEach((crop, slot) => {
    let perCrop = 0;
    for (let v = 0; v < scoresPerCrop.length; v++) {
      if (v === crop) continue;
      let sum = 0;
      scoresPerCrop[v].forEach((row, b) => {
        const logP = referenceLogSoftmax(row, temperature);
        for (let p = 0; p < row.length; p++) sum += codes[slot][b][p] * logP[p];
      });
      perCrop -= sum / scoresPerCrop[v].length;
    }
    total += perCrop / (scoresPerCrop.length - 1);
  });
  return total / assignCrops.length;
}

/** Values in [-scale, scale], rounded to float32 so the reference sees exactly what tfjs sees. */
function randomMatrix(rows: number, columns: number, seed: number, scale = 1): Matrix {
  const next = seededRandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: columns }, () => Math.fround((2 * next() - 1) * scale)));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number, absolute: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    assert.ok(
      error <= absolute + relative * Math.abs(expected[i]),
      `${what}[${i}]: ${actual[i]} vs expected ${expected[i]} (error ${error})`,
    );
  }
}

const flat = (m: Matrix) => m.flat();
const read = (t: tf.Tensor) => Array.from(t.dataSync());

// ---------- no-gradient region ----------

test("withoutGradient: values pass, gradients do not, even for a tensor handed straight back", () => {
  const x = tf.variable(tf.tensor1d([1, 2, 3]), true, "no_grad_x");
  // d/dx sum(stop(x^2) * x) = x^2; d/dx sum(stop(x) * x) = x. Without the stop: 3x^2 and 2x.
  const squared = tf.variableGrads(() => tf.sum(tf.mul(withoutGradient(() => tf.square(x)), x)) as tf.Scalar);
  assert.deepEqual(read(squared.value), [36]);
  assert.deepEqual(read(squared.grads[x.name]), [1, 4, 9]);
  const same = tf.variableGrads(() => tf.sum(tf.mul(withoutGradient(() => x), x)) as tf.Scalar);
  assert.deepEqual(read(same.grads[x.name]), [1, 2, 3]);
  tf.dispose([squared.value, same.value, ...Object.values(squared.grads), ...Object.values(same.grads), x]);
});

// ---------- Sinkhorn ----------

test("sinkhorn: closed form on a symmetric 2x2 (already balanced, so any iteration count gives softmax rows)", () => {
  // exp(scores/eps) = [[e^2, 1], [1, e^2]] has equal row and column sums, so the scalings are uniform.
  const expected = Math.exp(2) / (1 + Math.exp(2));
  for (const iterations of [0, 1, 3]) {
    const codes = sinkhorn(tf.tensor2d([[1, 0], [0, 1]]), 0.5, iterations);
    assertClose(read(codes), [expected, 1 - expected, 1 - expected, expected], 1e-6, 0, `iterations ${iterations}`);
    codes.dispose();
  }
});

test("sinkhorn: matches the double-precision reference on a fixed 5x4 matrix", () => {
  const scores = randomMatrix(5, 4, 7);
  for (const [epsilon, iterations] of [[0.5, 0], [0.5, 1], [0.05, 3], [0.2, 10]] as const) {
    const codes = sinkhorn(tf.tensor2d(scores), epsilon, iterations);
    assertClose(read(codes), flat(referenceSinkhorn(scores, epsilon, iterations)), 2e-5, 1e-7, `eps ${epsilon} it ${iterations}`);
    codes.dispose();
  }
});

test("sinkhorn: marginals after the final step (rows sum to 1; columns reach N/K as iterations grow)", () => {
  const n = 6;
  const k = 3;
  const scores = tf.tensor2d(randomMatrix(n, k, 11));
  const few = sinkhorn(scores, 0.3, 3);
  const many = sinkhorn(scores, 0.3, 200);
  for (const codes of [few, many]) assertClose(read(tf.sum(codes, 1)), new Array(n).fill(1), 1e-6, 0, "row sums");
  // With few iterations the prototype marginals are only approximately even; with many, equal.
  const fewColumns = read(tf.sum(few, 0));
  const fewReference = referenceSinkhorn(randomMatrix(n, k, 11), 0.3, 3);
  assertClose(fewColumns, [0, 1, 2].map((p) => fewReference.reduce((s, row) => s + row[p], 0)), 1e-5, 0, "column sums, 3 iterations");
  assertClose(read(tf.sum(many, 0)), new Array(k).fill(n / k), 1e-4, 0, "column sums, 200 iterations");
  // And the balancing does something: the raw softmax of the scores is far from even here.
  const softmaxColumns = read(tf.sum(tf.softmax(tf.div(scores, 0.3)), 0));
  assert.ok(softmaxColumns.some((c) => Math.abs(c - n / k) > 0.1), `softmax columns ${softmaxColumns}`);
});

test("sinkhorn: stable at scores/epsilon of about 20 (unit-norm scores, epsilon 0.05)", () => {
  const scores = randomMatrix(16, 40, 3);
  scores[0][0] = 1;
  scores[1][1] = -1;
  const codes = sinkhorn(tf.tensor2d(scores), 0.05, 3);
  const values = read(codes);
  assert.ok(values.every(Number.isFinite), "all codes finite");
  assertClose(values, flat(referenceSinkhorn(scores, 0.05, 3)), 1e-4, 1e-9, "codes at eps 0.05");
  // At scores/epsilon up to 100, exp() alone overflows float32 (exp(100) > 3.4e38); with the max
  // subtracted it stays finite (this matrix has no prototype whose column underflows entirely).
  const big = sinkhorn(tf.mul(tf.tensor2d(scores), 5) as tf.Tensor2D, 0.05, 3);
  assert.ok(read(big).every(Number.isFinite), "codes finite at scores/epsilon = 100");
});

test("sinkhornWithQueue: transport over batch + queue rows, batch rows returned", () => {
  const batch = randomMatrix(3, 4, 21);
  const queue = randomMatrix(5, 4, 22);
  const codes = sinkhornWithQueue(tf.tensor2d(batch), tf.tensor2d(queue), 0.1, 3);
  assert.deepEqual(codes.shape, [3, 4]);
  const reference = referenceSinkhorn([...batch, ...queue], 0.1, 3).slice(0, 3);
  assertClose(read(codes), flat(reference), 2e-5, 1e-8, "codes with queue");
  const alone = referenceSinkhorn(batch, 0.1, 3);
  assert.ok(Math.max(...flat(alone).map((v, i) => Math.abs(v - flat(reference)[i]))) > 1e-3, "the queue changes the codes");
  assert.throws(() => sinkhornWithQueue(tf.tensor2d(batch), tf.zeros([2, 5]), 0.1, 3), /queue scores must be \[Q, 4\]/);
});

test("sinkhorn: rejects bad arguments", () => {
  const scores = tf.zeros([2, 3]) as tf.Tensor2D;
  assert.throws(() => sinkhorn(scores, 0, 3), /epsilon/);
  assert.throws(() => sinkhorn(scores, 0.05, 1.5), /iterations/);
  assert.throws(() => sinkhorn(tf.zeros([2, 3, 1]) as unknown as tf.Tensor2D, 0.05, 3), /\[N, K\]/);
});

// ---------- loss ----------

const B = 4;
const K = 6;
const crops = [31, 32, 33, 34].map((seed) => randomMatrix(B, K, seed));
const assign = [0, 1];
const temperature = 0.1;
const epsilon = 0.05;
const iterations = 3;

test("swavLoss: matches VISSL's loop computed independently in double precision", () => {
  const codes = assign.map((c) => referenceSinkhorn(crops[c], epsilon, iterations));
  const expected = referenceLoss(crops, assign, codes, temperature);
  const result = swavLoss({ scoresPerCrop: crops.map((c) => tf.tensor2d(c)), assignCrops: assign, temperature, epsilon, iterations });
  assertClose(read(result.loss), [expected], 1e-5, 0, "loss");
  result.codes.forEach((c, slot) => assertClose(read(c), flat(codes[slot]), 2e-5, 1e-8, `codes ${slot}`));

  // One assigned crop that is not the first, three crops in all.
  const three = crops.slice(0, 3);
  const single = swavLoss({ scoresPerCrop: three.map((c) => tf.tensor2d(c)), assignCrops: [2], temperature: 0.5, epsilon: 0.3, iterations: 5 });
  const singleExpected = referenceLoss(three, [2], [referenceSinkhorn(three[2], 0.3, 5)], 0.5);
  assertClose(read(single.loss), [singleExpected], 1e-5, 0, "loss with crop 2 assigned");
});

test("swavLoss: queue scores enter the codes, not the prediction", () => {
  const queues = [randomMatrix(8, K, 41), randomMatrix(8, K, 42)];
  const codes = assign.map((c, slot) => referenceSinkhorn([...crops[c], ...queues[slot]], epsilon, iterations).slice(0, B));
  const expected = referenceLoss(crops, assign, codes, temperature);
  const result = swavLoss({
    scoresPerCrop: crops.map((c) => tf.tensor2d(c)),
    assignCrops: assign,
    temperature,
    epsilon,
    iterations,
    queueScores: queues.map((q) => tf.tensor2d(q)),
  });
  assertClose(read(result.loss), [expected], 1e-5, 0, "loss with queue");
  // A queue for one assigned crop only.
  const partial = swavLoss({
    scoresPerCrop: crops.map((c) => tf.tensor2d(c)),
    assignCrops: assign,
    temperature,
    epsilon,
    iterations,
    queueScores: [undefined, tf.tensor2d(queues[1])],
  });
  const partialExpected = referenceLoss(crops, assign, [referenceSinkhorn(crops[0], epsilon, iterations), codes[1]], temperature);
  assertClose(read(partial.loss), [partialExpected], 1e-5, 0, "loss with one queue");
});

test("swavLoss: prototype-usage statistics", () => {
  // Every sample's raw scores peak at prototype 0: the model's own assignment has collapsed,
  // while Sinkhorn still spreads the codes.
  const collapsed = randomMatrix(B, K, 51, 0.1).map((row) => row.map((v, p) => (p === 0 ? 1 : v)));
  const scoresPerCrop = [collapsed, crops[1], crops[2]];
  const { stats } = swavLoss({ scoresPerCrop: scoresPerCrop.map((c) => tf.tensor2d(c)), assignCrops: [0, 1], temperature, epsilon, iterations });
  assert.ok(stats !== undefined);
  assert.equal(stats.maxEntropy, Math.log(K));
  [0, 1].forEach((crop, slot) => {
    const codes = referenceSinkhorn(scoresPerCrop[crop], epsilon, iterations);
    const argmax = (rows: Matrix) => new Set(rows.map((row) => row.indexOf(Math.max(...row)))).size;
    const meanOf = (rows: Matrix) => rows[0].map((_, p) => rows.reduce((s, row) => s + row[p], 0) / rows.length);
    const entropyOf = (p: number[]) => -p.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0);
    const predictions = scoresPerCrop[crop].map((row) => referenceLogSoftmax(row, temperature).map(Math.exp));
    const usage = stats.crops[slot];
    assert.equal(usage.crop, crop);
    assert.equal(usage.distinctCodeArgmax, argmax(codes));
    assert.equal(usage.distinctScoreArgmax, argmax(scoresPerCrop[crop]));
    assertClose([usage.meanCodeEntropy], [entropyOf(meanOf(codes))], 1e-5, 0, "code entropy");
    assertClose([usage.meanPredictionEntropy], [entropyOf(meanOf(predictions))], 1e-5, 0, "prediction entropy");
  });
  assert.equal(stats.crops[0].distinctScoreArgmax, 1);
  assert.ok(stats.crops[0].distinctCodeArgmax > 1, "Sinkhorn spreads a collapsed batch");
  const quiet = swavLoss({ scoresPerCrop: scoresPerCrop.map((c) => tf.tensor2d(c)), assignCrops: [0], temperature, epsilon, iterations, computeStats: false });
  assert.equal(quiet.stats, undefined);
});

test("swavLoss: gradient w.r.t. scores equals finite differences with the codes held fixed", () => {
  const variables = crops.map((c, i) => tf.variable(tf.tensor2d(c), true, `swav_fd_scores_${i}`));
  const { value, grads } = tf.variableGrads(
    () => swavLoss({ scoresPerCrop: variables as unknown as tf.Tensor2D[], assignCrops: assign, temperature, epsilon, iterations }).loss,
  );
  const fixedCodes = assign.map((c) => referenceSinkhorn(crops[c], epsilon, iterations));
  const h = 1e-6;
  const finiteDifference = (crop: number, b: number, p: number, recomputeCodes: boolean) => {
    const at = (delta: number) => {
      const moved = crops.map((m) => m.map((row) => row.slice()));
      moved[crop][b][p] += delta;
      const codes = recomputeCodes ? assign.map((c) => referenceSinkhorn(moved[c], epsilon, iterations)) : fixedCodes;
      return referenceLoss(moved, assign, codes, temperature);
    };
    return (at(h) - at(-h)) / (2 * h);
  };
  let throughCodesDiffers = 0;
  variables.forEach((variable, crop) => {
    const gradient = read(grads[variable.name]);
    const expected: number[] = [];
    for (let b = 0; b < B; b++) for (let p = 0; p < K; p++) expected.push(finiteDifference(crop, b, p, false));
    assertClose(gradient, expected, 1e-4, 1e-5, `d loss / d scores[${crop}]`);
    if (assign.includes(crop)) {
      for (let p = 0; p < K; p++) throughCodesDiffers = Math.max(throughCodesDiffers, Math.abs(finiteDifference(crop, 0, p, true) - gradient[p]));
    }
  });
  // The check can fail: differentiating through the codes would have given visibly different numbers.
  assert.ok(throughCodesDiffers > 1e-2, `gradient through the codes differs by ${throughCodesDiffers}`);
  tf.dispose([value, ...Object.values(grads), ...variables]);
});

test("swavLoss: gradient w.r.t. embeddings and prototypes (scores = z C^T, queue scored without gradient)", () => {
  const d = 3;
  const embeddings = [61, 62, 63].map((seed) => randomMatrix(B, d, seed));
  const prototypes = randomMatrix(K, d, 64);
  const queued = randomMatrix(5, d, 65);
  const scoresOf = (z: Matrix, c: Matrix): Matrix => z.map((row) => c.map((proto) => proto.reduce((s, v, j) => s + v * row[j], 0)));
  const zVariables = embeddings.map((z, i) => tf.variable(tf.tensor2d(z), true, `swav_fd_z_${i}`));
  const cVariable = tf.variable(tf.tensor2d(prototypes), true, "swav_fd_prototypes");
  const queue = new EmbeddingQueue({ assignedCrops: 1, length: 5, dim: d, startStep: 0 });
  queue.push(0, [tf.tensor2d(queued)]);
  const { value, grads } = tf.variableGrads(() => {
    const scoresPerCrop = zVariables.map((z) => tf.matMul<tf.Tensor2D>(z, cVariable, false, true));
    const queueScores = queue.scores((e) => tf.matMul(e, cVariable, false, true));
    assert.ok(queueScores !== undefined);
    return swavLoss({ scoresPerCrop, assignCrops: [0], temperature: 0.5, epsilon: 0.3, iterations: 3, queueScores }).loss;
  });
  const baseScores = embeddings.map((z) => scoresOf(z, prototypes));
  const fixedCodes = [referenceSinkhorn([...baseScores[0], ...scoresOf(queued, prototypes)], 0.3, 3).slice(0, B)];
  const lossAt = (z: Matrix[], c: Matrix) => referenceLoss(z.map((m) => scoresOf(m, c)), [0], fixedCodes, 0.5);
  assertClose(read(value), [lossAt(embeddings, prototypes)], 1e-5, 0, "loss");
  const h = 1e-6;
  embeddings.forEach((z, crop) => {
    const expected: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < d; j++) {
        const moved = (delta: number) => embeddings.map((m, i) => (i !== crop ? m : m.map((row, r) => row.map((v, c) => (r === b && c === j ? v + delta : v)))));
        expected.push((lossAt(moved(h), prototypes) - lossAt(moved(-h), prototypes)) / (2 * h));
      }
    }
    assertClose(read(grads[zVariables[crop].name]), expected, 1e-4, 1e-5, `d loss / d z[${crop}]`);
  });
  const expectedC: number[] = [];
  for (let p = 0; p < K; p++) {
    for (let j = 0; j < d; j++) {
      const moved = (delta: number) => prototypes.map((row, r) => row.map((v, c) => (r === p && c === j ? v + delta : v)));
      expectedC.push((lossAt(embeddings, moved(h)) - lossAt(embeddings, moved(-h))) / (2 * h));
    }
  }
  assertClose(read(grads[cVariable.name]), expectedC, 1e-4, 1e-5, "d loss / d prototypes");
  tf.dispose([value, ...Object.values(grads), ...zVariables, cVariable]);
  queue.dispose();
});

test("swavLoss: rejects inconsistent inputs", () => {
  const s = crops.map((c) => tf.tensor2d(c));
  const base = { temperature, epsilon, iterations };
  assert.throws(() => swavLoss({ ...base, scoresPerCrop: [s[0]], assignCrops: [0] }), /at least 2 crops/);
  assert.throws(() => swavLoss({ ...base, scoresPerCrop: s, assignCrops: [4] }), /not one of the 4 crops/);
  assert.throws(() => swavLoss({ ...base, scoresPerCrop: s, assignCrops: [1, 1] }), /assigned twice/);
  assert.throws(() => swavLoss({ ...base, scoresPerCrop: [s[0], tf.zeros([B, K + 1]) as tf.Tensor2D], assignCrops: [0] }), /crop 1 is/);
  assert.throws(() => swavLoss({ ...base, scoresPerCrop: s, assignCrops: [0, 1], queueScores: [undefined] }), /one per assigned crop/);
});

test("swavLoss: no tensors leak across training steps", () => {
  const variables = crops.map((c, i) => tf.variable(tf.tensor2d(c), true, `swav_leak_${i}`));
  const queue = new EmbeddingQueue({ assignedCrops: 2, length: 8, dim: K, startStep: 0 });
  const counts: number[] = [];
  for (let step = 0; step < 4; step++) {
    const { value, grads } = tf.variableGrads(() => {
      const scoresPerCrop = variables as unknown as tf.Tensor2D[];
      const queueScores = queue.scores((e) => tf.mul(e, 1) as tf.Tensor2D);
      const { loss } = swavLoss({ scoresPerCrop, assignCrops: assign, temperature, epsilon, iterations, queueScores });
      queue.push(step, [scoresPerCrop[0], scoresPerCrop[1]]);
      return loss;
    });
    tf.dispose([value, ...Object.values(grads)]);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(queue.isFull());
  assert.deepEqual(counts, new Array(4).fill(counts[0]), `tensor counts ${counts}`);
  tf.dispose(variables);
  queue.dispose();
});

// ---------- queue ----------

test("EmbeddingQueue: FIFO, newest first, used only once full, starts at its step", () => {
  const queue = new EmbeddingQueue({ assignedCrops: 2, length: 5, dim: 2, startStep: 3 });
  const batch = (base: number) => tf.tensor2d([[base, base + 0.5], [base + 1, base + 1.5]]);
  queue.push(2, [batch(100), batch(200)]);
  assert.equal(queue.filledRows, 0, "before startStep nothing is stored");
  queue.push(3, [batch(1), batch(11)]);
  queue.push(4, [batch(3), batch(13)]);
  assert.equal(queue.filledRows, 4);
  assert.equal(queue.isFull(), false);
  assert.equal(queue.embeddings(0), undefined);
  assert.equal(queue.scores((e) => e), undefined);
  queue.push(5, [batch(5), batch(15)]);
  assert.equal(queue.isFull(), true);
  assert.deepEqual(read(queue.embeddings(0)!), [5, 5.5, 6, 6.5, 3, 3.5, 4, 4.5, 1, 1.5]);
  assert.deepEqual(read(queue.embeddings(1)!), [15, 15.5, 16, 16.5, 13, 13.5, 14, 14.5, 11, 11.5]);
  // A batch larger than the queue keeps its first L rows.
  const small = new EmbeddingQueue({ assignedCrops: 1, length: 1, dim: 2, startStep: 0 });
  small.push(0, [batch(7)]);
  assert.deepEqual(read(small.embeddings(0)!), [7, 7.5]);
  assert.throws(() => queue.push(6, [batch(1)]), /2 assigned crops/);
  assert.throws(() => queue.push(6, [batch(1), tf.zeros([3, 2]) as tf.Tensor2D]), /\[2, 2\]/);
  assert.throws(() => queue.embeddings(2), /slot 2/);
  queue.dispose();
  small.dispose();
});

test("EmbeddingQueue: state round-trip restores contents and fill level", () => {
  const queue = new EmbeddingQueue({ assignedCrops: 1, length: 4, dim: 3, startStep: 0 });
  queue.push(0, [tf.tensor2d(randomMatrix(2, 3, 71))]);
  const state = queue.exportState();
  const restored = new EmbeddingQueue({ assignedCrops: 1, length: 4, dim: 3, startStep: 0 });
  restored.importState(state);
  state.rows[0].fill(99); // the restored queue must not share the caller's array
  assert.equal(restored.filledRows, 2);
  const next = tf.tensor2d(randomMatrix(2, 3, 72));
  queue.push(1, [next]);
  restored.push(1, [next]);
  assert.deepEqual(read(restored.embeddings(0)!), read(queue.embeddings(0)!));
  assert.throws(
    () => new EmbeddingQueue({ assignedCrops: 1, length: 5, dim: 3, startStep: 0 }).importState(queue.exportState()),
    /1x4x3, this run's is 1x5x3/,
  );
  queue.dispose();
  restored.dispose();
});

test("EmbeddingQueue: queued scores carry no gradient to the prototypes", () => {
  const queue = new EmbeddingQueue({ assignedCrops: 1, length: 2, dim: 2, startStep: 0 });
  queue.push(0, [tf.tensor2d([[1, 2], [3, 4]])]);
  const prototypes = tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25], [1, 1]]), true, "queue_grad_prototypes");
  const { value, grads } = tf.variableGrads(() => {
    const [scores] = queue.scores((e) => tf.matMul(e, prototypes, false, true))!;
    return tf.add(tf.sum(scores), tf.sum(prototypes)) as tf.Scalar;
  });
  // sum of e·p over queued rows e and prototypes p = (sum of e)·(sum of p), plus the prototypes' own sum.
  assert.equal(read(value)[0], (1 + 3) * (0.5 + 2 + 1) + (2 + 4) * (-1 + 0.25 + 1) + 3.75);
  assert.deepEqual(read(grads[prototypes.name]), [1, 1, 1, 1, 1, 1]);
  tf.dispose([value, ...Object.values(grads), prototypes]);
  queue.dispose();
});

// ---------- wasm ----------

test("wasm backend: every op used exists there and gives the cpu's numbers", async () => {
  const queueRows = randomMatrix(8, K, 81);
  const runOnce = () => {
    const variables = crops.map((c) => tf.variable(tf.tensor2d(c)));
    let codes: number[] = [];
    let statsEntropy = 0;
    const queue = new EmbeddingQueue({ assignedCrops: 2, length: 8, dim: K, startStep: 0 });
    queue.push(0, [tf.tensor2d(queueRows), tf.tensor2d(queueRows)]);
    const { value, grads } = tf.variableGrads(() => {
      const queueScores = queue.scores((e) => tf.mul(e, 1) as tf.Tensor2D);
      const result = swavLoss({ scoresPerCrop: variables as unknown as tf.Tensor2D[], assignCrops: assign, temperature, epsilon, iterations, queueScores });
      codes = read(result.codes[0]);
      statsEntropy = result.stats!.crops[1].meanCodeEntropy;
      return result.loss;
    });
    const out = { loss: read(value), grads: variables.flatMap((v) => read(grads[v.name])), codes, statsEntropy };
    tf.dispose([value, ...Object.values(grads), ...variables]);
    queue.dispose();
    return out;
  };
  const onCpu = runOnce();
  await import("@tensorflow/tfjs-backend-wasm");
  assert.ok(await tf.setBackend("wasm"), "wasm backend starts");
  try {
    const onWasm = runOnce();
    assertClose(onWasm.loss, onCpu.loss, 1e-5, 0, "wasm loss");
    assertClose(onWasm.codes, onCpu.codes, 1e-4, 1e-7, "wasm codes");
    assertClose(onWasm.grads, onCpu.grads, 1e-4, 1e-6, "wasm gradients");
    assertClose([onWasm.statsEntropy], [onCpu.statsEntropy], 1e-5, 0, "wasm stats");
  } finally {
    await tf.setBackend("cpu");
  }
});
