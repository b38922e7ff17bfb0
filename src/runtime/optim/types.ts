import type * as tf from "@tensorflow/tfjs";

interface CommonSpec {
  /** Scale all gradients together so their global L2 norm is at most this (PyTorch's `clip_grad_norm_`). */
  maxGradNorm?: number;
}

/**
 * SGD wrapped in LARC as VISSL uses it (NVIDIA Apex `LARC`, `clip: false` by default): each parameter's
 * gradient, weight decay included, is scaled by trust·‖w‖ / (‖g‖ + wd·‖w‖ + eps) before momentum SGD
 * applies the global learning rate.
 */
export interface LarsSpec extends CommonSpec {
  kind: "lars";
  momentum: number;
  weightDecay: number;
  /** Trust coefficient (eta); SEER/VISSL use 0.001. */
  trust: number;
  /** Exclude bias and normalisation parameters from weight decay (VISSL `regularize_bias/bn: false`). */
  excludeBiasAndBn: boolean;
  /** LARC's clipping: the effective rate becomes min(adaptive rate, global lr). Default false. */
  clip?: boolean;
  /** Added to LARC's denominator; Apex's default 1e-8. */
  eps?: number;
  /** Nesterov momentum in the inner SGD (PyTorch semantics). Default false, as in VISSL. */
  nesterov?: boolean;
  /**
   * Default true. False gives bias and normalisation parameters a plain momentum-SGD step at the global
   * rate, without the trust ratio and without weight decay (the SimCLR/BYOL "exclude from layer
   * adaptation" convention).
   */
  adaptBiasAndBn?: boolean;
}

/** PyTorch `torch.optim.SGD` (dampening 0). */
export interface SgdSpec extends CommonSpec {
  kind: "sgd";
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  excludeBiasAndBn?: boolean;
}

/** PyTorch `torch.optim.AdamW` (amsgrad off). */
export interface AdamWSpec extends CommonSpec {
  kind: "adamw";
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  excludeBiasAndBn?: boolean;
}

export type OptimizerSpec = LarsSpec | SgdSpec | AdamWSpec;
export type OptimizerKind = OptimizerSpec["kind"];

export interface OptimizerOptions {
  /** Which parameters are biases or normalisation weights; defaults to `isBiasOrNormByName`. */
  isBiasOrNorm?: (name: string) => boolean;
}

export interface OptimizerStepReport {
  /** Global L2 norm of the gradients before clipping; only measured when clipping or LARS needs it. */
  gradNorm: number | undefined;
  /** Factor the gradients were multiplied by (1 unless clipped). */
  clipScale: number;
}

/**
 * Everything needed to resume exactly. `slots` keys are `<variable name>::<slot>`, slots being
 * `momentum` (sgd with momentum, lars), `exp_avg`, `exp_avg_sq` and `step` (adamw, a 1-element array).
 */
export interface OptimizerState {
  kind: OptimizerKind;
  stepCount: number;
  slots: Record<string, Float32Array>;
}

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Number of completed `step` calls. */
  readonly stepCount: number;
  /**
   * One update. Variables without an entry in `grads` are left alone, state included (PyTorch's
   * `grad is None`, e.g. frozen prototypes). Everything it allocates is released before it returns.
   */
  step(grads: Map<string, tf.Tensor>, lr: number): OptimizerStepReport;
  exportState(): OptimizerState;
  importState(state: OptimizerState): void;
  /** Which variables get weight decay / the trust ratio, for `seerc explain`-style listings. */
  describeParameters(): Array<{ name: string; weightDecay: number; adaptive: boolean }>;
  dispose(): void;
}
