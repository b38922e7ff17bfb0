import * as tf from "@tensorflow/tfjs";
import { BaseOptimizer, type MomentumScales, type Parameter, type ParameterSetup } from "./optimizer.js";
import type { SgdSpec } from "./types.js";

/**
 * PyTorch's SGD with dampening 0: d = g + wd·w; b = μ·b + d; d = nesterov ? d + μ·b : b; w -= lr·d.
 * A zero-initialised buffer gives PyTorch's first step (b = d) exactly, so no first-step branch is needed.
 */
export class SgdOptimizer extends BaseOptimizer {
  readonly kind = "sgd" as const;

  constructor(
    private readonly spec: SgdSpec,
    setups: ParameterSetup[],
  ) {
    super(setups, spec.momentum !== 0 ? ["momentum"] : [], spec.maxGradNorm, false);
  }

  protected override fusedMomentum(): { momentum: number; nesterov: boolean } {
    return { momentum: this.spec.momentum, nesterov: this.spec.nesterov };
  }

  protected override momentumScales(parameter: Parameter): MomentumScales {
    return { factor: 1, decay: parameter.weightDecay };
  }

  protected update(parameter: Parameter, gradient: tf.Tensor, lr: number): void {
    const { variable, weightDecay } = parameter;
    const direction = weightDecay !== 0 ? tf.add(gradient, tf.mul(variable, weightDecay)) : gradient;
    variable.assign(tf.sub(variable, tf.mul(momentumDirection(parameter, direction, this.spec.momentum, this.spec.nesterov), lr)));
  }
}

/** Updates the momentum buffer with `direction` and returns the direction SGD steps along. Shared with LARS. */
export function momentumDirection(parameter: Parameter, direction: tf.Tensor, momentum: number, nesterov: boolean): tf.Tensor {
  if (momentum === 0) return direction;
  const buffer = parameter.slots.get("momentum")!;
  buffer.assign(tf.add(tf.mul(buffer, momentum), direction));
  return nesterov ? tf.add(direction, tf.mul(buffer, momentum)) : buffer;
}
