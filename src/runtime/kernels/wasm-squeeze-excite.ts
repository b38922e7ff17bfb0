// Squeeze-excitation (RegNetY's SE block) as two wasm kernels, forward and backward.
//
// As ops, one SE block is ~15 engine ops forward (pool, two fused matrix products, sigmoid, scale,
// reshapes) and ~20 backward, each with the engine's bookkeeping, on tensors of a few thousand
// values: in a RegNetY step the 52 SE applications were ~1,800 engine ops. Here each direction is
// one kernel; the products are stock XNNPACK kernels called directly, the [N, C]-sized arithmetic
// runs in TypeScript, and the full-size passes (y = x·g; Σ_hw dy·x; dx = dy·g + dp/HW) are
// generated SIMD functions per image where C is a multiple of 4 (wasm-simd-channel-passes.ts),
// else stock kernels and one TypeScript loop.
//
//   p = mean_hw(x) [N, C];  s = relu(p·W1 + b1) [N, S];  g = sigmoid(s·W2 + b2) [N, C];  y = x·g
//   dg = Σ_hw dy·x;  dz2 = dg·g·(1 − g);  dW2 = sᵀ·dz2;  db2 = Σ_n dz2;  ds = dz2·W2ᵀ
//   dz1 = ds·[s > 0];  dW1 = pᵀ·dz1;  db1 = Σ_n dz1;  dp = dz1·W1ᵀ;  dx = dy·g + dp/HW
import * as tf from "@tensorflow/tfjs";
import { matMul2d } from "./wasm-conv.js";
import { product, transpose2d, withCallsMany, type KernelCalls, type KernelFunction } from "./wasm-heap.js";
import { CHANNEL_PASSES, writeChannelPasses } from "./wasm-simd-channel-passes.js";
import { heapOffset, simdModule, type SimdExports } from "./wasm-simd.js";

export const SQUEEZE_EXCITE = "SeercSqueezeExcite";
export const SQUEEZE_EXCITE_GRAD = "SeercSqueezeExciteGrad";

/** Stock wasm kernels the SE kernels call. */
export const SQUEEZE_EXCITE_BUILDING_BLOCKS = ["AvgPool", "_FusedMatMul", "Sigmoid", "Multiply", "Reshape", "BatchMatMul"] as const;

/** Per-image channel means [N, C] of an NHWC tensor (one average pool). */
function spatialMeans(calls: KernelCalls, x: tf.TensorInfo): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  if (h * w === 1) return calls.reshape(x, [n, c]);
  const pooled = calls.run("AvgPool", { x }, { filterSize: [h, w], strides: 1, pad: "valid" });
  return calls.reshape(pooled, [n, c]);
}

function fusedMatMul(calls: KernelCalls, a: tf.TensorInfo, b: tf.TensorInfo, bias: tf.TensorInfo, activation: "relu" | "linear"): tf.TensorInfo {
  const [m, k] = a.shape;
  const n = b.shape[1];
  const out = calls.run(
    "_FusedMatMul",
    { a: calls.reshape(a, [1, m, k]), b: calls.reshape(b, [1, k, n]), bias },
    { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 },
  );
  return calls.reshape(out, [m, n]);
}

/** The generated per-channel passes, where they run on this backend and C is a multiple of 4. */
function channelPasses(calls: KernelCalls, x: tf.TensorInfo): SimdExports | null {
  const channels = x.shape[3];
  if (channels === 0 || channels % 4 !== 0 || product(x.shape) === 0) return null;
  return simdModule(calls.backend, "channel passes", writeChannelPasses);
}

/**
 * out[b, p, c] = src[b, p, c]·scale[b, c] + shift[b, c] for every image b, as the channel passes'
 * affine function called once per image ([N, C] scale and shift rows; shift null for none).
 */
function scaleImages(calls: KernelCalls, simd: SimdExports, src: tf.TensorInfo, scale: tf.TensorInfo, shift: tf.TensorInfo | null): tf.TensorInfo {
  const [n, h, w, c] = src.shape;
  const out = calls.alloc(src.shape);
  const zeros = shift === null ? calls.alloc([c], true) : null;
  const at = (t: tf.TensorInfo) => 4 * heapOffset(calls.view(t));
  const [srcAt, scaleAt, outAt] = [src, scale, out].map(at);
  const shiftAt = shift === null ? at(zeros as tf.TensorInfo) : at(shift);
  const image = 4 * h * w * c;
  const row = 4 * c;
  const affine = simd[CHANNEL_PASSES.affine(false, false)];
  for (let b = 0; b < n; b++) {
    affine(srcAt + b * image, scaleAt + b * row, shift === null ? shiftAt : shiftAt + b * row, 0, outAt + b * image, h * w, c / 4);
  }
  return out;
}

/** Inputs x [N,H,W,C], w1 [C,S], b1 [S], w2 [S,C], b2 [C]; outputs y, p [N,C], s [N,S], g [N,C]. */
function squeezeExciteKernel(calls: KernelCalls, inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  const x = inputs.x as tf.TensorInfo;
  const [n, , , c] = x.shape;
  const pooled = spatialMeans(calls, x);
  const squeezed = fusedMatMul(calls, pooled, inputs.w1 as tf.TensorInfo, inputs.b1 as tf.TensorInfo, "relu");
  const gate = calls.reshape(calls.run("Sigmoid", { x: fusedMatMul(calls, squeezed, inputs.w2 as tf.TensorInfo, inputs.b2 as tf.TensorInfo, "linear") }), [n, c]);
  const simd = channelPasses(calls, x);
  const y = simd === null ? calls.run("Multiply", { a: x, b: calls.reshape(gate, [n, 1, 1, c]) }) : scaleImages(calls, simd, x, gate, null);
  return [y, pooled, squeezed, gate];
}

/** Σ_hw dy·x per image and channel, [N, C], copied off the heap (later allocations may move it). */
function gateGradientSums(calls: KernelCalls, simd: SimdExports | null, dy: tf.TensorInfo, x: tf.TensorInfo): Float64Array {
  const [n, h, w, c] = x.shape;
  if (simd === null) {
    const means = calls.view(spatialMeans(calls, calls.run("Multiply", { a: dy, b: x })));
    return Float64Array.from(means, (m) => m * h * w);
  }
  const sums = calls.alloc([n, c], true);
  const at = (t: tf.TensorInfo) => 4 * heapOffset(calls.view(t));
  const [dyAt, xAt, sumsAt] = [dy, x, sums].map(at);
  const image = 4 * h * w * c;
  for (let b = 0; b < n; b++) simd[CHANNEL_PASSES.productSums](dyAt + b * image, xAt + b * image, h * w, c / 4, sumsAt + b * 4 * c);
  return Float64Array.from(calls.view(sums));
}

/** Inputs dy, x, p, s, g, w1, w2; outputs dx, dw1, db1, dw2, db2. */
function squeezeExciteGradKernel(calls: KernelCalls, inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  const dy = inputs.dy as tf.TensorInfo;
  const x = inputs.x as tf.TensorInfo;
  const [n, h, w, c] = x.shape;
  const area = h * w;
  const squeezedInfo = inputs.s as tf.TensorInfo;
  const se = squeezedInfo.shape[1];
  const simd = channelPasses(calls, x);
  const sumDyX = gateGradientSums(calls, simd, dy, x);

  // dz2 = Σ_hw(dy·x) · g·(1 − g)
  const dz2 = calls.alloc([n, c]);
  {
    const g = calls.view(inputs.g as tf.TensorInfo);
    const out = calls.view(dz2);
    for (let i = 0; i < n * c; i++) out[i] = sumDyX[i] * g[i] * (1 - g[i]);
  }
  const w1 = inputs.w1 as tf.TensorInfo;
  const w2 = inputs.w2 as tf.TensorInfo;
  const dw2 = matMul2d(calls, transpose2d(calls, squeezedInfo, n, se), dz2);
  const ds = matMul2d(calls, dz2, transpose2d(calls, w2, se, c));
  const dz1 = calls.alloc([n, se]);
  {
    const s = calls.view(squeezedInfo);
    const d = calls.view(ds);
    const out = calls.view(dz1);
    for (let i = 0; i < n * se; i++) out[i] = s[i] > 0 ? d[i] : 0;
  }
  const dw1 = matMul2d(calls, transpose2d(calls, inputs.p as tf.TensorInfo, n, c), dz1);
  const dp = matMul2d(calls, dz1, transpose2d(calls, w1, c, se));
  const db1 = columnSums(calls, dz1, n, se);
  const db2 = columnSums(calls, dz2, n, c);

  // dx = dy·g + dp/HW, one pass.
  if (simd !== null) {
    const shift = calls.alloc([n, c]);
    const back = calls.view(dp);
    const shiftValues = calls.view(shift);
    for (let i = 0; i < n * c; i++) shiftValues[i] = back[i] / area;
    const dx = scaleImages(calls, simd, dy, inputs.g as tf.TensorInfo, shift);
    return [dx, calls.reshape(dw1, w1.shape), db1, calls.reshape(dw2, w2.shape), db2];
  }
  const dx = calls.alloc(x.shape);
  {
    const g = calls.view(inputs.g as tf.TensorInfo);
    const back = calls.view(dp);
    const src = calls.view(dy);
    const out = calls.view(dx);
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < c; k++) {
        scale[k] = g[b * c + k];
        shift[k] = back[b * c + k] / area;
      }
      for (let pixel = 0, i = b * area * c; pixel < area; pixel++) {
        for (let k = 0; k < c; k++, i++) out[i] = src[i] * scale[k] + shift[k];
      }
    }
  }
  return [dx, calls.reshape(dw1, w1.shape), db1, calls.reshape(dw2, w2.shape), db2];
}

/** Σ over rows of a [rows, cols] tensor, accumulated in float64. */
function columnSums(calls: KernelCalls, t: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const sums = new Float64Array(cols);
  const src = calls.view(t);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) sums[k] += src[r * cols + k];
  const out = calls.alloc([cols]);
  calls.view(out).set(sums);
  return out;
}

export function squeezeExciteKernels(stock: ReadonlyMap<string, KernelFunction>): Array<[string, KernelFunction]> {
  return [
    [SQUEEZE_EXCITE, withCallsMany(stock, (calls, { inputs }) => squeezeExciteKernel(calls, inputs))],
    [SQUEEZE_EXCITE_GRAD, withCallsMany(stock, (calls, { inputs }) => squeezeExciteGradKernel(calls, inputs))],
  ];
}
