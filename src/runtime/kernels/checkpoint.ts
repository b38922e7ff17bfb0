// Activation checkpointing: run a block without recording its intermediates, and recompute them
// inside the gradient function. tfjs has no checkpointing API; tf.customGrad provides the hook
// (its forward runs with the tape off, so nothing inside the block is kept for backward).
import * as tf from "@tensorflow/tfjs";

/**
 * A block as a pure function of its tensor inputs (activation first, then its parameters).
 * `replay` is true when the block is recomputed for the gradient: side effects such as batch-norm
 * running-statistics updates must not happen twice.
 */
export type CheckpointableBlock = (inputs: readonly tf.Tensor[], replay: boolean) => tf.Tensor;

/**
 * Runs `block` on `inputs` keeping only the inputs for the backward pass; the gradient re-runs the
 * block (with `replay = true`) under its own tape and differentiates it. Gradients are identical
 * to running the block directly; peak memory drops by the block's intermediates.
 */
export function checkpointed(block: CheckpointableBlock, inputs: readonly tf.Tensor[]): tf.Tensor {
  const op = tf.customGrad((...args) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const blockInputs = args.slice(0, -1) as tf.Tensor[];
    const value = block(blockInputs, false);
    // Saved tensors are clones kept alive by the engine until the outer backward finishes; the
    // block's own inputs may be disposed by the enclosing tidy before then.
    save(blockInputs);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
      // tfjs runs a customGrad gradient eagerly, outside any tidy: the tidy frees the recomputed
      // forward value and everything else but the gradients straight away.
      tf.tidy(() =>
        withOuterTapePreserved(() => {
          const recompute = (...replayInputs: tf.Tensor[]) => block(replayInputs, true);
          const { grads } = tf.engine().gradients(() => recompute(...saved), saved, dy, true);
          return grads.map((g, i) => g ?? tf.zerosLike(saved[i]));
        }),
      );
    return { value, gradFunc };
  });
  return op(...inputs);
}

/**
 * Engine internals, isolated here on purpose. A gradient computed inside another gradient's backward
 * pass runs at gradient depth 0, so tfjs starts a fresh `activeTape` for it and sets it to null when
 * done — discarding the outer tape the outer backward is still walking, which then crashes when it
 * disposes its saved tensors. Saving and restoring the outer tape around the inner computation is
 * all that is needed (measured: identical gradients with and without checkpointing).
 */
function withOuterTapePreserved<T>(compute: () => T): T {
  const state = tf.engine().state;
  const outerTape = state.activeTape;
  try {
    return compute();
  } finally {
    state.activeTape = outerTape;
  }
}
