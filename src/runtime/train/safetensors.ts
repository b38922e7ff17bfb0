import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";

/**
 * The safetensors format (8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data), written and read here so that
 * checkpoints load in PyTorch (`safetensors.torch.load_file`) without conversion.
 */

export type TensorDType = "F32" | "I32" | "F64" | "I64";

/** I64 is for PyTorch state dicts (BatchNorm's num_batches_tracked); checkpoints hold none. */
export type NamedTensor =
  | { dtype: "F32"; shape: number[]; data: Float32Array }
  | { dtype: "I32"; shape: number[]; data: Int32Array }
  | { dtype: "F64"; shape: number[]; data: Float64Array }
  | { dtype: "I64"; shape: number[]; data: BigInt64Array };

const BYTES: Record<TensorDType, number> = { F32: 4, I32: 4, F64: 8, I64: 8 };

export class SafetensorsError extends Error {}

export function encodeSafetensors(tensors: ReadonlyMap<string, NamedTensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) throw new Error(`internal: tensor ${name} has ${t.data.length} values for shape [${t.shape}]`);
    const bytes = t.data.length * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    const src = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    src.copy(out, at);
    at += src.length;
  }
  return out;
}

export function decodeSafetensors(buffer: Buffer, label: string): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  if (buffer.length < 8) throw new SafetensorsError(`${label} is truncated (${buffer.length} bytes; a safetensors file starts with an 8-byte header length)`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength <= 0 || 8 + headerLength > buffer.length) throw new SafetensorsError(`${label} is truncated or not a safetensors file (header of ${headerLength} bytes in a ${buffer.length}-byte file)`);
  let header: Record<string, { dtype: TensorDType; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString("utf8"));
  } catch {
    throw new SafetensorsError(`${label} has a damaged header`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype: TensorDType; shape: number[]; data_offsets: [number, number] };
    if (!(e.dtype in BYTES)) throw new SafetensorsError(`${label}: tensor ${name} has unsupported dtype ${e.dtype}`);
    const [begin, end] = e.data_offsets;
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[e.dtype] || dataStart + end > buffer.length) {
      throw new SafetensorsError(`${label} is truncated: tensor ${name} needs bytes ${begin}..${end} of the data section, which has ${buffer.length - dataStart}`);
    }
    const bytes = buffer.subarray(dataStart + begin, dataStart + end);
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    tensors.set(name, typedTensor(e.dtype, e.shape, copy.buffer));
  }
  return { tensors, metadata };
}

function typedTensor(dtype: TensorDType, shape: number[], buffer: ArrayBuffer): NamedTensor {
  switch (dtype) {
    case "F32":
      return { dtype, shape, data: new Float32Array(buffer) };
    case "I32":
      return { dtype, shape, data: new Int32Array(buffer) };
    case "F64":
      return { dtype, shape, data: new Float64Array(buffer) };
    case "I64":
      return { dtype, shape, data: new BigInt64Array(buffer) };
  }
}

export function readSafetensors(path: string): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return decodeSafetensors(buffer, path);
}

/** Writes and fsyncs, so a file that exists after a crash is complete (the caller renames it into place). */
export function writeFileDurably(path: string, data: Buffer | string): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
