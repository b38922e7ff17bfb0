import type { Parameter, ParameterSetup, SquaredNorms } from "./optimizer.js";
import { MomentumSgdOptimizer, type MomentumScales } from "./momentum.js";
import type { LarsSpec } from "./types.js";

/** Apex LARC's default epsilon. */
export const LARC_DEFAULT_EPS = 1e-8;

/**
 * LARC around momentum SGD, as NVIDIA Apex implements it and VISSL/SEER train with:
 *   if ‖w‖ > 0 and ‖g‖ > 0:  g ← (g + wd·w) · trust·‖w‖ / (‖g‖ + wd·‖w‖ + eps)
 *                             (with `clip`: the factor becomes min(factor / lr, 1))
 *   otherwise:               g is left as it is: no weight decay, no scaling (Apex skips the
 *                             parameter, and its inner SGD runs with weight decay 0)
 *   then b = μ·b + g; w -= lr·b (Nesterov: w -= lr·(g + μ·b)).
 * The "otherwise" branch is kept as Apex has it, so a zero-initialised bias takes a raw gradient step
 * at the global rate on its first update; matching the reference matters more here than tidiness.
 * Parameters with `adaptive: false` (adaptBiasAndBn: false) always take the plain SGD step on g + wd·w.
 */
export class LarsOptimizer extends MomentumSgdOptimizer {
  readonly kind = "lars" as const;
  protected readonly momentum: number;
  protected readonly nesterov: boolean;
  private readonly eps: number;

  constructor(
    private readonly spec: LarsSpec,
    setups: ParameterSetup[],
  ) {
    super(setups, spec.momentum !== 0 ? ["momentum"] : [], spec.maxGradNorm, true);
    this.eps = spec.eps ?? LARC_DEFAULT_EPS;
    this.momentum = spec.momentum;
    this.nesterov = spec.nesterov ?? false;
  }

  protected momentumScales(parameter: Parameter, lr: number, norms: SquaredNorms | undefined): MomentumScales {
    const { weightDecay, adaptive } = parameter;
    if (!adaptive) return { factor: 1, decay: weightDecay };
    const weightNorm = Math.sqrt(norms!.weights);
    const gradientNorm = Math.sqrt(norms!.gradient);
    if (weightNorm === 0 || gradientNorm === 0) return { factor: 1, decay: 0 };
    let factor = (this.spec.trust * weightNorm) / (gradientNorm + weightNorm * weightDecay + this.eps);
    // At lr 0 the factor / lr is +Infinity and the clip leaves 1, as in Apex.
    if (this.spec.clip === true) factor = Math.min(factor / lr, 1);
    return { factor, decay: weightDecay };
  }
}
