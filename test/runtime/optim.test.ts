import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { createOptimizer, isBiasOrNormByName, slotKey } from "../../src/runtime/optim/index.js";
import type { Optimizer, OptimizerSpec } from "../../src/runtime/optim/index.js";
import { seededRandom } from "../../src/sweep/expand.js";

await tf.setBackend("cpu");

// ---------- fixtures ----------

function randomValues(length: number, seed: number, scale = 1): number[] {
  const next = seededRandom(seed);
  return Array.from({ length }, () => Math.fround((2 * next() - 1) * scale));
}

type Values = Record<string, number[]>;
const shapes: Record<string, number[]> = {
  "block.conv.weight": [2, 3],
  "block.conv.bias": [3],
  "block.bn.weight": [3],
};
const names = Object.keys(shapes);

function initialValues(): Values {
  return {
    "block.conv.weight": randomValues(6, 1),
    // Zero, like a freshly initialised bias: exercises LARC's ‖w‖ = 0 branch on the first step.
    "block.conv.bias": [0, 0, 0],
    "block.bn.weight": [1, 1, 1],
  };
}

/** Gradients for step `step`; some steps leave a variable out (PyTorch's grad = None). */
function gradientValues(step: number, skip: string[] = []): Values {
  const out: Values = {};
  names.forEach((name, i) => {
    if (!skip.includes(name)) out[name] = randomValues(shapes[name].reduce((a, b) => a * b, 1), 100 * step + i, 0.5);
  });
  return out;
}

function makeVariables(values: Values): Map<string, tf.Variable> {
  return new Map(names.map((name) => [name, tf.variable(tf.tensor(values[name], shapes[name]))]));
}

function takeStep(optimizer: Optimizer, gradients: Values, lr: number) {
  const grads = new Map(Object.entries(gradients).map(([name, values]) => [name, tf.tensor(values, shapes[name])]));
  const report = optimizer.step(grads, lr);
  tf.dispose([...grads.values()]);
  return report;
}

const readAll = (variables: Map<string, tf.Variable>): Values =>
  Object.fromEntries([...variables].map(([name, v]) => [name, Array.from(v.dataSync())]));

function assertClose(actual: Values, expected: Values, relative: number, what: string): void {
  for (const name of Object.keys(expected)) {
    assert.equal(actual[name].length, expected[name].length);
    actual[name].forEach((a, i) => {
      const e = expected[name][i];
      assert.ok(Math.abs(a - e) <= 1e-7 + relative * Math.abs(e), `${what}: ${name}[${i}] = ${a}, expected ${e}`);
    });
  }
}

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const schedule = [0.5, 0.3, 0.2, 0.1];

// ---------- independent references (plain double-precision loops, written from the papers/PyTorch docs) ----------

interface ReferenceSgd {
  momentum: number;
  nesterov: boolean;
  weightDecay: (name: string) => number;
}
/** torch.optim.SGD, including its explicit first-step buffer initialisation. */
function referenceSgdStep(w: Values, buffers: Map<string, number[]>, g: Values, lr: number, o: ReferenceSgd): void {
  for (const name of Object.keys(g)) {
    const wd = o.weightDecay(name);
    let d = g[name].map((gi, i) => gi + wd * w[name][i]);
    if (o.momentum !== 0) {
      const previous = buffers.get(name);
      const buffer = previous === undefined ? d.slice() : previous.map((b, i) => o.momentum * b + d[i]);
      buffers.set(name, buffer);
      d = o.nesterov ? d.map((di, i) => di + o.momentum * buffer[i]) : buffer;
    }
    w[name] = w[name].map((wi, i) => wi - lr * d[i]);
  }
}

interface ReferenceLarc {
  trust: number;
  eps: number;
  clip: boolean;
  momentum: number;
  weightDecay: (name: string) => number;
}
/** Apex LARC.step() followed by SGD with weight decay 0. */
function referenceLarsStep(w: Values, buffers: Map<string, number[]>, g: Values, lr: number, o: ReferenceLarc): void {
  const adjusted: Values = {};
  for (const name of Object.keys(g)) {
    const wd = o.weightDecay(name);
    const pn = norm(w[name]);
    const gn = norm(g[name]);
    adjusted[name] = g[name].slice();
    if (pn !== 0 && gn !== 0) {
      let adaptive = (o.trust * pn) / (gn + pn * wd + o.eps);
      if (o.clip) adaptive = Math.min(adaptive / lr, 1);
      adjusted[name] = g[name].map((gi, i) => (gi + wd * w[name][i]) * adaptive);
    }
  }
  referenceSgdStep(w, buffers, adjusted, lr, { momentum: o.momentum, nesterov: false, weightDecay: () => 0 });
}

interface ReferenceAdam {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}
/** torch.optim.AdamW (_single_tensor_adamw, amsgrad off). */
function referenceAdamWStep(w: Values, state: Map<string, { m: number[]; v: number[]; t: number }>, g: Values, lr: number, o: ReferenceAdam): void {
  for (const name of Object.keys(g)) {
    const s = state.get(name) ?? { m: g[name].map(() => 0), v: g[name].map(() => 0), t: 0 };
    s.t += 1;
    const decayed = w[name].map((wi) => wi * (1 - lr * o.weightDecay));
    s.m = s.m.map((mi, i) => o.beta1 * mi + (1 - o.beta1) * g[name][i]);
    s.v = s.v.map((vi, i) => o.beta2 * vi + (1 - o.beta2) * g[name][i] * g[name][i]);
    const stepSize = lr / (1 - o.beta1 ** s.t);
    const bc2 = Math.sqrt(1 - o.beta2 ** s.t);
    w[name] = decayed.map((wi, i) => wi - (stepSize * s.m[i]) / (Math.sqrt(s.v[i]) / bc2 + o.eps));
    state.set(name, s);
  }
}

// ---------- SGD ----------

for (const nesterov of [false, true]) {
  test(`sgd${nesterov ? " (Nesterov)" : ""}: matches PyTorch's update over several steps`, () => {
    const variables = makeVariables(initialValues());
    const optimizer = createOptimizer({ kind: "sgd", momentum: 0.9, nesterov, weightDecay: 0.01 }, variables);
    const expected = initialValues();
    const buffers = new Map<string, number[]>();
    schedule.forEach((lr, step) => {
      takeStep(optimizer, gradientValues(step), lr);
      referenceSgdStep(expected, buffers, gradientValues(step), lr, { momentum: 0.9, nesterov, weightDecay: () => 0.01 });
      assertClose(readAll(variables), expected, 1e-5, `step ${step}`);
    });
    assert.equal(optimizer.stepCount, schedule.length);
    optimizer.dispose();
    tf.dispose([...variables.values()]);
  });
}

test("sgd: one step by hand, without momentum (no state kept)", () => {
  const w = tf.variable(tf.tensor1d([1, -2]));
  const optimizer = createOptimizer({ kind: "sgd", momentum: 0, nesterov: false, weightDecay: 0.5 }, new Map([["w", w]]));
  const g = tf.tensor1d([0.25, 1]);
  optimizer.step(new Map([["w", g]]), 0.1);
  // w - 0.1 * (g + 0.5 w) = [1 - 0.1*0.75, -2 - 0.1*0]
  assert.deepEqual(Array.from(w.dataSync()), [Math.fround(1 - 0.075), -2]);
  assert.deepEqual(Object.keys(optimizer.exportState().slots), []);
  optimizer.dispose();
  tf.dispose([w, g]);
});

// ---------- AdamW ----------

test("adamw: matches PyTorch over several steps, with per-variable step counts", () => {
  const spec = { kind: "adamw", beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05 } as const;
  const variables = makeVariables(initialValues());
  const optimizer = createOptimizer(spec, variables);
  const expected = initialValues();
  const state = new Map<string, { m: number[]; v: number[]; t: number }>();
  schedule.forEach((lr, step) => {
    // The BN weight misses step 1, so its bias correction runs one step behind the others.
    const gradients = gradientValues(step, step === 1 ? ["block.bn.weight"] : []);
    takeStep(optimizer, gradients, lr);
    referenceAdamWStep(expected, state, gradients, lr, spec);
    assertClose(readAll(variables), expected, 1e-5, `step ${step}`);
  });
  const exported = optimizer.exportState();
  assert.deepEqual(Array.from(exported.slots[slotKey("block.bn.weight", "step")]), [3]);
  assert.deepEqual(Array.from(exported.slots[slotKey("block.conv.weight", "step")]), [4]);
  optimizer.dispose();
  tf.dispose([...variables.values()]);
});

// ---------- LARS ----------

test("lars: the trust ratio on one step, by hand", () => {
  const w = tf.variable(tf.tensor1d([3, 4])); // ‖w‖ = 5
  const optimizer = createOptimizer(
    { kind: "lars", momentum: 0.9, weightDecay: 0.1, trust: 0.001, excludeBiasAndBn: false, eps: 0 },
    new Map([["layer.weight", w]]),
  );
  const g = tf.tensor1d([0.6, 0.8]); // ‖g‖ = 1
  optimizer.step(new Map([["layer.weight", g]]), 2);
  // factor = 0.001·5 / (1 + 0.1·5) = 1/300; (g + 0.1 w)·factor = [0.9, 1.2]/300 = [0.003, 0.004];
  // first momentum buffer = that; w − 2·[0.003, 0.004] = [2.994, 3.992].
  const [a, b] = Array.from(w.dataSync());
  assert.ok(Math.abs(a - 2.994) < 1e-6 && Math.abs(b - 3.992) < 1e-6, `got ${a}, ${b}`);
  // With clip the factor is min(factor / lr, 1), an effective rate of min(1/300, lr): at lr 1e-3
  // that is lr itself, a factor of 1, so the step is lr·(g + wd·w).
  const w2 = tf.variable(tf.tensor1d([3, 4]));
  const clipped = createOptimizer(
    { kind: "lars", momentum: 0, weightDecay: 0.1, trust: 0.001, excludeBiasAndBn: false, eps: 0, clip: true },
    new Map([["layer.weight", w2]]),
  );
  clipped.step(new Map([["layer.weight", g]]), 1e-3);
  const [c, d] = Array.from(w2.dataSync());
  assert.ok(Math.abs(c - (3 - 1e-3 * 0.9)) < 1e-6 && Math.abs(d - (4 - 1e-3 * 1.2)) < 1e-6, `got ${c}, ${d}`);
  optimizer.dispose();
  clipped.dispose();
  tf.dispose([w, w2, g]);
});

for (const clip of [false, true]) {
  test(`lars${clip ? " (clip)" : ""}: matches Apex LARC + SGD over several steps, zero-norm bias included`, () => {
    // With clip the larger trust makes factor / lr exceed 1 for some variables and steps, so the clip acts.
    const trust = clip ? 0.5 : 0.02;
    const spec: OptimizerSpec = { kind: "lars", momentum: 0.9, weightDecay: 1e-2, trust, excludeBiasAndBn: false, clip };
    const variables = makeVariables(initialValues());
    const optimizer = createOptimizer(spec, variables);
    const expected = initialValues();
    const buffers = new Map<string, number[]>();
    schedule.forEach((lr, step) => {
      takeStep(optimizer, gradientValues(step), lr);
      referenceLarsStep(expected, buffers, gradientValues(step), lr, { trust, eps: 1e-8, clip, momentum: 0.9, weightDecay: () => 1e-2 });
      assertClose(readAll(variables), expected, 1e-5, `step ${step}`);
      if (step === 0) {
        // ‖w‖ = 0: Apex leaves the gradient raw (no decay, no scaling), so the bias moves by lr·g.
        assertClose({ b: readAll(variables)["block.conv.bias"] }, { b: gradientValues(0)["block.conv.bias"].map((gi) => -lr * gi) }, 1e-6, "raw bias step");
      }
    });
    optimizer.dispose();
    tf.dispose([...variables.values()]);
  });
}

test("lars: excludeBiasAndBn takes weight decay off biases and BN weights only, which stay adaptive", () => {
  const spec: OptimizerSpec = { kind: "lars", momentum: 0.9, weightDecay: 0.1, trust: 0.02, excludeBiasAndBn: true };
  const variables = makeVariables(initialValues());
  const optimizer = createOptimizer(spec, variables);
  assert.deepEqual(optimizer.describeParameters(), [
    { name: "block.conv.weight", weightDecay: 0.1, adaptive: true },
    { name: "block.conv.bias", weightDecay: 0, adaptive: true },
    { name: "block.bn.weight", weightDecay: 0, adaptive: true },
  ]);
  const expected = initialValues();
  const buffers = new Map<string, number[]>();
  const weightDecay = (name: string) => (name === "block.conv.weight" ? 0.1 : 0);
  schedule.forEach((lr, step) => {
    takeStep(optimizer, gradientValues(step), lr);
    referenceLarsStep(expected, buffers, gradientValues(step), lr, { trust: 0.02, eps: 1e-8, clip: false, momentum: 0.9, weightDecay });
    assertClose(readAll(variables), expected, 1e-5, `step ${step}`);
  });
  // The same run with decay everywhere ends elsewhere, so the exclusion is visible.
  const decayedEverywhere = initialValues();
  const otherBuffers = new Map<string, number[]>();
  schedule.forEach((lr, step) =>
    referenceLarsStep(decayedEverywhere, otherBuffers, gradientValues(step), lr, { trust: 0.02, eps: 1e-8, clip: false, momentum: 0.9, weightDecay: () => 0.1 }),
  );
  assert.ok(Math.abs(decayedEverywhere["block.bn.weight"][0] - expected["block.bn.weight"][0]) > 1e-4);
  optimizer.dispose();
  tf.dispose([...variables.values()]);
});

test("lars: adaptBiasAndBn false gives those parameters plain momentum SGD (no trust ratio, no decay)", () => {
  const variables = makeVariables(initialValues());
  const optimizer = createOptimizer(
    { kind: "lars", momentum: 0.9, weightDecay: 0.1, trust: 0.02, excludeBiasAndBn: false, adaptBiasAndBn: false },
    variables,
  );
  assert.deepEqual(
    optimizer.describeParameters().map((p) => [p.name, p.weightDecay, p.adaptive]),
    [["block.conv.weight", 0.1, true], ["block.conv.bias", 0, false], ["block.bn.weight", 0, false]],
  );
  const expectedAdaptive = initialValues();
  const expectedPlain = initialValues();
  const b1 = new Map<string, number[]>();
  const b2 = new Map<string, number[]>();
  schedule.forEach((lr, step) => {
    const g = gradientValues(step);
    takeStep(optimizer, g, lr);
    referenceLarsStep(expectedAdaptive, b1, { "block.conv.weight": g["block.conv.weight"] }, lr, { trust: 0.02, eps: 1e-8, clip: false, momentum: 0.9, weightDecay: () => 0.1 });
    const { ["block.conv.weight"]: _, ...others } = g;
    referenceSgdStep(expectedPlain, b2, others, lr, { momentum: 0.9, nesterov: false, weightDecay: () => 0 });
  });
  const actual = readAll(variables);
  assertClose({ w: actual["block.conv.weight"] }, { w: expectedAdaptive["block.conv.weight"] }, 1e-5, "adaptive weight");
  assertClose(
    { b: actual["block.conv.bias"], n: actual["block.bn.weight"] },
    { b: expectedPlain["block.conv.bias"], n: expectedPlain["block.bn.weight"] },
    1e-5,
    "plain bias/BN",
  );
  optimizer.dispose();
  tf.dispose([...variables.values()]);
});

// ---------- which parameters are bias or BN ----------

test("isBiasOrNormByName: torchvision, VISSL and Keras-style names", () => {
  for (const name of [
    "trunk_output.block1.block1-0.f.a.1.weight",
    "trunk_output.block2.block2-1.f.b.1.weight",
    "trunk_output.block1.block1-0.f.c.1.bias",
    "trunk_output.block1.block1-0.proj.1.weight",
    "stem.1.weight",
    "trunk.layer1.0.bn1.weight",
    "head.bn.weight",
    "s1.b1.f.a_bn.weight",
    "batch_normalization_3/gamma",
    "dense_1/bias",
    "head.projection.0.bias",
  ]) {
    assert.equal(isBiasOrNormByName(name), true, name);
  }
  for (const name of [
    "trunk_output.block1.block1-0.f.a.0.weight",
    "trunk_output.block1.block1-0.f.se.fc1.weight",
    "trunk_output.block1.block1-0.proj.0.weight",
    "stem.0.weight",
    "head.projection.0.weight",
    "prototypes.weight",
    "fc.weight",
    "dense_1/kernel",
  ]) {
    assert.equal(isBiasOrNormByName(name), false, name);
  }
});

test("createOptimizer: a user predicate decides which variables are excluded", () => {
  const variables = makeVariables(initialValues());
  const optimizer = createOptimizer({ kind: "sgd", momentum: 0.9, nesterov: false, weightDecay: 0.3, excludeBiasAndBn: true }, variables, {
    isBiasOrNorm: (name) => name === "block.conv.weight",
  });
  assert.deepEqual(
    optimizer.describeParameters().map((p) => p.weightDecay),
    [0, 0.3, 0.3],
  );
  const expected = initialValues();
  const buffers = new Map<string, number[]>();
  takeStep(optimizer, gradientValues(0), 0.5);
  referenceSgdStep(expected, buffers, gradientValues(0), 0.5, { momentum: 0.9, nesterov: false, weightDecay: (n) => (n === "block.conv.weight" ? 0 : 0.3) });
  assertClose(readAll(variables), expected, 1e-6, "sgd with user predicate");
  optimizer.dispose();
  tf.dispose([...variables.values()]);
});

// ---------- clipping ----------

test("gradient clipping by global norm, as clip_grad_norm_", () => {
  const g0 = gradientValues(0);
  const globalNorm = norm(Object.values(g0).flat());
  const maxGradNorm = globalNorm / 4;
  const variables = makeVariables(initialValues());
  const optimizer = createOptimizer({ kind: "sgd", momentum: 0, nesterov: false, weightDecay: 0, maxGradNorm }, variables);
  const report = takeStep(optimizer, g0, 1);
  assert.ok(Math.abs(report.gradNorm! - globalNorm) < 1e-5 * globalNorm);
  const scale = maxGradNorm / (globalNorm + 1e-6);
  assert.ok(Math.abs(report.clipScale - scale) < 1e-6);
  const expected = initialValues();
  for (const name of names) expected[name] = expected[name].map((w, i) => w - g0[name][i] * scale);
  assertClose(readAll(variables), expected, 1e-5, "clipped step");
  // PyTorch's 1e-6 in the denominator matters when the gradients are tiny.
  const tiny = Object.fromEntries(Object.entries(g0).map(([name, g]) => [name, g.map((v) => Math.fround(v * 1e-6))]));
  const tinyNorm = norm(Object.values(tiny).flat());
  const tinyOptimizer = createOptimizer({ kind: "sgd", momentum: 0, nesterov: false, weightDecay: 0, maxGradNorm: tinyNorm / 4 }, makeVariables(initialValues()));
  const tinyScale = tinyNorm / 4 / (tinyNorm + 1e-6);
  assert.ok(Math.abs(takeStep(tinyOptimizer, tiny, 1).clipScale - tinyScale) < 1e-4 * tinyScale, "clip coefficient with tiny gradients");
  tinyOptimizer.dispose();
  // Below the threshold nothing changes.
  const loose = createOptimizer({ kind: "sgd", momentum: 0, nesterov: false, weightDecay: 0, maxGradNorm: globalNorm * 2 }, makeVariables(initialValues()));
  assert.equal(takeStep(loose, g0, 1).clipScale, 1);
  optimizer.dispose();
  loose.dispose();
  tf.dispose([...variables.values()]);
});

test("lars with gradient clipping: the trust ratio sees the clipped gradient", () => {
  // A large weight decay makes LARC depend on the gradient's scale (‖g‖ vs wd·‖w‖), so clipping shows.
  const variables = makeVariables(initialValues());
  const optimizer = createOptimizer({ kind: "lars", momentum: 0.9, weightDecay: 0.5, trust: 0.02, excludeBiasAndBn: false, maxGradNorm: 0.3 }, variables);
  const expected = initialValues();
  const buffers = new Map<string, number[]>();
  schedule.forEach((lr, step) => {
    const g = gradientValues(step);
    takeStep(optimizer, g, lr);
    const total = norm(Object.values(g).flat());
    const scale = Math.min(1, 0.3 / (total + 1e-6));
    assert.ok(scale < 0.5, "the clip acts");
    const clipped = Object.fromEntries(Object.entries(g).map(([name, values]) => [name, values.map((v) => v * scale)]));
    referenceLarsStep(expected, buffers, clipped, lr, { trust: 0.02, eps: 1e-8, clip: false, momentum: 0.9, weightDecay: () => 0.5 });
    assertClose(readAll(variables), expected, 1e-5, `step ${step}`);
  });
  optimizer.dispose();
  tf.dispose([...variables.values()]);
});

// ---------- state, memory, bookkeeping ----------

const specs: OptimizerSpec[] = [
  { kind: "sgd", momentum: 0.9, nesterov: true, weightDecay: 1e-4 },
  { kind: "adamw", beta1: 0.9, beta2: 0.95, eps: 1e-6, weightDecay: 0.05 },
  { kind: "lars", momentum: 0.9, weightDecay: 1e-5, trust: 0.001, excludeBiasAndBn: false, maxGradNorm: 0.5 },
];

for (const spec of specs) {
  test(`${spec.kind}: exported state resumes with bit-identical steps`, () => {
    const original = makeVariables(initialValues());
    const first = createOptimizer(spec, original);
    for (let step = 0; step < 3; step++) takeStep(first, gradientValues(step, step === 1 ? ["block.conv.bias"] : []), schedule[step]);
    const state = first.exportState();
    const resumedVariables = makeVariables(readAll(original));
    const resumed = createOptimizer(spec, resumedVariables);
    resumed.importState(state);
    for (const slot of Object.values(state.slots)) slot.fill(123); // the optimiser must hold its own copy
    assert.equal(resumed.stepCount, 3);
    for (let step = 3; step < 6; step++) {
      takeStep(first, gradientValues(step), 0.2);
      takeStep(resumed, gradientValues(step), 0.2);
    }
    assert.deepEqual(readAll(resumedVariables), readAll(original));
    // Starting fresh instead (state lost) would have diverged.
    const freshVariables = makeVariables(readAll(original));
    const fresh = createOptimizer(spec, freshVariables);
    takeStep(fresh, gradientValues(9), 0.2);
    takeStep(first, gradientValues(9), 0.2);
    assert.notDeepEqual(readAll(freshVariables), readAll(original));
    [first, resumed, fresh].forEach((o) => o.dispose());
    tf.dispose([...original.values(), ...resumedVariables.values(), ...freshVariables.values()]);
  });

  test(`${spec.kind}: no tensors leak across steps`, () => {
    const variables = makeVariables(initialValues());
    const optimizer = createOptimizer(spec, variables);
    const before = tf.memory().numTensors;
    for (let step = 0; step < 4; step++) takeStep(optimizer, gradientValues(step), 0.1);
    optimizer.exportState();
    assert.equal(tf.memory().numTensors, before);
    optimizer.dispose();
    tf.dispose([...variables.values()]);
  });
}

test("importState rejects state from another optimiser or another model", () => {
  const variables = makeVariables(initialValues());
  const sgd = createOptimizer(specs[0], variables);
  const adamw = createOptimizer(specs[1], variables);
  assert.throws(() => sgd.importState(adamw.exportState()), /state is for adamw/);
  const state = sgd.exportState();
  const { [slotKey("block.bn.weight", "momentum")]: _, ...missing } = state.slots;
  assert.throws(() => sgd.importState({ ...state, slots: missing }), /block\.bn\.weight::momentum" is missing/);
  assert.throws(() => sgd.importState({ ...state, slots: { ...state.slots, "head.weight::momentum": new Float32Array(1) } }), /unknown variables/);
  assert.throws(
    () => sgd.importState({ ...state, slots: { ...state.slots, [slotKey("block.bn.weight", "momentum")]: new Float32Array(2) } }),
    /length 2, expected 3/,
  );
  sgd.dispose();
  adamw.dispose();
  tf.dispose([...variables.values()]);
});

test("step: missing gradients leave a variable and its state alone; unknown names and wrong shapes throw", () => {
  const variables = makeVariables(initialValues());
  const optimizer = createOptimizer(specs[0], variables);
  takeStep(optimizer, gradientValues(0, ["block.bn.weight"]), 0.1);
  assert.deepEqual(readAll(variables)["block.bn.weight"], [1, 1, 1]);
  assert.deepEqual(Array.from(optimizer.exportState().slots[slotKey("block.bn.weight", "momentum")]), [0, 0, 0]);
  assert.throws(() => takeStep(optimizer, { ...gradientValues(1), "head.weight": [1] }, 0.1), /unknown variable "head\.weight"/);
  const wrong = tf.zeros([3, 2]);
  assert.throws(() => optimizer.step(new Map([["block.conv.weight", wrong]]), 0.1), /is \[3, 2\], the variable is \[2, 3\]/);
  assert.throws(() => takeStep(optimizer, gradientValues(1), Number.NaN), /learning rate/);
  assert.throws(() => createOptimizer({ kind: "sgd", momentum: 0, nesterov: true, weightDecay: 0 }, variables), /Nesterov/);
  assert.throws(() => createOptimizer({ kind: "lars", momentum: 0.9, weightDecay: 0, trust: 0, excludeBiasAndBn: false }, variables), /trust/);
  optimizer.dispose();
  tf.dispose([...variables.values(), wrong]);
});

// ---------- wasm ----------

test("wasm backend: every optimiser runs there and matches the cpu", async () => {
  const allSpecs: OptimizerSpec[] = [...specs, { kind: "lars", momentum: 0.9, weightDecay: 1e-2, trust: 0.02, excludeBiasAndBn: true, clip: true }];
  const run = () =>
    allSpecs.map((spec) => {
      const variables = makeVariables(initialValues());
      const optimizer = createOptimizer(spec, variables);
      for (let step = 0; step < 3; step++) takeStep(optimizer, gradientValues(step), schedule[step]);
      const out = { values: readAll(variables), state: optimizer.exportState() };
      optimizer.dispose();
      tf.dispose([...variables.values()]);
      return out;
    });
  const onCpu = run();
  await import("@tensorflow/tfjs-backend-wasm");
  assert.ok(await tf.setBackend("wasm"));
  try {
    const onWasm = run();
    onWasm.forEach((result, i) => {
      assertClose(result.values, onCpu[i].values, 1e-5, `${allSpecs[i].kind} #${i} on wasm`);
      assert.deepEqual(Object.keys(result.state.slots), Object.keys(onCpu[i].state.slots));
    });
  } finally {
    await tf.setBackend("cpu");
  }
});
