import * as tf from "@tensorflow/tfjs";
import { hasOptimizerKernels, MOMENTUM_STEP_KERNEL, type MomentumStepAttrs } from "../kernels/optimizer-kernels.js";
import { BaseOptimizer, type Parameter, type SquaredNorms } from "./optimizer.js";

/** d = (g + decay·w)·factor: what one variable's step needs besides the momentum setting. */
export interface MomentumScales {
  factor: number;
  decay: number;
}

/**
 * Momentum SGD on a scaled direction, the update SGD and LARS share (PyTorch's SGD with dampening 0):
 *   d = (g + decay·w)·factor;  b = μ·b + d;  w −= lr·(nesterov ? d + μ·b : b)
 * A subclass says only how it scales each variable's direction. On backends with the fused kernel
 * (wasm, cpu) every variable's update is one kernel call; elsewhere op by op, the same maths.
 * A zero-initialised buffer gives PyTorch's first step (b = d) exactly.
 */
export abstract class MomentumSgdOptimizer extends BaseOptimizer {
  protected abstract readonly momentum: number;
  protected abstract readonly nesterov: boolean;

  protected abstract momentumScales(parameter: Parameter, lr: number, norms: SquaredNorms | undefined): MomentumScales;

  protected override update(parameter: Parameter, gradient: tf.Tensor, lr: number, norms: SquaredNorms | undefined): void {
    const { variable } = parameter;
    const { factor, decay } = this.momentumScales(parameter, lr, norms);
    let direction = decay !== 0 ? tf.add(gradient, tf.mul(variable, decay)) : gradient;
    if (factor !== 1) direction = tf.mul(direction, factor);
    let step = direction;
    if (this.momentum !== 0) {
      const buffer = parameter.slots.get("momentum")!;
      buffer.assign(tf.add(tf.mul(buffer, this.momentum), direction));
      step = this.nesterov ? tf.add(direction, tf.mul(buffer, this.momentum)) : buffer;
    }
    variable.assign(tf.sub(variable, tf.mul(step, lr)));
  }

  /** Every variable's update in one kernel call; the outputs replace the variables and their buffers. */
  protected override updateAll(updated: Parameter[], grads: Map<string, tf.Tensor>, lr: number, gradScale: number, normsOf: (i: number) => SquaredNorms | undefined): boolean {
    if (!hasOptimizerKernels()) return false;
    const withMomentum = this.momentum !== 0;
    const inputs: tf.NamedTensorMap = {};
    const attrs: MomentumStepAttrs = { count: updated.length, lr, momentum: this.momentum, nesterov: this.nesterov, gradScale, factors: [], decays: [] };
    updated.forEach((parameter, i) => {
      inputs[`w${i}`] = parameter.variable;
      inputs[`g${i}`] = grads.get(parameter.name)!;
      if (withMomentum) inputs[`b${i}`] = parameter.slots.get("momentum")!;
      const { factor, decay } = this.momentumScales(parameter, lr, normsOf(i));
      attrs.factors.push(factor);
      attrs.decays.push(decay);
    });
    const outputs = tf.engine().runKernel(MOMENTUM_STEP_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const stride = withMomentum ? 2 : 1;
    updated.forEach((parameter, i) => {
      parameter.variable.assign(outputs[i * stride]);
      if (withMomentum) parameter.slots.get("momentum")!.assign(outputs[i * stride + 1]);
    });
    return true;
  }
}
