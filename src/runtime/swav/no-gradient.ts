import * as tf from "@tensorflow/tfjs";

/**
 * Runs `compute` so that nothing it does is recorded for backpropagation, and returns a result that
 * no gradient can flow through (PyTorch's `torch.no_grad()`; tfjs has no `stopGradient`).
 *
 * Why this way: tfjs does not record ops that run inside a `customGrad` forward function (the engine
 * only tapes at kernel depth 0), and the custom op's only input is a throw-away scalar that no
 * variable reaches, so the gradient pass prunes the node and never calls its gradient function.
 * Compared with materialising the values (`dataSync` into a new tensor) this needs no device→host
 * copy and keeps none of `compute`'s intermediates alive on the tape until the backward pass.
 *
 * `compute` may close over tensors that depend on variables (scores, prototypes): they are read, not
 * differentiated. Intermediates are disposed; the result belongs to the caller's scope.
 */
export function withoutGradient<T extends tf.Tensor>(compute: () => T): T {
  const anchor = tf.scalar(0);
  try {
    const detached = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => ({
      // The clone is a new tensor object even when `compute` hands back a tensor from outside (one
      // already on the tape), so the caller never receives something that gradients reach.
      value: tf.clone(compute()),
      gradFunc: () => tf.zerosLike(inputs[0] as tf.Tensor),
    }));
    return detached(anchor) as T;
  } finally {
    anchor.dispose();
  }
}
