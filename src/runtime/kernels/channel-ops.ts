// Per-image, per-channel operations on NHWC activations: global average pooling and the
// squeeze-excitation gate. Written with tf.customGrad so that no gradient reduces over the spatial
// axes with Sum (on wasm that transposes the whole activation first); the reductions are batched
// matrix products with a ones row instead.
import * as tf from '@tensorflow/tfjs';

/** Mean over H and W of an NHWC tensor: [N, H, W, C] → [N, C]. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  const area = h * w;
  const op = tf.customGrad((input, save) => {
    void save;
    const value = tf.tidy(() => {
      const rows = tf.reshape(input as tf.Tensor, [n, area, c]) as tf.Tensor3D;
      const averaged = tf.matMul(tf.fill([1, 1, area], 1 / area) as tf.Tensor3D, rows);
      return tf.reshape(averaged, [n, c]);
    });
    const gradFunc = (dy: tf.Tensor) =>
      tf.tidy(() => tf.broadcastTo(tf.reshape(tf.mul(dy, 1 / area), [n, 1, 1, c]), [n, h, w, c]));
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
    throw new Error(`scaleChannels: gate [${gate.shape.join(', ')}] does not match activation [${x.shape.join(', ')}]`);
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
        const products = tf.reshape(tf.mul(dy, savedInput), [n, area, c]) as tf.Tensor3D;
        const gradGate = tf.reshape(tf.matMul(tf.ones([1, 1, area]) as tf.Tensor3D, products), [n, c]);
        return [gradInput, gradGate];
      });
    return { value, gradFunc };
  });
  return op(x, gate) as tf.Tensor4D;
}
