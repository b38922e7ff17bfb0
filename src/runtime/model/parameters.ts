// The model's variables, named as in torchvision/VISSL state dicts, created with their reference
// initialisations:
//  - Conv weights: normal(0, √(2 / fan_out)), fan_out = kh·kw·out_channels, groups ignored — the
//    loop at the end of RegNet.__init__ in torchvision/models/regnet.py (pycls' init_weights is the
//    same). It applies to every nn.Conv2d, the SE convs included.
//  - Conv biases (the SE convs only): that loop leaves them at torch.nn.Conv2d's default,
//    uniform(±1/√fan_in) with fan_in = in_channels/groups·kh·kw (Conv2d.reset_parameters).
//  - Batch norm: weight 1 (0 for a block's final BN when zero-init is on), bias 0, running mean 0,
//    running var 1.
//  - Head and prototypes: VISSL's SwAV head (vissl/models/heads/swav_prototypes_head.py) builds plain
//    nn.Linear layers and re-initialises none of them, so they keep torch.nn.Linear's default,
//    uniform(±1/√in_features) for weight and bias. (torchvision's normal(0, 0.01) is for its
//    classifier `fc`, which a SwAV trunk does not have.)
import * as tf from "@tensorflow/tfjs";
import { normalValues, uniformValues } from "./init.js";

export type ParameterRole =
  | "conv_weight"
  | "conv_bias"
  | "bn_weight"
  | "bn_bias"
  | "bn_running_mean"
  | "bn_running_var"
  | "linear_weight"
  | "linear_bias"
  | "prototypes";

export const BN_STATE_ROLES: ReadonlySet<ParameterRole> = new Set(["bn_running_mean", "bn_running_var"]);

let modelCounter = 0;

export class ParameterStore {
  readonly variables = new Map<string, tf.Variable>();
  readonly roles = new Map<string, ParameterRole>();
  /** tfjs variable names are global to the engine; every model gets its own prefix. */
  private readonly enginePrefix = `swav_model_${++modelCounter}/`;

  constructor(private readonly seed: number) {}

  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (variable === undefined) throw new Error(`model has no parameter '${name}'`);
    return variable;
  }

  private add(name: string, shape: number[], role: ParameterRole, values: Float32Array): void {
    if (this.variables.has(name)) throw new Error(`parameter '${name}' defined twice`);
    const trainable = !BN_STATE_ROLES.has(role);
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, shape), trainable, this.enginePrefix + name));
    this.variables.set(name, variable);
    this.roles.set(name, role);
  }

  /** Conv weight in tfjs layout [kh, kw, in/groups, out]. */
  convWeight(name: string, shape: [number, number, number, number]): void {
    const [kh, kw, , out] = shape;
    const count = shape.reduce((a, b) => a * b, 1);
    this.add(name, shape, "conv_weight", normalValues(count, Math.sqrt(2 / (kh * kw * out)), this.seed, name));
  }

  convBias(name: string, channels: number, fanIn: number): void {
    this.add(name, [channels], "conv_bias", uniformValues(channels, 1 / Math.sqrt(fanIn), this.seed, name));
  }

  batchNorm(prefix: string, channels: number, zeroGamma: boolean): void {
    this.add(`${prefix}.weight`, [channels], "bn_weight", new Float32Array(channels).fill(zeroGamma ? 0 : 1));
    this.add(`${prefix}.bias`, [channels], "bn_bias", new Float32Array(channels));
    this.add(`${prefix}.running_mean`, [channels], "bn_running_mean", new Float32Array(channels));
    this.add(`${prefix}.running_var`, [channels], "bn_running_var", new Float32Array(channels).fill(1));
  }

  /** Linear layer in tfjs layout: weight [in, out] (PyTorch's [out, in] transposed), bias [out]. */
  linear(prefix: string, inFeatures: number, outFeatures: number): void {
    const bound = 1 / Math.sqrt(inFeatures);
    const weightName = `${prefix}.weight`;
    const biasName = `${prefix}.bias`;
    const weights = uniformValues(inFeatures * outFeatures, bound, this.seed, weightName);
    this.add(weightName, [inFeatures, outFeatures], "linear_weight", weights);
    this.add(biasName, [outFeatures], "linear_bias", uniformValues(outFeatures, bound, this.seed, biasName));
  }

  /**
   * Bias-free Linear(dim, count) stored [dim, count]: column k is prototype k, drawn like
   * torch.nn.Linear's weight and scaled to unit length here (in float64, so the values do not
   * depend on the backend).
   */
  prototypes(name: string, dim: number, count: number): void {
    const values = uniformValues(dim * count, 1 / Math.sqrt(dim), this.seed, name);
    for (let k = 0; k < count; k++) {
      let squares = 0;
      for (let d = 0; d < dim; d++) squares += values[d * count + k] ** 2;
      const norm = Math.max(Math.sqrt(squares), 1e-12);
      for (let d = 0; d < dim; d++) values[d * count + k] /= norm;
    }
    this.add(name, [dim, count], "prototypes", values);
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
    this.roles.clear();
  }
}
