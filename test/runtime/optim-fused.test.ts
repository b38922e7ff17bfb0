// The optimiser suite again, with the fused kernels that SGD and LARS use on the cpu and wasm backends
// (one kernel call for every variable's norms, one for every variable's update; `optim.test.ts` on
// its own runs them op by op). Then the two paths against each other on larger, random variables.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { hasOptimizerKernels, installOptimizerKernels, MOMENTUM_STEP_KERNEL, removeOptimizerKernels, SQUARED_NORMS_KERNEL } from "../../src/runtime/kernels/index.js";
import { createOptimizer, type OptimizerSpec } from "../../src/runtime/optim/index.js";

installOptimizerKernels("cpu");
installOptimizerKernels("wasm");
await import("./optim.test.js");

const shapes: Record<string, number[]> = { "conv.weight": [3, 3, 5, 7], "conv.bias": [7], "bn.weight": [7], "fc.weight": [11, 13] };

function values(length: number, seed: number, scale: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return ((state / 4294967296) * 2 - 1) * scale;
  });
}

/** Four steps of `spec`; returns the variables and the optimiser's state. */
function run(spec: OptimizerSpec): { variables: Record<string, Float32Array>; slots: Record<string, Float32Array> } {
  const variables = new Map(Object.entries(shapes).map(([name, shape], i) => [name, tf.variable(tf.tensor(name === "conv.bias" ? new Float32Array(7) : values(tf.util.sizeFromShape(shape), i + 1, 1), shape))]));
  const optimizer = createOptimizer(spec, variables);
  for (let step = 0; step < 4; step++) {
    const grads = new Map(Object.entries(shapes).map(([name, shape], i) => [name, tf.tensor(values(tf.util.sizeFromShape(shape), 1000 * step + i, 0.3), shape)]));
    optimizer.step(grads, [0.5, 0.2, 0.1, 0.05][step]);
    tf.dispose([...grads.values()]);
  }
  const result = { variables: Object.fromEntries([...variables].map(([name, v]) => [name, v.dataSync() as Float32Array])), slots: optimizer.exportState().slots };
  optimizer.dispose();
  tf.dispose([...variables.values()]);
  return result;
}

function assertClose(actual: Record<string, Float32Array>, expected: Record<string, Float32Array>, what: string): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const name of Object.keys(expected)) {
    expected[name].forEach((e, i) => {
      const a = actual[name][i];
      assert.ok(Math.abs(a - e) <= 1e-6 + 2e-6 * Math.abs(e), `${what}: ${name}[${i}] = ${a}, op by op ${e}`);
    });
  }
}

const fusedSpecs: OptimizerSpec[] = [
  { kind: "sgd", momentum: 0, nesterov: false, weightDecay: 1e-2 },
  { kind: "sgd", momentum: 0.9, nesterov: false, weightDecay: 1e-4 },
  { kind: "sgd", momentum: 0.9, nesterov: true, weightDecay: 1e-4, maxGradNorm: 0.5 },
  { kind: "lars", momentum: 0.9, weightDecay: 1e-5, trust: 0.001, excludeBiasAndBn: false },
  { kind: "lars", momentum: 0.9, weightDecay: 1e-2, trust: 0.5, excludeBiasAndBn: true, clip: true, maxGradNorm: 1 },
  { kind: "lars", momentum: 0.9, nesterov: true, weightDecay: 1e-3, trust: 0.02, excludeBiasAndBn: true, adaptBiasAndBn: false },
  { kind: "lars", momentum: 0, weightDecay: 1e-3, trust: 0.02, excludeBiasAndBn: false },
];

for (const backend of ["cpu", "wasm"]) {
  test(`fused optimiser kernels on ${backend}: the same steps as op by op, within float32 rounding`, async () => {
    assert.ok(await tf.setBackend(backend));
    try {
      for (const spec of fusedSpecs) {
        const what = `${backend} ${JSON.stringify(spec)}`;
        assert.ok(hasOptimizerKernels(), "the fused kernels are installed");
        const fused = run(spec);
        removeOptimizerKernels(backend);
        assert.ok(!hasOptimizerKernels());
        const opByOp = run(spec);
        installOptimizerKernels(backend);
        assertClose(fused.variables, opByOp.variables, `${what} variables`);
        assertClose(fused.slots, opByOp.slots, `${what} momentum buffers`);
      }
    } finally {
      await tf.setBackend("cpu");
    }
  });
}

test("fused optimiser kernels: one call each per step, whatever the number of variables", async () => {
  const variables = new Map(Object.entries(shapes).map(([name, shape], i) => [name, tf.variable(tf.tensor(values(tf.util.sizeFromShape(shape), i + 1, 1), shape))]));
  const optimizer = createOptimizer({ kind: "lars", momentum: 0.9, weightDecay: 1e-5, trust: 0.001, excludeBiasAndBn: false }, variables);
  const grads = new Map(Object.entries(shapes).map(([name, shape], i) => [name, tf.tensor(values(tf.util.sizeFromShape(shape), 77 + i, 0.3), shape)]));
  const profile = await tf.profile(() => {
    optimizer.step(grads, 0.1);
  });
  const calls = (name: string) => profile.kernels.filter((k) => k.name === name).length;
  assert.equal(calls(SQUARED_NORMS_KERNEL), 1);
  assert.equal(calls(MOMENTUM_STEP_KERNEL), 1);
  assert.deepEqual(profile.kernels.map((k) => k.name).filter((name) => name !== SQUARED_NORMS_KERNEL && name !== MOMENTUM_STEP_KERNEL), []);
  assert.equal(profile.newTensors, 0, "outputs replace the variables and buffers; nothing is left behind");
  optimizer.dispose();
  tf.dispose([...variables.values(), ...grads.values()]);
});
