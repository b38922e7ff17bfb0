// Export of a trunk as a PyTorch state dict for torchvision.models.RegNet (regnet_y_* of the same
// stage table): same names, conv weights transposed from [kh, kw, in/groups, out] to
// [out, in/groups, kh, kw], BatchNorm running statistics as they are, and each BatchNorm's
// `num_batches_tracked` (int64 scalar) so that `load_state_dict(strict=True)` finds every buffer.
// The classifier `fc` is not part of a SwAV trunk: set `model.fc = torch.nn.Identity()` before
// loading, and the model returns the pooled features seerc's `forwardTrunk` computes.
import { encodeSafetensors, writeFileDurably, type NamedTensor } from "../train/safetensors.js";
import { planBlocks, type TrunkSpec } from "../model/index.js";
import { EvaluationError } from "./errors.js";

export type TorchTensor = Extract<NamedTensor, { dtype: "F32" | "I64" }>;

/** Module prefixes of the trunk's convolutions and BatchNorms, in torchvision's order. */
export function trunkModules(trunk: TrunkSpec): { convs: string[]; convBiases: string[]; batchNorms: string[] } {
  const convs = ["stem.0"];
  const convBiases: string[] = [];
  const batchNorms = ["stem.1"];
  for (const block of planBlocks(trunk)) {
    const p = block.prefix;
    if (block.hasProjection) {
      convs.push(`${p}.proj.0`);
      batchNorms.push(`${p}.proj.1`);
    }
    convs.push(`${p}.f.a.0`);
    batchNorms.push(`${p}.f.a.1`);
    convs.push(`${p}.f.b.0`);
    batchNorms.push(`${p}.f.b.1`);
    if (block.seWidth > 0) {
      convs.push(`${p}.f.se.fc1`, `${p}.f.se.fc2`);
      convBiases.push(`${p}.f.se.fc1`, `${p}.f.se.fc2`);
    }
    convs.push(`${p}.f.c.0`);
    batchNorms.push(`${p}.f.c.1`);
  }
  return { convs, convBiases, batchNorms };
}

/** [kh, kw, in, out] → [out, in, kh, kw] (PyTorch's Conv2d weight; `in` is per group). */
export function convToTorch(t: NamedTensor): { shape: number[]; data: Float32Array } {
  const [kh, kw, cin, cout] = t.shape;
  const src = t.data as Float32Array;
  const data = new Float32Array(src.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          data[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o];
        }
      }
    }
  }
  return { shape: [cout, cin, kh, kw], data };
}

/**
 * The torchvision state dict of the trunk held in `tensors` (a seerc checkpoint's model tensors).
 * A missing or misshapen trunk tensor means the checkpoint holds another architecture (SEER7008).
 */
export function torchvisionStateDict(trunk: TrunkSpec, tensors: ReadonlyMap<string, NamedTensor>, options: { numBatchesTracked: number; label: string }): Map<string, TorchTensor> {
  const { convs, convBiases, batchNorms } = trunkModules(trunk);
  const out = new Map<string, TorchTensor>();
  const problems: string[] = [];
  const take = (name: string, rank: number): NamedTensor | null => {
    const t = tensors.get(name);
    if (!t) problems.push(`missing ${name}`);
    else if (t.dtype !== "F32" || t.shape.length !== rank) problems.push(`${name} is ${t.dtype} [${t.shape}], expected F32 of rank ${rank}`);
    else return t;
    return null;
  };
  for (const conv of convs) {
    const t = take(`${conv}.weight`, 4);
    if (t) out.set(`${conv}.weight`, { dtype: "F32", ...convToTorch(t) });
  }
  for (const conv of convBiases) {
    const t = take(`${conv}.bias`, 1);
    if (t) out.set(`${conv}.bias`, { dtype: "F32", shape: [...t.shape], data: t.data as Float32Array });
  }
  for (const bn of batchNorms) {
    for (const field of ["weight", "bias", "running_mean", "running_var"]) {
      const t = take(`${bn}.${field}`, 1);
      if (t) out.set(`${bn}.${field}`, { dtype: "F32", shape: [...t.shape], data: t.data as Float32Array });
    }
    out.set(`${bn}.num_batches_tracked`, { dtype: "I64", shape: [], data: BigInt64Array.of(BigInt(options.numBatchesTracked)) });
  }
  // Shapes against the stage table: a checkpoint of another width fails here rather than in PyTorch.
  const expected = expectedConvShapes(trunk);
  for (const [name, shape] of expected) {
    const t = out.get(name);
    if (t && t.shape.join("x") !== shape.join("x")) problems.push(`${name} is [${t.shape}] in PyTorch layout, the experiment's trunk needs [${shape}]`);
  }
  const trunkNames = [...tensors.keys()].filter((n) => n.startsWith("stem.") || n.startsWith("trunk_output."));
  for (const name of trunkNames) if (!out.has(name)) problems.push(`unexpected ${name}`);
  if (problems.length > 0) {
    throw new EvaluationError("SEER7008", `${options.label} does not hold the experiment's trunk: ${problems.slice(0, 8).join("; ")}${problems.length > 8 ? `; and ${problems.length - 8} more` : ""}`);
  }
  return out;
}

function expectedConvShapes(trunk: TrunkSpec): Map<string, number[]> {
  const shapes = new Map<string, number[]>([["stem.0.weight", [trunk.stemWidth, 3, 3, 3]]]);
  for (const b of planBlocks(trunk)) {
    const p = b.prefix;
    if (b.hasProjection) shapes.set(`${p}.proj.0.weight`, [b.widthOut, b.widthIn, 1, 1]);
    shapes.set(`${p}.f.a.0.weight`, [b.bottleneckWidth, b.widthIn, 1, 1]);
    shapes.set(`${p}.f.b.0.weight`, [b.bottleneckWidth, b.bottleneckWidth / b.groups, 3, 3]);
    if (b.seWidth > 0) {
      shapes.set(`${p}.f.se.fc1.weight`, [b.seWidth, b.bottleneckWidth, 1, 1]);
      shapes.set(`${p}.f.se.fc2.weight`, [b.bottleneckWidth, b.seWidth, 1, 1]);
    }
    shapes.set(`${p}.f.c.0.weight`, [b.widthOut, b.bottleneckWidth, 1, 1]);
  }
  return shapes;
}

/** A PyTorch state dict as safetensors (F32 and I64 tensors), written durably. */
export function writeTorchSafetensors(path: string, tensors: ReadonlyMap<string, TorchTensor>, metadata: Record<string, string> = {}): void {
  writeFileDurably(path, encodeSafetensors(tensors, metadata));
}
