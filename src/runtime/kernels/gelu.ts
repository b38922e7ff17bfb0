// GELU (the exact, erf form that torch.nn.GELU uses by default); tfjs 4.22 has no GELU op.
import * as tf from "@tensorflow/tfjs";

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * gelu(x) = x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)).
 * Backward: d/dx = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π).
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((input, save) => {
    const inputTensor = input as tf.Tensor;
    (save as tf.GradSaveFunc)([inputTensor]);
    const value = tf.tidy(() => {
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(inputTensor, INV_SQRT2)), 1), 0.5);
      return tf.mul(inputTensor, cdf);
    });
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [savedInput] = saved;
        const cdf = tf.mul(tf.add(tf.erf(tf.mul(savedInput, INV_SQRT2)), 1), 0.5);
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(savedInput), -0.5)), INV_SQRT_2PI);
        return tf.mul(dy, tf.add(cdf, tf.mul(savedInput, pdf)));
      });
    return { value, gradFunc };
  });
  return op(x) as T;
}
