// Custom kernels and ops: each is checked against the cpu backend's stock kernels (or an
// independent formula) and by finite differences of its own gradient.
//
// Tolerances (float32 throughout):
//  - wasm vs cpu, same maths, different summation order: max |Δ| ≤ 1e-4 · max |reference|.
//  - finite differences: central differences of L = Σ y·R (L summed in float64 from the float32
//    outputs) along random directions, compared with Σ <grad, direction>; relative error ≤ 2e-3
//    (linear ops are exact up to rounding; for the nonlinear ones h is chosen so the O(h²) term
//    stays well below that).
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../src/runtime/backend.js";
import {
  batchNormEval,
  batchNormTrain,
  checkpointed,
  gelu,
  globalAvgPool,
  groupedConv2d,
  groupedConv2dBiasActivation,
  scaleChannels,
  setSimdKernels,
  simdKernelsActive,
  squeezeExcite,
  symmetricPadding,
  type BatchNormState,
} from "../../src/runtime/kernels/index.js";

type Backend = "cpu" | "wasm";

/** Deterministic test data (LCG), values roughly in [-1, 1) · scale. */
function data(count: number, seed: number, scale = 1): Float32Array {
  let state = (seed * 2654435761 + 12345) >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = ((state / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

interface Input {
  readonly shape: number[];
  readonly values: Float32Array;
}

function input(shape: number[], seed: number, scale = 1): Input {
  return { shape, values: data(size(shape), seed, scale) };
}

type TensorFn = (xs: tf.Tensor[]) => tf.Tensor;

interface ValueAndGrads {
  readonly y: Float32Array;
  readonly grads: Float32Array[];
}

/** y = fn(inputs) and the gradients of Σ y·R on `backend`. */
async function valueAndGrads(backend: Backend, fn: TensorFn, inputs: Input[], weightSeed = 99): Promise<ValueAndGrads> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    const y = fn(xs);
    const r = tf.tensor(data(y.size, weightSeed), y.shape);
    const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(fn(args), r)))(xs);
    return { y: y.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  const scale = Math.max(maxAbs(expected), 1e-6);
  assert.ok(
    worst <= tolerance * scale,
    `${what}: max |Δ| = ${worst.toExponential(3)} > ${tolerance} · ${scale.toExponential(3)}`,
  );
}

const CROSS_TOLERANCE = 1e-4;
const FD_TOLERANCE = 2e-3;

/**
 * Worst relative error between the directional derivative from the analytic gradients and the
 * central difference (L(x + h·v) − L(x − h·v)) / 2h, over `directions` random directions.
 * With `preActivation` (the function's input to a ReLU), directions along which any pre-activation
 * changes sign within ±h are skipped: a central difference across a kink measures nothing.
 */
async function finiteDifferenceError(
  backend: Backend,
  fn: TensorFn,
  inputs: Input[],
  h: number,
  options: { directions?: number; preActivation?: TensorFn } = {},
): Promise<number> {
  const directions = options.directions ?? 3;
  const { grads } = await valueAndGrads(backend, fn, inputs);
  const evaluate = (f: TensorFn, shift: number, dirs: Float32Array[]): Float32Array =>
    tf.tidy(() => {
      const xs = inputs.map((inp, k) => {
        const moved = new Float32Array(inp.values.length);
        for (let i = 0; i < moved.length; i++) moved[i] = inp.values[i] + shift * dirs[k][i];
        return tf.tensor(moved, inp.shape);
      });
      return f(xs).dataSync() as Float32Array;
    });
  const loss = (shift: number, dirs: Float32Array[]): number => {
    const y = evaluate(fn, shift, dirs);
    const r = data(y.length, 99);
    let sum = 0;
    for (let i = 0; i < y.length; i++) sum += y[i] * r[i];
    return sum;
  };
  const crossesKink = (dirs: Float32Array[]): boolean => {
    if (options.preActivation === undefined) return false;
    const [low, mid, high] = [-h, 0, h].map((shift) => evaluate(options.preActivation as TensorFn, shift, dirs));
    return mid.some((z, i) => Math.sign(low[i]) !== Math.sign(z) || Math.sign(high[i]) !== Math.sign(z));
  };
  let worst = 0;
  let used = 0;
  for (let attempt = 0; used < directions; attempt++) {
    assert.ok(attempt < 20 * directions, "no kink-free direction found for the finite-difference check");
    const dirs = inputs.map((inp, k) => data(inp.values.length, 1000 + 17 * attempt + k));
    if (crossesKink(dirs)) continue;
    used++;
    let analytic = 0;
    let norm = 0;
    grads.forEach((g, k) => {
      for (let i = 0; i < g.length; i++) {
        analytic += g[i] * dirs[k][i];
        norm += Math.abs(g[i] * dirs[k][i]);
      }
    });
    const numeric = (loss(h, dirs) - loss(-h, dirs)) / (2 * h);
    worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(Math.abs(analytic), 1e-2 * norm, 1e-6));
  }
  return worst;
}

async function crossCheck(fn: TensorFn, inputs: Input[], what: string): Promise<void> {
  const onWasm = await valueAndGrads("wasm", fn, inputs);
  const onCpu = await valueAndGrads("cpu", fn, inputs);
  assertClose(onWasm.y, onCpu.y, CROSS_TOLERANCE, `${what}: forward`);
  onWasm.grads.forEach((g, k) => assertClose(g, onCpu.grads[k], CROSS_TOLERANCE, `${what}: gradient ${k}`));
}

before(async () => {
  await selectBackend("cpu");
  await selectBackend("wasm");
});

describe("wasm convolution gradient kernels", () => {
  it("are registered on wasm after backend selection", () => {
    for (const name of ["Conv2DBackpropFilter", "Conv2DBackpropInput", "BatchMatMul"]) {
      assert.ok(tf.getKernel(name, "wasm"), name);
    }
  });

  type Pad = "same" | "valid" | tf.backend_util.ExplicitPadding;
  const cases: Array<{ name: string; x: number[]; f: number[]; stride: number; pad: Pad }> = [
    { name: "3x3 stride 1 same", x: [2, 6, 5, 3], f: [3, 3, 3, 4], stride: 1, pad: "same" },
    { name: "3x3 stride 2 pad 1 (PyTorch), even size", x: [2, 8, 8, 3], f: [3, 3, 3, 5], stride: 2, pad: symmetricPadding(1) },
    { name: "3x3 stride 2 pad 1 (PyTorch), odd size", x: [2, 7, 9, 2], f: [3, 3, 2, 3], stride: 2, pad: symmetricPadding(1) },
    { name: "3x3 stride 2 same, odd size", x: [1, 7, 7, 2], f: [3, 3, 2, 3], stride: 2, pad: "same" },
    { name: "3x3 stride 2 valid (unused last row)", x: [2, 8, 8, 2], f: [3, 3, 2, 2], stride: 2, pad: "valid" },
    { name: "1x1 stride 1", x: [3, 4, 4, 5], f: [1, 1, 5, 6], stride: 1, pad: "valid" },
    { name: "1x1 stride 2, odd size", x: [2, 7, 5, 4], f: [1, 1, 4, 3], stride: 2, pad: "valid" },
    { name: "2x2 stride 2 valid, odd size (crop)", x: [2, 9, 9, 2], f: [2, 2, 2, 3], stride: 2, pad: "valid" },
    // More than 4 input channels: the weight gradient takes the batch-of-channels convolution
    // instead of im2col.
    { name: "3x3 stride 1 pad 1, 6 input channels", x: [2, 5, 6, 6], f: [3, 3, 6, 4], stride: 1, pad: symmetricPadding(1) },
    // Output channels a multiple of 4 run the SIMD weight-gradient kernel (below, both ways): the
    // stem's shape (3 inputs), input and output counts that leave partial register tiles, strides
    // with padding on odd sizes.
    { name: "stem-like 3x3 stride 2 pad 1, 3 in / 8 out, odd size", x: [2, 9, 7, 3], f: [3, 3, 3, 8], stride: 2, pad: symmetricPadding(1) },
    { name: "3x3 pad 1, 5 in / 12 out (full and partial tiles both ways)", x: [2, 4, 5, 5], f: [3, 3, 5, 12], stride: 1, pad: symmetricPadding(1) },
    // 1x1 filters take the SIMD kernel from 256 pixels on (XNNPACK's product below).
    { name: "1x1 over 264 pixels, 6 in / 8 out", x: [2, 12, 11, 6], f: [1, 1, 6, 8], stride: 1, pad: "valid" },
    { name: "3x3 stride 2 same, 9 in / 4 out, even size", x: [1, 8, 6, 9], f: [3, 3, 9, 4], stride: 2, pad: "same" },
    { name: "3x3 stride 2 pad 1, 6 input channels, odd size", x: [3, 7, 5, 6], f: [3, 3, 6, 5], stride: 2, pad: symmetricPadding(1) },
    { name: "1x1 stride 2, even size, 9 rows (transpose remainder)", x: [1, 6, 6, 3], f: [1, 1, 3, 4], stride: 2, pad: "valid" },
    {
      name: "5x5 stride 1 explicit asymmetric pad",
      x: [1, 6, 6, 2],
      f: [5, 5, 2, 2],
      stride: 1,
      pad: [[0, 0], [2, 1], [1, 2], [0, 0]],
    },
  ];
  for (const simd of [true, false]) {
    for (const c of cases) {
      it(`${c.name}${simd ? "" : ", SIMD kernel off"}: matches cpu and finite differences`, async () => {
        const previous = setSimdKernels(simd);
        try {
          const conv: TensorFn = ([x, f]) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad);
          const inputs = [input(c.x, 1), input(c.f, 2)];
          await crossCheck(conv, inputs, c.name);
          const error = await finiteDifferenceError("wasm", conv, inputs, 1e-2);
          assert.ok(error < FD_TOLERANCE, `finite-difference relative error ${error}`);
        } finally {
          setSimdKernels(previous);
        }
      });
    }
  }

  it("the generated SIMD kernels run on this wasm backend (so the cases above test them)", async () => {
    await tf.setBackend("wasm");
    assert.ok(simdKernelsActive(tf.backend()));
    const previous = setSimdKernels(false);
    assert.ok(!simdKernelsActive(tf.backend()));
    setSimdKernels(previous);
  });
});

describe("wasm Identity (shares memory)", () => {
  it("tf.clone gives the same values, and the clone outlives its source", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor2d([1.5, -2, 3, 4e-8], [2, 2]);
    const copy = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(copy.dataSync()), [1.5, -2, 3, 4e-8].map(Math.fround));
    const doubled = tf.mul(copy, 2);
    assert.deepEqual(Array.from(doubled.dataSync()), [3, -4, 6, 8e-8].map(Math.fround));
    tf.dispose([copy, doubled]);
  });
  it("keeps a gradient that flows through saved (cloned) tensors equal to cpu's", async () => {
    const fn: TensorFn = ([a]) => tf.mul(tf.relu(a), tf.exp(a));
    await crossCheck(fn, [input([3, 4], 61)], "relu·exp");
  });
});

describe("wasm BatchMatMul with transposes", () => {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      it(`transposeA=${transposeA} transposeB=${transposeB}, rank 2 and batched`, async () => {
        const a2 = input(transposeA ? [5, 3] : [3, 5], 3);
        const b2 = input(transposeB ? [4, 5] : [5, 4], 4);
        await crossCheck(([a, b]) => tf.matMul(a, b, transposeA, transposeB), [a2, b2], "rank 2");
        const a3 = input(transposeA ? [2, 5, 3] : [2, 3, 5], 5);
        const b3 = input(transposeB ? [2, 4, 5] : [2, 5, 4], 6);
        await crossCheck(([a, b]) => tf.matMul(a, b, transposeA, transposeB), [a3, b3], "rank 3");
      });
    }
  }
  it("matMul gradients (which use the transposed forms) pass finite differences", async () => {
    const error = await finiteDifferenceError("wasm", ([a, b]) => tf.matMul(a, b), [input([4, 6], 7), input([6, 3], 8)], 1e-2);
    assert.ok(error < FD_TOLERANCE, `finite-difference relative error ${error}`);
  });
});

describe("wasm SplitV and Concat (heap copies)", () => {
  const splits: Array<{ shape: number[]; sizes: number | number[]; axis: number }> = [
    { shape: [2, 3, 4, 6], sizes: 3, axis: 3 },
    { shape: [2, 3, 4, 6], sizes: [1, 3, 2], axis: 3 },
    { shape: [4, 5, 3], sizes: [1, 3], axis: 0 },
    { shape: [3, 70, 2], sizes: [10, 60], axis: 1 },
    { shape: [2, 2, 2, 128], sizes: 2, axis: 3 },
  ];
  for (const c of splits) {
    it(`split [${c.shape}] into ${JSON.stringify(c.sizes)} on axis ${c.axis}, and concat back, match cpu`, async () => {
      const x = input(c.shape, 141);
      const run = async (backend: Backend) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const parts = tf.split(tf.tensor(x.values, c.shape), c.sizes, c.axis);
          const reversed = tf.concat([...parts].reverse(), c.axis);
          return {
            parts: parts.map((p) => Array.from(p.dataSync())),
            shapes: parts.map((p) => p.shape),
            reversed: Array.from(reversed.dataSync()),
          };
        });
      };
      const onWasm = await run("wasm");
      const onCpu = await run("cpu");
      assert.deepEqual(onWasm.shapes, onCpu.shapes);
      assert.deepEqual(onWasm.parts, onCpu.parts);
      assert.deepEqual(onWasm.reversed, onCpu.reversed);
    });
  }
  it("handle int32 and bool tensors and empty parts", async () => {
    const run = async (backend: Backend) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], "int32");
        const bools = tf.tensor2d([1, 0, 1, 1, 0, 0], [3, 2], "bool");
        const [a, b] = tf.split(ints, [2, 1], 1);
        const joined = tf.concat([bools, tf.zeros([0, 2], "bool"), bools], 0);
        return { a: a.arraySync(), b: b.arraySync(), joined: joined.arraySync(), dtype: joined.dtype };
      });
    };
    assert.deepEqual(await run("wasm"), await run("cpu"));
  });
  it("give the gradients of split and concat (cpu cross-check, finite differences)", async () => {
    const splitScaleJoin: TensorFn = ([x]) =>
      tf.concat(
        tf.split(x, [2, 1, 3], 3).map((p, i) => tf.mul(p, i + 1)),
        3,
      );
    await crossCheck(splitScaleJoin, [input([2, 3, 3, 6], 151)], "split/concat");
    const error = await finiteDifferenceError("wasm", splitScaleJoin, [input([2, 3, 3, 6], 151)], 1e-2);
    assert.ok(error < FD_TOLERANCE, `finite-difference relative error ${error}`);
  });
});

/** Batch norm written with stock ops only (autodiff on cpu provides the reference gradient). */
function referenceBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, relu: boolean, residual?: tf.Tensor): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  let y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
  if (residual) y = tf.add(y, residual);
  return relu ? tf.relu(y) : y;
}

function freshState(gamma: tf.Tensor, beta: tf.Tensor, channels: number): BatchNormState {
  return {
    gamma: gamma as tf.Tensor1D,
    beta: beta as tf.Tensor1D,
    runningMean: tf.variable(tf.zeros([channels]), false) as tf.Variable<tf.Rank.R1>,
    runningVar: tf.variable(tf.ones([channels]), false) as tf.Variable<tf.Rank.R1>,
  };
}

describe("batchNormTrain (closed-form backward)", () => {
  const variants = [
    { name: "NHWC, ReLU", shape: [2, 3, 4, 5], relu: true, residual: false },
    { name: "NHWC, residual + ReLU", shape: [2, 3, 3, 4], relu: true, residual: true },
    { name: "[N, C], no activation", shape: [5, 7], relu: false, residual: false },
    // Channels a multiple of 4 run the generated SIMD passes (each case below runs both ways).
    { name: "NHWC, ReLU, 8 channels", shape: [2, 3, 4, 8], relu: true, residual: false },
    { name: "NHWC, residual without ReLU, 8 channels", shape: [2, 2, 3, 8], relu: false, residual: true },
    { name: "[N, C], no activation, 12 channels", shape: [5, 12], relu: false, residual: false },
  ];
  for (const v of variants) for (const simd of [true, false]) {
    const label = `${v.name}${simd ? "" : ", SIMD kernels off"}`;
    const withSimd = async (body: () => Promise<void>) => {
      const previous = setSimdKernels(simd);
      try {
        await body();
      } finally {
        setSimdKernels(previous);
      }
    };
    const channels = v.shape[v.shape.length - 1];
    const inputs = [input(v.shape, 11, 2), input([channels], 12, 0.5), input([channels], 13, 0.5)];
    if (v.residual) inputs.push(input(v.shape, 14));
    // gamma around 1.5 ± 0.5, keeping it away from zero.
    inputs[1] = { shape: inputs[1].shape, values: inputs[1].values.map((g) => 1.5 + g) };
    const ours: TensorFn = ([x, g, b, r]) => {
      const state = freshState(g, b, channels);
      const y = batchNormTrain(x, state, { relu: v.relu, residual: r, updateRunningStats: false });
      state.runningMean.dispose();
      state.runningVar.dispose();
      return y;
    };
    const reference: TensorFn = ([x, g, b, r]) => referenceBatchNorm(x, g, b, v.relu, r);
    const preActivation: TensorFn = ([x, g, b, r]) => referenceBatchNorm(x, g, b, false, r);

    it(`${label}: equals stock-op batch norm and its autodiff gradient on cpu`, () =>
      withSimd(async () => {
        const mine = await valueAndGrads("cpu", ours, inputs);
        const stock = await valueAndGrads("cpu", reference, inputs);
        assertClose(mine.y, stock.y, CROSS_TOLERANCE, "forward");
        mine.grads.forEach((g, k) => assertClose(g, stock.grads[k], 5e-4, `gradient ${k}`));
        await crossCheck(ours, inputs, v.name);
      }));
    it(`${label}: passes finite differences on wasm`, () =>
      withSimd(async () => {
        const error = await finiteDifferenceError("wasm", ours, inputs, 3e-3, {
          directions: 4,
          preActivation: v.relu ? preActivation : undefined,
        });
        assert.ok(error < FD_TOLERANCE, `finite-difference relative error ${error}`);
      }));
  }

  // 2 channels take the stock-kernel passes, 4 the SIMD ones.
  for (const channels of [2, 4]) {
    it(`updates the running statistics with momentum 0.1 and the unbiased variance (${channels} channels)`, async () => {
      await tf.setBackend("wasm");
      const x = input([4, 2, 3, channels], 21, 3);
      const previousMeans = Array.from(data(channels, 22));
      const previousVars = Array.from(data(channels, 23), (v) => 1.5 + v);
      const state = freshState(tf.ones([channels]), tf.zeros([channels]), channels);
      state.runningMean.assign(tf.tensor1d(previousMeans));
      state.runningVar.assign(tf.tensor1d(previousVars));
      tf.tidy(() => batchNormTrain(tf.tensor(x.values, x.shape), state, { relu: false, updateRunningStats: true }));
      const expectedMean: number[] = [];
      const expectedVar: number[] = [];
      previousMeans.forEach((previousMean, c) => {
        const column = Array.from(x.values).filter((_, i) => i % channels === c);
        const mean = column.reduce((a, b) => a + b, 0) / column.length;
        const unbiased = column.reduce((a, b) => a + (b - mean) ** 2, 0) / (column.length - 1);
        expectedMean.push(0.9 * previousMean + 0.1 * mean);
        expectedVar.push(0.9 * previousVars[c] + 0.1 * unbiased);
      });
      assertClose(state.runningMean.dataSync(), expectedMean, 1e-6, "running mean");
      assertClose(state.runningVar.dataSync(), expectedVar, 1e-6, "running var");
      state.runningMean.dispose();
      state.runningVar.dispose();
    });
  }

  it("runs as one kernel per direction on wasm (so the cases above test those kernels)", async () => {
    await tf.setBackend("wasm");
    const state = freshState(tf.ones([3]), tf.zeros([3]), 3);
    const x = tf.tensor(data(2 * 3 * 3 * 3, 73), [2, 3, 3, 3]);
    const profile = await tf.profile(() => {
      tf.grad((a: tf.Tensor) => tf.sum(batchNormTrain(a, state, { relu: true, updateRunningStats: true })))(x);
    });
    const names = profile.kernels.map((k) => k.name);
    assert.deepEqual(
      names.filter((n) => n.startsWith("Seerc")),
      ["SeercBatchNormTrain", "SeercBatchNormTrainGrad"],
    );
    tf.dispose([x, state.gamma, state.beta, state.runningMean, state.runningVar]);
  });

  it("refuses a single value per channel", async () => {
    await tf.setBackend("wasm");
    const state = freshState(tf.ones([3]), tf.zeros([3]), 3);
    assert.throws(
      () => batchNormTrain(tf.ones([1, 3]), state, { relu: false, updateRunningStats: true }),
      /more than one value per channel/,
    );
  });
});

describe("batchNormEval", () => {
  it("applies the running statistics: γ(x − μ)/√(σ² + ε) + β (+ residual), then ReLU", async () => {
    await tf.setBackend("wasm");
    const x = input([2, 2, 2, 3], 31, 2);
    const residual = input([2, 2, 2, 3], 32);
    const [gamma, beta, mean, variance] = [[1, -2, 0.5], [0.1, 0.2, -0.3], [0.3, -0.1, 0], [0.5, 2, 1]];
    const state: BatchNormState = {
      gamma: tf.tensor1d(gamma),
      beta: tf.tensor1d(beta),
      runningMean: tf.variable(tf.tensor1d(mean), false) as tf.Variable<tf.Rank.R1>,
      runningVar: tf.variable(tf.tensor1d(variance), false) as tf.Variable<tf.Rank.R1>,
    };
    const y = batchNormEval(tf.tensor(x.values, x.shape), state, {
      relu: true,
      residual: tf.tensor(residual.values, residual.shape),
    });
    const expected = Array.from(x.values, (v, i) => {
      const c = i % 3;
      const z = (gamma[c] * (v - mean[c])) / Math.sqrt(variance[c] + 1e-5) + beta[c] + residual.values[i];
      return Math.max(0, z);
    });
    assertClose(y.dataSync(), expected, 1e-6, "eval batch norm");
  });
});

/** Expands a grouped filter [kh,kw,Cin/G,Cout] into the equivalent dense block-diagonal filter. */
function blockDiagonal(filter: Input, groups: number): Input {
  const [kh, kw, cinPerGroup, cout] = filter.shape;
  const cin = cinPerGroup * groups;
  const coutPerGroup = cout / groups;
  const dense = new Float32Array(kh * kw * cin * cout);
  for (let s = 0; s < kh * kw; s++) {
    for (let ci = 0; ci < cinPerGroup; ci++) {
      for (let co = 0; co < cout; co++) {
        const g = Math.floor(co / coutPerGroup);
        dense[(s * cin + g * cinPerGroup + ci) * cout + co] = filter.values[(s * cinPerGroup + ci) * cout + co];
      }
    }
  }
  return { shape: [kh, kw, cin, cout], values: dense };
}

/** The block-diagonal part of a dense filter gradient, back in grouped layout. */
function gatherGroups(dense: Float32Array, shape: number[], groups: number): Float32Array {
  const [kh, kw, cinPerGroup, cout] = shape;
  const cin = cinPerGroup * groups;
  const coutPerGroup = cout / groups;
  const out = new Float32Array(size(shape));
  for (let s = 0; s < kh * kw; s++) {
    for (let ci = 0; ci < cinPerGroup; ci++) {
      for (let co = 0; co < cout; co++) {
        const g = Math.floor(co / coutPerGroup);
        out[(s * cinPerGroup + ci) * cout + co] = dense[(s * cin + g * cinPerGroup + ci) * cout + co];
      }
    }
  }
  return out;
}

describe("groupedConv2d", () => {
  const cases = [
    { name: "4 groups, stride 1", x: [2, 5, 5, 8], groups: 4, cout: 8, stride: 1 },
    { name: "3 groups, stride 2, pad 1", x: [2, 6, 7, 6], groups: 3, cout: 9, stride: 2 },
    { name: "1 group (plain conv)", x: [1, 4, 4, 3], groups: 1, cout: 4, stride: 1 },
    // The wasm kernels' special cases: a 1x1 input (only the centre tap meets data: one
    // block-diagonal matrix product), a 2x2 input, stride 2 on odd sizes (four sub-pixel phases
    // of unequal size), and groups whose output width differs from their input width.
    { name: "46 groups, 1x1 input (centre tap only)", x: [3, 1, 1, 92], groups: 46, cout: 92, stride: 1 },
    { name: "4 groups, 1x1 input, stride 2", x: [2, 1, 1, 8], groups: 4, cout: 8, stride: 2 },
    { name: "6 groups, 2x2 input", x: [3, 2, 2, 12], groups: 6, cout: 12, stride: 1 },
    { name: "2 groups, stride 2, 5x7 input", x: [2, 5, 7, 4], groups: 2, cout: 6, stride: 2 },
    { name: "3 groups, stride 2, 4x4 input, 1 in / 3 out per group", x: [2, 4, 4, 3], groups: 3, cout: 9, stride: 2 },
    // Channels per group a multiple of 4 run the SIMD kernels: the weight gradient (outputs per
    // group), and the input gradient (inputs per group) where it is used: strided, or on maps of
    // at most 4 pixels. Widths of 4, 8 and 16 take 1, 2 and two tiles of 2 vectors; maps narrower
    // than 4 columns tile over the images instead.
    { name: "4 groups of 8, stride 1", x: [2, 5, 6, 32], groups: 4, cout: 32, stride: 1 },
    { name: "2 groups of 4, stride 2, 6x5 input", x: [5, 6, 5, 8], groups: 2, cout: 8, stride: 2 },
    { name: "2 groups of 16, stride 2, 5x9 input", x: [1, 5, 9, 32], groups: 2, cout: 32, stride: 2 },
    { name: "3 groups of 8, 2x2 input, 6 images", x: [6, 2, 2, 24], groups: 3, cout: 24, stride: 1 },
    // Per-group channel copies of 24 (more than 4 vectors: the looping SIMD copy).
    { name: "2 groups of 24, 3x4 input", x: [2, 3, 4, 48], groups: 2, cout: 48, stride: 1 },
    { name: "3 groups, 1x1 input, 4 per group", x: [3, 1, 1, 12], groups: 3, cout: 12, stride: 1 },
  ];
  for (const c of cases) for (const simd of [true, false]) {
    it(`${c.name}${simd ? "" : ", SIMD kernel off"}: equals a block-diagonal dense conv on cpu, in value and gradient`, async () => {
      const previous = setSimdKernels(simd);
      try {
        const filter = input([3, 3, c.x[3] / c.groups, c.cout], 41);
        const x = input(c.x, 42);
        const options = { strides: c.stride, pad: symmetricPadding(1), groups: c.groups };
        const grouped: TensorFn = ([xs, f]) => groupedConv2d(xs as tf.Tensor4D, f as tf.Tensor4D, options);
        const mine = await valueAndGrads("wasm", grouped, [x, filter]);
        const dense = await valueAndGrads(
          "cpu",
          ([xs, f]) => tf.conv2d(xs as tf.Tensor4D, f as tf.Tensor4D, c.stride, symmetricPadding(1)),
          [x, blockDiagonal(filter, c.groups)],
        );
        assertClose(mine.y, dense.y, CROSS_TOLERANCE, "forward");
        assertClose(mine.grads[0], dense.grads[0], CROSS_TOLERANCE, "input gradient");
        assertClose(mine.grads[1], gatherGroups(dense.grads[1], filter.shape, c.groups), CROSS_TOLERANCE, "filter gradient");
        const error = await finiteDifferenceError("wasm", grouped, [x, filter], 1e-2);
        assert.ok(error < FD_TOLERANCE, `finite-difference relative error ${error}`);
      } finally {
        setSimdKernels(previous);
      }
    });
  }

  it("fused bias + ReLU variant equals conv, then bias, then ReLU (and its gradient)", async () => {
    const inputs = [input([2, 5, 5, 6], 51), input([3, 3, 2, 6], 52), input([6], 53)];
    const options = { strides: 2, pad: symmetricPadding(1), groups: 3 };
    const fused: TensorFn = ([x, f, b]) =>
      groupedConv2dBiasActivation(x as tf.Tensor4D, f as tf.Tensor4D, b as tf.Tensor1D, { ...options, relu: true });
    const unfused: TensorFn = ([x, f, b]) => tf.relu(tf.add(groupedConv2d(x as tf.Tensor4D, f as tf.Tensor4D, options), b));
    const a = await valueAndGrads("wasm", fused, inputs);
    const b = await valueAndGrads("cpu", unfused, inputs);
    assertClose(a.y, b.y, CROSS_TOLERANCE, "forward");
    a.grads.forEach((g, k) => assertClose(g, b.grads[k], CROSS_TOLERANCE, `gradient ${k}`));
  });

  it("runs as one kernel per direction on wasm (so the cases above test those kernels)", async () => {
    await tf.setBackend("wasm");
    const x = tf.tensor(data(2 * 4 * 4 * 6, 71), [2, 4, 4, 6]) as tf.Tensor4D;
    const f = tf.tensor(data(3 * 3 * 2 * 6, 72), [3, 3, 2, 6]) as tf.Tensor4D;
    const profile = await tf.profile(() => {
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(groupedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, { strides: 1, pad: symmetricPadding(1), groups: 3 })))([x, f]);
    });
    const names = new Set(profile.kernels.map((k) => k.name));
    for (const name of ["SeercGroupedConv2D", "SeercGroupedConv2DBackpropInput", "SeercGroupedConv2DBackpropFilter"]) assert.ok(names.has(name), name);
    assert.ok(!names.has("SplitV") && !names.has("Concat"), [...names].join(", "));
    tf.dispose([x, f]);
  });

  it("rejects a filter that does not fit the groups", () => {
    const x = tf.zeros([1, 4, 4, 6]) as tf.Tensor4D;
    const filter = tf.zeros([3, 3, 3, 6]) as tf.Tensor4D; // 3 inputs per group, but 6 / 3 = 2
    assert.throws(() => groupedConv2d(x, filter, { strides: 1, pad: "same", groups: 3 }), /does not match/);
  });
});

describe("channel ops", () => {
  it("globalAvgPool equals tf.mean over H, W (value and gradient) and passes finite differences", async () => {
    const inputs = [input([3, 4, 5, 6], 61)];
    const mine: TensorFn = ([x]) => globalAvgPool(x as tf.Tensor4D);
    const onWasm = await valueAndGrads("wasm", mine, inputs);
    const stock = await valueAndGrads("cpu", ([x]) => tf.mean(x, [1, 2]), inputs);
    assertClose(onWasm.y, stock.y, CROSS_TOLERANCE, "forward");
    assertClose(onWasm.grads[0], stock.grads[0], CROSS_TOLERANCE, "gradient");
    assert.ok((await finiteDifferenceError("wasm", mine, inputs, 1e-2)) < FD_TOLERANCE);
  });

  it("globalAvgPool and scaleChannels handle a 1x1 spatial extent", async () => {
    const inputs = [input([3, 1, 1, 4], 63), input([3, 4], 64)];
    await crossCheck(([x, g]) => scaleChannels(x as tf.Tensor4D, g as tf.Tensor2D), inputs, "scaleChannels 1x1");
    const pooled = await valueAndGrads("wasm", ([x]) => globalAvgPool(x as tf.Tensor4D), [inputs[0]]);
    assert.deepEqual(Array.from(pooled.y), Array.from(inputs[0].values));
  });

  it("scaleChannels equals a broadcast multiply (value and gradients) and passes finite differences", async () => {
    const inputs = [input([2, 3, 4, 5], 71), input([2, 5], 72)];
    const mine: TensorFn = ([x, g]) => scaleChannels(x as tf.Tensor4D, g as tf.Tensor2D);
    const onWasm = await valueAndGrads("wasm", mine, inputs);
    const stock = await valueAndGrads("cpu", ([x, g]) => tf.mul(x, tf.reshape(g, [2, 1, 1, 5])), inputs);
    assertClose(onWasm.y, stock.y, CROSS_TOLERANCE, "forward");
    onWasm.grads.forEach((g, k) => assertClose(g, stock.grads[k], CROSS_TOLERANCE, `gradient ${k}`));
    assert.ok((await finiteDifferenceError("wasm", mine, inputs, 1e-2)) < FD_TOLERANCE);
  });
});

/** erf by its Maclaurin series (exact to double precision for |x| ≤ 3). */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

describe("squeezeExcite", () => {
  const cases = [
    { name: "4x3 image, 6 channels", x: [3, 4, 3, 6], se: 2 },
    // Channels a multiple of 4: the full-size passes run as generated SIMD functions (and, below,
    // with them off).
    { name: "4x3 image, 8 channels", x: [3, 4, 3, 8], se: 2 },
    { name: "1x1 image", x: [5, 1, 1, 4], se: 3 },
  ];
  for (const c of cases) for (const simd of [true, false]) {
    const channels = c.x[3];
    const inputs = [input(c.x, 111, 2), input([channels, c.se], 112), input([c.se], 113, 0.5), input([c.se, channels], 114), input([channels], 115, 0.5)];
    const se: TensorFn = ([x, w1, b1, w2, b2]) => squeezeExcite(x as tf.Tensor4D, w1 as tf.Tensor2D, b1 as tf.Tensor1D, w2 as tf.Tensor2D, b2 as tf.Tensor1D);
    // The reference written out with stock ops (tf.mean over H, W; broadcasting multiply).
    const reference: TensorFn = ([x, w1, b1, w2, b2]) => {
      const squeezed = tf.relu(tf.add(tf.matMul(tf.mean(x, [1, 2]), w1), b1));
      const gate = tf.sigmoid(tf.add(tf.matMul(squeezed, w2), b2));
      return tf.mul(x, tf.reshape(gate, [c.x[0], 1, 1, channels]));
    };
    it(`${c.name}${simd ? "" : ", SIMD kernels off"}: the wasm kernels equal stock ops on cpu (value and all five gradients) and pass finite differences`, async () => {
      const previous = setSimdKernels(simd);
      try {
        await checkSqueezeExcite();
      } finally {
        setSimdKernels(previous);
      }
    });
    const checkSqueezeExcite = async () => {
      const mine = await valueAndGrads("wasm", se, inputs);
      const stock = await valueAndGrads("cpu", reference, inputs);
      assertClose(mine.y, stock.y, CROSS_TOLERANCE, "forward");
      mine.grads.forEach((g, k) => assertClose(g, stock.grads[k], CROSS_TOLERANCE, `gradient ${k}`));
      const onCpu = await valueAndGrads("cpu", se, inputs);
      onCpu.grads.forEach((g, k) => assertClose(g, stock.grads[k], CROSS_TOLERANCE, `cpu composition gradient ${k}`));
      const error = await finiteDifferenceError("wasm", se, inputs, 1e-2, {
        preActivation: ([x, w1, b1]) => tf.add(tf.matMul(tf.mean(x, [1, 2]), w1), b1),
      });
      assert.ok(error < FD_TOLERANCE, `finite-difference relative error ${error}`);
    };
  }
  it("runs as one kernel per direction on wasm", async () => {
    await tf.setBackend("wasm");
    const [x, w1, b1, w2, b2] = [[2, 3, 3, 4], [4, 2], [2], [2, 4], [4]].map((shape, i) => tf.tensor(data(size(shape), 120 + i), shape));
    const profile = await tf.profile(() => {
      tf.grads((...args: tf.Tensor[]) => tf.sum(squeezeExcite(args[0] as tf.Tensor4D, args[1] as tf.Tensor2D, args[2] as tf.Tensor1D, args[3] as tf.Tensor2D, args[4] as tf.Tensor1D)))([x, w1, b1, w2, b2]);
    });
    const names = profile.kernels.map((k) => k.name).filter((n) => n.startsWith("Seerc"));
    assert.deepEqual(names, ["SeercSqueezeExcite", "SeercSqueezeExciteGrad"]);
    tf.dispose([x, w1, b1, w2, b2]);
  });
});

describe("gelu", () => {
  it("equals x·Φ(x) with derivative Φ(x) + x·φ(x), and passes finite differences", async () => {
    const x = input([4, 9], 81, 3);
    const { y, grads } = await valueAndGrads("wasm", ([t]) => gelu(t), [x]);
    const r = data(y.length, 99);
    const expectedY = Array.from(x.values, (v) => 0.5 * v * (1 + erfSeries(v / Math.SQRT2)));
    const expectedGrad = Array.from(x.values, (v, i) => {
      const cdf = 0.5 * (1 + erfSeries(v / Math.SQRT2));
      const pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
      return (cdf + v * pdf) * r[i];
    });
    // tfjs' erf is a polynomial approximation with absolute error ≤ 1.5e-7 (Abramowitz–Stegun 7.1.26).
    assertClose(y, expectedY, 2e-6, "gelu");
    assertClose(grads[0], expectedGrad, 2e-6, "gelu gradient");
    assert.ok((await finiteDifferenceError("wasm", ([t]) => gelu(t), [x], 1e-2)) < FD_TOLERANCE);
  });
});

describe("checkpointed", () => {
  // A small block: grouped conv → batch norm (+ ReLU) (running stats updated unless replaying) → conv.
  const makeBlock = (state: BatchNormState, relu = true) => (inputs: readonly tf.Tensor[], replay: boolean) => {
    const [x, w1, gamma, beta, w2] = inputs;
    const h = groupedConv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, { strides: 1, pad: symmetricPadding(1), groups: 2 });
    const bnState = { ...state, gamma: gamma as tf.Tensor1D, beta: beta as tf.Tensor1D };
    const bn = batchNormTrain(h, bnState, { relu, updateRunningStats: !replay });
    return tf.conv2d(bn as tf.Tensor4D, w2 as tf.Tensor4D, 2, "valid");
  };
  const inputs = [
    input([2, 5, 5, 4], 91),
    input([3, 3, 2, 6], 92),
    input([6], 93, 0.2),
    input([6], 94),
    input([1, 1, 6, 3], 95),
  ];
  inputs[2] = { shape: [6], values: inputs[2].values.map((g) => 1 + g) };

  const run = (withCheckpoint: boolean) => async () => {
    await tf.setBackend("wasm");
    const state = freshState(tf.ones([6]), tf.zeros([6]), 6);
    const block = makeBlock(state);
    const fn: TensorFn = (xs) => {
      const first = withCheckpoint ? checkpointed(block, xs) : block(xs, false);
      // Two blocks in a row, so one checkpoint's backward runs inside another's outer pass.
      return tf.sum(tf.square(first), [1, 2]);
    };
    const result = await valueAndGrads("wasm", fn, inputs);
    const runningMean = state.runningMean.dataSync().slice();
    state.runningMean.dispose();
    state.runningVar.dispose();
    return { ...result, runningMean };
  };

  it("gives gradients identical to the plain block and updates running stats once per forward", async () => {
    const plain = await run(false)();
    const ckpt = await run(true)();
    assert.deepEqual(Array.from(ckpt.y), Array.from(plain.y));
    ckpt.grads.forEach((g, k) => assert.deepEqual(Array.from(g), Array.from(plain.grads[k]), `gradient ${k}`));
    // valueAndGrads runs the forward twice (value, then gradients): two updates in both cases.
    assert.deepEqual(Array.from(ckpt.runningMean), Array.from(plain.runningMean));
  });

  it("passes finite differences and nests (checkpointed blocks in sequence)", async () => {
    await tf.setBackend("wasm");
    const state = freshState(tf.ones([6]), tf.zeros([6]), 6);
    // Smooth blocks: this checks the checkpoint mechanism, not ReLU kinks.
    const block = makeBlock(state, false);
    const twoBlocks: TensorFn = (xs) => {
      const [x, w1, gamma, beta, w2] = xs;
      const first = checkpointed(block, [x, w1, gamma, beta, w2]);
      const second = checkpointed(
        (ins) => tf.sigmoid(tf.conv2d(ins[0] as tf.Tensor4D, ins[1] as tf.Tensor4D, 1, "same")),
        [first, tf.reshape(tf.slice(w2, [0, 0, 0, 0], [1, 1, 3, 3]), [1, 1, 3, 3])],
      );
      return second;
    };
    const error = await finiteDifferenceError("wasm", twoBlocks, inputs, 1e-3);
    state.runningMean.dispose();
    state.runningVar.dispose();
    assert.ok(error < FD_TOLERANCE, `finite-difference relative error ${error}`);
  });

  it("leaves no tensors behind after a step inside tf.tidy", async () => {
    await tf.setBackend("wasm");
    const state = freshState(tf.ones([6]), tf.zeros([6]), 6);
    const block = makeBlock(state);
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    const step = () =>
      tf.tidy(() => {
        tf.grads((...args: tf.Tensor[]) => tf.sum(checkpointed(block, args)))(xs);
      });
    step();
    const count = tf.memory().numTensors;
    step();
    step();
    assert.equal(tf.memory().numTensors, count);
    tf.dispose(xs);
    state.runningMean.dispose();
    state.runningVar.dispose();
  });
});
