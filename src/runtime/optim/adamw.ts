import * as tf from "@tensorflow/tfjs";
import { BaseOptimizer, type Parameter, type ParameterSetup } from "./optimizer.js";
import type { AdamWSpec } from "./types.js";

/**
 * PyTorch's AdamW (amsgrad off), per variable with t its own update count:
 *   w ← w·(1 − lr·wd)                       (decoupled decay)
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   w ← w − lr/(1−β1^t) · m / (√v / √(1−β2^t) + eps)
 */
export class AdamWOptimizer extends BaseOptimizer {
  readonly kind = "adamw" as const;

  constructor(
    private readonly spec: AdamWSpec,
    setups: ParameterSetup[],
  ) {
    super(setups, ["exp_avg", "exp_avg_sq"], spec.maxGradNorm, false);
  }

  protected override countsUpdates(): boolean {
    return true;
  }

  protected update(parameter: Parameter, gradient: tf.Tensor, lr: number): void {
    const { variable, weightDecay, slots } = parameter;
    const { beta1, beta2, eps } = this.spec;
    const t = parameter.updates + 1;
    const firstMoment = slots.get("exp_avg")!;
    const secondMoment = slots.get("exp_avg_sq")!;
    firstMoment.assign(tf.add(tf.mul(firstMoment, beta1), tf.mul(gradient, 1 - beta1)));
    secondMoment.assign(tf.add(tf.mul(secondMoment, beta2), tf.mul(tf.square(gradient), 1 - beta2)));
    const stepSize = lr / (1 - beta1 ** t);
    const denominator = tf.add(tf.div(tf.sqrt(secondMoment), Math.sqrt(1 - beta2 ** t)), eps);
    const decayed = weightDecay !== 0 ? tf.mul(variable, 1 - lr * weightDecay) : variable;
    variable.assign(tf.sub(decayed, tf.mul(tf.div(firstMoment, denominator), stepSize)));
  }
}
