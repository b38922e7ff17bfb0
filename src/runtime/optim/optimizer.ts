import * as tf from "@tensorflow/tfjs";
import { hasOptimizerKernels, SQUARED_NORMS_KERNEL } from "../kernels/optimizer-kernels.js";
import type { Optimizer, OptimizerKind, OptimizerState, OptimizerStepReport } from "./types.js";

export const SLOT_SEPARATOR = "::";

/** One trainable variable with what the optimiser keeps for it. */
export interface Parameter {
  readonly name: string;
  readonly variable: tf.Variable;
  /** Weight decay for this variable (0 when excluded). */
  readonly weightDecay: number;
  /** Whether LARS's trust ratio applies (always false for the other optimisers). */
  readonly adaptive: boolean;
  readonly slots: Map<string, tf.Variable>;
  /** Updates applied to this variable so far (AdamW's bias correction counts per variable, as PyTorch). */
  updates: number;
}

/** Squared L2 norms of one variable's (clipped) gradient and weights, when the optimiser asked for them. */
export interface SquaredNorms {
  gradient: number;
  weights: number;
}

export interface ParameterSetup {
  name: string;
  variable: tf.Variable;
  weightDecay: number;
  adaptive: boolean;
}

/**
 * What every optimiser shares: checking gradients against the variables, one read-back of norms when
 * clipping or LARS needs them, the tidy around the update, and exact state export/import.
 */
export abstract class BaseOptimizer implements Optimizer {
  abstract readonly kind: OptimizerKind;
  protected readonly parameters: Parameter[];
  private readonly byName: Map<string, Parameter>;
  private steps = 0;

  constructor(
    setups: ParameterSetup[],
    slotNames: readonly string[],
    private readonly maxGradNorm: number | undefined,
    private readonly needsWeightNorms: boolean,
  ) {
    if (maxGradNorm !== undefined && !(maxGradNorm > 0)) throw new Error(`maxGradNorm must be > 0, got ${maxGradNorm}`);
    this.parameters = setups.map((setup) => ({
      ...setup,
      slots: new Map(slotNames.map((slot) => [slot, zeroSlot(setup.variable)])),
      updates: 0,
    }));
    this.byName = new Map(this.parameters.map((parameter) => [parameter.name, parameter]));
    if (this.byName.size !== this.parameters.length) throw new Error("optimizer: two variables share a name");
  }

  get stepCount(): number {
    return this.steps;
  }

  /** Computes and assigns one variable's update; runs inside the step's tidy. `norms` only when requested. */
  protected abstract update(parameter: Parameter, gradient: tf.Tensor, lr: number, norms: SquaredNorms | undefined): void;

  /**
   * Updates every variable at once where that is faster (one kernel call); false leaves it to `update`,
   * variable by variable. Runs inside the step's tidy.
   */
  protected updateAll(_updated: Parameter[], _grads: Map<string, tf.Tensor>, _lr: number, _gradScale: number, _normsOf: (i: number) => SquaredNorms | undefined): boolean {
    return false;
  }

  step(grads: Map<string, tf.Tensor>, lr: number): OptimizerStepReport {
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`optimizer.step: learning rate must be finite and >= 0, got ${lr}`);
    for (const [name, gradient] of grads) {
      const parameter = this.byName.get(name);
      if (parameter === undefined) throw new Error(`optimizer.step: gradient for unknown variable "${name}"`);
      if (!tf.util.arraysEqual(gradient.shape, parameter.variable.shape)) {
        throw new Error(
          `optimizer.step: gradient of "${name}" is [${gradient.shape.join(", ")}], the variable is [${parameter.variable.shape.join(", ")}]`,
        );
      }
    }
    const updated = this.parameters.filter((parameter) => grads.has(parameter.name));
    const measure = this.maxGradNorm !== undefined || this.needsWeightNorms;
    const squared = measure ? this.squaredNorms(updated, grads) : undefined;

    let gradNorm: number | undefined;
    let clipScale = 1;
    if (squared !== undefined) {
      let total = 0;
      for (let i = 0; i < updated.length; i++) total += squared.gradients[i];
      gradNorm = Math.sqrt(total);
      // PyTorch's clip_grad_norm_: coefficient max_norm / (norm + 1e-6), clamped at 1.
      if (this.maxGradNorm !== undefined) clipScale = Math.min(1, this.maxGradNorm / (gradNorm + 1e-6));
    }

    const normsOf = (i: number): SquaredNorms | undefined =>
      squared === undefined ? undefined : { gradient: squared.gradients[i] * clipScale * clipScale, weights: squared.weights[i] };
    tf.tidy(() => {
      if (updated.length === 0 || !this.updateAll(updated, grads, lr, clipScale, normsOf)) {
        updated.forEach((parameter, i) => {
          const raw = grads.get(parameter.name)!;
          const gradient = clipScale === 1 ? raw : tf.mul(raw, clipScale);
          this.update(parameter, gradient, lr, normsOf(i));
        });
      }
      for (const parameter of updated) parameter.updates += 1;
    });
    this.steps += 1;
    return { gradNorm, clipScale };
  }

  exportState(): OptimizerState {
    const slots: Record<string, Float32Array> = {};
    for (const parameter of this.parameters) {
      for (const [slot, value] of parameter.slots) {
        slots[slotKey(parameter.name, slot)] = Float32Array.from(value.dataSync() as Float32Array);
      }
      if (this.countsUpdates()) slots[slotKey(parameter.name, "step")] = Float32Array.of(parameter.updates);
    }
    return { kind: this.kind, stepCount: this.steps, slots };
  }

  importState(state: OptimizerState): void {
    if (state.kind !== this.kind) throw new Error(`optimizer.importState: state is for ${state.kind}, this optimizer is ${this.kind}`);
    const expected = new Set<string>();
    for (const parameter of this.parameters) {
      for (const [slot, value] of parameter.slots) {
        const key = slotKey(parameter.name, slot);
        expected.add(key);
        const saved = state.slots[key];
        if (saved === undefined || saved.length !== value.size) {
          throw new Error(`optimizer.importState: "${key}" is ${saved === undefined ? "missing" : `of length ${saved.length}, expected ${value.size}`}`);
        }
      }
      if (this.countsUpdates()) {
        const key = slotKey(parameter.name, "step");
        expected.add(key);
        const saved = state.slots[key];
        if (saved === undefined || saved.length !== 1 || !Number.isInteger(saved[0]) || saved[0] < 0) {
          throw new Error(`optimizer.importState: "${key}" must be one non-negative integer`);
        }
      }
    }
    const unknown = Object.keys(state.slots).filter((key) => !expected.has(key));
    if (unknown.length > 0) throw new Error(`optimizer.importState: slots for unknown variables: ${unknown.slice(0, 5).join(", ")}`);

    for (const parameter of this.parameters) {
      for (const [slot, value] of parameter.slots) {
        // slice(): the cpu backend keeps the very array it is given, and the caller still owns this one.
        const restored = tf.tensor(state.slots[slotKey(parameter.name, slot)].slice(), value.shape, "float32");
        value.assign(restored);
        restored.dispose();
      }
      if (this.countsUpdates()) parameter.updates = state.slots[slotKey(parameter.name, "step")][0];
    }
    this.steps = state.stepCount;
  }

  describeParameters(): Array<{ name: string; weightDecay: number; adaptive: boolean }> {
    return this.parameters.map(({ name, weightDecay, adaptive }) => ({ name, weightDecay, adaptive }));
  }

  dispose(): void {
    for (const parameter of this.parameters) for (const value of parameter.slots.values()) value.dispose();
  }

  /** Whether per-variable update counts are part of the state (they change the maths only for AdamW). */
  protected countsUpdates(): boolean {
    return false;
  }

  private squaredNorms(updated: Parameter[], grads: Map<string, tf.Tensor>): { gradients: Float32Array; weights: Float32Array } {
    if (updated.length === 0) return { gradients: new Float32Array(0), weights: new Float32Array(0) };
    const measured = updated.flatMap((parameter) => (this.needsWeightNorms ? [grads.get(parameter.name)!, parameter.variable] : [grads.get(parameter.name)!]));
    // One read-back per step rather than one per variable; one kernel call where the backend has it.
    const stacked = hasOptimizerKernels()
      ? (tf.engine().runKernel(SQUARED_NORMS_KERNEL, Object.fromEntries(measured.map((t, i) => [`t${i}`, t]))) as tf.Tensor)
      : tf.tidy(() => tf.stack(measured.map((t) => tf.sum(tf.square(t)))));
    const values = stacked.dataSync() as Float32Array;
    stacked.dispose();
    const stride = this.needsWeightNorms ? 2 : 1;
    const gradients = new Float32Array(updated.length);
    const weights = new Float32Array(updated.length);
    for (let i = 0; i < updated.length; i++) {
      gradients[i] = values[i * stride];
      if (this.needsWeightNorms) weights[i] = values[i * stride + 1];
    }
    return { gradients, weights };
  }
}

export function slotKey(variableName: string, slot: string): string {
  return `${variableName}${SLOT_SEPARATOR}${slot}`;
}

function zeroSlot(variable: tf.Variable): tf.Variable {
  const zeros = tf.zerosLike(variable);
  const slot = tf.variable(zeros, false);
  zeros.dispose();
  return slot;
}
