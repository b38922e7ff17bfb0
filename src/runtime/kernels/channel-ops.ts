// Per-image, per-channel operations on NHWC activations: global average pooling and the
// squeeze-excitation gate. Written with tf.customGrad so that no gradient reduces over the spatial
// axes with Sum (on wasm that transposes the whole activation first) or broadcasts with Tile (67 ms
// for a 64x8x8x368 activation on wasm, against 3 ms for a broadcasting multiply); the spatial
// reductions are average pools (XNNPACK).
import * as tf from "@tensorflow/tfjs";
import { SQUEEZE_EXCITE, SQUEEZE_EXCITE_GRAD } from "./wasm-squeeze-excite.js";

/** Mean over H and W of each image: [N, H, W, C] → [N, C]. */
function spatialMean(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  if (h * w === 1) return tf.reshape(x, [n, c]);
  return tf.reshape(tf.avgPool(x, [h, w], 1, "valid"), [n, c]);
}

/** Mean over H and W of an NHWC tensor: [N, H, W, C] → [N, C]. Backward: dy/(H·W) at every pixel. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  const area = h * w;
  const op = tf.customGrad((input, save) => {
    void save;
    const value = tf.tidy(() => spatialMean(input as tf.Tensor4D));
    const gradFunc = (dy: tf.Tensor) =>
      tf.tidy(() => tf.mul(tf.reshape(tf.mul(dy, 1 / area), [n, 1, 1, c]), tf.ones([1, h, w, 1])));
    return { value, gradFunc };
  });
  return op(x) as tf.Tensor2D;
}

/**
 * y[n,h,w,c] = x[n,h,w,c] · gate[n,c] (the squeeze-excitation scaling).
 * Backward: dx = dy·gate, dgate[n,c] = Σ_{h,w} dy·x.
 */
export function scaleChannels(x: tf.Tensor4D, gate: tf.Tensor2D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (gate.shape[0] !== n || gate.shape[1] !== c) {
    throw new Error(`scaleChannels: gate [${gate.shape.join(", ")}] does not match activation [${x.shape.join(", ")}]`);
  }
  const area = h * w;
  const op = tf.customGrad((input, perChannel, save) => {
    const inputTensor = input as tf.Tensor4D;
    const gateTensor = perChannel as tf.Tensor2D;
    (save as tf.GradSaveFunc)([inputTensor, gateTensor]);
    const value = tf.tidy(() => tf.mul(inputTensor, tf.reshape(gateTensor, [n, 1, 1, c])));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [savedInput, savedGate] = saved;
        const gradInput = tf.mul(dy, tf.reshape(savedGate, [n, 1, 1, c]));
        const gradGate = tf.mul(spatialMean(tf.mul(dy, savedInput) as tf.Tensor4D), area);
        return [gradInput, gradGate];
      });
    return { value, gradFunc };
  });
  return op(x, gate) as tf.Tensor4D;
}

/**
 * RegNetY's squeeze-excitation: x · sigmoid(relu(mean_hw(x)·W1 + b1)·W2 + b2), the gate per image
 * and channel; W1 [C, S], W2 [S, C]. One kernel per direction where the backend has them (wasm,
 * see wasm-squeeze-excite.ts), globalAvgPool → fused matMuls → sigmoid → scaleChannels elsewhere.
 */
export function squeezeExcite(x: tf.Tensor4D, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D): tf.Tensor4D {
  if (tf.getKernel(SQUEEZE_EXCITE, tf.getBackend()) === undefined) {
    const squeezed = tf.fused.matMul({ a: globalAvgPool(x), b: w1, bias: b1, activation: "relu" });
    const gate = tf.sigmoid(tf.fused.matMul({ a: squeezed, b: w2, bias: b2 })) as tf.Tensor2D;
    return scaleChannels(x, gate);
  }
  const op = tf.customGrad((input, weight1, bias1, weight2, bias2, save) => {
    const inputs = { x: input as tf.Tensor, w1: weight1 as tf.Tensor, b1: bias1 as tf.Tensor, w2: weight2 as tf.Tensor, b2: bias2 as tf.Tensor };
    const [value, pooled, squeezed, gate] = tf.engine().runKernel(SQUEEZE_EXCITE, inputs, {}) as tf.Tensor[];
    (save as tf.GradSaveFunc)([inputs.x, pooled, squeezed, gate, inputs.w1, inputs.w2]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [savedX, savedPooled, savedSqueezed, savedGate, savedW1, savedW2] = saved;
        return tf.engine().runKernel(
          SQUEEZE_EXCITE_GRAD,
          { dy, x: savedX, p: savedPooled, s: savedSqueezed, g: savedGate, w1: savedW1, w2: savedW2 },
          {},
        ) as tf.Tensor[];
      });
    return { value, gradFunc };
  });
  return op(x, w1, b1, w2, b2) as tf.Tensor4D;
}
