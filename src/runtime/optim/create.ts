import type * as tf from "@tensorflow/tfjs";
import { AdamWOptimizer } from "./adamw.js";
import { isBiasOrNormByName } from "./bias-or-norm.js";
import { LarsOptimizer } from "./lars.js";
import type { ParameterSetup } from "./optimizer.js";
import { SgdOptimizer } from "./sgd.js";
import type { Optimizer, OptimizerOptions, OptimizerSpec } from "./types.js";

/**
 * Builds the optimiser for `variables` (a name → variable map, or variables keyed by their own names).
 * Which variables are biases/normalisation weights is decided once, here, by `options.isBiasOrNorm`
 * (default `isBiasOrNormByName`); `describeParameters()` shows the outcome.
 */
export function createOptimizer(
  spec: OptimizerSpec,
  variables: ReadonlyMap<string, tf.Variable> | readonly tf.Variable[],
  options: OptimizerOptions = {},
): Optimizer {
  checkSpec(spec);
  const isBiasOrNorm = options.isBiasOrNorm ?? isBiasOrNormByName;
  const named: Array<[string, tf.Variable]> = Array.isArray(variables)
    ? (variables as readonly tf.Variable[]).map((variable) => [variable.name, variable])
    : [...(variables as ReadonlyMap<string, tf.Variable>)];
  const setups: ParameterSetup[] = named.map(([name, variable]) => {
    if (variable.dtype !== "float32") throw new Error(`createOptimizer: "${name}" is ${variable.dtype}, only float32 is trained`);
    const special = isBiasOrNorm(name);
    const excluded = special && spec.excludeBiasAndBn === true;
    const adaptive = spec.kind === "lars" && !(special && spec.adaptBiasAndBn === false);
    // Outside the trust ratio LARS's bias/BN exclusion from adaptation also means no decay (SimCLR/BYOL).
    const noDecay = excluded || (spec.kind === "lars" && !adaptive);
    return { name, variable, weightDecay: noDecay ? 0 : spec.weightDecay, adaptive };
  });
  switch (spec.kind) {
    case "lars":
      return new LarsOptimizer(spec, setups);
    case "sgd":
      return new SgdOptimizer(spec, setups);
    case "adamw":
      return new AdamWOptimizer(spec, setups);
  }
}

function checkSpec(spec: OptimizerSpec): void {
  const fail = (message: string): never => {
    throw new Error(`createOptimizer (${spec.kind}): ${message}`);
  };
  const nonNegative = (name: string, value: number) => {
    if (!Number.isFinite(value) || value < 0) fail(`${name} must be finite and >= 0, got ${value}`);
  };
  const fraction = (name: string, value: number) => {
    if (!(value >= 0 && value < 1)) fail(`${name} must be in [0, 1), got ${value}`);
  };
  nonNegative("weightDecay", spec.weightDecay);
  switch (spec.kind) {
    case "lars":
      fraction("momentum", spec.momentum);
      if (!(spec.trust > 0) || !Number.isFinite(spec.trust)) fail(`trust must be > 0, got ${spec.trust}`);
      if (spec.eps !== undefined) nonNegative("eps", spec.eps);
      if (spec.nesterov === true && spec.momentum === 0) fail("Nesterov needs a momentum > 0");
      break;
    case "sgd":
      fraction("momentum", spec.momentum);
      if (spec.nesterov && spec.momentum === 0) fail("Nesterov needs a momentum > 0");
      break;
    case "adamw":
      fraction("beta1", spec.beta1);
      fraction("beta2", spec.beta2);
      if (!(spec.eps > 0)) fail(`eps must be > 0, got ${spec.eps}`);
      break;
  }
}
