// NumPy's .npy format, version 1.0, for float32 matrices: the magic "\x93NUMPY", a version, a
// little-endian header length, a Python-literal header dict padded with spaces (and a final newline)
// so the data starts on a 64-byte boundary, then the raw little-endian C-order data.
// (numpy/lib/format.py documents the format.)

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const ALIGNMENT = 64;

export class NpyError extends Error {}

export function encodeNpy(data: Float32Array, shape: readonly number[]): Buffer {
  const expected = shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`internal: ${data.length} values for shape [${shape}]`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const prefix = MAGIC.length + 2 + 2;
  const total = Math.ceil((prefix + header.length + 1) / ALIGNMENT) * ALIGNMENT;
  header = header.padEnd(total - prefix - 1, " ") + "\n";
  const out = Buffer.alloc(total + data.byteLength);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, prefix, "latin1");
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, total);
  return out;
}

/** Reads a little-endian float32, C-order .npy (what encodeNpy writes and numpy.save writes for float32). */
export function decodeNpy(buffer: Buffer): { data: Float32Array; shape: number[] } {
  if (buffer.length < 10 || !buffer.subarray(0, 6).equals(MAGIC)) throw new NpyError("not a .npy file (no \\x93NUMPY magic)");
  const major = buffer[6];
  const headerLength = major === 1 ? buffer.readUInt16LE(8) : buffer.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buffer.subarray(start, start + headerLength).toString("latin1");
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== "<f4" || fortran !== "False" || shapeText === undefined) throw new NpyError(`unsupported .npy header ${header.trim()} (only little-endian float32 in C order)`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = buffer.subarray(start + headerLength, start + headerLength + count * 4);
  if (bytes.length !== count * 4) throw new NpyError(`.npy data is truncated: ${bytes.length} of ${count * 4} bytes`);
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes);
  return { data, shape };
}
