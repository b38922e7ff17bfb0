// Squeeze-excitation (RegNetY's SE block) as two wasm kernels, forward and backward.
//
// As ops, one SE block is ~15 engine ops forward (pool, two fused matrix products, sigmoid, scale,
// reshapes) and ~20 backward, each with the engine's bookkeeping, on tensors of a few thousand
// values: in a RegNetY step the 52 SE applications were ~1,800 engine ops. Here each direction is
// one kernel; the products are stock XNNPACK kernels called directly, the [N, C]-sized arithmetic
// runs in TypeScript, and the backward's full-size pass (dx = dy·g + dp/HW) is one loop.
//
//   p = mean_hw(x) [N, C];  s = relu(p·W1 + b1) [N, S];  g = sigmoid(s·W2 + b2) [N, C];  y = x·g
//   dg = Σ_hw dy·x;  dz2 = dg·g·(1 − g);  dW2 = sᵀ·dz2;  db2 = Σ_n dz2;  ds = dz2·W2ᵀ
//   dz1 = ds·[s > 0];  dW1 = pᵀ·dz1;  db1 = Σ_n dz1;  dp = dz1·W1ᵀ;  dx = dy·g + dp/HW
import * as tf from "@tensorflow/tfjs";
import { matMul2d } from "./wasm-conv.js";
import { transpose2d, withCallsMany, type KernelCalls, type KernelFunction } from "./wasm-heap.js";

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

/** Inputs x [N,H,W,C], w1 [C,S], b1 [S], w2 [S,C], b2 [C]; outputs y, p [N,C], s [N,S], g [N,C]. */
function squeezeExciteKernel(calls: KernelCalls, inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  const x = inputs.x as tf.TensorInfo;
  const [n, , , c] = x.shape;
  const pooled = spatialMeans(calls, x);
  const squeezed = fusedMatMul(calls, pooled, inputs.w1 as tf.TensorInfo, inputs.b1 as tf.TensorInfo, "relu");
  const gate = calls.reshape(calls.run("Sigmoid", { x: fusedMatMul(calls, squeezed, inputs.w2 as tf.TensorInfo, inputs.b2 as tf.TensorInfo, "linear") }), [n, c]);
  const y = calls.run("Multiply", { a: x, b: calls.reshape(gate, [n, 1, 1, c]) });
  return [y, pooled, squeezed, gate];
}

/** Inputs dy, x, p, s, g, w1, w2; outputs dx, dw1, db1, dw2, db2. */
function squeezeExciteGradKernel(calls: KernelCalls, inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  const dy = inputs.dy as tf.TensorInfo;
  const x = inputs.x as tf.TensorInfo;
  const [n, h, w, c] = x.shape;
  const area = h * w;
  const squeezedInfo = inputs.s as tf.TensorInfo;
  const se = squeezedInfo.shape[1];
  const meanDyX = spatialMeans(calls, calls.run("Multiply", { a: dy, b: x }));

  // dz2 = Σ_hw(dy·x) · g·(1 − g)
  const dz2 = calls.alloc([n, c]);
  {
    const mean = calls.view(meanDyX);
    const g = calls.view(inputs.g as tf.TensorInfo);
    const out = calls.view(dz2);
    for (let i = 0; i < n * c; i++) out[i] = mean[i] * area * g[i] * (1 - g[i]);
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
