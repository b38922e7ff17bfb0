// The SwAV model: RegNetY trunk → MLP projection head → L2-normalised embedding → prototype scores.
import * as tf from "@tensorflow/tfjs";
import { batchNormEval, batchNormTrain, gelu, type BatchNormState } from "../kernels/index.js";
import { BN_STATE_ROLES, ParameterStore, type ParameterRole } from "./parameters.js";
import { RegNetTrunk, createTrunkParameters, type ForwardMode } from "./regnet.js";
import { validateSpec, type HeadSpec, type SwavModelSpec } from "./spec.js";

export interface SwavForward {
  /** Globally average-pooled trunk output [N, trunkWidth]. */
  readonly features: tf.Tensor2D;
  /** Head output, L2-normalised per row [N, embeddingDim]. */
  readonly embedding: tf.Tensor2D;
  /** embedding · prototypesᵀ [N, K]. */
  readonly scores: tf.Tensor2D;
}

export interface SwavModel {
  readonly spec: SwavModelSpec;
  /** Every variable by its torchvision/VISSL state-dict name (layouts: see the model README). */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  readonly embeddingDim: number;
  /** The variables gradients flow into, by name, in creation order. */
  trainableVariables(): Map<string, tf.Variable>;
  /** Batch-norm running means and variances (not trainable; updated by train-mode forwards). */
  bnStateVariables(): Map<string, tf.Variable>;
  /** What a variable is (conv weight, BN weight, linear bias, prototypes, ...), by name. */
  roleOf(name: string): ParameterRole;
  forward(images: tf.Tensor4D, mode: ForwardMode): SwavForward;
  /** Pooled trunk features, from stage `stage` (1-based) when given, else from the last stage. */
  forwardTrunk(images: tf.Tensor4D, mode: ForwardMode, options?: { stage?: number }): tf.Tensor2D;
  /** Scores of L2-normalised embeddings against the prototypes [N, K] (e.g. the SwAV queue's). */
  scoreEmbeddings(embedding: tf.Tensor2D): tf.Tensor2D;
  /** Rescales every prototype to unit length; call after each optimiser update. */
  normalizePrototypes(): void;
  /** Number of trainable scalars. */
  parameterCount(): number;
  dispose(): void;
}

const NORMALIZE_EPSILON = 1e-12;

/** x / max(‖x‖₂, 1e-12) along `axis` (torch.nn.functional.normalize). */
function l2Normalize<T extends tf.Tensor>(x: T, axis: number): T {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), axis, true)), NORMALIZE_EPSILON)) as T);
}

interface HeadLayer {
  readonly linear: string;
  /** Batch-norm module prefix for hidden layers with BN. */
  readonly batchNorm?: string;
  readonly activation: boolean;
}

/**
 * Head modules indexed as VISSL's nn.Sequential projection head counts them:
 * Linear, [BatchNorm1d], activation, ..., final Linear.
 */
function planHead(head: HeadSpec): HeadLayer[] {
  const layers: HeadLayer[] = [];
  let index = 0;
  for (let i = 1; i < head.dims.length; i++) {
    const last = i === head.dims.length - 1;
    const linear = `head.${index++}`;
    if (last) {
      layers.push({ linear, activation: false });
      break;
    }
    const batchNorm = head.batchnorm ? `head.${index++}` : undefined;
    index++; // the activation module has no parameters but takes an index in the Sequential
    layers.push({ linear, batchNorm, activation: true });
  }
  return layers;
}

export function createSwavModel(spec: SwavModelSpec): SwavModel {
  validateSpec(spec);
  const store = new ParameterStore(spec.seed);
  const blocks = createTrunkParameters(store, spec.trunk);
  const trunk = new RegNetTrunk(store, spec.trunk, blocks, spec.activationCheckpointing);
  const headLayers = planHead(spec.head);
  headLayers.forEach((layer, i) => {
    store.linear(layer.linear, spec.head.dims[i], spec.head.dims[i + 1]);
    if (layer.batchNorm !== undefined) store.batchNorm(layer.batchNorm, spec.head.dims[i + 1], false);
  });
  const embeddingDim = spec.head.dims[spec.head.dims.length - 1];
  store.prototypes("prototypes.weight", embeddingDim, spec.prototypes);

  const bnState = (prefix: string): BatchNormState => ({
    gamma: store.get(`${prefix}.weight`) as tf.Variable<tf.Rank.R1>,
    beta: store.get(`${prefix}.bias`) as tf.Variable<tf.Rank.R1>,
    runningMean: store.get(`${prefix}.running_mean`) as tf.Variable<tf.Rank.R1>,
    runningVar: store.get(`${prefix}.running_var`) as tf.Variable<tf.Rank.R1>,
  });

  const headForward = (features: tf.Tensor2D, mode: ForwardMode): tf.Tensor2D => {
    let h = features;
    for (const layer of headLayers) {
      const weight = store.get(`${layer.linear}.weight`) as tf.Tensor2D;
      const bias = store.get(`${layer.linear}.bias`);
      const fuseRelu = layer.activation && layer.batchNorm === undefined && spec.head.activation === "relu";
      h = tf.fused.matMul({ a: h, b: weight, bias, activation: fuseRelu ? "relu" : "linear" }) as tf.Tensor2D;
      if (!layer.activation) continue;
      const relu = spec.head.activation === "relu";
      if (layer.batchNorm !== undefined) {
        const bn = bnState(layer.batchNorm);
        h = (
          mode === "train"
            ? batchNormTrain(h, bn, { relu, updateRunningStats: true })
            : batchNormEval(h, bn, { relu })
        ) as tf.Tensor2D;
      }
      if (!relu) h = gelu(h) as tf.Tensor2D;
    }
    return h;
  };

  const prototypes = store.get("prototypes.weight") as tf.Variable<tf.Rank.R2>;
  // Prototypes are stored [embedding dim, K], so scores need no transposed matMul (slow on wasm).
  const scoreEmbeddings = (embedding: tf.Tensor2D) => tf.matMul(embedding, prototypes) as tf.Tensor2D;
  const select = (keep: (role: ParameterRole) => boolean) =>
    new Map([...store.variables].filter(([name]) => keep(store.roles.get(name) as ParameterRole)));

  const model: SwavModel = {
    spec,
    variables: store.variables,
    embeddingDim,
    trainableVariables: () => select((role) => !BN_STATE_ROLES.has(role)),
    bnStateVariables: () => select((role) => BN_STATE_ROLES.has(role)),
    roleOf: (name) => {
      const role = store.roles.get(name);
      if (role === undefined) throw new Error(`model has no parameter '${name}'`);
      return role;
    },
    forward: (images, mode) =>
      tf.tidy(() => {
        const features = trunk.forward(images, mode);
        const embedding = l2Normalize(headForward(features, mode), 1);
        return { features, embedding, scores: scoreEmbeddings(embedding) };
      }),
    scoreEmbeddings,
    forwardTrunk: (images, mode, options = {}) => trunk.forward(images, mode, options.stage),
    normalizePrototypes: () => {
      tf.tidy(() => prototypes.assign(l2Normalize(prototypes, 0)));
    },
    parameterCount: () => {
      let count = 0;
      for (const [name, variable] of store.variables) {
        if (!BN_STATE_ROLES.has(store.roles.get(name) as ParameterRole)) count += variable.size;
      }
      return count;
    },
    dispose: () => store.dispose(),
  };
  return model;
}
