import type { Parameter, ParameterSetup } from "./optimizer.js";
import { MomentumSgdOptimizer, type MomentumScales } from "./momentum.js";
import type { SgdSpec } from "./types.js";

/** PyTorch's SGD with dampening 0: momentum SGD on d = g + wd·w. */
export class SgdOptimizer extends MomentumSgdOptimizer {
  readonly kind = "sgd" as const;
  protected readonly momentum: number;
  protected readonly nesterov: boolean;

  constructor(spec: SgdSpec, setups: ParameterSetup[]) {
    super(setups, spec.momentum !== 0 ? ["momentum"] : [], spec.maxGradNorm, false);
    this.momentum = spec.momentum;
    this.nesterov = spec.nesterov;
  }

  protected momentumScales(parameter: Parameter): MomentumScales {
    return { factor: 1, decay: parameter.weightDecay };
  }
}
