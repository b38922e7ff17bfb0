import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { fieldSpec, DEVICE_PROFILE_NAMES, TARGETS, type FieldSpec } from "../check/registry.js";
import { IR_VERSION } from "./ir.js";

/**
 * The published JSON Schema of ExperimentIR (`seerc schema`). Field descriptions, enums and ranges
 * come from the field registry, so the schema, the checker and the docs cannot disagree; the
 * shapes of derived values are declared here, next to the IR types.
 */

type Schema = Record<string, unknown>;

const num: Schema = { type: "number" };
const int: Schema = { type: "integer" };
const nonNegInt: Schema = { type: "integer", minimum: 0 };
const posInt: Schema = { type: "integer", minimum: 1 };
const str: Schema = { type: "string" };
const bool: Schema = { type: "boolean" };
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: "null" }] });
const pair: Schema = { type: "array", items: num, minItems: 2, maxItems: 2 };
const triple: Schema = { type: "array", items: num, minItems: 3, maxItems: 3 };

function obj(properties: Record<string, Schema>, description?: string): Schema {
  const s: Schema = { type: "object", additionalProperties: false, required: Object.keys(properties), properties };
  if (description) s.description = description;
  return s;
}

/** A registry field as a schema: its doc, enum values and numeric bounds. */
function field(kind: string, name: string, base?: Schema): Schema {
  const spec: FieldSpec | undefined = fieldSpec(kind, name);
  if (!spec) throw new Error(`internal: schema refers to unknown field ${kind}.${name}`);
  const s: Schema = { ...(base ?? baseFor(spec)), description: spec.doc };
  const t = spec.type;
  if ((t.type === "int" || t.type === "number") && s.type !== undefined) {
    if (t.min !== undefined) s[t.type === "number" && t.exclusiveMin ? "exclusiveMinimum" : "minimum"] = t.min;
    if (t.max !== undefined) s.maximum = t.max;
  }
  if (t.type === "probability") Object.assign(s, { minimum: 0, maximum: 1 });
  return s;
}

function baseFor(spec: FieldSpec): Schema {
  const t = spec.type;
  switch (t.type) {
    case "int":
      return { type: "integer" };
    case "number":
    case "probability":
      return { type: "number" };
    case "bool":
      return bool;
    case "string":
      return str;
    case "enum":
      return { enum: [...t.values] };
    case "range":
      return pair;
    case "numbers":
      return { type: "array", items: num };
    case "ints":
      return { type: "array", items: int };
    case "pixels":
      return posInt;
    default:
      throw new Error(`internal: no schema base for ${spec.name}`);
  }
}

const duration: Schema = obj({
  amount: { type: "number", minimum: 0 },
  unit: { enum: ["steps", "epochs", "images"] },
  of: nullable(obj({ dataset: str, images: posInt, batch: posInt })),
  steps: nullable(nonNegInt),
});
const writtenDuration: Schema = obj({ amount: { type: "number", minimum: 0 }, unit: { enum: ["steps", "epochs", "images"] }, of: nullable(obj({ dataset: str, images: posInt, batch: posInt })) });

const source: Schema = {
  oneOf: [
    obj({ kind: { const: "folder" }, path: str, include: { type: "array", items: str }, exclude: { type: "array", items: str } }),
    obj({ kind: { const: "image_folder" }, path: str }),
    obj({ kind: { const: "idx" }, path: str, split: { enum: ["train", "test"] } }),
    obj({ kind: { const: "list" }, file: str }),
    obj({ kind: { const: "synthetic" }, images: posInt, classes: posInt, size: posInt, seed: nonNegInt, split: { enum: ["train", "test"] } }),
    obj({ kind: { const: "named" }, name: str, images: nonNegInt, classes: posInt }),
  ],
};

const data: Schema = obj({ source, images: nullable(posInt), labelled: bool, max_pixels: field("data", "max_pixels"), workers: field("data", "workers") });

const optimizer: Schema = {
  oneOf: [
    obj({ kind: { const: "lars" }, momentum: field("lars", "momentum"), weight_decay: field("lars", "weight_decay"), trust: field("lars", "trust"), exclude_bias_and_bn: field("lars", "exclude_bias_and_bn"), clip: field("lars", "clip"), clip_grad_norm: nullable(field("lars", "clip_grad_norm")) }),
    obj({ kind: { const: "sgd" }, momentum: field("sgd", "momentum"), nesterov: field("sgd", "nesterov"), weight_decay: field("sgd", "weight_decay"), clip_grad_norm: nullable(field("sgd", "clip_grad_norm")) }),
    obj({ kind: { const: "adamw" }, beta1: field("adamw", "beta1"), beta2: field("adamw", "beta2"), eps: field("adamw", "eps"), weight_decay: field("adamw", "weight_decay"), clip_grad_norm: nullable(field("adamw", "clip_grad_norm")) }),
  ],
};

const piece: Schema = {
  oneOf: [
    obj({ kind: { const: "constant" }, start_step: nonNegInt, end_step: posInt, value: num }),
    obj({ kind: { enum: ["linear", "cosine"] }, start_step: nonNegInt, end_step: posInt, from: num, to: num }),
    obj({ kind: { const: "step" }, start_step: nonNegInt, end_step: posInt, value: num, milestones: { type: "array", items: obj({ step: posInt, factor: num }) } }),
  ],
};
const writtenPiece: Schema = {
  oneOf: [
    obj({ kind: { const: "constant" }, value: num, over: nullable(writtenDuration), restart: bool }),
    obj({ kind: { enum: ["linear", "cosine"] }, from: nullable(num), to: num, over: nullable(writtenDuration), restart: bool }),
    obj({ kind: { const: "step" }, value: num, milestones: { type: "array", items: obj({ factor: num, at: writtenDuration }) }, over: { type: "null" }, restart: bool }),
  ],
};
const schedule: Schema = obj({ written: str, written_pieces: { type: "array", items: writtenPiece }, pieces: { type: "array", items: piece } }, "The learning-rate schedule as written and laid out in steps.");

const stage: Schema = obj({ depth: posInt, width: posInt, group_width: posInt, groups: posInt, stride: posInt, bottleneck_width: posInt, se_width: nonNegInt });

export function irSchema(): Schema {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: `https://seerc.dev/schema/experiment-ir-v${IR_VERSION}.json`,
    title: "seerc ExperimentIR",
    description: "A checked .seer experiment with every default filled and every derived value present. Produced by `seerc compile --target json`.",
    ...obj({
      ir_version: { const: IR_VERSION },
      name: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
      seed: field("experiment", "seed"),
      target: { enum: [...TARGETS] },
      data,
      trunk: obj({
        kind: { enum: ["regnety", "regnet", "anynet"] },
        generator: nullable(obj({ w0: field("regnety", "w0"), wa: field("regnety", "wa"), wm: field("regnety", "wm"), group_width: field("regnety", "group_width"), depth: field("regnety", "depth"), rounding: field("regnety", "rounding") })),
        preset: nullable(str),
        se_ratio: { type: "number", minimum: 0, maximum: 1 },
        bottleneck: { type: "number", exclusiveMinimum: 0 },
        stem_width: posInt,
        zero_init_final_bn: bool,
        stages: { type: "array", items: stage, minItems: 1 },
        width: { ...posInt, description: "Output width of the last stage (`trunk.width`)." },
        total_stride: posInt,
        parameters: { ...posInt, description: "Learnable parameters of the trunk (BatchNorm running statistics excluded)." },
      }),
      augment: obj({
        kind: { const: "multicrop" },
        preset: nullable(str),
        crops: { type: "array", minItems: 1, items: obj({ count: posInt, size: posInt, scale: pair, ratio: pair }) },
        flip: field("multicrop", "flip"),
        color_jitter: nullable(obj({ p: field("color_jitter", "p"), strength: field("color_jitter", "strength"), brightness: num, contrast: num, saturation: num, hue: { type: "number", minimum: 0, maximum: 0.5 } })),
        grayscale: field("multicrop", "grayscale"),
        blur: nullable(obj({ p: field("blur", "p"), radius: pair })),
        solarize: nullable(obj({ p: field("solarize", "p"), threshold: field("solarize", "threshold") })),
        normalize: obj({ mean: triple, std: triple }),
      }),
      head: obj({ kind: { const: "mlp" }, dims: { type: "array", items: posInt, minItems: 2 }, batchnorm: field("mlp", "batchnorm"), activation: field("mlp", "activation"), parameters: posInt }),
      loss: obj({
        kind: { const: "swav" },
        prototypes: field("swav", "prototypes"),
        temperature: field("swav", "temperature"),
        sinkhorn: obj({ epsilon: field("sinkhorn", "epsilon"), iterations: field("sinkhorn", "iterations") }),
        assign_crops: { type: "array", items: nonNegInt, minItems: 1 },
        queue: nullable(obj({ length: field("queue", "length"), start: duration })),
        freeze_prototypes: duration,
        prototype_parameters: posInt,
      }),
      optimizer,
      schedule,
      train: obj({
        batch_per_device: posInt,
        devices: posInt,
        nodes: field("train", "nodes"),
        global_batch: posInt,
        micro_batch: posInt,
        accumulation_steps: posInt,
        length: duration,
        total_steps: nullable(posInt),
        steps_per_epoch: nullable(posInt),
        precision: field("train", "precision"),
        activation_checkpointing: field("train", "activation_checkpointing"),
        sync_batchnorm: obj({ mode: { enum: ["none", "all", "group"] }, group_size: nullable(posInt) }),
        device: { enum: [...DEVICE_PROFILE_NAMES] },
        checkpoint_every: duration,
        keep_checkpoints: field("train", "keep_checkpoints"),
        log_every: field("train", "log_every"),
      }),
      evaluate: {
        type: "array",
        items: obj({
          kind: { enum: ["linear", "knn", "finetune", "lowshot"] },
          name: str,
          data,
          epochs: nullable(posInt),
          batch: nullable(posInt),
          optimizer: nullable(optimizer),
          schedule: nullable(schedule),
          k: nullable(posInt),
          temperature: nullable({ type: "number", exclusiveMinimum: 0 }),
          stage: nullable(posInt),
          fraction: nullable({ type: "number", minimum: 0, maximum: 1 }),
          protocol: nullable({ enum: ["linear", "finetune"] }),
          image_size: posInt,
        }),
      },
      cost: obj({
        flops_per_image: { type: "number", minimum: 0, description: "Multiply-adds of trunk, head and prototypes for one image's whole multi-crop recipe." },
        flops_per_crop: { type: "array", items: obj({ size: posInt, count: posInt, flops: { type: "number", minimum: 0 } }) },
        parameters_total: posInt,
        activation_bytes_per_device: { type: "number", minimum: 0, description: "Estimated training memory per device (activations and parameter state)." },
        device_memory_bytes: { type: "number", minimum: 0 },
        step_seconds: nullable({ type: "number", minimum: 0 }),
        total_seconds: nullable({ type: "number", minimum: 0 }),
        device_profile: str,
      }),
      sources: { type: "array", items: str },
      hash: { type: "string", pattern: "^[0-9a-f]{64}$" },
    }),
  };
}

let compiled: ValidateFunction | null = null;

// ajv is loaded on first use: `seerc check` never validates an IR and should not pay for loading it.
const loadPackage = createRequire(import.meta.url);

function validator(): ValidateFunction {
  if (!compiled) {
    const { Ajv } = loadPackage("ajv") as typeof import("ajv");
    const addFormats = loadPackage("ajv-formats") as (a: InstanceType<typeof Ajv>) => unknown;
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    compiled = ajv.compile(irSchema());
  }
  return compiled;
}

export interface SchemaProblem {
  path: string;
  message: string;
}

/** Validates a value against the IR schema; problems name the JSON path (`/train/global_batch`). */
export function validateIR(value: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => ({ path: e.instancePath || "/", message: e.message ?? "invalid" }));
}
